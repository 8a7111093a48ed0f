import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from booking.models import Booking, SeatClaim
from booking.tests.factories import BookingFactory
from payments.gateways import gateway
from payments.gateways.base import Charge, GatewayError
from payments.gateways.sandbox import SandboxGateway, sign
from payments.models import Payment, Refund
from screening.tests.factories import ShowtimeFactory

GOOD = "4242 4242 4242 4242"
DECLINED = "4000000000000002"
NO_FUNDS = "4000000000009995"
PROVIDER_ERROR = "4000000000000119"
LOST_ANSWER = "4000000000000341"


def card(number=GOOD, **overrides) -> dict:
    return {
        "number": number,
        "exp_month": 12,
        "exp_year": 2031,
        "cvc": "987",
        "holder_name": "Cara Xu",
        **overrides,
    }


DEFAULT = object()


def pay(client, booking, *, key="pay-1", body=DEFAULT, **fields):
    """POST .../pay/: `fields` as the body, or a good card when neither is given."""
    if body is DEFAULT:
        body = fields or {"card": card()}
    return client.post(f"/api/v1/bookings/{booking.pk}/pay/", body, HTTP_IDEMPOTENCY_KEY=key)


def held_booking(user, *, price="10.00", seats=None):
    """A PENDING booking of `user` (one standard seat by default) at a showtime of `price`."""
    showtime = ShowtimeFactory(base_price=Decimal(price))
    return BookingFactory(user=user, showtime=showtime, seats=seats)


def webhook(client, event: dict, *, secret="whsec_test", provider="sandbox"):
    body = json.dumps(event).encode()
    return client.post(
        f"/api/v1/payments/webhooks/{provider}/",
        body,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign(body, secret),
    )


def reconcile_late() -> str:
    """`manage.py reconcile_payments`, late enough to retry every pending refund and to give
    back what pays for no confirmed booking; what it printed."""
    Refund.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    Payment.objects.update(updated_at=timezone.now() - timedelta(minutes=5))
    out = StringIO()
    call_command("reconcile_payments", stdout=out)
    return out.getvalue().strip()


def refunds_fail(monkeypatch) -> None:
    """The provider fails every refund (until `monkeypatch` is undone)."""

    def down(self, **kwargs):
        raise GatewayError("down")

    monkeypatch.setattr(SandboxGateway, "refund", down)


def charge_of(payment: Payment) -> Charge | None:
    """The payment's charge as the provider has it now."""
    return gateway().charge_lookup(idempotency_key=payment.gateway_key)


def charged_unanswered(customer, customer_api) -> tuple[Booking, Payment]:
    """A booking whose payment was charged at the provider, the answer lost (PENDING)."""
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(LOST_ANSWER)).status_code == 503
    return booking, Payment.objects.get()


def paid_by_a_second_attempt(customer, customer_api, monkeypatch):
    """A booking whose first payment's answer was lost and whose second attempt paid it (the
    retry made to skip settling the first, which it would otherwise do before charging again).
    The booking, the first payment and the second."""
    booking, first = charged_unanswered(customer, customer_api)
    with monkeypatch.context() as patched:
        patched.setattr(
            "payments.services.paying._unknown_outcomes_settle", lambda *args, **kwargs: None
        )
        assert pay(customer_api, booking, key="pay-2").status_code == 200
    return booking, first, Payment.objects.exclude(pk=first.pk).get()


def hold_lost_to(booking: Booking, other_customer) -> Booking:
    """The booking's hold lapses and another customer takes its seat; their booking."""
    past = timezone.now() - timedelta(seconds=1)
    Booking.objects.filter(pk=booking.pk).update(expires_at=past)
    SeatClaim.objects.filter(booking=booking).update(expires_at=past)
    taker = BookingFactory(user=other_customer, showtime=booking.showtime)
    assert set(taker.tickets.values_list("seat", flat=True)) == set(
        booking.tickets.values_list("seat", flat=True)
    )
    return taker

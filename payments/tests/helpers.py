import json
from decimal import Decimal

from booking.tests.factories import BookingFactory
from payments.gateways.sandbox import sign
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

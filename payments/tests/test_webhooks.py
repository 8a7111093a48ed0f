import json
from decimal import Decimal

import pytest

from booking.models import BookingStatus
from payments.gateways import gateway
from payments.gateways.base import GatewayError
from payments.gateways.sandbox import SandboxGateway, sign
from payments.models import (
    Payment,
    PaymentEvent,
    PaymentStatus,
    Refund,
    RefundStatus,
    SandboxCharge,
    WebhookEvent,
)

from .helpers import (
    DECLINED,
    LOST_ANSWER,
    card,
    held_booking,
    paid_by_a_second_attempt,
    pay,
    reconcile_late,
    refunds_fail,
    webhook,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhooks/sandbox/"


def test_a_bad_signature_is_400(api_client):
    body = json.dumps({"id": "evt_1", "type": "charge.succeeded", "data": {}}).encode()
    for signature in ["", "sha256=0000", sign(body, "another-secret"), "deadbeef"]:
        response = api_client.post(
            URL, body, content_type="application/json", HTTP_X_SIGNATURE=signature
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


def test_no_secret_configured_refuses_every_webhook(api_client, settings):
    settings.PAYMENT_WEBHOOK_SECRET = ""
    response = webhook(api_client, {"id": "evt_1", "type": "x", "data": {}}, secret="")
    assert response.json()["error"]["code"] == "invalid_signature"


def test_a_signed_body_that_is_no_event_is_400(api_client):
    body = b"[1, 2, 3]"
    response = api_client.post(
        URL, body, content_type="application/json", HTTP_X_SIGNATURE=sign(body, "whsec_test")
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_unknown_provider_is_404(api_client):
    assert (
        webhook(api_client, {"id": "e", "type": "x", "data": {}}, provider="acme").status_code
        == 404
    )


def test_events_are_recorded_once_and_unknown_ones_acknowledged(api_client):
    event = {"id": "evt_1", "type": "customer.created", "data": {"anything": 1}}
    first = webhook(api_client, event)
    assert first.status_code == 200
    assert first.json() == {
        "received": True,
        "duplicate": False,
        "outcome": "no such payment: recorded only",
    }
    again = webhook(api_client, event)
    assert again.json()["duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert PaymentEvent.objects.filter(kind="webhook_received").count() == 1


def test_charge_succeeded_settles_a_payment_whose_answer_was_lost(
    customer, customer_api, api_client
):
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(LOST_ANSWER)).status_code == 503
    payment = Payment.objects.get()
    charge = SandboxCharge.objects.get()
    event = {
        "id": "evt_ok",
        "type": "charge.succeeded",
        "data": {
            "charge": charge.reference,
            "idempotency_key": payment.gateway_key,
            "amount": str(charge.amount),
        },
    }
    response = webhook(api_client, event)
    assert response.json()["outcome"] == "payment succeeded"
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.SUCCEEDED, BookingStatus.CONFIRMED)
    # Applied once: the same event again changes nothing.
    assert webhook(api_client, event).json()["duplicate"] is True


def test_charge_refunded_at_the_provider_is_recorded(customer, customer_api, api_client):
    pay(customer_api, held_booking(customer, price="20.00"))
    payment = Payment.objects.get()
    refund_at_the_provider(payment, "8.00")
    event = {
        "id": "evt_r",
        "type": "charge.refunded",
        "data": {"charge": payment.provider_reference, "amount_refunded": "8.00"},
    }
    assert (
        webhook(api_client, event).json()["outcome"]
        == "refund of 8.00 made at the provider recorded"
    )
    payment.refresh_from_db()
    assert (payment.status, str(payment.amount_refunded)) == (
        PaymentStatus.PARTIALLY_REFUNDED,
        "8.00",
    )
    event["id"] = "evt_r2"
    assert webhook(api_client, event).json()["outcome"] == "refund known already"


def refund_at_the_provider(payment, amount: str) -> None:
    """A refund made in the provider's dashboard: its ledger knows, we do not (yet)."""
    gateway().refund(
        charge_reference=payment.provider_reference,
        amount=Decimal(amount),
        idempotency_key=f"dashboard-{amount}",
    )


def test_a_refund_the_provider_did_not_make_is_not_recorded(customer, customer_api, api_client):
    pay(customer_api, held_booking(customer, price="20.00"))
    payment = Payment.objects.get()
    event = {
        "id": "evt_forged",
        "type": "charge.refunded",
        "data": {"charge": payment.provider_reference, "amount_refunded": "20.00"},
    }
    assert webhook(api_client, event).json()["outcome"] == "refund known already"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_signed_charge_succeeded_cannot_confirm_a_declined_payment(
    customer, customer_api, api_client
):
    """The event is checked against the provider's own record of the charge: a declined charge
    stays declined whatever the event claims, and so does an amount that is not the payment's."""
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(DECLINED)).status_code == 402
    payment = Payment.objects.get()
    charge = SandboxCharge.objects.get()
    for event_id, amount in [("evt_lie", str(charge.amount)), ("evt_cent", "0.01")]:
        event = {
            "id": event_id,
            "type": "charge.succeeded",
            "data": {
                "charge": charge.reference,
                "idempotency_key": payment.gateway_key,
                "amount": amount,
            },
        }
        assert webhook(api_client, event).status_code == 200
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.FAILED, BookingStatus.PENDING)


def test_an_event_whose_charge_differs_from_the_payment_is_ignored(
    customer, customer_api, api_client
):
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(LOST_ANSWER)).status_code == 503
    payment = Payment.objects.get()
    SandboxCharge.objects.update(amount=Decimal("0.01"))
    event = {
        "id": "evt_cheap",
        "type": "charge.succeeded",
        "data": {"idempotency_key": payment.gateway_key},
    }
    outcome = webhook(api_client, event).json()["outcome"]
    assert outcome == "the provider's charge differs from the payment: ignored"
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_an_event_that_failed_to_apply_is_applied_when_sent_again(
    customer, customer_api, api_client, monkeypatch
):
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(LOST_ANSWER)).status_code == 503
    payment = Payment.objects.get()
    event = {
        "id": "evt_retry",
        "type": "charge.succeeded",
        "data": {"idempotency_key": payment.gateway_key},
    }

    def down(self, **kwargs):
        raise GatewayError("provider down")

    with monkeypatch.context() as patched:
        patched.setattr(SandboxGateway, "charge_lookup", down)
        response = webhook(api_client, event)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_gateway_unavailable"

    again = webhook(api_client, event)
    assert again.json() == {"received": True, "duplicate": False, "outcome": "payment succeeded"}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert webhook(api_client, event).json()["duplicate"] is True


@pytest.mark.parametrize("signature", ["sha256=é", "sha256=\u0663\u0664", "\u00d7"])
def test_a_non_ascii_signature_is_400(api_client, signature):
    body = json.dumps({"id": "evt_1", "type": "x", "data": {}}).encode()
    response = api_client.post(
        URL, body, content_type="application/json", HTTP_X_SIGNATURE=signature
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"


@pytest.mark.parametrize(
    "event",
    [
        {"id": "e" * 101, "type": "charge.succeeded", "data": {}},
        {"id": "evt_1", "type": "t" * 101, "data": {}},
        {"id": "", "type": "x", "data": {}},
    ],
)
def test_an_event_id_or_type_longer_than_recorded_is_400(api_client, event):
    response = webhook(api_client, event)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert not WebhookEvent.objects.exists()


def test_a_non_numeric_amount_in_an_event_is_no_error(customer, customer_api, api_client):
    """Amounts in events are not read at all: the provider's record is."""
    pay(customer_api, held_booking(customer))
    payment = Payment.objects.get()
    event = {
        "id": "evt_nan",
        "type": "charge.refunded",
        "data": {"charge": payment.provider_reference, "amount_refunded": "lots"},
    }
    assert webhook(api_client, event).json()["outcome"] == "refund known already"


def succeeded_event(payment: Payment, event_id: str) -> dict:
    charge = SandboxCharge.objects.get(idempotency_key=payment.gateway_key)
    return {
        "id": event_id,
        "type": "charge.succeeded",
        "data": {
            "charge": charge.reference,
            "idempotency_key": payment.gateway_key,
            "amount": str(charge.amount),
        },
    }


def assert_refunded_and_paid_by(booking, refunded: Payment, paid: Payment) -> None:
    """`refunded` given back in full, and the booking still confirmed, paid by `paid`."""
    for instance in (booking, refunded, paid):
        instance.refresh_from_db()
    assert (refunded.status, refunded.amount_refunded) == (PaymentStatus.REFUNDED, refunded.amount)
    assert (paid.status, paid.amount_refunded) == (PaymentStatus.SUCCEEDED, Decimal("0.00"))
    assert booking.status == BookingStatus.CONFIRMED


def test_a_success_for_a_booking_another_payment_paid_is_refunded(
    customer, customer_api, api_client, monkeypatch
):
    """Defence in depth: money arriving for a booking that another payment has paid is given
    back, never counted as a second payment."""
    booking, first, second = paid_by_a_second_attempt(customer, customer_api, monkeypatch)

    webhook(api_client, succeeded_event(first, "evt_late"))

    assert_refunded_and_paid_by(booking, first, second)


def test_the_payment_that_paid_stays_while_a_second_charge_is_being_given_back(
    customer, customer_api, api_client, monkeypatch
):
    """A second charge for a paid booking is given back. Until the provider has made that
    refund, the payment that paid is still the booking's: its own late success (a webhook, a
    reconciliation) must not take it for a second payment and refund it too."""
    booking, first, second = paid_by_a_second_attempt(customer, customer_api, monkeypatch)
    refund = SandboxGateway.refund
    refunds_fail(monkeypatch)
    webhook(api_client, succeeded_event(first, "evt_first"))
    first.refresh_from_db()
    assert first.status == PaymentStatus.SUCCEEDED
    assert Refund.objects.get().status == RefundStatus.PENDING  # the provider failed it

    webhook(api_client, succeeded_event(second, "evt_second"))

    second.refresh_from_db()
    booking.refresh_from_db()
    assert (second.status, second.amount_refunded) == (PaymentStatus.SUCCEEDED, Decimal("0.00"))
    assert booking.status == BookingStatus.CONFIRMED
    assert Refund.objects.filter(payment=second).count() == 0

    monkeypatch.setattr(SandboxGateway, "refund", refund)
    reconcile_late()
    assert_refunded_and_paid_by(booking, first, second)

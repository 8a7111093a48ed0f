from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from booking import services as booking_services
from booking.models import BookingStatus
from core.testing import client_for
from payments.exceptions import RefundFailed
from payments.gateways import gateway
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.services import reconciliation
from payments.services.paying import charge_settle
from payments.services.refunds import payment_refund

from .factories import InFlightPaymentFactory, PaidBookingPaymentFactory
from .helpers import (
    LOST_ANSWER,
    card,
    charge_of,
    held_booking,
    pay,
    reconcile_late,
    refunds_fail,
)

pytestmark = pytest.mark.django_db


def reconcile() -> str:
    out = StringIO()
    call_command("reconcile_payments", stdout=out)
    return out.getvalue().strip()


def test_a_lost_answer_is_settled_by_reconciliation(customer, customer_api):
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(LOST_ANSWER)).status_code == 503
    assert reconcile().startswith("1 payment(s) examined")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_a_charge_abandoned_mid_flight_is_failed_if_nothing_was_charged(customer):
    payment = InFlightPaymentFactory(booking=held_booking(customer))
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    reconcile()
    payment.refresh_from_db()
    assert (payment.status, payment.in_flight, payment.failure_code) == (
        PaymentStatus.FAILED,
        None,
        "not_charged",
    )


def test_a_refund_the_provider_failed_is_retried(customer, customer_api, admin_api, monkeypatch):
    pay(customer_api, held_booking(customer))
    payment = Payment.objects.get()
    refund = SandboxGateway.refund
    refunds_fail(monkeypatch)
    response = admin_api.post(f"/api/v1/payments/{payment.pk}/refund/", {})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "refund_failed"
    assert Refund.objects.get().status == RefundStatus.PENDING

    monkeypatch.setattr(SandboxGateway, "refund", refund)
    assert "1 refund(s) retried" in reconcile_late()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_a_refund_made_at_the_provider_whose_webhook_was_lost_is_recorded(customer):
    payment = PaidBookingPaymentFactory(booking=held_booking(customer, price="20.00"))
    gateway().refund(
        charge_reference=payment.provider_reference,
        amount=Decimal("20.00"),
        idempotency_key="dashboard-1",
    )
    assert "1 payment(s) brought up to the provider's refunds" in reconcile()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, Decimal("20.00"))
    assert payment.booking.status == BookingStatus.CANCELLED
    assert "0 payment(s) brought up to the provider's refunds" in reconcile()


def test_a_charge_that_cannot_confirm_is_recorded_with_its_refund_or_not_at_all(
    customer, customer_api, monkeypatch
):
    """The capture of a charge whose booking cannot be confirmed and the reservation of its
    refund commit together: a failure between them (here the refund's row) leaves the payment
    as it was - its outcome unknown - for reconciliation to settle, never money recorded as
    captured with no refund coming."""
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(LOST_ANSWER)).status_code == 503
    payment = Payment.objects.get()
    booking_services.booking_cancel(booking_id=booking.pk, by=customer)
    charge = charge_of(payment)

    def lost(**kwargs):
        raise OperationalError("Lost connection to server during query")

    with monkeypatch.context() as patched:
        patched.setattr(Refund.objects, "create", lost)
        with pytest.raises(OperationalError):
            charge_settle(payment.pk, charge)
    payment.refresh_from_db()
    assert (payment.status, payment.needs_reconciliation) == (PaymentStatus.PENDING, True)
    assert not Refund.objects.exists()

    assert reconcile().startswith("1 payment(s) examined")
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, payment.amount)
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED


def test_a_record_that_fails_every_time_does_not_stop_the_others(
    customer, other_customer, customer_api, admin, monkeypatch, caplog
):
    for user in (customer, other_customer):
        assert pay(client_for(user), held_booking(user)).status_code == 200
    refund = SandboxGateway.refund
    refunds_fail(monkeypatch)
    for payment in Payment.objects.order_by("pk"):
        with pytest.raises(RefundFailed):
            payment_refund(payment_id=payment.pk, by=admin)
    monkeypatch.setattr(SandboxGateway, "refund", refund)
    poisoned, healthy = Refund.objects.order_by("pk")
    make = reconciliation.refund_make

    def poison(refund_id, **kwargs):
        if refund_id == poisoned.pk:
            raise RuntimeError("a row no code expected")
        return make(refund_id, **kwargs)

    monkeypatch.setattr(reconciliation, "refund_make", poison)
    Refund.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    assert "1 refund(s) retried" in reconcile()

    healthy.refresh_from_db()
    assert healthy.status == RefundStatus.SUCCEEDED
    assert f"Reconciliation of refund {poisoned.pk} failed" in caplog.text

"""Refunds the provider made, recorded once each by identity - ours by the key we asked with,
those made in its dashboard by their reference - whatever the order of events, answers and
reconciliation runs; and ours that can no longer be made, failed, so that everything converges:
the money the customer got back is what our records say."""

from decimal import Decimal

import pytest

from booking.models import BookingStatus
from payments.exceptions import RefundFailed
from payments.gateways import gateway
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.services import paying
from payments.services.refunds import payment_refund

from .helpers import (
    charge_of,
    charged_unanswered,
    held_booking,
    hold_lost_to,
    pay,
    reconcile_late,
    refunds_fail,
    webhook,
)

pytestmark = pytest.mark.django_db


def dashboard_refund(payment: Payment, amount: str):
    """Staff give `amount` back by hand in the provider's dashboard. The charge as it was."""
    charge = charge_of(payment)
    gateway().refund(
        charge_reference=charge.reference,
        amount=Decimal(amount),
        idempotency_key=f"dashboard-{amount}",
    )
    return charge


def refunded_event(api_client, charge, event_id: str = "evt_refunded") -> str:
    event = {"id": event_id, "type": "charge.refunded", "data": {"charge": charge.reference}}
    return webhook(api_client, event).json()["outcome"]


def assert_records_match_the_provider(payment: Payment, amount: str) -> None:
    payment.refresh_from_db()
    assert payment.amount_refunded == charge_of(payment).amount_refunded == Decimal(amount)
    assert not Refund.objects.filter(status=RefundStatus.PENDING).exists()


@pytest.mark.parametrize("ours", [None, "5.00"])
def test_a_refund_of_ours_the_provider_failed_gives_way_to_staff_refunding_by_hand(
    customer, customer_api, admin, api_client, ours
):
    """Our refund (all, or part) failed at the provider and waits for reconciliation; staff
    give the whole charge back in the dashboard. Theirs is recorded, ours fails (nothing is
    left to refund), and the booking is cancelled."""
    booking = held_booking(customer)
    assert pay(customer_api, booking).status_code == 200
    payment = Payment.objects.get()
    with pytest.MonkeyPatch.context() as patched:
        refunds_fail(patched)
        with pytest.raises(RefundFailed):
            payment_refund(
                payment_id=payment.pk, amount=ours and Decimal(ours), by=admin, reason="Goodwill."
            )
    charge = dashboard_refund(payment, "10.00")

    outcome = refunded_event(api_client, charge)

    assert "refund of 10.00 made at the provider recorded" in outcome
    assert "failed: the money went back by other refunds" in outcome
    reconcile_late()
    assert_records_match_the_provider(payment, "10.00")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_a_charge_given_back_by_hand_while_we_give_it_back_is_returned_once(
    customer, other_customer, customer_api, api_client
):
    """The charge's answer was lost and staff refund it by hand; its success event, looked up
    a moment before, finds the hold lapsed: we reserve a refund, which the provider refuses -
    all went back already. It fails when the dashboard's refund is recorded."""
    booking, payment = charged_unanswered(customer, customer_api)
    hold_lost_to(booking, other_customer)
    stale = charge_of(payment)  # the webhook's look: nothing refunded yet
    dashboard_refund(payment, "10.00")
    with pytest.raises(paying.HoldExpired):
        paying.charge_settle(payment.pk, stale)

    refunded_event(api_client, stale)

    reconcile_late()
    assert_records_match_the_provider(payment, "10.00")
    assert Refund.objects.get(status=RefundStatus.FAILED).reason.startswith("Booking not")


def test_a_cancellation_after_a_partial_refund_by_hand_returns_the_rest(
    customer, customer_api, api_client
):
    """Staff give 5.00 of 10.00 back by hand; before its event arrives the customer cancels:
    our refund of 10.00 is refused (5.00 is left). The event records theirs and fails ours;
    reconciliation gives back what is left of a capture that pays for no booking."""
    booking = held_booking(customer)
    assert pay(customer_api, booking).status_code == 200
    payment = Payment.objects.get()
    charge = dashboard_refund(payment, "5.00")
    assert customer_api.post(f"/api/v1/bookings/{booking.pk}/cancel/").status_code == 200

    refunded_event(api_client, charge)
    reconcile_late()

    assert_records_match_the_provider(payment, "10.00")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


@pytest.mark.parametrize("first", ["charge.succeeded", "charge.refunded"])
def test_a_partial_refund_by_hand_before_the_charge_was_settled(
    customer, customer_api, api_client, first
):
    """The charge's answer was lost; staff give 4.00 back by hand. Whichever event comes
    first, the booking is not confirmed, their 4.00 and our 6.00 are each recorded once, and
    later events change nothing."""
    booking, payment = charged_unanswered(customer, customer_api)
    charge = dashboard_refund(payment, "4.00")
    event = {
        "id": "evt_1",
        "type": first,
        "data": {"charge": charge.reference, "idempotency_key": payment.gateway_key},
    }
    webhook(api_client, event)
    refunded_event(api_client, charge, "evt_2")
    reconcile_late()

    assert_records_match_the_provider(payment, "10.00")
    booking.refresh_from_db()
    assert booking.status != BookingStatus.CONFIRMED
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [
        Decimal("4.00"),
        Decimal("6.00"),
    ]

"""Settling one charge several times, in any order, at once even (the request, webhooks,
reconciliation), and the refunds around it: a booking a charge confirmed stays confirmed, a
charge given back confirms nothing, money is recorded once."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from booking import services as booking_services
from booking.models import BookingStatus
from payments.exceptions import RefundFailed
from payments.gateways import gateway
from payments.gateways.sandbox import SandboxGateway
from payments.locks import payment_lock
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from payments.selectors import booking_payments
from payments.services import paying
from payments.services.paying import charge_settle
from payments.services.refunds import payment_refund, provider_refunds_record, refund_reserve

from .helpers import (
    charge_of,
    charged_unanswered,
    held_booking,
    hold_lost_to,
    paid_by_a_second_attempt,
    pay,
    reconcile_late,
    refunds_fail,
    webhook,
)

pytestmark = pytest.mark.django_db


def test_a_settle_that_lost_the_race_answers_what_the_winner_decided(
    customer, other_customer, customer_api, monkeypatch
):
    """A webhook finds the booking unconfirmable (hold lapsed, seat taken); before it records
    the refund, the seat is free again and the request settles the same charge: the booking is
    confirmed. The webhook then gives nothing back, and answers that the booking is paid."""
    booking, payment = charged_unanswered(customer, customer_api)
    taker = hold_lost_to(booking, other_customer)
    unconfirmable = paying._charge_refund_unconfirmable

    def request_wins(payment_id, charge, reason):
        booking_services.booking_cancel(booking_id=taker.pk, by=other_customer)
        confirmed, _ = charge_settle(payment_id, charge)
        assert confirmed.status == BookingStatus.CONFIRMED
        return unconfirmable(payment_id, charge, reason)

    monkeypatch.setattr(paying, "_charge_refund_unconfirmable", request_wins)
    settled, settled_payment = charge_settle(payment.pk, charge_of(payment))

    assert (settled.status, settled_payment.status) == (
        BookingStatus.CONFIRMED,
        PaymentStatus.SUCCEEDED,
    )
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.SUCCEEDED, BookingStatus.CONFIRMED)
    assert not Refund.objects.exists()


def test_a_charge_given_back_confirms_nothing_when_settled_again(
    customer, other_customer, customer_api
):
    """The charge arrived after the hold lapsed and the seat was taken: refunded. The seat
    frees again; a second event for the same charge must not confirm the booking - its money
    went back."""
    booking, payment = charged_unanswered(customer, customer_api)
    taker = hold_lost_to(booking, other_customer)
    with pytest.raises(paying.HoldExpired):
        charge_settle(payment.pk, charge_of(payment))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    booking_services.booking_cancel(booking_id=taker.pk, by=other_customer)

    with pytest.raises(paying.BookingNotPayable):
        charge_settle(payment.pk, charge_of(payment))

    booking.refresh_from_db()
    assert booking.status != BookingStatus.CONFIRMED
    assert Refund.objects.get().amount == payment.amount


def test_a_late_charge_pays_for_a_booking_whose_payment_is_being_given_back(
    customer, customer_api, admin, monkeypatch
):
    """The first charge's late success finds the booking paid by the second; meanwhile the
    second is refunded in full (the provider fails it: pending) and a duplicate event of the
    first settles it: the first now pays for the booking (nobody else does). The late success
    then answers that, and gives nothing back: the booking ends paid once, not confirmed with
    all its money returned."""
    booking, first, second = paid_by_a_second_attempt(customer, customer_api, monkeypatch)
    unconfirmable = paying._charge_refund_unconfirmable
    refund = SandboxGateway.refund

    def meanwhile(payment_id, charge, reason):
        refunds_fail(monkeypatch)
        with pytest.raises(RefundFailed):
            payment_refund(payment_id=second.pk, by=admin, reason="Goodwill.")
        monkeypatch.setattr(SandboxGateway, "refund", refund)
        charge_settle(payment_id, charge)  # the duplicate event
        return unconfirmable(payment_id, charge, reason)

    monkeypatch.setattr(paying, "_charge_refund_unconfirmable", meanwhile)
    settled, _ = charge_settle(first.pk, charge_of(first))
    reconcile_late()

    for instance in (booking, first, second):
        instance.refresh_from_db()
    assert settled.status == BookingStatus.CONFIRMED
    assert (first.status, second.status) == (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking_payments(booking.pk).payers == {first.pk}


def test_a_full_refund_of_the_payer_cancels_while_another_capture_is_given_back(
    customer, customer_api, admin, monkeypatch
):
    """The booking is cancelled once its money is all back, also while a second capture's
    refund is still pending: that capture never paid for it."""
    booking, first, second = paid_by_a_second_attempt(customer, customer_api, monkeypatch)
    refund = SandboxGateway.refund
    refunds_fail(monkeypatch)
    with pytest.raises(paying.BookingNotPayable):
        charge_settle(first.pk, charge_of(first))  # captured, its refund pending
    monkeypatch.setattr(SandboxGateway, "refund", refund)

    payment_refund(payment_id=second.pk, by=admin, reason="Refunded in the admin.")

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    reconcile_late()
    first.refresh_from_db()
    assert first.status == PaymentStatus.REFUNDED


def test_a_full_refund_made_by_reconciliation_cancels_its_booking(
    customer, customer_api, admin, monkeypatch
):
    booking = held_booking(customer)
    assert pay(customer_api, booking).status_code == 200
    payment = Payment.objects.get()
    refunds_fail(monkeypatch)
    with pytest.raises(RefundFailed):
        payment_refund(payment_id=payment.pk, by=admin, reason="Refunded in the admin.")
    monkeypatch.undo()

    reconcile_late()

    payment.refresh_from_db()
    booking.refresh_from_db()
    assert (payment.status, booking.status) == (PaymentStatus.REFUNDED, BookingStatus.CANCELLED)


def test_the_provider_s_event_for_our_own_refund_records_it_once(
    customer, customer_api, monkeypatch
):
    """The provider's `charge.refunded` for our refund arrives before `refund_execute` records
    it: not recorded as a second refund beside it."""
    booking = held_booking(customer)
    assert pay(customer_api, booking).status_code == 200
    payment = Payment.objects.get()
    refund = SandboxGateway.refund

    def then_its_event(self, **kwargs):
        made = refund(self, **kwargs)
        outcome = provider_refunds_record(payment.pk, charge_of(payment))
        assert outcome == [f"refund {Refund.objects.get().pk} of {payment.amount} recorded as made"]
        return made

    monkeypatch.setattr(SandboxGateway, "refund", then_its_event)
    payment_refund(payment_id=payment.pk, reason="Changed plans.")
    monkeypatch.undo()
    reconcile_late()

    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, payment.amount)
    made = Refund.objects.get()
    assert (made.status, made.amount) == (RefundStatus.SUCCEEDED, payment.amount)
    assert made.provider_reference


def test_a_capture_reserved_for_refunds_to_the_cent_does_not_pay(customer, customer_api):
    """8.53 made and 17.16 pending of a 25.69 capture: nothing of it pays for the booking any
    more (SQLite sums the amounts as floats: 25.689999...)."""
    booking = held_booking(customer, price="25.69")
    assert pay(customer_api, booking).status_code == 200
    payment = Payment.objects.get()
    assert payment.amount == Decimal("25.69")
    Refund.objects.create(payment=payment, amount=Decimal("8.53"), status=RefundStatus.SUCCEEDED)
    Refund.objects.create(payment=payment, amount=Decimal("17.16"))
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.PARTIALLY_REFUNDED, amount_refunded=Decimal("8.53")
    )

    assert booking_payments(booking.pk).payers == frozenset()


def webhook_refused_its_settle(booking, payment, taker, other_customer, monkeypatch):
    """A webhook of the charge found the booking unconfirmable (its hold lapsed, the seat
    taken); before it records the charge's refund, the taker cancels: the seat is free again.
    The charge."""
    charge = charge_of(payment)
    with monkeypatch.context() as patched:
        patched.setattr(paying, "_charge_refund_unconfirmable", lambda *args: True)
        with pytest.raises(paying.HoldExpired):
            charge_settle(payment.pk, charge)
    booking_services.booking_cancel(booking_id=taker.pk, by=other_customer)
    return charge


class Worker(threading.Thread):
    """`work()` in a thread of its own (its own database connection), started at once;
    `join()` re-raises what it raised."""

    def __init__(self, work):
        super().__init__()
        self.work, self.error = work, None
        self.start()

    def run(self):
        try:
            self.work()
        except BaseException as exc:  # handed to join()
            self.error = exc
        finally:
            connections.close_all()

    def join(self, timeout: float = 30) -> None:
        super().join(timeout)
        assert not self.is_alive(), "the worker is still running"
        if self.error is not None:
            raise self.error


def until_a_transaction_waits_for_a_lock(timeout: float = 10) -> None:
    """Poll InnoDB until a transaction waits on a row lock: the other thread got that far.
    (InnoDB refreshes the table only when it was last read more than 0.1 s ago.)"""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.15)
    raise AssertionError("no transaction waited for a lock")


@pytest.mark.skipif(connection.vendor != "mysql", reason="row locks")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_flight", [None, True])
def test_the_webhook_s_refund_waits_for_a_confirmation_under_way_and_gives_nothing_back(
    customer, other_customer, customer_api, monkeypatch, in_flight
):
    """The webhook records the refund while the request, the seat free again, confirms the
    booking: it waits for the booking's lock (changing a payment in flight would share-lock the
    booking after the payment: a deadlock), then finds the charge paid for the booking and gives
    nothing back."""
    booking, payment = charged_unanswered(customer, customer_api)
    Payment.objects.filter(pk=payment.pk).update(in_flight=in_flight)
    charge = webhook_refused_its_settle(
        booking, payment, hold_lost_to(booking, other_customer), other_customer, monkeypatch
    )
    confirm, outcome, webhooks = paying.booking_services.booking_confirm_locked, [], []

    def while_confirming(locked, now):
        confirmed = confirm(locked, now)
        webhooks.append(
            Worker(
                lambda: outcome.append(
                    paying._charge_refund_unconfirmable(payment.pk, charge, "Seat taken.")
                )
            )
        )
        until_a_transaction_waits_for_a_lock()  # the webhook's, on this one's booking lock
        return confirmed

    monkeypatch.setattr(paying.booking_services, "booking_confirm_locked", while_confirming)
    confirmed, paid = charge_settle(payment.pk, charge)
    webhooks[0].join()

    assert outcome == [False]
    assert (confirmed.status, paid.status) == (BookingStatus.CONFIRMED, PaymentStatus.SUCCEEDED)
    assert not Refund.objects.exists()


@pytest.mark.skipif(connection.vendor != "mysql", reason="row locks")
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_whose_payment_was_settled_meanwhile_does_not_stand(
    customer, other_customer, customer_api, monkeypatch
):
    """Defence in depth: a writer of the payment that skipped the booking's lock (a shell, a
    future service) captures it for its refund while the request confirms the booking. The
    request's capture finds the payment settled: its confirmation is rolled back and it answers
    as that settle decided."""
    booking, payment = charged_unanswered(customer, customer_api)
    charge = webhook_refused_its_settle(
        booking, payment, hold_lost_to(booking, other_customer), other_customer, monkeypatch
    )
    confirm = paying.booking_services.booking_confirm_locked

    def captured_and_reserved():
        with transaction.atomic():
            locked = payment_lock(payment.pk)
            paying.payment_captured(locked, charge, unconfirmable="Seat taken.")
            refund_reserve(locked, reason="Booking not confirmed.")

    def while_confirming(locked, now):
        confirmed = confirm(locked, now)
        Worker(captured_and_reserved).join()
        return confirmed

    monkeypatch.setattr(paying.booking_services, "booking_confirm_locked", while_confirming)
    with pytest.raises(paying.BookingNotPayable):
        charge_settle(payment.pk, charge)

    booking.refresh_from_db()
    assert booking.status != BookingStatus.CONFIRMED
    assert Refund.objects.get().status == RefundStatus.PENDING


def test_the_provider_s_total_is_never_given_to_a_refund_it_did_not_make(
    customer, customer_api, admin, monkeypatch
):
    """Two refunds of 5.00: the provider fails the first (pending, for reconciliation) and
    makes the second, whose event outruns our recording of it. Its total (5.00) is not taken
    for the first: each of ours is recorded by the provider's answer to it."""
    booking = held_booking(customer, price="20.00")
    assert pay(customer_api, booking).status_code == 200
    payment = Payment.objects.get()
    refund = SandboxGateway.refund
    refunds_fail(monkeypatch)
    with pytest.raises(RefundFailed):
        payment_refund(payment_id=payment.pk, amount=Decimal("5.00"), by=admin, reason="One.")

    def then_its_event(self, **kwargs):
        made = refund(self, **kwargs)
        provider_refunds_record(payment.pk, charge_of(payment))
        return made

    monkeypatch.setattr(SandboxGateway, "refund", then_its_event)
    payment_refund(payment_id=payment.pk, amount=Decimal("5.00"), by=admin, reason="Two.")
    monkeypatch.setattr(SandboxGateway, "refund", refund)
    payment.refresh_from_db()
    assert payment.amount_refunded == charge_of(payment).amount_refunded == Decimal("5.00")

    reconcile_late()

    payment.refresh_from_db()
    assert payment.amount_refunded == charge_of(payment).amount_refunded == Decimal("10.00")
    assert list(Refund.objects.values_list("status", flat=True)) == [RefundStatus.SUCCEEDED] * 2


@pytest.mark.parametrize("settled_by", ["its success", "its refund's event"])
def test_a_charge_refunded_at_the_provider_before_it_was_settled_confirms_nothing(
    customer, customer_api, api_client, settled_by
):
    """The charge's answer was lost; staff refund it in the provider's dashboard. Whichever
    event comes (or the customer's retry, or reconciliation), the booking is not confirmed
    with its money back: the payment is recorded captured and refunded at the provider."""
    booking, payment = charged_unanswered(customer, customer_api)
    charge = charge_of(payment)
    gateway().refund(
        charge_reference=charge.reference, amount=charge.amount, idempotency_key="dashboard-1"
    )
    event = {
        "id": "evt_1",
        "type": "charge.succeeded" if settled_by == "its success" else "charge.refunded",
        "data": {"charge": charge.reference, "idempotency_key": payment.gateway_key},
    }

    outcome = webhook(api_client, event).json()["outcome"]

    assert outcome == "charge refunded: This charge was refunded at the provider."
    booking.refresh_from_db()
    payment.refresh_from_db()
    assert booking.status != BookingStatus.CONFIRMED
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, payment.amount)
    assert Refund.objects.get().reason == "Refunded at the provider."

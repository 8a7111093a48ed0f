"""Paying exactly once, on real MariaDB connections with threads released together."""

import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from booking import services as booking_services
from booking.models import Booking, BookingStatus, SeatClaim
from core.testing import client_for, run_concurrently
from payments.gateways.sandbox import SandboxGateway
from payments.models import (
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    SandboxCharge,
    SandboxRefund,
)

from .helpers import card, held_booking, pay

pytestmark = pytest.mark.django_db(transaction=True)


def outcome(responses) -> Counter:
    counted = Counter()
    for response in responses:
        if response.status_code >= 400:
            counted[(response.status_code, response.json()["error"]["code"])] += 1
        else:
            counted[response.status_code] += 1
    return counted


@pytest.fixture
def slow_charges(monkeypatch):
    """Charges take a moment, as over a network: racing requests overlap for real."""
    charge = SandboxGateway.charge

    def slow(self, **kwargs):
        time.sleep(0.1)
        return charge(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "charge", slow)


def test_two_keys_racing_for_one_booking_charge_it_once(slow_charges):
    customer = UserFactory()
    booking = held_booking(customer)

    responses = run_concurrently(lambda i: pay(client_for(customer), booking, key=f"key-{i}"), 6)

    assert outcome(responses) == {200: 1, (409, "booking_not_payable"): 5}
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_one_key_sent_ten_times_charges_once(slow_charges):
    customer = UserFactory()
    booking = held_booking(customer)

    responses = run_concurrently(lambda i: pay(client_for(customer), booking, key="same"), 10)

    counted = outcome(responses)
    assert counted[200] >= 1
    assert set(counted) <= {200, (409, "request_in_progress")}, counted
    assert SandboxCharge.objects.count() == 1
    assert len({r.json()["id"] for r in responses if r.status_code == 200}) == 1


def test_the_provider_is_never_called_inside_a_transaction(monkeypatch):
    """No row lock can be held while the provider is called: no transaction is open."""
    seen = []

    def spy(name):
        method = getattr(SandboxGateway, name)

        def call(self, *args, **kwargs):
            seen.append((name, connection.in_atomic_block))
            return method(self, *args, **kwargs)

        monkeypatch.setattr(SandboxGateway, name, call)

    for name in ("tokenize", "charge", "charge_lookup", "refund"):
        spy(name)
    customer = UserFactory()
    client = client_for(customer)
    saved = client.post("/api/v1/users/me/cards/", card()).json()
    booking = held_booking(customer)
    assert pay(client, booking, card_id=saved["id"]).status_code == 200
    assert client.post(f"/api/v1/bookings/{booking.pk}/cancel/").status_code == 200

    assert {name for name, _ in seen} >= {"tokenize", "charge", "refund"}
    assert not any(in_transaction for _, in_transaction in seen), seen


def charge_while_the_hold_runs_out_and_a_rival_takes_its_seat(booking, rival):
    """A stand-in for the provider's charge: meanwhile the hold lapses and `rival` books its
    seat."""
    seat = SeatClaim.objects.get(booking=booking).seat_id
    charge = SandboxGateway.charge

    def slow_charge(self, **kwargs):
        past = booking.created_at.replace(year=2000)
        Booking.objects.filter(pk=booking.pk).update(expires_at=past)
        SeatClaim.objects.filter(booking=booking).update(expires_at=past)
        booking_services.booking_create(
            user=rival, showtime_id=booking.showtime_id, seats=[booking_services.SeatRequest(seat)]
        )
        return charge(self, **kwargs)

    return slow_charge


def test_a_hold_that_expires_during_the_charge_ends_refunded_if_its_seats_were_taken(monkeypatch):
    customer, rival = UserFactory(), UserFactory()
    booking = held_booking(customer)
    monkeypatch.setattr(
        SandboxGateway,
        "charge",
        charge_while_the_hold_runs_out_and_a_rival_takes_its_seat(booking, rival),
    )
    response = pay(client_for(customer), booking)

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "hold_expired"
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, payment.amount)
    assert SandboxRefund.objects.get().amount == payment.amount
    assert Booking.objects.get(pk=booking.pk).status != BookingStatus.CONFIRMED


def test_a_booking_refunded_after_its_hold_expired_can_be_paid_again(monkeypatch):
    """Regression: a refunded payment counted as paying for the booking, so every later payment
    was charged, refunded and answered 409 "paid already", forever."""
    customer, rival = UserFactory(), UserFactory()
    booking = held_booking(customer)
    with monkeypatch.context() as patched:
        patched.setattr(
            SandboxGateway,
            "charge",
            charge_while_the_hold_runs_out_and_a_rival_takes_its_seat(booking, rival),
        )
        assert pay(client_for(customer), booking).status_code == 410
    rivals = Booking.objects.get(user=rival)
    booking_services.booking_cancel(booking_id=rivals.pk, by=rival)  # the seat is free again

    again = pay(client_for(customer), booking, key="pay-2")

    assert again.status_code == 200, again.content
    assert again.json()["status"] == "CONFIRMED"
    assert sorted(Payment.objects.values_list("status", flat=True)) == [
        PaymentStatus.REFUNDED,
        PaymentStatus.SUCCEEDED,
    ]


def test_a_hold_that_expires_during_the_charge_is_confirmed_if_its_seats_are_free(monkeypatch):
    customer = UserFactory()
    booking = held_booking(customer)
    charge = SandboxGateway.charge

    def charge_while_the_hold_runs_out(self, **kwargs):
        past = booking.created_at.replace(year=2000)
        SeatClaim.objects.filter(booking=booking).update(expires_at=past)
        return charge(self, **kwargs)

    monkeypatch.setattr(SandboxGateway, "charge", charge_while_the_hold_runs_out)
    assert pay(client_for(customer), booking).json()["status"] == "CONFIRMED"


def test_racing_refunds_never_exceed_what_was_captured(monkeypatch):
    customer = UserFactory()
    admin = UserFactory(admin=True)
    assert pay(client_for(customer), held_booking(customer, price="20.00")).status_code == 200
    payment = Payment.objects.get()
    refund = SandboxGateway.refund
    monkeypatch.setattr(
        SandboxGateway, "refund", lambda self, **kw: (time.sleep(0.05), refund(self, **kw))[1]
    )

    responses = run_concurrently(
        lambda i: client_for(admin).post(
            f"/api/v1/payments/{payment.pk}/refund/", {"amount": "15.00"}
        ),
        4,
    )

    assert outcome(responses) == {200: 1, (400, "validation_error"): 3}
    refunded = sum(r.amount for r in Refund.objects.filter(status=RefundStatus.SUCCEEDED))
    assert refunded == Decimal("15.00")
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("15.00")

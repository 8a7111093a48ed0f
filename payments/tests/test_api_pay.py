from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking import services as booking_services
from booking.models import Booking, BookingStatus, SeatClaim
from booking.tests.factories import BookingFactory
from core.idempotency import request_hash
from core.models import IdempotencyKey
from core.testing import client_for
from payments.cards import CardDetails
from payments.gateways import gateway
from payments.models import Payment, PaymentEvent, PaymentStatus, SandboxCharge
from promotions.tests.factories import PromotionFactory
from screening.tests.factories import ShowtimeFactory

from .factories import InFlightPaymentFactory
from .helpers import DECLINED, LOST_ANSWER, NO_FUNDS, PROVIDER_ERROR, card, held_booking, pay

pytestmark = pytest.mark.django_db


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


def test_paying_confirms_the_booking_and_issues_ticket_codes(customer, customer_api):
    booking = held_booking(customer)
    response = pay(customer_api, booking)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "CONFIRMED"
    assert all(ticket["code"] for ticket in body["tickets"])
    payment = body["payment"]
    assert (payment["status"], payment["amount"], payment["card_brand"], payment["card_last4"]) == (
        "SUCCEEDED",
        "10.00",
        "visa",
        "4242",
    )
    assert "4242424242424242" not in response.content.decode()
    assert '"cvc"' not in response.content.decode()
    assert SeatClaim.objects.get(booking=booking).expires_at is None
    kinds = list(
        PaymentEvent.objects.filter(payment_id=payment["id"]).values_list("kind", flat=True)
    )
    assert kinds == ["created", "succeeded"]


@pytest.mark.parametrize("case", ["live hold", "lapsed hold", "promo code"])
def test_the_answer_is_the_booking_as_read_afterwards(customer, customer_api, case):
    """Paying answers with what it loaded and wrote, without reading the booking again: the
    answer says exactly what reading the booking says."""
    showtime = ShowtimeFactory(base_price=Decimal("10.00"))
    seats = list(showtime.hall.seats.order_by("y", "x").values_list("pk", flat=True)[:2])
    booking = booking_services.booking_create(
        user=customer,
        showtime_id=showtime.pk,
        seats=[booking_services.SeatRequest(pk) for pk in seats],
        promo_code=PromotionFactory().code if case == "promo code" else None,
    )
    if case == "lapsed hold":
        expire(booking)
    response = pay(customer_api, booking)
    assert response.status_code == 200, response.content
    assert response.json() == customer_api.get(f"/api/v1/bookings/{booking.pk}/").json()
    assert response.json()["status"] == "CONFIRMED"


def test_paying_with_a_saved_card(customer, customer_api):
    saved = customer_api.post("/api/v1/users/me/cards/", card()).json()
    response = pay(customer_api, held_booking(customer), card_id=saved["id"])
    assert response.status_code == 200
    assert response.json()["payment"]["card_last4"] == "4242"


@pytest.mark.parametrize(
    ("number", "decline_code"), [(DECLINED, "card_declined"), (NO_FUNDS, "insufficient_funds")]
)
def test_a_decline_is_402_and_the_booking_stays_pending(
    customer, customer_api, number, decline_code
):
    booking = held_booking(customer)
    err = error(pay(customer_api, booking, card=card(number)), 402, "payment_declined")
    assert err["details"] == {"decline_code": decline_code}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    assert Payment.objects.get().status == PaymentStatus.FAILED
    # The same key answers the same; another key may try another card.
    replay = pay(customer_api, booking, card=card(number))
    assert replay.status_code == 402
    assert replay["Idempotent-Replayed"] == "true"
    assert pay(customer_api, booking, key="pay-2").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"card": card("4242424242424241")}, "number"),
        ({"card": card("4242-4242-4242-424x")}, "number"),
        ({"card": card(exp_year=2020)}, "exp_year"),
        ({"card": card(exp_month=13)}, "exp_month"),
        ({"card": card(cvc="12")}, "cvc"),
        ({"card": card(exp_month="soon")}, "exp_month"),
        ({"card": {"number": "4242424242424242"}}, "exp_month"),
        ({"card": "4242424242424242"}, "card"),
        ({"card_id": "first"}, "card_id"),
        ({"card_id": 999999}, "card_id"),
        ({}, "card"),
        ({"card_id": 1, "card": card()}, "non_field_errors"),
    ],
)
def test_bad_card_input_is_400_and_charges_nothing(customer, customer_api, body, field):
    """Including no card at all for a booking that costs something."""
    booking = held_booking(customer)
    err = error(pay(customer_api, booking, body=body), 400, "validation_error")
    assert field in str(err["details"])
    assert not Payment.objects.exists()
    assert not SandboxCharge.objects.exists()


def test_the_idempotency_key_is_required_and_replays(customer, customer_api):
    booking = held_booking(customer)
    missing = customer_api.post(f"/api/v1/bookings/{booking.pk}/pay/", {"card": card()})
    assert "Idempotency-Key" in error(missing, 400, "validation_error")["details"]
    first = pay(customer_api, booking)
    again = pay(customer_api, booking)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    error(
        pay(customer_api, booking, card=card(holder_name="Someone Else")),
        409,
        "idempotency_key_reused",
    )
    assert SandboxCharge.objects.count() == 1


def test_someone_elses_booking_or_card_is_not_found(customer, other_customer, customer_api):
    theirs = held_booking(other_customer)
    error(pay(customer_api, theirs), 404, "not_found")
    their_card = client_for(other_customer).post("/api/v1/users/me/cards/", card()).json()
    err = error(
        pay(customer_api, held_booking(customer), card_id=their_card["id"]), 400, "validation_error"
    )
    assert "card_id" in err["details"]


def test_paid_or_cancelled_bookings_are_not_payable(customer, customer_api):
    booking = held_booking(customer)
    pay(customer_api, booking)
    error(pay(customer_api, booking, key="again"), 409, "booking_not_payable")
    cancelled = held_booking(customer)
    customer_api.post(f"/api/v1/bookings/{cancelled.pk}/cancel/")
    error(pay(customer_api, cancelled), 409, "booking_not_payable")
    assert SandboxCharge.objects.count() == 1


def expire(booking):
    past = timezone.now() - timedelta(seconds=1)
    Booking.objects.filter(pk=booking.pk).update(expires_at=past)
    SeatClaim.objects.filter(booking=booking).update(expires_at=past)


def test_an_expired_hold_whose_seats_were_taken_is_410_and_charges_nothing(
    customer, other_customer, customer_api
):
    booking = held_booking(customer)
    expire(booking)
    BookingFactory(user=other_customer, showtime=booking.showtime)  # takes the same (first) seat
    error(pay(customer_api, booking), 410, "hold_expired")
    assert not SandboxCharge.objects.exists()
    assert not Payment.objects.exists()


def test_an_expired_hold_whose_seats_are_free_is_paid(customer, customer_api):
    booking = held_booking(customer)
    expire(booking)
    assert pay(customer_api, booking).json()["status"] == "CONFIRMED"


def test_a_free_booking_confirms_without_a_card(customer, customer_api):
    booking = held_booking(customer, price="0.00")
    response = customer_api.post(
        f"/api/v1/bookings/{booking.pk}/pay/", {}, HTTP_IDEMPOTENCY_KEY="free"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "CONFIRMED"
    assert response.json()["payment"] is None


def test_a_provider_error_leaves_the_booking_payable(customer, customer_api):
    booking = held_booking(customer)
    response = pay(customer_api, booking, card=card(PROVIDER_ERROR))
    error(response, 503, "payment_gateway_unavailable")
    assert int(response["Retry-After"]) > 0
    payment = Payment.objects.get()
    assert (payment.status, payment.needs_reconciliation, payment.in_flight) == (
        PaymentStatus.PENDING,
        True,
        None,
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING
    # Trying again asks the provider first: nothing was charged, so a new charge goes ahead.
    assert pay(customer_api, booking, key="pay-2").status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert SandboxCharge.objects.filter(succeeded=True).count() == 1


def test_a_lost_answer_is_settled_by_the_retry_without_charging_twice(customer, customer_api):
    booking = held_booking(customer)
    error(pay(customer_api, booking, card=card(LOST_ANSWER)), 503, "payment_gateway_unavailable")
    retry = pay(customer_api, booking, key="retry", card=card())
    assert retry.status_code == 200
    assert retry.json()["payment"]["card_last4"] == "0341"  # the first charge paid for it
    assert SandboxCharge.objects.count() == 1
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_cancelling_a_paid_booking_refunds_it(customer, customer_api, staff_api):
    mine = held_booking(customer)
    pay(customer_api, mine)
    cancelled = customer_api.post(f"/api/v1/bookings/{mine.pk}/cancel/")
    assert cancelled.status_code == 200
    payment = Payment.objects.get(booking=mine)
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, payment.amount)

    by_staff = held_booking(customer)
    pay(customer_api, by_staff, key="pay-2")
    assert staff_api.delete(f"/api/v1/bookings/{by_staff.pk}/").status_code == 204
    assert Payment.objects.get(booking=by_staff).status == PaymentStatus.REFUNDED


def test_cancelling_a_showtime_refunds_every_paid_booking(customer, other_customer, staff_api):
    showtime = ShowtimeFactory()
    seats = list(showtime.hall.seats.values_list("pk", flat=True))
    paid = []
    for i, user in enumerate([customer, other_customer]):
        booking = BookingFactory(user=user, showtime=showtime, seats=[seats[i]])
        assert pay(client_for(user), booking).status_code == 200
        paid.append(booking)
    held = BookingFactory(showtime=showtime, seats=[seats[2]])
    assert staff_api.post(f"/api/v1/showtimes/{showtime.pk}/cancel/").status_code == 200
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.REFUNDED}
    assert Booking.objects.get(pk=held.pk).status == BookingStatus.CANCELLED


@pytest.mark.parametrize(
    "number",
    [
        "\u0664\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0662",
        "\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12",
        "424242424242424\u00b2",
    ],
    ids=["arabic-indic decline card", "fullwidth digits", "superscript two"],
)
def test_card_numbers_take_ascii_digits_only(customer, customer_api, number):
    err = error(
        pay(customer_api, held_booking(customer), card=card(number)), 400, "validation_error"
    )
    assert "number" in str(err["details"])
    assert not SandboxCharge.objects.exists()


def test_a_cvc_in_other_digits_is_400(customer, customer_api):
    err = error(
        pay(customer_api, held_booking(customer), card=card(cvc="\u0669\u0668\u0667")),
        400,
        "validation_error",
    )
    assert "cvc" in str(err["details"])


def test_a_retry_after_a_worker_died_mid_pay_answers_the_truth(customer, customer_api):
    """The first request charged the card and died before it settled or answered. Once its lease
    has run out, the same key asks the provider, confirms the booking and answers 200 - not a
    stored or invented 409."""
    booking = held_booking(customer)
    body = {"card": card()}
    payment = InFlightPaymentFactory(booking=booking)
    gateway().charge(
        amount=payment.amount,
        currency="USD",
        token=gateway().tokenize(CardDetails(**card(number="4242424242424242"))).token,
        idempotency_key=payment.gateway_key,
        description="the dead request's charge",
    )
    IdempotencyKey.objects.create(
        user=customer,
        scope=f"booking_pay:{booking.pk}",
        key="pay-1",
        request_hash=request_hash(body),
        locked_until=timezone.now() - timedelta(seconds=1),
    )

    response = pay(customer_api, booking, body=body)

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "CONFIRMED"
    assert response.json()["payment"]["id"] == payment.pk
    assert SandboxCharge.objects.count() == 1
    assert pay(customer_api, booking, body=body).json() == response.json()


def test_a_booking_shows_a_payment_being_confirmed(customer, customer_api):
    booking = held_booking(customer)
    assert pay(customer_api, booking, card=card(LOST_ANSWER)).status_code == 503
    shown = customer_api.get(f"/api/v1/bookings/{booking.pk}/").json()
    assert shown["status"] == "PENDING"
    assert shown["payment"]["being_confirmed"] is True

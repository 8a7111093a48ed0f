"""Races on real MariaDB connections: threads released together by a barrier.

Every test states the invariant the database must hold afterwards and checks it with SQL.
"""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking import services
from booking.exceptions import BookingNotPayable, HoldExpired, SeatsUnavailable
from booking.models import Booking, BookingStatus, SeatClaim
from core.testing import answer_codes as codes
from core.testing import client_for, run_concurrently, slowed
from screening.models import ShowtimeStatus
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

pytestmark = pytest.mark.django_db(transaction=True)

BOOKINGS = "/api/v1/bookings/"


def live_claims_per_seat(showtime) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM booking_seatclaim WHERE showtime_id = %s GROUP BY seat_id",
            [showtime.pk],
        )
        return [count for (count,) in cursor.fetchall()]


def test_forty_customers_for_the_same_two_seats_one_booking():
    showtime = ShowtimeFactory()
    seats = list(showtime.hall.seats.order_by("pk")[:2].values_list("pk", flat=True))
    customers = [UserFactory() for _ in range(40)]
    body = {"showtime": showtime.pk, "seats": [{"seat": pk} for pk in seats]}

    responses = run_concurrently(lambda i: client_for(customers[i]).post(BOOKINGS, body), 40)

    assert codes(responses) == {201: 1, (409, "seats_unavailable"): 39}
    assert Booking.objects.count() == 1
    assert live_claims_per_seat(showtime) == [1, 1]


def test_overlapping_seat_sets_never_deadlock():
    """Rings (A,B) / (B,C) / (C,A): locks in seat order make a wait cycle impossible, so every
    answer is a booking or a clean `seats_unavailable` - no deadlock, no lock timeout."""
    rings = 5
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(rings, 3)))
    seats = list(showtime.hall.seats.order_by("row", "number").values_list("pk", flat=True))
    customers = [UserFactory() for _ in range(rings * 3)]

    def book(i):
        a, b, c = seats[3 * (i // 3) : 3 * (i // 3) + 3]
        pair = [(a, b), (b, c), (c, a)][i % 3]
        return client_for(customers[i]).post(
            BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": pk} for pk in pair]}
        )

    with slowed("booking.locks.seats_lock", 0.02):
        responses = run_concurrently(book, rings * 3)

    assert codes(responses) == {201: rings, (409, "seats_unavailable"): 2 * rings}
    assert all(count == 1 for count in live_claims_per_seat(showtime))


def test_a_sell_out_storm_sells_every_seat_exactly_once():
    """Random seats: some would leave a seat alone (400 `single_seat_gap`, chosen again)."""
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(8, 10)))
    capacity = showtime.hall.capacity
    customers = [UserFactory() for _ in range(12)]

    def customer(i):
        client, rng, answers = client_for(customers[i]), random.Random(i), []
        while True:
            seat_map = client.get(f"/api/v1/showtimes/{showtime.pk}/seats/").json()
            free = [seat["id"] for seat in seat_map["seats"] if seat["status"] == "available"]
            if not free:
                return answers
            wanted = rng.sample(free, min(len(free), rng.randint(1, 4)))
            response = client.post(
                BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": s} for s in wanted]}
            )
            answers.append(response)
            if response.status_code == 201:
                services.booking_confirm(booking_id=response.json()["id"])

    results = run_concurrently(customer, len(customers), timeout=120)

    answers = [
        answer
        for result in results
        for answer in (result if isinstance(result, list) else [result])
    ]
    outcome = codes(answers)
    assert set(outcome) <= {201, (409, "seats_unavailable"), (400, "single_seat_gap")}, outcome
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.seat_id, COUNT(*) FROM booking_ticket t JOIN booking_booking b ON b.id = t.booking_id "
            "WHERE b.showtime_id = %s AND b.status = 'CONFIRMED' GROUP BY t.seat_id",
            [showtime.pk],
        )
        sold = dict(cursor.fetchall())
    assert len(sold) == capacity
    assert set(sold.values()) == {1}
    assert live_claims_per_seat(showtime) == [1] * capacity
    assert not SeatClaim.objects.filter(showtime=showtime, expires_at__isnull=False).exists()


def test_twenty_requests_with_one_idempotency_key_make_one_booking():
    showtime = ShowtimeFactory()
    customer = UserFactory()
    body = {"showtime": showtime.pk, "seats": [{"seat": showtime.hall.seats.first().pk}]}

    responses = run_concurrently(
        lambda i: client_for(customer).post(BOOKINGS, body, HTTP_IDEMPOTENCY_KEY="checkout-1"), 20
    )

    assert codes(responses) == {201: 20}
    assert len({response.json()["id"] for response in responses}) == 1
    assert Booking.objects.count() == 1


def test_confirming_an_expired_hold_races_a_new_booking_of_its_seat():
    showtime = ShowtimeFactory()
    seat = showtime.hall.seats.first()
    late_payer = services.booking_create(
        user=UserFactory(), showtime_id=showtime.pk, seats=[services.SeatRequest(seat.pk)]
    )
    past = timezone.now() - timedelta(seconds=1)
    Booking.objects.filter(pk=late_payer.pk).update(expires_at=past)
    SeatClaim.objects.filter(booking=late_payer).update(expires_at=past)
    newcomer = UserFactory()

    def act(i):
        try:
            if i == 0:
                return services.booking_confirm(booking_id=late_payer.pk).status
            return services.booking_create(
                user=newcomer, showtime_id=showtime.pk, seats=[services.SeatRequest(seat.pk)]
            ).status
        except (HoldExpired, SeatsUnavailable) as exc:
            return exc.code

    confirm, create = run_concurrently(act, 2)

    assert {confirm, create} in (
        {BookingStatus.CONFIRMED, "seats_unavailable"},
        {"hold_expired", BookingStatus.PENDING},
    ), (confirm, create)
    assert live_claims_per_seat(showtime) == [1]


def test_no_booking_survives_a_showtime_cancellation(settings):
    """Bookings share-lock the showtime: a cancellation waits for those in flight and the rest
    see it cancelled. Afterwards nothing of that showtime is pending or confirmed."""
    settings.SEAT_GAP_RULE = False  # single seats side by side, in any order
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 10)))
    seats = list(showtime.hall.seats.values_list("pk", flat=True))
    staff = UserFactory(staff=True)
    customers = [UserFactory() for _ in range(12)]

    def act(i):
        if i == 0:
            return client_for(staff).post(f"/api/v1/showtimes/{showtime.pk}/cancel/")
        return client_for(customers[i]).post(
            BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": seats[i]}]}
        )

    with slowed("booking.services.holds._showtime_bookable_check", 0.02):
        responses = run_concurrently(act, 12)

    outcome = codes(responses)
    assert set(outcome) <= {200, 201, (400, "showtime_not_bookable")}, outcome
    assert outcome[200] == 1
    assert not Booking.objects.filter(
        showtime=showtime, status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED]
    ).exists()
    assert not SeatClaim.objects.filter(showtime=showtime).exists()


def test_cancelling_bookings_while_the_showtime_is_cancelled_never_deadlocks():
    """Both take locks in one order (showtime, then bookings), so they cannot wait in a circle."""
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(1, 10)))
    seats = list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True))
    customers = [UserFactory() for _ in range(8)]
    bookings = [
        services.booking_confirm(
            booking_id=services.booking_create(
                user=customer, showtime_id=showtime.pk, seats=[services.SeatRequest(seats[i])]
            ).pk
        )
        for i, customer in enumerate(customers)
    ]
    staff = UserFactory(staff=True)

    def act(i):
        if i == len(customers):
            return client_for(staff).post(f"/api/v1/showtimes/{showtime.pk}/cancel/")
        return client_for(customers[i]).post(f"{BOOKINGS}{bookings[i].pk}/cancel/")

    with slowed("booking.services.cancellation._cancellable_by_customer_check", 0.02):
        responses = run_concurrently(act, len(customers) + 1)

    outcome = codes(responses)
    assert set(outcome) <= {200, (409, "booking_not_cancellable")}, outcome
    assert not Booking.objects.exclude(status=BookingStatus.CANCELLED).exists()
    assert not SeatClaim.objects.exists()


def test_confirming_bookings_while_the_showtime_is_cancelled_never_deadlocks():
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(1, 10)))
    seats = list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True))
    holds = [
        services.booking_create(
            user=UserFactory(), showtime_id=showtime.pk, seats=[services.SeatRequest(seats[i])]
        )
        for i in range(8)
    ]
    staff = UserFactory(staff=True)

    def act(i):
        try:
            if i == len(holds):
                return services.showtime_cancel(showtime_id=showtime.pk, by=staff).status
            return services.booking_confirm(booking_id=holds[i].pk).status
        except BookingNotPayable as exc:
            return exc.code

    with slowed("booking.locks.seats_lock", 0.02):
        results = run_concurrently(act, len(holds) + 1)

    assert set(results) <= {
        BookingStatus.CONFIRMED,
        ShowtimeStatus.CANCELLED,
        "booking_not_payable",
    }, results
    assert not Booking.objects.exclude(status=BookingStatus.CANCELLED).exists()
    assert not SeatClaim.objects.exists()

"""The seat rules under races, on real MariaDB connections: threads released together by a
barrier. The rules read each row under its seats' locks, so what one request decides from a row
is still true when it writes."""

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking.seat_rules import is_gap
from booking.selectors import hall_plan, seats_taken
from core.testing import answer_codes as codes
from core.testing import client_for, run_concurrently, slowed
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

from .factories import BookingFactory
from .test_concurrency import live_claims_per_seat

pytestmark = pytest.mark.django_db(transaction=True)

BOOKINGS = "/api/v1/bookings/"


def test_fifty_customers_asking_for_the_best_two_seats_get_fifty_blocks():
    """Best available chooses under the lock: no two requests get the same seats (no 409),
    each gets two seats side by side, and no seat is left alone between them."""
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(20, 25)))  # 500 seats
    customers = [UserFactory() for _ in range(50)]
    body = {"showtime": showtime.pk, "quantity": 2}

    responses = run_concurrently(
        lambda i: client_for(customers[i]).post(BOOKINGS, body), 50, timeout=120
    )

    assert codes(responses) == {201: 50}
    assert live_claims_per_seat(showtime) == [1] * 100
    plan = hall_plan(showtime.hall_id, showtime.hall.seats_version)
    for response in responses:
        a, b = sorted(
            (plan.seats[t["seat"]] for t in response.json()["tickets"]), key=lambda s: s.x
        )
        assert plan.right(a) is b, (a.label, b.label)  # side by side
    taken = seats_taken(showtime.pk, timezone.now())
    assert len(taken) == 100
    assert not [seat.label for seat in plan.seats.values() if is_gap(plan, seat, taken)]


def test_two_customers_booking_around_one_seat_at_once_one_is_refused():
    """Row A: A1 and A5 sold. A2 alone is fine (A3-A4 stay free together), A4 alone is fine;
    both would leave A3 alone - and A6 is a choice that would not. Each request reads the row
    under its seats' locks, so the second sees the first's seat: one of them is refused."""
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(1, 8)))
    seat = {s.number: s.pk for s in showtime.hall.seats.all()}
    BookingFactory(showtime=showtime, seats=[seat[1]], confirmed=True)
    BookingFactory(showtime=showtime, seats=[seat[5]], confirmed=True)
    customers = [UserFactory(), UserFactory()]

    def book(i):
        wanted = [seat[2], seat[4]][i]
        return client_for(customers[i]).post(
            BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": wanted}]}
        )

    with slowed("booking.locks.seat_rows_lock", 0.2):
        responses = run_concurrently(book, 2)

    assert codes(responses) == {201: 1, (400, "single_seat_gap"): 1}
    refused = next(r for r in responses if r.status_code == 400).json()["error"]
    assert (
        refused["details"] == {"seat": seat[3], "suggestion": [seat[3]]}
        or refused["details"]["seat"] == seat[3]
    )


def test_best_available_and_chosen_seats_racing_on_one_row_never_sell_a_seat_twice():
    """Customers choosing seats and customers asking for the best ones, on one small hall:
    every answer is a hold, a refusal that says why, or a clean 409; no seat is claimed twice,
    and no deadlock or lock timeout."""
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 10)))
    seats = list(showtime.hall.seats.order_by("row", "number").values_list("pk", flat=True))
    customers = [UserFactory() for _ in range(16)]

    def book(i):
        client = client_for(customers[i])
        if i % 2:
            return client.post(BOOKINGS, {"showtime": showtime.pk, "quantity": 1 + i % 3})
        pair = seats[i : i + 2]
        return client.post(
            BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": s} for s in pair]}
        )

    with slowed("booking.locks.seat_rows_lock", 0.02):
        responses = run_concurrently(book, 16)

    outcome = codes(responses)
    assert set(outcome) <= {201, (409, "seats_unavailable"), (400, "single_seat_gap")}, outcome
    assert outcome[201] >= 8  # every best-available request is served
    assert all(count == 1 for count in live_claims_per_seat(showtime))

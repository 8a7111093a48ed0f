"""Counter sales racing each other on real MariaDB connections (threads behind a barrier)."""

from collections import Counter

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from booking.models import Booking, BookingStatus
from core.testing import client_for, run_concurrently, slowed
from payments.models import Payment
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

pytestmark = pytest.mark.django_db(transaction=True)

SALES = "/api/v1/box-office/sales/"


def outcomes(responses) -> Counter:
    result = Counter()
    for response in responses:
        if isinstance(response, BaseException):
            result[repr(response)] += 1
        elif response.status_code >= 400:
            result[(response.status_code, response.json()["error"]["code"])] += 1
        else:
            result[response.status_code] += 1
    return result


def sale(showtime, seat_ids, method="CASH") -> dict:
    payment = {"method": method} | ({"tendered": "100.00"} if method == "CASH" else {})
    return {"showtime": showtime.pk, "seats": [{"seat": pk} for pk in seat_ids], "payment": payment}


def claims_per_seat(showtime) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM booking_seatclaim WHERE showtime_id = %s GROUP BY seat_id",
            [showtime.pk],
        )
        return [count for (count,) in cursor.fetchall()]


@pytest.mark.parametrize("method", ["CASH", "CARD_PRESENT"])
def test_two_staff_sessions_selling_the_same_seat_make_one_sale(method):
    showtime = ShowtimeFactory()
    seats = list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True)[:2])
    staff = UserFactory(staff=True)
    counters = [client_for(staff), client_for(UserFactory(staff=True))]

    with slowed("booking.locks.seats_lock", 0.05):
        responses = run_concurrently(
            lambda i: counters[i].post(SALES, sale(showtime, seats, method), format="json"), 2
        )

    assert outcomes(responses) == {201: 1, (409, "seats_unavailable"): 1}
    # Told under the seat lock, by name - not by the claim's unique key refusing the insert.
    (loser,) = [r for r in responses if r.status_code == 409]
    assert loser.json()["error"]["message"] == "Seats A1, A2 are already taken."
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1
    assert Payment.objects.count() == 1
    assert claims_per_seat(showtime) == [1, 1]


def test_counters_sharing_one_staff_account_never_undo_each_other():
    """Four counters, one account, one showtime, different seats, paid by card (a hold while the
    terminal charges): every sale stands. A customer's one-pending-hold rule would release or
    refuse all but one of them."""
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 4)))
    seats = list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True))
    staff = UserFactory(staff=True)
    counters = [client_for(staff) for _ in range(4)]

    with slowed("payments.gateways.sandbox.SandboxGateway.charge_present", 0.1):
        responses = run_concurrently(
            lambda i: counters[i].post(
                SALES, sale(showtime, seats[2 * i : 2 * i + 2], "CARD_PRESENT"), format="json"
            ),
            4,
        )

    assert outcomes(responses) == {201: 4}
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 4
    assert claims_per_seat(showtime) == [1] * 8

"""A customer holds at most BOOKING_MAX_LIVE_HOLDS unpaid bookings at once."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking import services
from booking.exceptions import HoldLimitReached
from booking.models import Booking
from core.testing import run_concurrently, slowed
from screening.tests.factories import ShowtimeFactory

BOOKINGS = "/api/v1/bookings/"


def hold(client, showtime):
    seat = showtime.hall.seats.order_by("pk").first()
    return client.post(BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": seat.pk}]})


@pytest.mark.django_db
def test_one_hold_more_than_the_limit_is_409(customer, customer_api, settings):
    settings.BOOKING_MAX_LIVE_HOLDS = 2
    showtimes = [ShowtimeFactory() for _ in range(3)]
    assert hold(customer_api, showtimes[0]).status_code == 201
    assert hold(customer_api, showtimes[1]).status_code == 201

    refused = hold(customer_api, showtimes[2])
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "hold_limit_reached"
    assert refused.json()["error"]["details"] == {"limit": 2}

    # A new hold for a showtime already held replaces it: no more holds than before.
    assert hold(customer_api, showtimes[1]).status_code == 201
    # Paying, cancelling or letting a hold lapse makes room.
    Booking.objects.filter(showtime=showtimes[0]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert hold(customer_api, showtimes[2]).status_code == 201


@pytest.mark.django_db
def test_staff_are_not_limited(staff_api, settings):
    settings.BOOKING_MAX_LIVE_HOLDS = 1
    assert [hold(staff_api, ShowtimeFactory()).status_code for _ in range(3)] == [201] * 3


@pytest.mark.django_db(transaction=True)
def test_holds_racing_each_other_never_pass_the_limit(settings):
    """Counted under the customer's row lock: without it, all ten count the same few holds."""
    settings.BOOKING_MAX_LIVE_HOLDS = 3
    customer = UserFactory()
    showtimes = [ShowtimeFactory() for _ in range(10)]

    def act(i):
        seat = showtimes[i].hall.seats.order_by("pk").first()
        try:
            services.booking_create(
                user=customer, showtime_id=showtimes[i].pk, seats=[services.SeatRequest(seat.pk)]
            )
            return "held"
        except HoldLimitReached:
            return "limit"

    with slowed("booking.services.holds._customer_holds_settle", 0.05):
        outcome = Counter(run_concurrently(act, 10))

    assert outcome == {"held": 3, "limit": 7}
    assert Booking.objects.filter(user=customer).count() == 3

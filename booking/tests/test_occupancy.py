"""Occupancy per showtime: what the box office's board and the reports show."""

from decimal import Decimal

import pytest

from booking import services
from booking.selectors import Occupancy, showtimes_occupancy
from screening.tests.factories import ShowtimeFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def seats(showtime, count, start=0):
    return list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True))[
        start : start + count
    ]


def test_sold_seats_over_the_seats_offered(django_assert_num_queries):
    showtime = ShowtimeFactory()  # a hall of 8 seats
    BookingFactory(showtime=showtime, seats=seats(showtime, 2), confirmed=True)
    BookingFactory(showtime=showtime, seats=seats(showtime, 1, 2))  # a hold: not sold
    cancelled = BookingFactory(showtime=showtime, seats=seats(showtime, 1, 3), confirmed=True)
    services.booking_cancel(booking_id=cancelled.pk, by=None)
    cancelled_showtime = ShowtimeFactory(cancelled=True)
    empty = ShowtimeFactory()

    with django_assert_num_queries(1):
        occupancy = showtimes_occupancy([showtime.pk, cancelled_showtime.pk, empty.pk])

    assert occupancy == {
        showtime.pk: Occupancy(sold=2, seats=8),
        cancelled_showtime.pk: Occupancy(sold=0, seats=0),
        empty.pk: Occupancy(sold=0, seats=8),
    }
    assert (occupancy[showtime.pk].fraction, occupancy[showtime.pk].percent) == (
        Decimal("0.2500"),
        Decimal("25.00"),
    )
    assert occupancy[cancelled_showtime.pk].percent is None

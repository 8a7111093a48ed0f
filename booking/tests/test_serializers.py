"""One rendering of a booking, whichever endpoint answers it."""

from decimal import Decimal

import pytest

from screening.tests.factories import ShowtimeFactory

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"


def test_create_retrieve_and_list_render_a_booking_alike(customer_api):
    showtime = ShowtimeFactory(base_price=Decimal("9.50"))
    seat = showtime.hall.seats.order_by("pk").first()
    created = customer_api.post(BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": seat.pk}]})
    assert created.status_code == 201, created.content
    booking = created.json()

    assert customer_api.get(f"{BOOKINGS}{booking['id']}/").json() == booking
    assert customer_api.get(BOOKINGS).json()["results"] == [booking]
    assert booking["payment"] is None
    assert booking["showtime"]["cinema"]["timezone"] == showtime.hall.cinema.timezone
    assert booking["tickets"][0]["price"] == "9.50"

"""The rendered seat map, cached per process: served while a fresh render would give the same
bytes - the same state, and before the first instant at which time changes the document."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from booking import selectors, services
from screening.tests.factories import HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

# Row A: eight seats. Row B: a wheelchair space at each end, each with its companion seat.
LAYOUT = {
    "rows": [
        {"label": "A", "seats": 8, "type": "VIP"},
        {
            "label": "B",
            "seats": 8,
            "wheelchair": [1, 8],
            "companions": [{"seat": 2, "pair": 1}, {"seat": 7, "pair": 8}],
        },
    ]
}


@pytest.fixture
def showtime():
    """Two hours ahead: its wheelchair spaces and companion seats are still held back."""
    return ShowtimeFactory(
        hall=HallFactory(layout=LAYOUT),
        starts_at=timezone.now() + timedelta(hours=2),
        base_price=Decimal("10.00"),
    )


def url(showtime) -> str:
    return f"/api/v1/showtimes/{showtime.pk}/seats/"


def seat(showtime, label: str) -> int:
    return showtime.hall.seats.get(row=label[0], number=int(label[1:])).pk


def hold(user, showtime, *labels):
    return services.booking_create(
        user=user,
        showtime_id=showtime.pk,
        seats=[services.SeatRequest(seat(showtime, label)) for label in labels],
    )


def seat_in(document, showtime, label: str) -> dict:
    pk = seat(showtime, label)
    return next(s for s in document["seats"] if s["id"] == pk)


def clock_at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def request(method: str, path: str, **extra):
    return getattr(APIClient(), method)(path, **extra)


def test_the_cached_document_lasts_until_the_first_hold_ends(
    showtime, customer, other_customer, settings, django_assert_num_queries
):
    settings.BOOKING_HOLD_SECONDS = 600
    hold(customer, showtime, "A1")
    settings.BOOKING_HOLD_SECONDS = 60
    first_to_end = hold(other_customer, showtime, "A2")
    before = request("get", url(showtime))
    assert seat_in(before.json(), showtime, "A2")["status"] == "held"

    just_before = first_to_end.expires_at - timedelta(microseconds=1)
    # the state: the document stands
    with clock_at(just_before), django_assert_num_queries(1):
        still = request("get", url(showtime))
    assert still.content == before.content

    with clock_at(first_to_end.expires_at), django_assert_num_queries(3):  # rendered again
        after = request("get", url(showtime))
    assert after["ETag"] == before["ETag"]
    lapsed = seat_in(after.json(), showtime, "A2")
    assert (lapsed["status"], lapsed["held_until"]) == ("available", None)
    assert seat_in(after.json(), showtime, "A1")["status"] == "held"
    assert after.json()["counts"] == {"available": 15, "held": 1, "sold": 0}


def test_accessible_seats_show_released_once_they_are(showtime, settings):
    release = showtime.starts_at - timedelta(minutes=settings.ACCESSIBLE_RELEASE_MINUTES)
    with clock_at(release - timedelta(microseconds=1)):
        before = request("get", url(showtime)).json()
    assert seat_in(before, showtime, "B1")["held_back_until"] is not None
    assert seat_in(before, showtime, "B2")["held_back_until"] is not None
    assert seat_in(before, showtime, "A1")["held_back_until"] is None

    with clock_at(release):
        after = request("get", url(showtime)).json()
    assert seat_in(after, showtime, "B1")["held_back_until"] is None
    assert seat_in(after, showtime, "B2")["held_back_until"] is None
    assert after["version"] == before["version"]


def test_a_document_is_rendered_again_after_a_minute_whatever_happens(
    showtime, django_assert_num_queries
):
    """A bound on what an edit that bypasses the change log can leave stale."""
    now = timezone.now()
    with clock_at(now):
        request("get", url(showtime))
    seconds = selectors.SEAT_MAP_CACHE_SECONDS
    later = now + timedelta(seconds=seconds)
    with clock_at(later - timedelta(microseconds=1)), django_assert_num_queries(1):
        request("get", url(showtime))
    with clock_at(later), django_assert_num_queries(3):
        request("get", url(showtime))


def test_the_cache_keeps_the_showtimes_used_last(monkeypatch):
    monkeypatch.setattr(selectors, "SEAT_MAP_CACHE_SIZE", 2)
    hall = HallFactory(layout=LAYOUT)
    first, second, third = (
        ShowtimeFactory(hall=hall, starts_at=timezone.now() + timedelta(days=day))
        for day in (1, 2, 3)
    )
    for showtime in (first, second, first, third):
        request("get", url(showtime))
    assert list(selectors._rendered) == [first.pk, third.pk]

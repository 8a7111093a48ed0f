"""The seat map's pollers answered before the framework (booking.middleware): the same bytes as
the view through the whole stack, from a per-process cache that time cannot make stale."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import OperationalError, connections
from django.test import override_settings
from django.urls import resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from booking import selectors, services
from booking.api.seat_maps import SeatMapView
from booking.middleware import SEAT_MAP_PATH, SeatMapPollMiddleware
from booking.selectors import seat_map_cache_clear
from screening.tests.factories import HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

FAST_PATH = "booking.middleware.SeatMapPollMiddleware"
ORIGIN = "https://app.example.com"

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


@pytest.fixture
def view_calls():
    """SeatMapView's dispatch, as it is, counted: whether the stack reached the view."""
    with mock.patch.object(
        SeatMapView, "dispatch", autospec=True, side_effect=SeatMapView.dispatch
    ) as dispatch:
        yield dispatch


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


def through_view(method: str, path: str, **extra):
    """The same request without the fast path, the document rendered afresh: what the view
    sends through the whole stack."""
    seat_map_cache_clear()
    without = [name for name in settings.MIDDLEWARE if name != FAST_PATH]
    with override_settings(MIDDLEWARE=without):
        return request(method, path, **extra)


def free(showtime, customer, staff):
    pass


def held(showtime, customer, staff):
    hold(customer, showtime, "A3", "A4", "B1")


def sold(showtime, customer, staff):
    booking = hold(customer, showtime, "A3", "A4")
    services.booking_confirm(booking_id=booking.pk)
    hold(staff, showtime, "A7", "A8")


def cancelled(showtime, customer, staff):
    sold(showtime, customer, staff)
    services.showtime_cancel(showtime_id=showtime.pk, by=staff)


@pytest.mark.parametrize("state", [free, held, sold, cancelled])
def test_the_fast_path_answers_what_the_view_answers_byte_for_byte(
    state, showtime, customer, staff, settings, view_calls
):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    state(showtime, customer, staff)
    etag = request("get", url(showtime))["ETag"]
    requests = {
        "GET": ("get", {}, 200),
        "HEAD": ("head", {}, 200),
        "current copy": ("get", {"HTTP_IF_NONE_MATCH": etag}, 304),
        "current copy, HEAD": ("head", {"HTTP_IF_NONE_MATCH": etag}, 304),
        "another copy": ("get", {"HTTP_IF_NONE_MATCH": '"1.2.3"'}, 200),
        "cross-origin": ("get", {"HTTP_ORIGIN": ORIGIN}, 200),
        "cross-origin, current copy": (
            "get",
            {"HTTP_ORIGIN": ORIGIN, "HTTP_IF_NONE_MATCH": etag},
            304,
        ),
        "HTTPS": ("get", {"secure": True}, 200),
    }
    for name, (method, extra, status) in requests.items():
        fast = request(method, url(showtime), **extra)
        assert not view_calls.called, name
        expected = through_view(method, url(showtime), **extra)
        assert view_calls.called, name
        view_calls.reset_mock()
        assert fast.status_code == expected.status_code == status, name
        assert fast.serialize() == expected.serialize(), name

    answer = request("get", url(showtime), HTTP_ORIGIN=ORIGIN, secure=True)
    assert answer["Access-Control-Allow-Origin"] == ORIGIN
    for header in (
        "Content-Security-Policy",
        "Cross-Origin-Opener-Policy",
        "Referrer-Policy",
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
    ):
        assert answer.has_header(header), header


@pytest.mark.parametrize("state", [free, held, sold, cancelled])
def test_changes_since_a_version_are_what_the_view_answers_byte_for_byte(
    state, showtime, customer, staff, view_calls
):
    before = request("get", url(showtime)).json()["version"]
    state(showtime, customer, staff)
    current = request("get", url(showtime))
    version, etag = current.json()["version"], current["ETag"]
    requests = {
        "from the start": ("get", f"?since={before}", {}, 200),
        "from now": ("get", f"?since={version}", {}, 200),
        "from 0": ("get", "?since=0", {}, 200),
        "HEAD": ("head", f"?since={before}", {}, 200),
        "current copy": ("get", f"?since={before}", {"HTTP_IF_NONE_MATCH": etag}, 304),
        "Accept: anything": ("get", f"?since={before}", {"HTTP_ACCEPT": "text/html, */*"}, 200),
    }
    for name, (method, query, extra, status) in requests.items():
        fast = request(method, url(showtime) + query, **extra)
        assert not view_calls.called, name
        expected = through_view(method, url(showtime) + query, **extra)
        view_calls.reset_mock()
        assert fast.status_code == expected.status_code == status, name
        assert fast.serialize() == expected.serialize(), name


@pytest.mark.parametrize(
    ("accept", "status"),
    [("text/html", 406), ("application/json; indent=4", 200)],
    ids=["HTML only", "indented"],
)
@pytest.mark.parametrize("query", ["", "?since=0"], ids=["map", "changes"])
def test_an_accept_header_drf_would_negotiate_goes_to_the_view(
    showtime, view_calls, accept, status, query
):
    answer = request("get", url(showtime) + query, HTTP_ACCEPT=accept)
    assert view_calls.called
    expected = through_view("get", url(showtime) + query, HTTP_ACCEPT=accept)
    assert answer.status_code == expected.status_code == status
    assert answer.serialize() == expected.serialize()


@pytest.mark.parametrize(
    ("method", "suffix", "status"),
    [
        ("get", "?since=x", 400),
        ("get", "?since=99999", 410),
        ("get", "?since=0&utm=1", 200),
        ("get", "?utm=1", 200),
        ("post", "", 405),
        ("options", "", 200),
    ],
    ids=["a bad since", "a future since", "since and more", "another query", "POST", "OPTIONS"],
)
def test_other_requests_go_down_the_stack_to_the_view(showtime, view_calls, method, suffix, status):
    answer = request(method, url(showtime) + suffix)
    went_to_the_view = view_calls.called
    expected = through_view(method, url(showtime) + suffix)
    assert answer.status_code == expected.status_code == status
    assert answer.serialize() == expected.serialize()
    assert went_to_the_view


def test_an_unknown_showtime_is_the_views_404(view_calls):
    path = "/api/v1/showtimes/999999/seats/"
    answer = request("get", path)
    assert view_calls.called
    expected = through_view("get", path)
    assert answer.status_code == 404
    assert answer.serialize() == expected.serialize()
    assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "extra", "status"),
    [
        (None, {"HTTP_HOST": "elsewhere.example.com"}, 400),  # an unknown Host
        (None, {"CONTENT_LENGTH": str(10**9)}, 413),  # a body over the limit
        ("/api/v1/showtimes/\u0661/seats/", {}, 404),  # not an ASCII digit
        ("/api/v1/showtimes/{pk}/seats", {}, 404),  # no slash
    ],
    ids=["host", "body", "digit", "slash"],
)
def test_what_the_stack_below_refuses_it_still_refuses(showtime, view_calls, path, extra, status):
    path = (path or url(showtime)).format(pk=showtime.pk)
    answer = request("get", path, **extra)
    expected = through_view("get", path, **extra)
    assert answer.status_code == expected.status_code == status
    assert answer.serialize() == expected.serialize()
    assert not view_calls.called


def test_the_https_redirect_comes_first(showtime, settings, view_calls):
    settings.SECURE_SSL_REDIRECT = True
    assert request("get", url(showtime)).status_code == 301
    assert request("get", url(showtime), secure=True).status_code == 200
    assert not view_calls.called


def test_a_database_error_leaves_the_answer_to_the_stack(showtime, view_calls):
    """A connection the server closed fails the fast path's read (it skips the health check's
    ping); the stack below checks the connection again and the view answers."""
    database = connections["default"]
    request("get", url(showtime))

    def failed_read(*args):
        database.errors_occurred = True  # as Django's cursor marks a connection that failed
        raise OperationalError(2006, "MySQL server has gone away")

    failing = mock.patch("booking.middleware.seat_map_state", side_effect=failed_read)
    ping = mock.patch.object(database, "is_usable", wraps=database.is_usable)
    database.health_check_done = False  # as at the start of every request
    with failing, ping as pinged:
        answer = request("get", url(showtime))
    assert answer.status_code == 200
    assert view_calls.called
    assert pinged.call_count == 1


def test_the_fast_path_reads_without_a_ping_first(showtime, django_assert_num_queries):
    database = connections["default"]
    etag = request("get", url(showtime))["ETag"]
    database.health_check_done = False  # as at the start of every request
    with mock.patch.object(database, "is_usable") as pinged, django_assert_num_queries(1):
        assert request("get", url(showtime), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert not pinged.called


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


def test_the_fast_path_knows_the_views_route():
    path = reverse("showtime-seats", kwargs={"pk": 4321})
    assert SEAT_MAP_PATH.match(path)[1] == "4321"
    assert resolve(path).func.view_class is SeatMapView


def test_with_a_middleware_it_does_not_know_after_it_the_fast_path_stands_aside(settings):
    """Its answers must be the stack's: another middleware might add to them."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "somewhere.AnotherMiddleware"]
    with pytest.raises(MiddlewareNotUsed):
        SeatMapPollMiddleware(lambda request: None)


def test_a_current_copy_asked_with_head_and_an_html_accept_is_the_views_406(showtime, view_calls):
    """Only a GET of a current copy is answered before DRF's negotiation (the view's own
    `dispatch`); a HEAD goes through it."""
    etag = request("get", url(showtime))["ETag"]
    extra = {"HTTP_IF_NONE_MATCH": etag, "HTTP_ACCEPT": "text/html"}
    answer = request("head", url(showtime), **extra)
    assert view_calls.called
    expected = through_view("head", url(showtime), **extra)
    assert answer.status_code == expected.status_code == 406
    assert request("get", url(showtime), **extra).status_code == 304

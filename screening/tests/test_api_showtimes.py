from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.tests.factories import MovieFactory
from core.testing import ROLES, matrix_cell
from screening.models import Showtime, ShowtimeStatus

from .factories import CinemaFactory, HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

SHOWTIMES = "/api/v1/showtimes/"


def tomorrow_at(hour: int, minute: int = 0, zone=UTC) -> datetime:
    day = timezone.now().astimezone(zone).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def schedule(client, movie, hall, starts_at, **extra):
    payload = {
        "movie": movie.pk,
        "hall": hall.pk,
        "starts_at": starts_at if isinstance(starts_at, str) else starts_at.isoformat(),
        "base_price": "12.50",
        **extra,
    }
    return client.post(SHOWTIMES, payload)


def test_schedule_computes_the_end_with_the_cleaning_buffer(staff_api, settings):
    settings.SHOWTIME_CLEANING_MINUTES = 15
    movie = MovieFactory(duration_minutes=100, language="French")
    hall = HallFactory()
    response = schedule(staff_api, movie, hall, tomorrow_at(18), format="IMAX")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ends_at"] == tomorrow_at(19, 55).isoformat().replace("+00:00", "Z")
    assert body["base_price"] == "12.50"
    assert body["currency"] == "USD"
    assert body["format"] == "IMAX"
    assert body["language"] == "French"
    assert body["seats_available"] == 8
    assert body["movie"]["id"] == movie.pk
    assert body["cinema"]["id"] == hall.cinema_id


def test_a_time_without_offset_is_the_cinemas_local_time(staff_api):
    hall = HallFactory(cinema=CinemaFactory(timezone="America/New_York"))
    local = tomorrow_at(19, 30, ZoneInfo("America/New_York"))
    response = schedule(staff_api, MovieFactory(), hall, local.replace(tzinfo=None).isoformat())
    assert response.status_code == 201
    assert Showtime.objects.get().starts_at == local


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2020-01-01T18:00:00Z"}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"base_price": "-1.00"}, "base_price"),
        ({"base_price": "9.999"}, "base_price"),
        ({"base_price": "ten"}, "base_price"),
        ({"format": "4D"}, "format"),
        ({"movie": 999999}, "movie"),
        ({"hall": "abc"}, "hall"),
        ({"language": "x" * 51}, "language"),
    ],
)
def test_schedule_rejects_bad_input(staff_api, change, field):
    payload = {
        "movie": MovieFactory().pk,
        "hall": HallFactory().pk,
        "starts_at": tomorrow_at(18).isoformat(),
        "base_price": "10.00",
        **change,
    }
    response = staff_api.post(SHOWTIMES, payload)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not Showtime.objects.exists()


def test_a_clash_names_the_conflicts_and_the_free_halls(staff_api, settings):
    settings.SHOWTIME_CLEANING_MINUTES = 15
    cinema = CinemaFactory()
    hall, free, busy_too = (HallFactory(cinema=cinema, name=n) for n in ("One", "Two", "Three"))
    HallFactory()  # another cinema's hall is never offered
    movie = MovieFactory(duration_minutes=105, title="Dune")
    first = schedule(staff_api, movie, hall, tomorrow_at(18)).json()
    schedule(staff_api, movie, busy_too, tomorrow_at(19))

    clash = schedule(staff_api, MovieFactory(), hall, tomorrow_at(19, 59))
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["code"] == "hall_busy"
    assert "Dune" in error["message"]
    assert [c["id"] for c in error["details"]["conflicts"]] == [first["id"]]
    assert error["details"]["conflicts"][0]["movie"] == "Dune"
    assert error["details"]["available_halls"] == [{"id": free.pk, "name": "Two"}]
    assert Showtime.objects.count() == 2

    # Ends at 20:00 with cleaning: a showtime may start exactly then.
    assert schedule(staff_api, MovieFactory(), hall, tomorrow_at(20)).status_code == 201


def test_cancelled_showtimes_do_not_block_the_hall(staff_api):
    hall = HallFactory()
    ShowtimeFactory(hall=hall, starts_at=tomorrow_at(18), cancelled=True)
    assert schedule(staff_api, MovieFactory(), hall, tomorrow_at(18)).status_code == 201


def test_list_shows_upcoming_scheduled_showtimes_only(api_client):
    upcoming = ShowtimeFactory()
    ShowtimeFactory(past=True)
    ShowtimeFactory(cancelled=True)
    body = api_client.get(SHOWTIMES).json()
    assert [s["id"] for s in body["results"]] == [upcoming.pk]
    assert body["results"][0]["seats_available"] == 8


def test_date_is_the_cinemas_local_day(api_client):
    tokyo = HallFactory(cinema=CinemaFactory(timezone="Asia/Tokyo"))
    la = HallFactory(cinema=CinemaFactory(timezone="America/Los_Angeles"))
    day = (timezone.now() + timedelta(days=3)).date()
    tokyo_zone, la_zone = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
    # 00:30 local on `day` in both cities: far apart in UTC, both on `day` locally.
    in_tokyo = ShowtimeFactory(
        hall=tokyo, starts_at=datetime(day.year, day.month, day.day, 0, 30, tzinfo=tokyo_zone)
    )
    in_la = ShowtimeFactory(
        hall=la, starts_at=datetime(day.year, day.month, day.day, 0, 30, tzinfo=la_zone)
    )
    # 23:30 local the day before: the same UTC day as one of the above, not the same local day.
    ShowtimeFactory(
        hall=la,
        starts_at=datetime(day.year, day.month, day.day, 0, 0, tzinfo=la_zone)
        - timedelta(minutes=30),
    )
    found = api_client.get(SHOWTIMES, {"date": day.isoformat()}).json()["results"]
    assert {s["id"] for s in found} == {in_tokyo.pk, in_la.pk}
    only_la = api_client.get(SHOWTIMES, {"date": day.isoformat(), "cinema": la.cinema_id})
    assert [s["id"] for s in only_la.json()["results"]] == [in_la.pk]


def test_filters_by_movie_and_hall(api_client):
    one = ShowtimeFactory()
    ShowtimeFactory()
    assert [
        s["id"] for s in api_client.get(SHOWTIMES, {"movie": one.movie_id}).json()["results"]
    ] == [one.pk]
    assert [
        s["id"] for s in api_client.get(SHOWTIMES, {"hall": one.hall_id}).json()["results"]
    ] == [one.pk]


@pytest.mark.parametrize(
    "params", [{"date": "tomorrow"}, {"date": "2026-13-01"}, {"movie": "x"}, {"cinema": "1.5"}]
)
def test_bad_filters_are_400(api_client, params):
    response = api_client.get(SHOWTIMES, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("count", [3, 30])
def test_list_takes_a_constant_number_of_queries(api_client, django_assert_num_queries, count):
    hall = HallFactory()
    start = timezone.now() + timedelta(days=1)
    for i in range(count):
        ShowtimeFactory(hall=hall, starts_at=start + timedelta(hours=3 * i))
    with django_assert_num_queries(2):  # count + page
        body = api_client.get(SHOWTIMES, {"page_size": 100}).json()
    assert len(body["results"]) == count
    with django_assert_num_queries(3):  # + the cinemas' time zones
        api_client.get(SHOWTIMES, {"date": start.date().isoformat(), "page_size": 100})


def test_patch_follows_the_overlap_rule(staff_api):
    hall = HallFactory()
    other = HallFactory(cinema=hall.cinema)
    ShowtimeFactory(hall=hall, starts_at=tomorrow_at(18))
    moving = ShowtimeFactory(hall=other, starts_at=tomorrow_at(18))

    clash = staff_api.patch(f"{SHOWTIMES}{moving.pk}/", {"hall": hall.pk})
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "hall_busy"

    later = staff_api.patch(
        f"{SHOWTIMES}{moving.pk}/", {"hall": hall.pk, "starts_at": tomorrow_at(22).isoformat()}
    )
    assert later.status_code == 200
    moving.refresh_from_db()
    assert (moving.hall_id, moving.starts_at) == (hall.pk, tomorrow_at(22))
    assert moving.ends_at == tomorrow_at(22) + timedelta(minutes=120 + 15)

    # Moving a showtime within its own slot does not clash with itself.
    nudge = staff_api.patch(
        f"{SHOWTIMES}{moving.pk}/", {"starts_at": tomorrow_at(22, 10).isoformat()}
    )
    assert nudge.status_code == 200
    assert staff_api.patch(f"{SHOWTIMES}{moving.pk}/", {"base_price": "9.00"}).status_code == 200


def test_started_and_cancelled_showtimes_cannot_change(staff_api):
    for showtime in (ShowtimeFactory(past=True), ShowtimeFactory(cancelled=True)):
        response = staff_api.patch(f"{SHOWTIMES}{showtime.pk}/", {"base_price": "1.00"})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "showtime_not_editable"


def test_detail_shows_any_showtime(api_client):
    past = ShowtimeFactory(past=True, status=ShowtimeStatus.CANCELLED)
    body = api_client.get(f"{SHOWTIMES}{past.pk}/").json()
    assert body["status"] == "cancelled"
    assert api_client.get(f"{SHOWTIMES}999999/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        (
            "get",
            lambda s: SHOWTIMES,
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda s: f"{SHOWTIMES}{s.pk}/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda s: SHOWTIMES,
            lambda s: {
                "movie": s.movie_id,
                "hall": s.hall_id,
                "starts_at": (s.starts_at + timedelta(days=1)).isoformat(),
                "base_price": "10.00",
            },
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 201, "admin": 201},
        ),
        (
            "patch",
            lambda s: f"{SHOWTIMES}{s.pk}/",
            {"base_price": "5.00"},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 200, "admin": 200},
        ),
        (
            "delete",
            lambda s: f"{SHOWTIMES}{s.pk}/",
            None,
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 204, "admin": 204},
        ),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(users, role, method, path, body, expected):
    matrix_cell(users, role, method, path, body, expected, subject=ShowtimeFactory())


@pytest.mark.parametrize(
    ("local", "words"),
    [("2027-03-28T01:30:00", "does not exist"), ("2027-10-31T01:30:00", "happens twice")],
)
def test_a_local_time_the_clocks_skip_or_repeat_is_refused(staff_api, local, words):
    hall = HallFactory(cinema__timezone="Europe/London")
    movie = MovieFactory()
    response = staff_api.post(
        "/api/v1/showtimes/",
        {"movie": movie.pk, "hall": hall.pk, "starts_at": local, "base_price": "9.00"},
    )
    assert response.status_code == 400, response.content
    assert words in response.json()["error"]["details"]["starts_at"][0]


def test_the_same_times_with_an_offset_are_fine(staff_api):
    hall = HallFactory(cinema__timezone="Europe/London")
    response = staff_api.post(
        "/api/v1/showtimes/",
        {
            "movie": MovieFactory().pk,
            "hall": hall.pk,
            "starts_at": "2027-10-31T01:30:00+00:00",
            "base_price": "9.00",
        },
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("starts_at", ["9999-12-31T23:00:00", "9999-12-31T23:00:00-05:00"])
def test_a_showtime_at_the_end_of_time_is_400(staff_api, starts_at):
    hall = HallFactory(cinema__timezone="America/New_York")
    response = staff_api.post(
        "/api/v1/showtimes/",
        {"movie": MovieFactory().pk, "hall": hall.pk, "starts_at": starts_at, "base_price": "9"},
    )
    assert response.status_code == 400, response.content
    assert "starts_at" in response.json()["error"]["details"]


def test_listing_the_last_day_there_is_is_400(api_client):
    response = api_client.get("/api/v1/showtimes/", {"date": "9999-12-31"})
    assert response.status_code == 400
    assert "date" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    "path", ["/api/v1/halls/null/seats/", "/api/v1/halls/true/", "/api/v1/showtimes/1.5/"]
)
def test_an_id_that_is_no_whole_number_is_404(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"

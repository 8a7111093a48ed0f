"""The Django admin schedules and builds halls through the same services as the API."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.tests.factories import MovieFactory
from screening.models import Hall, Showtime

from .factories import CinemaFactory, HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def staff_site(client, staff):
    client.force_login(staff)
    return client


def showtime_form(movie, hall, starts_at, **extra) -> dict:
    return {
        "movie": movie.pk,
        "hall": hall.pk,
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "base_price": "11.00",
        "format": "2D",
        "language": "",
        **extra,
    }


def test_a_hall_created_in_the_admin_gets_its_seats(admin_site):
    cinema = CinemaFactory()
    response = admin_site.post(
        "/admin/screening/hall/add/",
        {
            "cinema": cinema.pk,
            "name": "Grand",
            "layout": '{"rows": [{"label": "A", "seats": 10}, {"label": "B", "seats": 12, "type": "VIP"}]}',
        },
    )
    assert response.status_code == 302, response.content
    hall = Hall.objects.get(name="Grand")
    assert (hall.capacity, hall.seats.count()) == (22, 22)


def test_a_bad_layout_is_a_form_error_in_the_admin(admin_site):
    response = admin_site.post(
        "/admin/screening/hall/add/",
        {
            "cinema": CinemaFactory().pk,
            "name": "Grand",
            "layout": '{"rows": [{"label": "A", "seats": 10}, {"label": "A", "seats": 500}]}',
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["layout"]
    assert any("repeated: A" in e for e in errors)
    assert any("seats must be" in e for e in errors)
    assert not Hall.objects.exists()


def test_staff_schedule_in_the_admin_with_the_same_clash_rule(staff_site):
    hall = HallFactory()
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0, second=0)
    first = staff_site.post(
        "/admin/screening/showtime/add/", showtime_form(MovieFactory(title="Dune"), hall, start)
    )
    assert first.status_code == 302, first.context["adminform"].form.errors
    showtime = Showtime.objects.get()
    assert showtime.ends_at == start + timedelta(minutes=120 + 15)
    assert showtime.language == "English"

    clash = staff_site.post(
        "/admin/screening/showtime/add/",
        showtime_form(MovieFactory(), hall, start + timedelta(minutes=30)),
    )
    assert clash.status_code == 200
    (message,) = clash.context["adminform"].form.non_field_errors()
    assert message.startswith(f"{hall.name} at {hall.cinema.name} is busy then (UTC time")
    assert "Dune" in message
    assert Showtime.objects.count() == 1


def test_admin_refuses_the_past(staff_site):
    past = timezone.now() - timedelta(days=1)
    response = staff_site.post(
        "/admin/screening/showtime/add/", showtime_form(MovieFactory(), HallFactory(), past)
    )
    assert response.status_code == 200
    assert "past" in str(response.context["adminform"].form.errors)


def test_admin_lists_with_filters_and_search(staff_site):
    showtime = ShowtimeFactory()
    for url in [
        "/admin/screening/showtime/",
        f"/admin/screening/showtime/?hall__cinema__id__exact={showtime.hall.cinema_id}",
        f"/admin/screening/showtime/?movie__id__exact={showtime.movie_id}",
        "/admin/screening/showtime/?q=Movie",
        "/admin/screening/hall/",
        "/admin/catalog/movie/?q=Movie",
    ]:
        response = staff_site.get(url)
        assert response.status_code == 200, url
    assert staff_site.get("/admin/screening/hall/add/").status_code == 403
    assert staff_site.get("/admin/screening/cinema/add/").status_code == 403


def local_form(movie, hall, day: str, clock: str, **extra) -> dict:
    return {**showtime_form(movie, hall, timezone.now()), "starts_at_0": day, "starts_at_1": clock}


@pytest.fixture
def new_york_hall():
    return HallFactory(cinema=CinemaFactory(name="Downtown", timezone="America/New_York"))


def test_showtimes_are_entered_and_listed_in_the_cinemas_local_time(staff_site, new_york_hall):
    response = staff_site.post(
        "/admin/screening/showtime/add/",
        local_form(MovieFactory(title="Dune"), new_york_hall, "2027-06-10", "21:00:00"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    showtime = Showtime.objects.get()
    assert showtime.starts_at.isoformat() == "2027-06-11T01:00:00+00:00"  # 21:00 EDT

    listing = staff_site.get("/admin/screening/showtime/").content.decode()
    assert "Thu 10 Jun 2027, 21:00 EDT" in listing
    assert "01:00" not in listing
    page = staff_site.get(f"/admin/screening/showtime/{showtime.pk}/change/").content.decode()
    assert 'value="21:00:00"' in page
    assert "23:15 EDT" in page  # ends with the cleaning buffer, local too

    unchanged = staff_site.post(
        f"/admin/screening/showtime/{showtime.pk}/change/",
        local_form(showtime.movie, new_york_hall, "2027-06-10", "21:00:00"),
    )
    assert unchanged.status_code == 302
    showtime.refresh_from_db()
    assert showtime.starts_at.isoformat() == "2027-06-11T01:00:00+00:00"


@pytest.mark.parametrize(
    ("day", "clock", "message"),
    [
        ("2027-03-14", "02:30:00", "02:30 on 2027-03-14 in America/New_York does not exist"),
        ("2027-11-07", "01:30:00", "01:30 on 2027-11-07 happens twice in America/New_York"),
    ],
)
def test_times_the_clocks_skip_or_repeat_are_refused(
    staff_site, new_york_hall, day, clock, message
):
    response = staff_site.post(
        "/admin/screening/showtime/add/", local_form(MovieFactory(), new_york_hall, day, clock)
    )
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["starts_at"]
    assert error.startswith(message)
    assert "offset" not in error
    assert not Showtime.objects.exists()


def test_a_clash_names_the_cinema_in_local_time_and_a_free_hall(staff_site, new_york_hall):
    HallFactory(cinema=new_york_hall.cinema, name="Studio 2")
    movie = MovieFactory(title="Dune")
    staff_site.post(
        "/admin/screening/showtime/add/", local_form(movie, new_york_hall, "2027-06-10", "21:00")
    )
    clash = staff_site.post(
        "/admin/screening/showtime/add/",
        local_form(MovieFactory(), new_york_hall, "2027-06-10", "22:00"),
    )
    (message,) = clash.context["adminform"].form.non_field_errors()
    assert message == (
        f"{new_york_hall.name} at Downtown is busy then (America/New_York time, cleaning "
        "included): Dune 2027-06-10 21:00-23:15. Free for the whole slot at Downtown: Studio 2."
    )


def test_today_is_each_cinemas_own_day(staff_site):
    """Late tonight in New York is tomorrow in UTC; just after midnight in Tokyo is today in UTC
    for part of the day. Each shows under its own cinema's "Today"."""
    now = timezone.now()
    shows = {}
    for zone in ("America/New_York", "Asia/Tokyo"):
        hall = HallFactory(cinema=CinemaFactory(timezone=zone))
        local_today = now.astimezone(ZoneInfo(zone)).date()
        for label, day, clock in [
            ("late today", local_today, time(23, 59)),
            ("early tomorrow", local_today + timedelta(days=1), time(0, 1)),
        ]:
            starts_at = datetime.combine(day, clock, tzinfo=ZoneInfo(zone))
            shows[(zone, label)] = ShowtimeFactory(hall=hall, starts_at=starts_at)

    def listed(day):
        response = staff_site.get("/admin/screening/showtime/", {"day": day})
        return {s.pk for s in response.context["cl"].result_list}

    today = {shows[(z, "late today")].pk for z in ("America/New_York", "Asia/Tokyo")}
    tomorrow = {shows[(z, "early tomorrow")].pk for z in ("America/New_York", "Asia/Tokyo")}
    assert listed("today") == today
    assert listed("tomorrow") == tomorrow
    assert listed("next7") == today | tomorrow
    assert listed("nonsense") == today | tomorrow


def test_the_hall_page_draws_its_seats(staff_site):
    hall = HallFactory()  # A: 4 seats with an aisle after 2; B: 4 VIP seats
    page = staff_site.get(f"/admin/screening/hall/{hall.pk}/change/").content.decode()
    assert 'class="seat-map"' in page
    assert page.count('class="seat type-standard"') == 4 + 1  # and the legend's
    assert page.count('class="seat type-vip"') == 4 + 1
    assert "screening/seat_map.css" in page

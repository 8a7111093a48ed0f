"""The Django admin schedules and builds halls through the same services as the API."""

from datetime import timedelta

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
    assert message.startswith(f"{hall.name} is busy then")
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

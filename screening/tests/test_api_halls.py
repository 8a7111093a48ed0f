import pytest

from booking.tests.factories import BookingFactory
from core.testing import ROLES, matrix_cell
from screening.models import Hall, Seat

from .factories import SMALL_LAYOUT, CinemaFactory, HallFactory, ShowtimeFactory, layout_of

pytestmark = pytest.mark.django_db

HALLS = "/api/v1/halls/"
CINEMAS = "/api/v1/cinemas/"


def test_creating_a_hall_generates_every_seat(admin_api):
    cinema = CinemaFactory()
    layout = {
        "rows": [
            {"label": "A", "seats": 10, "type": "ACCESSIBLE", "aisles_after": [5]},
            {"label": "B", "seats": 12, "aisles_after": [3, 9]},
            {"label": "C", "seats": 8, "type": "VIP"},
        ]
    }
    response = admin_api.post(HALLS, {"cinema": cinema.pk, "name": "Hall 1", "layout": layout})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["capacity"] == 30
    assert body["layout"]["rows"][1] == {
        "label": "B",
        "seats": 12,
        "type": "STANDARD",
        "aisles_after": [3, 9],
    }
    hall = Hall.objects.get(pk=body["id"])
    assert hall.seats.count() == 30
    assert hall.seats.filter(seat_type="VIP").count() == 8
    assert hall.seats.get(row="A", number=6).x == 6  # one gap after seat 5


def test_companion_seats_name_their_wheelchair_space(admin_api, api_client):
    layout = {
        "rows": [
            {"label": "A", "seats": 4, "wheelchair": [4], "companions": [{"seat": 3, "pair": 4}]},
            {"label": "B", "seats": 4},
        ]
    }
    response = admin_api.post(
        HALLS, {"cinema": CinemaFactory().pk, "name": "Hall 1", "layout": layout}
    )
    assert response.status_code == 201, response.content
    hall_id = response.json()["id"]
    seats = {
        f"{s['row']}{s['number']}": s for s in api_client.get(f"{HALLS}{hall_id}/seats/").json()
    }
    assert (seats["A4"]["type"], seats["A4"]["pair"]) == ("WHEELCHAIR", None)
    assert (seats["A3"]["type"], seats["A3"]["pair"]) == ("COMPANION", seats["A4"]["id"])
    assert seats["A1"]["pair"] is None
    # Replacing the layout replaces the pairs too.
    replaced = admin_api.patch(f"{HALLS}{hall_id}/", {"layout": layout_of(1, 3)})
    assert replaced.status_code == 200, replaced.content
    assert not Seat.objects.filter(hall_id=hall_id, pair__isnull=False).exists()
    assert Seat.objects.filter(hall_id=hall_id).count() == 3


@pytest.mark.parametrize(
    "layout",
    [
        {"rows": [{"label": "A", "seats": 10}, {"label": "A", "seats": 10}]},
        {"rows": [{"label": "A", "seats": 101}]},
        {"rows": [{"label": "A", "seats": 0}]},
        {"rows": [{"label": f"R{i}", "seats": 5} for i in range(61)]},
        {"rows": [{"label": "A", "seats": 10}, {"label": "B", "seats": 10, "type": "SOFA"}]},
        {"rows": []},
        "A,B,C",
        [],
    ],
)
def test_a_layout_wrong_anywhere_creates_nothing(admin_api, layout):
    cinema = CinemaFactory()
    response = admin_api.post(HALLS, {"cinema": cinema.pk, "name": "Hall 1", "layout": layout})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["layout"]
    assert not Hall.objects.exists()
    assert not Seat.objects.exists()


def test_hall_names_are_unique_per_cinema(admin_api):
    first = HallFactory(name="Hall 1")
    other_cinema = CinemaFactory()
    again = admin_api.post(
        HALLS, {"cinema": first.cinema_id, "name": "Hall 1", "layout": SMALL_LAYOUT}
    )
    assert again.status_code == 400
    assert "name" in again.json()["error"]["details"]
    elsewhere = admin_api.post(
        HALLS, {"cinema": other_cinema.pk, "name": "Hall 1", "layout": SMALL_LAYOUT}
    )
    assert elsewhere.status_code == 201
    assert Seat.objects.count() == 16


def test_hall_list_filters_by_cinema(api_client):
    hall = HallFactory()
    HallFactory()
    body = api_client.get(HALLS, {"cinema": hall.cinema_id}).json()
    assert [h["id"] for h in body["results"]] == [hall.pk]
    assert body["results"][0]["capacity"] == 8
    assert api_client.get(HALLS, {"cinema": "x"}).status_code == 400


def test_seats_of_a_hall_in_a_constant_number_of_queries(api_client, django_assert_num_queries):
    small = HallFactory(layout=layout_of(2, 3))
    big = HallFactory(layout=layout_of(30, 20))
    with django_assert_num_queries(2):
        small_seats = api_client.get(f"{HALLS}{small.pk}/seats/").json()
    with django_assert_num_queries(2):
        big_seats = api_client.get(f"{HALLS}{big.pk}/seats/").json()
    assert len(small_seats) == 6
    assert len(big_seats) == 600
    assert small_seats[0] == {
        "id": small_seats[0]["id"],
        "row": "A",
        "number": 1,
        "type": "STANDARD",
        "position": {"x": 0, "y": 0},
        "pair": None,
    }
    assert api_client.get(f"{HALLS}999999/seats/").status_code == 404


def test_layout_can_be_replaced_until_a_showtime_of_the_hall_has_bookings(admin_api):
    hall = HallFactory()
    showtime = ShowtimeFactory(hall=hall)
    response = admin_api.patch(f"{HALLS}{hall.pk}/", {"layout": layout_of(3, 5)})
    assert response.status_code == 200
    assert response.json()["capacity"] == 15
    assert hall.seats.count() == 15

    BookingFactory(showtime=showtime)
    locked = admin_api.patch(f"{HALLS}{hall.pk}/", {"layout": layout_of(1, 5)})
    assert locked.status_code == 409
    assert locked.json()["error"]["code"] == "hall_has_bookings"
    assert hall.seats.count() == 15
    renamed = admin_api.patch(f"{HALLS}{hall.pk}/", {"name": "Grand"})
    assert renamed.json()["name"] == "Grand"


def test_hall_and_cinema_deletion_rules(admin_api):
    hall = HallFactory()
    ShowtimeFactory(hall=hall)
    busy = admin_api.delete(f"{HALLS}{hall.pk}/")
    assert busy.status_code == 409
    assert busy.json()["error"]["code"] == "hall_has_showtimes"
    has_halls = admin_api.delete(f"{CINEMAS}{hall.cinema_id}/")
    assert has_halls.status_code == 409
    assert has_halls.json()["error"]["code"] == "cinema_has_halls"

    empty = HallFactory()
    assert admin_api.delete(f"{HALLS}{empty.pk}/").status_code == 204
    assert not Seat.objects.filter(hall_id=empty.pk).exists()
    assert admin_api.delete(f"{CINEMAS}{empty.cinema_id}/").status_code == 204


def test_cinemas(admin_api, api_client):
    created = admin_api.post(
        CINEMAS,
        {"name": "Odeon", "address": "1 High St", "city": "Leeds", "timezone": "Europe/London"},
    )
    assert created.status_code == 201
    cinema_id = created.json()["id"]
    assert api_client.get(f"{CINEMAS}{cinema_id}/").json()["timezone"] == "Europe/London"

    bad_zone = admin_api.patch(f"{CINEMAS}{cinema_id}/", {"timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 400
    assert "timezone" in bad_zone.json()["error"]["details"]
    taken = admin_api.post(
        CINEMAS, {"name": "Odeon", "address": "2 Low St", "city": "York", "timezone": "UTC"}
    )
    assert taken.status_code == 400
    assert "name" in taken.json()["error"]["details"]
    assert admin_api.patch(f"{CINEMAS}{cinema_id}/", {"city": "York"}).json()["city"] == "York"


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        (
            "get",
            lambda h: CINEMAS,
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda h: f"{CINEMAS}{h.cinema_id}/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda h: CINEMAS,
            {"name": "New", "address": "x", "city": "y", "timezone": "UTC"},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 201},
        ),
        (
            "patch",
            lambda h: f"{CINEMAS}{h.cinema_id}/",
            {"city": "z"},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 200},
        ),
        (
            "put",
            lambda h: f"{CINEMAS}{h.cinema_id}/",
            {"city": "z"},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 405},
        ),
        (
            "get",
            lambda h: HALLS,
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda h: f"{HALLS}{h.pk}/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda h: f"{HALLS}{h.pk}/seats/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda h: HALLS,
            lambda h: {"cinema": h.cinema_id, "name": "New", "layout": SMALL_LAYOUT},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 201},
        ),
        (
            "patch",
            lambda h: f"{HALLS}{h.pk}/",
            {"name": "Renamed"},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 200},
        ),
        (
            "delete",
            lambda h: f"{HALLS}{h.pk}/",
            None,
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 204},
        ),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(users, role, method, path, body, expected):
    matrix_cell(users, role, method, path, body, expected, subject=HallFactory())

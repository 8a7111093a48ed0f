from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from booking.models import Booking, BookingStatus, SeatClaim
from booking.selectors import money_text
from catalog.tests.factories import MovieFactory
from core.models import IdempotencyKey
from core.testing import ROLES, client_for, matrix_cell
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"


@pytest.fixture
def showtime():
    return ShowtimeFactory(base_price=Decimal("10.00"))


def seat_ids(showtime, *labels) -> list[int]:
    return [showtime.hall.seats.get(row=label[0], number=int(label[1:])).pk for label in labels]


def payload(showtime, *labels, **extra) -> dict:
    return {
        "showtime": showtime.pk,
        "seats": [{"seat": pk} for pk in seat_ids(showtime, *labels)],
        **extra,
    }


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


def test_create_holds_the_seats_and_prices_the_booking(customer_api, showtime, settings):
    settings.BOOKING_HOLD_SECONDS = 600
    body = {
        "showtime": showtime.pk,
        "seats": [
            {"seat": seat_ids(showtime, "A1")[0], "ticket_type": "CHILD"},
            {"seat": seat_ids(showtime, "B1")[0]},
        ],
    }
    response = customer_api.post(BOOKINGS, body)
    assert response.status_code == 201, response.content
    booking = response.json()
    assert booking["status"] == "PENDING"
    assert len(booking["reference"]) == 8
    expires = timezone.datetime.fromisoformat(booking["expires_at"])
    assert timedelta(seconds=590) < expires - timezone.now() <= timedelta(seconds=600)
    assert [
        (t["row"], t["number"], t["ticket_type"], t["price"], t["code"]) for t in booking["tickets"]
    ] == [
        ("A", 1, "CHILD", "7.00", None),
        ("B", 1, "ADULT", "13.00", None),
    ]
    assert (booking["subtotal"], booking["discount"], booking["total"], booking["currency"]) == (
        "20.00",
        "0.00",
        "20.00",
        "USD",
    )
    assert booking["showtime"]["id"] == showtime.pk
    assert SeatClaim.objects.filter(booking_id=booking["id"]).count() == 2


def test_a_taken_seat_is_409_naming_it(customer_api, other_customer, showtime):
    BookingFactory(user=other_customer, showtime=showtime, seats=seat_ids(showtime, "A2"))
    err = error(
        customer_api.post(BOOKINGS, payload(showtime, "A1", "A2")), 409, "seats_unavailable"
    )
    assert err["details"]["seats"] == seat_ids(showtime, "A2")
    assert err["details"]["free"] == seat_ids(showtime, "A1")
    assert err["message"] == "Seat A2 is already taken."
    assert not SeatClaim.objects.filter(seat_id__in=seat_ids(showtime, "A1")).exists()


@pytest.mark.parametrize(
    ("make_body", "code", "field"),
    [
        (
            lambda s, other: {"showtime": s.pk, "seats": [{"seat": other}]},
            "validation_error",
            "seats",
        ),
        (
            lambda s, other: {"showtime": s.pk, "seats": [{"seat": seat_ids(s, "A1")[0]}] * 2},
            "validation_error",
            "seats",
        ),
        (lambda s, other: {"showtime": s.pk, "seats": []}, "validation_error", "seats"),
        (lambda s, other: {"showtime": s.pk}, "validation_error", "seats"),
        (
            lambda s, other: {"showtime": 999999, "seats": [{"seat": seat_ids(s, "A1")[0]}]},
            "validation_error",
            "showtime",
        ),
        (
            lambda s, other: {"showtime": "x", "seats": [{"seat": 1}]},
            "validation_error",
            "showtime",
        ),
        (
            lambda s, other: {"showtime": s.pk, "seats": [{"seat": "A1"}]},
            "validation_error",
            "seats",
        ),
        (
            lambda s, other: {
                "showtime": s.pk,
                "seats": [{"seat": seat_ids(s, "A1")[0], "ticket_type": "VIP"}],
            },
            "validation_error",
            "seats",
        ),
        (lambda s, other: {"showtime": s.pk, "seats": {"seat": 1}}, "validation_error", "seats"),
        (lambda s, other: {**payload(s, "A1"), "promo_code": "NOPE"}, "promotion_invalid", None),
    ],
)
def test_bad_input_is_400_and_holds_nothing(customer_api, showtime, make_body, code, field):
    other_hall_seat = HallFactory().seats.first().pk
    err = error(customer_api.post(BOOKINGS, make_body(showtime, other_hall_seat)), 400, code)
    if field:
        assert field in err["details"]
    assert not Booking.objects.exists()
    assert not SeatClaim.objects.exists()


def test_more_seats_than_allowed_is_400(customer_api, settings):
    settings.BOOKING_MAX_SEATS = 3
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(1, 10)))
    err = error(
        customer_api.post(BOOKINGS, payload(showtime, "A1", "A2", "A3", "A4")),
        400,
        "validation_error",
    )
    assert err["details"]["seats"] == ["At most 3 seats per booking."]


@pytest.mark.parametrize("state", [{"cancelled": True}, {"past": True}])
def test_cancelled_or_started_showtimes_are_400(customer_api, state):
    showtime = ShowtimeFactory(**state)
    error(customer_api.post(BOOKINGS, payload(showtime, "A1")), 400, "showtime_not_bookable")


def test_idempotency_key_replays_the_first_answer(customer_api, showtime):
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-1"}
    first = customer_api.post(BOOKINGS, payload(showtime, "A1"), **headers)
    again = customer_api.post(BOOKINGS, payload(showtime, "A1"), **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Booking.objects.count() == 1

    reused = customer_api.post(BOOKINGS, payload(showtime, "A2"), **headers)
    error(reused, 409, "idempotency_key_reused")
    # Another key, another booking (which replaces the customer's first hold).
    assert (
        customer_api.post(
            BOOKINGS, payload(showtime, "A2"), HTTP_IDEMPOTENCY_KEY="order-2"
        ).status_code
        == 201
    )


def test_idempotency_keys_are_per_user_and_expire(customer_api, other_customer, showtime):
    headers = {"HTTP_IDEMPOTENCY_KEY": "same"}
    assert customer_api.post(BOOKINGS, payload(showtime, "A1"), **headers).status_code == 201
    theirs = client_for(other_customer).post(BOOKINGS, payload(showtime, "A2"), **headers)
    assert theirs.status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    fresh = customer_api.post(BOOKINGS, payload(showtime, "B1"), **headers)
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh


def test_a_failed_request_is_not_remembered(customer_api, other_customer, showtime):
    BookingFactory(user=other_customer, showtime=showtime, seats=seat_ids(showtime, "A1"))
    headers = {"HTTP_IDEMPOTENCY_KEY": "k"}
    assert customer_api.post(BOOKINGS, payload(showtime, "A1"), **headers).status_code == 409
    Booking.objects.all().delete()
    SeatClaim.objects.all().delete()
    assert customer_api.post(BOOKINGS, payload(showtime, "A1"), **headers).status_code == 201


def test_idempotency_key_too_long_is_400(customer_api, showtime):
    err = error(
        customer_api.post(BOOKINGS, payload(showtime, "A1"), HTTP_IDEMPOTENCY_KEY="k" * 256),
        400,
        "validation_error",
    )
    assert "Idempotency-Key" in err["details"]


def test_lists_show_own_bookings_and_staff_see_all(customer, other_customer, staff_api, showtime):
    mine = BookingFactory(user=customer, showtime=showtime, seats=seat_ids(showtime, "A1"))
    theirs = BookingFactory(user=other_customer, showtime=showtime, seats=seat_ids(showtime, "A2"))
    assert [b["id"] for b in client_for(customer).get(BOOKINGS).json()["results"]] == [mine.pk]
    everyone = staff_api.get(BOOKINGS).json()["results"]
    assert {b["id"] for b in everyone} == {mine.pk, theirs.pk}
    only_theirs = staff_api.get(BOOKINGS, {"user": other_customer.pk}).json()["results"]
    assert [b["id"] for b in only_theirs] == [theirs.pk]
    # A customer cannot widen their view with ?user=.
    assert client_for(customer).get(BOOKINGS, {"user": other_customer.pk}).json()["results"] == []


def test_status_and_upcoming_filters(customer, customer_api):
    held = BookingFactory(user=customer)
    sold = BookingFactory(user=customer, confirmed=True)
    lapsed = BookingFactory(user=customer)
    Booking.objects.filter(pk=lapsed.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    past = BookingFactory(user=customer, confirmed=True)
    past.showtime.starts_at = timezone.now() - timedelta(days=2)
    past.showtime.save()

    def ids(**params):
        return {b["id"] for b in customer_api.get(BOOKINGS, params).json()["results"]}

    assert ids(status="PENDING") == {held.pk}
    assert ids(status="EXPIRED") == {lapsed.pk}
    assert ids(status="CONFIRMED") == {sold.pk, past.pk}
    assert ids(upcoming="true") == {held.pk, sold.pk, lapsed.pk}
    assert ids(upcoming="false") == {past.pk}
    assert customer_api.get(BOOKINGS, {"status": "LOST"}).status_code == 400
    lapsed_body = customer_api.get(f"{BOOKINGS}{lapsed.pk}/").json()
    assert lapsed_body["status"] == "EXPIRED"


@pytest.mark.parametrize("count", [1, 12])
def test_booking_list_takes_a_constant_number_of_queries(
    customer, django_assert_num_queries, count, settings
):
    settings.BOOKING_MAX_LIVE_HOLDS = count
    for _ in range(count):
        BookingFactory(user=customer, seats=None)
    client = client_for(customer)
    with django_assert_num_queries(5):  # user, count, page, tickets, payment summaries
        assert len(client.get(BOOKINGS).json()["results"]) == count


def test_cancel_frees_the_seats_at_once(customer, customer_api, other_customer, showtime):
    booking = BookingFactory(
        user=customer, showtime=showtime, seats=seat_ids(showtime, "A1"), confirmed=True
    )
    response = customer_api.post(f"{BOOKINGS}{booking.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    assert client_for(other_customer).post(BOOKINGS, payload(showtime, "A1")).status_code == 201
    error(customer_api.post(f"{BOOKINGS}{booking.pk}/cancel/"), 409, "booking_not_cancellable")


def test_delete_cancels_too(customer, customer_api, showtime):
    booking = BookingFactory(user=customer, showtime=showtime)
    assert customer_api.delete(f"{BOOKINGS}{booking.pk}/").status_code == 204
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED


def test_customers_cannot_cancel_after_the_cutoff(customer, customer_api, staff_api):
    soon = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=30))
    booking = BookingFactory(user=customer, showtime=soon, confirmed=True)
    error(customer_api.post(f"{BOOKINGS}{booking.pk}/cancel/"), 409, "cancellation_window_closed")
    assert staff_api.post(f"{BOOKINGS}{booking.pk}/cancel/").status_code == 200


def test_seat_map_shows_status_prices_and_counts(api_client, customer, other_customer, showtime):
    BookingFactory(user=customer, showtime=showtime, seats=seat_ids(showtime, "A1"), confirmed=True)
    BookingFactory(user=other_customer, showtime=showtime, seats=seat_ids(showtime, "A2", "B1"))
    lapsed = BookingFactory(showtime=showtime, seats=seat_ids(showtime, "A3"))
    SeatClaim.objects.filter(booking=lapsed).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    body = api_client.get(f"/api/v1/showtimes/{showtime.pk}/seats/").json()
    states = {
        f"{s['row']}{s['number']}": (s["status"], s["price"], s["type"]) for s in body["seats"]
    }
    assert states["A1"] == ("sold", "10.00", "STANDARD")
    assert states["A2"] == ("held", "10.00", "STANDARD")
    assert states["B1"] == ("held", "13.00", "VIP")
    assert states["A3"] == ("available", "10.00", "STANDARD")
    assert body["counts"] == {"available": 5, "held": 2, "sold": 1}
    assert body["showtime"]["id"] == showtime.pk
    assert body["seats"][0]["position"] == {"x": 0, "y": 0}

    listed = api_client.get("/api/v1/showtimes/", {"hall": showtime.hall_id}).json()["results"]
    assert listed[0]["seats_available"] == 5
    assert api_client.get("/api/v1/showtimes/999999/seats/").status_code == 404


def test_seat_map_money_has_two_decimals_whatever_the_database_answers(api_client):
    # SQLite hands a decimal column back as it stored it (13.5); MariaDB as declared (13.50).
    assert money_text(Decimal("13.5")) == money_text(13.5) == money_text("13.50") == "13.50"
    showtime = ShowtimeFactory(base_price=Decimal("13.5"))
    body = api_client.get(f"/api/v1/showtimes/{showtime.pk}/seats/").json()
    assert body["showtime"]["base_price"] == "13.50"
    assert {seat["price"] for seat in body["seats"]} == {"13.50", "16.50"}


@pytest.mark.parametrize("layout", [layout_of(1, 4), layout_of(25, 20)])
def test_seat_map_takes_three_queries_whatever_the_hall(
    api_client, django_assert_num_queries, layout
):
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout))
    BookingFactory(showtime=showtime, confirmed=True)
    url = f"/api/v1/showtimes/{showtime.pk}/seats/"
    with django_assert_num_queries(4):  # the hall's seats, the first time in this process
        api_client.get(url)
    BookingFactory(showtime=showtime, seats=[showtime.hall.seats.get(row="A", number=2).pk])
    with django_assert_num_queries(3):  # showtime, price rules, live claims: a new version
        body = api_client.get(url).json()
    assert len(body["seats"]) == sum(row["seats"] for row in layout["rows"])
    assert body["counts"] == {"available": len(body["seats"]) - 2, "held": 1, "sold": 1}
    with django_assert_num_queries(1):  # showtime: the map rendered for it stands
        assert api_client.get(url).json() == body


def test_seat_map_follows_a_new_layout(api_client, admin_api):
    showtime = ShowtimeFactory()
    url = f"/api/v1/showtimes/{showtime.pk}/seats/"
    assert len(api_client.get(url).json()["seats"]) == 8
    admin_api.patch(f"/api/v1/halls/{showtime.hall_id}/", {"layout": layout_of(2, 3)})
    seats = api_client.get(url).json()["seats"]
    assert len(seats) == 6
    assert {seat["id"] for seat in seats} == set(showtime.hall.seats.values_list("pk", flat=True))


def test_ticket_types(api_client):
    body = api_client.get("/api/v1/ticket-types/").json()
    assert [(t["code"], t["multiplier"]) for t in body] == [
        ("ADULT", "1.000"),
        ("CHILD", "0.700"),
        ("SENIOR", "0.800"),
        ("STUDENT", "0.850"),
    ]


def test_showtime_cancellation_endpoint(
    staff_api, customer, showtime, django_capture_on_commit_callbacks
):
    booking = BookingFactory(user=customer, showtime=showtime, confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(
            f"/api/v1/showtimes/{showtime.pk}/cancel/", {"reason": "Projector failure"}
        )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_reason) == (
        BookingStatus.CANCELLED,
        "Projector failure",
    )
    assert [m.to for m in mail.outbox] == [[customer.email]]
    error(staff_api.post(f"/api/v1/showtimes/{showtime.pk}/cancel/"), 400, "showtime_not_bookable")
    assert staff_api.post("/api/v1/showtimes/999999/cancel/").status_code == 404


def test_check_in_endpoint(staff_api, customer, showtime):
    booking = BookingFactory(user=customer, showtime=showtime, confirmed=True)
    code = booking.tickets.get().code
    response = staff_api.post("/api/v1/checkin/", {"code": code})
    assert response.status_code == 200
    body = response.json()
    assert body["checked_in_at"]
    assert (body["booking"], body["row"], body["number"]) == (booking.reference, "A", 1)
    assert body["showtime"]["id"] == showtime.pk
    error(staff_api.post("/api/v1/checkin/", {"code": code}), 409, "already_checked_in")
    error(staff_api.post("/api/v1/checkin/", {"code": "unknown"}), 404, "not_found")
    error(staff_api.post("/api/v1/checkin/", {}), 400, "validation_error")


def test_booked_showtimes_and_movies_cannot_be_deleted_or_moved(staff_api, showtime):
    BookingFactory(showtime=showtime)
    error(staff_api.delete(f"/api/v1/showtimes/{showtime.pk}/"), 409, "showtime_has_bookings")
    error(staff_api.delete(f"/api/v1/movies/{showtime.movie_id}/"), 409, "movie_has_bookings")
    later = (showtime.starts_at + timedelta(days=1)).isoformat()
    error(
        staff_api.patch(f"/api/v1/showtimes/{showtime.pk}/", {"starts_at": later}),
        409,
        "showtime_has_bookings",
    )
    error(
        staff_api.patch(f"/api/v1/showtimes/{showtime.pk}/", {"movie": MovieFactory().pk}),
        409,
        "showtime_has_bookings",
    )
    price = staff_api.patch(f"/api/v1/showtimes/{showtime.pk}/", {"base_price": "8.00"})
    assert price.status_code == 200
    same_time = staff_api.patch(
        f"/api/v1/showtimes/{showtime.pk}/", {"starts_at": showtime.starts_at.isoformat()}
    )
    assert same_time.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        (
            "get",
            lambda b: BOOKINGS,
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda b: f"{BOOKINGS}{b.pk}/",
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 404, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda b: f"{BOOKINGS}{b.pk}/cancel/",
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 404, "staff": 200, "admin": 200},
        ),
        (
            "delete",
            lambda b: f"{BOOKINGS}{b.pk}/",
            None,
            {"anonymous": 401, "customer": 204, "other_customer": 404, "staff": 204, "admin": 204},
        ),
        (
            "patch",
            lambda b: f"{BOOKINGS}{b.pk}/",
            {"total": "0.00"},
            {"anonymous": 401, "customer": 405, "other_customer": 405, "staff": 405, "admin": 405},
        ),
        (
            "post",
            lambda b: BOOKINGS,
            lambda b: {
                "showtime": b.showtime_id,
                "seats": [{"seat": b.showtime.hall.seats.last().pk}],
            },
            {"anonymous": 401, "customer": 201, "other_customer": 201, "staff": 201, "admin": 201},
        ),
        (
            "get",
            lambda b: f"/api/v1/showtimes/{b.showtime_id}/seats/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda b: "/api/v1/ticket-types/",
            None,
            {"anonymous": 200, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda b: f"/api/v1/showtimes/{b.showtime_id}/cancel/",
            None,
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda b: "/api/v1/checkin/",
            lambda b: {"code": b.tickets.get().code},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda b: f"/api/v1/bookings/{b.pk}/tickets.html",
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 404, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda b: f"/api/v1/bookings/{b.pk}/calendar.ics",
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 404, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda b: f"/api/v1/bookings/{b.pk}/resend/",
            None,
            {"anonymous": 401, "customer": 202, "other_customer": 404, "staff": 202, "admin": 202},
        ),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(users, role, method, path, body, expected):
    booking = BookingFactory(user=users["customer"], confirmed=True)
    matrix_cell(users, role, method, path, body, expected, subject=booking)

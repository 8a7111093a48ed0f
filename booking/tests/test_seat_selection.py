"""Seat selection through the API and the service: best available, the single-seat-gap rule,
wheelchair spaces and their companions, and staff overriding the rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking import services
from booking.models import Booking, SeatClaim
from booking.services.seating import PICK_ATTEMPTS
from core.testing import ROLES, matrix_cell
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

from .factories import BookingFactory

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"

# Row A: eight seats, no aisle. Row B: a wheelchair space at each end, each with its companion
# seat beside it, and four seats between; an aisle after B4.
ACCESSIBLE_LAYOUT = {
    "rows": [
        {"label": "A", "seats": 8},
        {
            "label": "B",
            "seats": 8,
            "aisles_after": [4],
            "wheelchair": [1, 8],
            "companions": [{"seat": 2, "pair": 1}, {"seat": 7, "pair": 8}],
        },
    ]
}


@pytest.fixture
def showtime():
    return ShowtimeFactory(hall=HallFactory(layout=ACCESSIBLE_LAYOUT))


def seat(showtime, label: str) -> int:
    return showtime.hall.seats.get(row=label[0], number=int(label[1:])).pk


def body(showtime, *labels, **extra) -> dict:
    return {
        "showtime": showtime.pk,
        "seats": [{"seat": seat(showtime, s)} for s in labels],
        **extra,
    }


def held(showtime, *labels, user=None):
    """Seats held by someone else (the rules checked; these holds make no gap)."""
    kwargs = {"user": user} if user else {}
    return BookingFactory(showtime=showtime, seats=[seat(showtime, s) for s in labels], **kwargs)


def labels_of(response) -> list[str]:
    return [f"{t['row']}{t['number']}" for t in response.json()["tickets"]]


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


# The single-seat-gap rule


def test_a_hold_leaving_a_seat_alone_is_400_naming_it_with_a_suggestion(customer_api, showtime):
    held(showtime, "A1")
    err = error(customer_api.post(BOOKINGS, body(showtime, "A3", "A4")), 400, "single_seat_gap")
    assert err["details"] == {
        "seat": seat(showtime, "A2"),
        "suggestion": [seat(showtime, "A2"), seat(showtime, "A3")],
    }
    assert "A2 would be left on its own" in err["message"]
    assert SeatClaim.objects.count() == 1
    assert customer_api.post(BOOKINGS, body(showtime, "A2", "A3")).status_code == 201


def test_the_row_end_and_an_aisle_count_as_a_taken_seat(customer_api, showtime, settings):
    settings.ACCESSIBLE_RELEASE_MINUTES = 0  # row B's spaces on general sale: ordinary seats
    error(customer_api.post(BOOKINGS, body(showtime, "A2")), 400, "single_seat_gap")
    error(customer_api.post(BOOKINGS, body(showtime, "B3")), 400, "single_seat_gap")  # B4|aisle
    assert customer_api.post(BOOKINGS, body(showtime, "B3", "B4")).status_code == 201


def test_no_gap_rule_when_no_choice_of_that_size_in_the_row_avoids_it(customer_api, showtime):
    held(showtime, "A1", "A2", "A3")
    held(showtime, "A7", "A8")
    # Three seats left, A4-A6: any one or two of them leave one alone.
    assert customer_api.post(BOOKINGS, body(showtime, "A4", "A5")).status_code == 201


def test_no_gap_rule_past_the_percentage_sold(customer_api, showtime, settings):
    held(showtime, "A1")
    settings.SEAT_GAP_RULE_UNTIL_PERCENT = 5  # 1 of 16 seats held: 6 % sold
    assert customer_api.post(BOOKINGS, body(showtime, "A3", "A4")).status_code == 201


def test_no_gap_rule_when_switched_off(customer_api, showtime, settings):
    settings.SEAT_GAP_RULE = False
    assert customer_api.post(BOOKINGS, body(showtime, "A2")).status_code == 201


def test_a_gap_that_was_there_is_not_the_new_holds_doing(customer_api, showtime, settings):
    settings.SEAT_GAP_RULE = False
    held(showtime, "A2")  # leaves A1 alone, with the rule off
    settings.SEAT_GAP_RULE = True
    assert customer_api.post(BOOKINGS, body(showtime, "A3", "A4")).status_code == 201


def test_releasing_my_previous_hold_counts_before_the_rule(customer, customer_api, showtime):
    """The customer's previous hold for the showtime is released first, under the same locks:
    moving from A1-A2 to A2-A3 is judged on the row without A1-A2."""
    held(showtime, "A1", "A2", user=customer)
    error(customer_api.post(BOOKINGS, body(showtime, "A2", "A3")), 400, "single_seat_gap")
    assert customer_api.post(BOOKINGS, body(showtime, "A1", "A2", "A3")).status_code == 201


# Wheelchair spaces and companions


def test_companion_seats_sell_with_their_wheelchair_space(customer_api, showtime):
    err = error(
        customer_api.post(BOOKINGS, body(showtime, "B2", "B3")),
        400,
        "seat_reserved_for_accessibility",
    )
    assert err["details"] == {"seats": [seat(showtime, "B2")]}
    error(
        customer_api.post(BOOKINGS, body(showtime, "B7", "B1")),
        400,
        "seat_reserved_for_accessibility",
    )
    response = customer_api.post(BOOKINGS, body(showtime, "B1", "B2"))
    assert response.status_code == 201, response.content
    assert [t["seat_type"] for t in response.json()["tickets"]] == ["WHEELCHAIR", "COMPANION"]


def test_a_wheelchair_space_alone_is_an_accessible_booking(customer_api, showtime):
    assert customer_api.post(BOOKINGS, body(showtime, "B8")).status_code == 201


def test_held_back_seats_are_on_general_sale_near_the_show(customer_api, settings):
    settings.ACCESSIBLE_RELEASE_MINUTES = 60
    soon = ShowtimeFactory(
        hall=HallFactory(layout=ACCESSIBLE_LAYOUT),
        starts_at=timezone.now() + timedelta(minutes=59),
    )
    assert customer_api.post(BOOKINGS, body(soon, "B2", "B3", "B4")).status_code == 201


def test_the_seat_map_says_what_is_held_back_until_when_and_pairs(api_client, showtime, settings):
    settings.ACCESSIBLE_RELEASE_MINUTES = 60
    seats = {
        f"{s['row']}{s['number']}": s
        for s in api_client.get(f"/api/v1/showtimes/{showtime.pk}/seats/").json()["seats"]
    }
    release = timezone.datetime.fromisoformat(seats["B1"]["held_back_until"])
    assert release == showtime.starts_at.replace(microsecond=release.microsecond) - timedelta(
        minutes=60
    )
    assert seats["B2"]["held_back_until"] == seats["B1"]["held_back_until"]
    assert seats["B3"]["held_back_until"] is None
    assert (seats["B2"]["pair"], seats["B7"]["pair"]) == (
        seat(showtime, "B1"),
        seat(showtime, "B8"),
    )
    assert seats["A1"]["pair"] is None
    settings.ACCESSIBLE_RELEASE_MINUTES = 60 * 24 * 2  # the release is past
    again = api_client.get(f"/api/v1/showtimes/{showtime.pk}/seats/").json()["seats"]
    assert {s["held_back_until"] for s in again} == {None}


# Best available


def test_quantity_holds_the_best_block(customer_api):
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(4, 10)))
    response = customer_api.post(BOOKINGS, {"showtime": showtime.pk, "quantity": 2})
    assert response.status_code == 201, response.content
    assert labels_of(response) == ["C5", "C6"]  # the centre, two thirds back
    again = customer_api.post(
        BOOKINGS, {"showtime": showtime.pk, "quantity": 3, "ticket_types": {"CHILD": 1}}
    )
    # The first hold was released (one pending booking per showtime): the centre again.
    assert labels_of(again) == ["C4", "C5", "C6"]
    assert sorted(t["ticket_type"] for t in again.json()["tickets"]) == ["ADULT", "ADULT", "CHILD"]


def test_quantity_keeps_to_a_seat_type(customer_api):
    showtime = ShowtimeFactory()  # row A standard, row B VIP
    response = customer_api.post(
        BOOKINGS, {"showtime": showtime.pk, "quantity": 2, "seat_type": "VIP"}
    )
    assert {t["seat_type"] for t in response.json()["tickets"]} == {"VIP"}


def test_quantity_accessible_holds_a_wheelchair_space_with_its_companion(customer_api, showtime):
    response = customer_api.post(
        BOOKINGS, {"showtime": showtime.pk, "quantity": 2, "accessible": True}
    )
    assert response.status_code == 201, response.content
    assert labels_of(response) in (["B1", "B2"], ["B7", "B8"])


def test_quantity_never_offers_held_back_seats_to_others(customer_api, showtime):
    held(showtime, "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8")
    response = customer_api.post(BOOKINGS, {"showtime": showtime.pk, "quantity": 4})
    assert labels_of(response) == ["B3", "B4", "B5", "B6"]
    err = error(
        customer_api.post(BOOKINGS, {"showtime": showtime.pk, "quantity": 5}),
        409,
        "seats_unavailable",
    )
    assert err["details"] == {"available": 4, "quantity": 5}


def test_quantity_split_when_no_block_is_left(customer_api):
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 5)))
    held(showtime, "A3")
    held(showtime, "B3")
    response = customer_api.post(BOOKINGS, {"showtime": showtime.pk, "quantity": 4})
    assert response.status_code == 201
    assert labels_of(response) in (["A1", "A2", "A4", "A5"], ["B1", "B2", "B4", "B5"])


def test_best_seats_proposes_without_holding(api_client, showtime):
    url = f"/api/v1/showtimes/{showtime.pk}/best-seats/"
    response = api_client.get(url, {"quantity": 3})
    assert response.status_code == 200, response.content
    assert response.json() == {  # centre, two thirds back: between the rows, nearer row B
        "seats": [seat(showtime, s) for s in ("A4", "A5", "A6")],
        "labels": ["A4", "A5", "A6"],
        "together": True,
    }
    assert not SeatClaim.objects.exists()
    accessible = api_client.get(url, {"quantity": 2, "accessible": "true"}).json()
    assert accessible["labels"] in (["B1", "B2"], ["B7", "B8"])
    # Eight: row A; once A4 is held, seven are left in no block: a split, held-back seats out.
    assert api_client.get(url, {"quantity": 8}).json()["labels"] == [f"A{n}" for n in range(1, 9)]
    held(showtime, "A4")
    split = api_client.get(url, {"quantity": 7}).json()
    assert (split["together"], len(split["seats"])) == (False, 7)
    assert not {"B1", "B2", "B7", "B8"} & set(split["labels"])
    held(showtime, "A1", "A2", "A3")
    error(api_client.get(url, {"quantity": 9}), 409, "seats_unavailable")


def test_best_seats_takes_two_queries(api_client, showtime, django_assert_num_queries):
    url = f"/api/v1/showtimes/{showtime.pk}/best-seats/"
    with django_assert_num_queries(4):  # + the hall's plan, the first time in this process
        api_client.get(url, {"quantity": 2})
    with django_assert_num_queries(2):  # showtime, live claims
        assert api_client.get(url, {"quantity": 2}).status_code == 200


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"quantity": 0}, 400, "validation_error"),
        ({"quantity": 11}, 400, "validation_error"),
        ({}, 400, "validation_error"),
        ({"quantity": "two"}, 400, "validation_error"),
        ({"quantity": 2, "seat_type": "SOFA"}, 400, "validation_error"),
        ({"quantity": 2, "seat_type": "VIP", "accessible": "true"}, 400, "validation_error"),
    ],
)
def test_best_seats_bad_input(api_client, showtime, params, status, code):
    error(api_client.get(f"/api/v1/showtimes/{showtime.pk}/best-seats/", params), status, code)


def test_best_seats_of_no_showtime_or_a_past_one(api_client):
    error(api_client.get("/api/v1/showtimes/999999/best-seats/", {"quantity": 1}), 404, "not_found")
    past = ShowtimeFactory(past=True)
    error(
        api_client.get(f"/api/v1/showtimes/{past.pk}/best-seats/", {"quantity": 1}),
        400,
        "showtime_not_bookable",
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 11}, "quantity"),
        ({"quantity": 2, "seats": [{"seat": 1}]}, "quantity"),
        ({"quantity": 2, "ticket_types": {"CHILD": 3}}, "ticket_types"),
        ({"quantity": 2, "ticket_types": {"PIRATE": 1}}, "ticket_types"),
        ({"quantity": 2, "ticket_types": {"CHILD": -1}}, "ticket_types"),
        ({"quantity": 2, "seat_type": "WHEELCHAIR"}, "seat_type"),
        ({"quantity": 2, "seat_type": "VIP", "accessible": True}, "seat_type"),
        ({"quantity": True}, "quantity"),
    ],
)
def test_bad_quantities_are_400_and_hold_nothing(customer_api, showtime, settings, extra, field):
    settings.BOOKING_MAX_SEATS = 10
    err = error(
        customer_api.post(BOOKINGS, {"showtime": showtime.pk, **extra}, format="json"),
        400,
        "validation_error",
    )
    assert field in err["details"]
    assert not Booking.objects.exists()


def test_best_available_starts_again_when_its_snapshot_was_stale(customer, monkeypatch):
    """The snapshot says the hall is empty; row B, the best, is in fact full. Each attempt locks
    row B, finds it full and starts again; the last one locks the whole hall and gets row C
    (not its middle two: they would leave C1 and C4 alone)."""
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(3, 4)))
    held(showtime, "B1", "B2", "B3", "B4")
    snapshots = []

    def stale(showtime_id, now):
        snapshots.append(showtime_id)
        return set()

    monkeypatch.setattr("booking.services.seating.seats_taken", stale)
    booking = services.booking_create(
        user=customer, showtime_id=showtime.pk, pick=services.SeatPick(quantity=2)
    )
    assert len(snapshots) == PICK_ATTEMPTS
    assert sorted(t.seat.label for t in booking.tickets.all()) in (["C1", "C2"], ["C3", "C4"])


def test_holds_take_a_fixed_number_of_queries(customer, showtime, django_assert_num_queries):
    a1, a2 = seat(showtime, "A1"), seat(showtime, "A2")
    services.booking_create(  # the hall's plan is read once per process
        user=customer, showtime_id=showtime.pk, seats=[services.SeatRequest(a1)]
    )
    # price rules, the customer (lock), showtime (share-locked and read), the customer's live holds
    # and pending one for the showtime (read), that pending booking (lock, read), the previous
    # hold's claims (read, delete, their seats logged as changed) and cancellation, row A's seats
    # with their claims (lock), booking; its tickets, claims and the seats logged as changed (one
    # trip); and in a test, the service's transaction is a savepoint (two more)
    with django_assert_num_queries(15):
        services.booking_create(
            user=customer,
            showtime_id=showtime.pk,
            seats=[services.SeatRequest(a1), services.SeatRequest(a2)],
        )
    # ... and best available: + the snapshot of the claims
    with django_assert_num_queries(16):
        services.booking_create(
            user=customer, showtime_id=showtime.pk, pick=services.SeatPick(quantity=2)
        )


# Staff override


def test_staff_override_the_rules_and_it_is_recorded(staff, staff_api, showtime):
    held(showtime, "A1")
    response = staff_api.post(BOOKINGS, body(showtime, "A3", "B2", rules_override=True))
    assert response.status_code == 201, response.content
    booking = response.json()
    assert booking["rules_overridden"] == ["seat_reserved_for_accessibility", "single_seat_gap"]
    assert booking["rules_overridden_by"] == staff.pk
    record = Booking.objects.get(pk=booking["id"])
    assert (record.rules_overridden_by, record.rules_overridden) == (
        staff,
        "seat_reserved_for_accessibility,single_seat_gap",
    )
    # Nothing to override: nothing recorded.
    plain = staff_api.post(BOOKINGS, body(showtime, "A4", "A5", "A6", rules_override=True))
    assert (plain.json()["rules_overridden"], plain.json()["rules_overridden_by"]) == ([], None)


def test_the_service_refuses_an_override_by_a_customer(customer, showtime):
    from booking.exceptions import RulesOverrideForbidden

    with pytest.raises(RulesOverrideForbidden):
        services.booking_create(
            user=customer,
            showtime_id=showtime.pk,
            seats=[services.SeatRequest(seat(showtime, "A2"))],
            rules_override=True,
        )


@pytest.mark.parametrize(
    ("make_body", "expected"),
    [
        (  # leaves A1 alone: only staff may
            lambda s: body(s, "A2", rules_override=True),
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 201, "admin": 201},
        ),
        (  # a companion seat without its wheelchair space: only staff may
            lambda s: body(s, "B2", "B3", "B4", rules_override=True),
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 201, "admin": 201},
        ),
        (  # the same, without asking to override: refused for everyone
            lambda s: body(s, "A2"),
            {"anonymous": 401, "customer": 400, "other_customer": 400, "staff": 400, "admin": 400},
        ),
        (  # asking to override where there is nothing to override: still staff only
            lambda s: body(s, "A1", "A2", rules_override=True),
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 201, "admin": 201},
        ),
        (
            lambda s: {"showtime": s.pk, "quantity": 2},
            {"anonymous": 401, "customer": 201, "other_customer": 201, "staff": 201, "admin": 201},
        ),
        (
            lambda s: {"showtime": s.pk, "quantity": 2, "accessible": True, "rules_override": True},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 201, "admin": 201},
        ),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_override_authorization_matrix(users, role, showtime, make_body, expected):
    matrix_cell(
        users,
        role,
        "post",
        lambda s: BOOKINGS,
        make_body,
        expected,
        subject=showtime,
        format="json",
    )


@pytest.mark.parametrize("role", ROLES)
def test_best_seats_is_open_to_everyone(users, role, showtime):
    matrix_cell(
        users,
        role,
        "get",
        lambda s: f"/api/v1/showtimes/{s.pk}/best-seats/?quantity=2",
        None,
        dict.fromkeys(ROLES, 200),
        subject=showtime,
    )

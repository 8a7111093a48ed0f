from decimal import Decimal

import pytest

from booking.models import Booking, BookingStatus
from core.testing import ROLES, matrix_cell
from payments.models import Payment
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

pytestmark = pytest.mark.django_db

SALES = "/api/v1/box-office/sales/"


@pytest.fixture
def showtime():
    return ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 10)), base_price=Decimal("12.00"))


def seat_ids(showtime, count=2, offset=0) -> list[int]:
    ids = showtime.hall.seats.order_by("pk").values_list("pk", flat=True)
    return list(ids[offset : offset + count])


def cash_sale(showtime, ids, tendered="50.00", **extra) -> dict:
    return {
        "showtime": showtime.pk,
        "seats": [{"seat": pk} for pk in ids],
        "payment": {"method": "CASH", "tendered": tendered},
        **extra,
    }


@pytest.mark.parametrize("role", ROLES)
def test_staff_and_administrators_sell_at_the_counter(users, role, showtime):
    offset = ROLES.index(role) * 2
    matrix_cell(
        users,
        role,
        "post",
        lambda st: SALES,
        lambda st: cash_sale(st, seat_ids(st, 2, offset)),
        {
            "anonymous": 401,
            "customer": 403,
            "other_customer": 403,
            "staff": 201,
            "admin": 201,
        },
        subject=showtime,
        format="json",
    )


def test_a_cash_sale_answers_the_confirmed_booking_with_tickets_and_change(
    staff_api, staff, showtime
):
    response = staff_api.post(
        SALES,
        cash_sale(
            showtime,
            seat_ids(showtime),
            tendered="30.00",
            customer_email="walk.in@example.com",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["total"], body["change"]) == ("CONFIRMED", "24.00", "6.00")
    assert (body["sold_by"], body["customer_email"]) == (staff.pk, "walk.in@example.com")
    assert [bool(t["code"]) for t in body["tickets"]] == [True, True]
    assert (body["payment"]["method"], body["payment"]["status"]) == ("CASH", "SUCCEEDED")


def test_a_card_on_the_terminal(staff_api, showtime):
    response = staff_api.post(
        SALES,
        {
            "showtime": showtime.pk,
            "seats": [{"seat": pk, "ticket_type": "SENIOR"} for pk in seat_ids(showtime)],
            "payment": {"method": "CARD_PRESENT"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total"], body["change"], body["payment"]["method"]) == (
        "19.20",
        None,
        "CARD_PRESENT",
    )


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        ({"method": "CASH"}, "tendered"),
        ({"method": "CARD_PRESENT", "tendered": "10.00"}, "tendered"),
        ({"method": "CARD"}, "method"),
        ({"method": "CASH", "tendered": "-1"}, "tendered"),
        ({"method": "CASH", "tendered": "lots"}, "tendered"),
        ("cash", "non_field_errors"),
    ],
)
def test_bad_payments_are_400_in_the_envelope(staff_api, showtime, payment, field):
    body = {"showtime": showtime.pk, "seats": [{"seat": seat_ids(showtime)[0]}], "payment": payment}
    response = staff_api.post(SALES, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]["payment"]
    assert not Booking.objects.exists()


def test_refusals_are_4xx_and_sell_nothing(staff_api, showtime):
    ids = seat_ids(showtime)
    short = staff_api.post(SALES, cash_sale(showtime, ids, tendered="23.99"), format="json")
    assert short.status_code == 400
    assert short.json()["error"]["details"] == {"tendered": ["Less than the total of 24.00 USD."]}

    assert staff_api.post(SALES, cash_sale(showtime, ids), format="json").status_code == 201
    again = staff_api.post(SALES, cash_sale(showtime, ids), format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "seats_unavailable")
    assert again.json()["error"]["details"]["seats"] == ids

    other_hall = seat_ids(ShowtimeFactory())
    foreign = staff_api.post(SALES, cash_sale(showtime, other_hall), format="json")
    assert foreign.status_code == 400
    missing = staff_api.post(SALES, cash_sale(showtime, [999999]), format="json")
    assert missing.status_code == 400
    past = ShowtimeFactory(past=True)
    started = staff_api.post(SALES, cash_sale(past, seat_ids(past, 1)), format="json")
    assert (started.status_code, started.json()["error"]["code"]) == (400, "showtime_not_bookable")
    nowhere = staff_api.post(SALES, cash_sale(showtime, ids) | {"showtime": 999999}, format="json")
    assert nowhere.status_code == 400
    bad_email = staff_api.post(
        SALES, cash_sale(showtime, seat_ids(showtime, 1, 5), customer_email="nope"), format="json"
    )
    assert bad_email.status_code == 400
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1
    assert Payment.objects.count() == 1

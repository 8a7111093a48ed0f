from decimal import Decimal

import pytest

from core.testing import ROLES, client_for, matrix_cell
from payments.models import Payment, PaymentStatus, Refund, SavedCard

from .helpers import DECLINED, card, held_booking, pay

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"
CARDS = "/api/v1/users/me/cards/"


@pytest.fixture
def paid(customer, customer_api) -> Payment:
    assert pay(customer_api, held_booking(customer, price="20.00")).status_code == 200
    return Payment.objects.get()


def test_payments_are_listed_for_their_owner_and_administrators(
    paid, customer_api, admin_api, other_customer
):
    mine = customer_api.get(PAYMENTS).json()["results"]
    assert [p["id"] for p in mine] == [paid.pk]
    assert mine[0]["booking_reference"] == paid.booking.reference
    assert client_for(other_customer).get(PAYMENTS).json()["results"] == []
    assert [p["id"] for p in admin_api.get(PAYMENTS).json()["results"]] == [paid.pk]
    assert client_for(other_customer).get(f"{PAYMENTS}{paid.pk}/").status_code == 404
    assert customer_api.get(PAYMENTS, {"status": "SUCCEEDED"}).json()["count"] == 1
    assert customer_api.get(PAYMENTS, {"status": "NOPE"}).status_code == 400


def test_the_booking_filter_tells_nobody_which_bookings_exist(paid, other_customer):
    """Someone else's booking and a booking that does not exist look the same: an empty list."""
    theirs = client_for(other_customer)
    for booking in (paid.booking_id, 999999):
        response = theirs.get(PAYMENTS, {"booking": booking})
        assert (response.status_code, response.json()["count"]) == (200, 0)
    assert theirs.get(PAYMENTS, {"booking": "x"}).status_code == 400


def test_administrators_refund_in_part_then_in_full(paid, admin_api):
    partial = admin_api.post(
        f"{PAYMENTS}{paid.pk}/refund/", {"amount": "5.00", "reason": "Sound issues"}
    )
    assert partial.status_code == 200, partial.content
    body = partial.json()
    assert (body["status"], body["amount_refunded"]) == ("PARTIALLY_REFUNDED", "5.00")
    assert body["refunds"][0]["reason"] == "Sound issues"

    too_much = admin_api.post(f"{PAYMENTS}{paid.pk}/refund/", {"amount": "15.01"})
    assert too_much.status_code == 400
    assert "amount" in too_much.json()["error"]["details"]

    rest = admin_api.post(f"{PAYMENTS}{paid.pk}/refund/", {})
    assert (rest.json()["status"], rest.json()["amount_refunded"]) == ("REFUNDED", "20.00")
    assert sum(r.amount for r in Refund.objects.all()) == Decimal("20.00")
    done = admin_api.post(f"{PAYMENTS}{paid.pk}/refund/", {})
    assert done.json()["error"]["code"] == "payment_not_refundable"


def test_a_partial_refund_keeps_the_booking_and_shows_on_it(paid, admin_api, customer_api):
    admin_api.post(f"{PAYMENTS}{paid.pk}/refund/", {"amount": "5.00"})
    booking = customer_api.get(f"/api/v1/bookings/{paid.booking_id}/").json()
    assert booking["status"] == "CONFIRMED"
    assert booking["payment"]["status"] == "PARTIALLY_REFUNDED"
    assert booking["payment"]["amount_refunded"] == "5.00"


def test_a_full_refund_cancels_the_booking_and_voids_its_tickets(
    paid, admin_api, customer_api, staff_api, other_customer
):
    code = paid.booking.tickets.get().code
    assert admin_api.post(f"{PAYMENTS}{paid.pk}/refund/", {}).status_code == 200

    booking = customer_api.get(f"/api/v1/bookings/{paid.booking_id}/").json()
    assert booking["status"] == "CANCELLED"
    assert booking["payment"]["status"] == "REFUNDED"
    door = staff_api.post("/api/v1/checkin/", {"code": code})
    assert (door.status_code, door.json()["error"]["code"]) == (400, "booking_not_confirmed")
    seat = paid.booking.tickets.get().seat_id
    again = client_for(other_customer).post(
        "/api/v1/bookings/",
        {"showtime": paid.booking.showtime_id, "seats": [{"seat": seat}]},
    )
    assert again.status_code == 201, again.content


@pytest.mark.parametrize("amount", ["0", "-1", "abc", "1.234"])
def test_refund_amount_must_be_a_positive_sum_of_money(paid, admin_api, amount):
    response = admin_api.post(f"{PAYMENTS}{paid.pk}/refund/", {"amount": amount})
    assert response.status_code == 400
    assert "amount" in response.json()["error"]["details"]


def test_a_failed_payment_cannot_be_refunded(customer, customer_api, admin_api):
    pay(customer_api, held_booking(customer), card=card(DECLINED))
    failed = Payment.objects.get(status=PaymentStatus.FAILED)
    response = admin_api.post(f"{PAYMENTS}{failed.pk}/refund/", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_not_refundable"


def test_saved_cards(customer_api, other_customer):
    created = customer_api.post(CARDS, card())
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("brand", "last4", "exp_month", "exp_year", "holder_name")} == {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2031,
        "holder_name": "Cara Xu",
    }
    assert "number" not in body
    assert "cvc" not in body
    assert "token" not in body
    for _ in range(2):
        assert customer_api.post(CARDS, card("5555555555554444")).status_code == 201
    limit = customer_api.post(CARDS, card())
    assert limit.status_code == 409
    assert limit.json()["error"]["code"] == "card_limit_reached"
    assert [c["brand"] for c in customer_api.get(CARDS).json()] == [
        "visa",
        "mastercard",
        "mastercard",
    ]

    assert client_for(other_customer).delete(f"{CARDS}{body['id']}/").status_code == 404
    assert customer_api.delete(f"{CARDS}{body['id']}/").status_code == 204
    assert customer_api.delete(f"{CARDS}{body['id']}/").status_code == 404
    assert SavedCard.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": "4242424242424241"}, "number"),
        ({"exp_year": 2019}, "exp_year"),
        ({"cvc": "1"}, "cvc"),
        ({"holder_name": ""}, "holder_name"),
        ({"number": "378282246310005", "cvc": "123"}, "cvc"),
    ],
)
def test_bad_cards_are_not_saved(customer_api, overrides, field):
    response = customer_api.post(CARDS, card(**overrides))
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not SavedCard.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        (
            "get",
            lambda p: PAYMENTS,
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "get",
            lambda p: f"{PAYMENTS}{p.pk}/",
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 404, "staff": 404, "admin": 200},
        ),
        (
            "post",
            lambda p: f"{PAYMENTS}{p.pk}/refund/",
            {"amount": "1.00"},
            {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 200},
        ),
        (
            "get",
            lambda p: CARDS,
            None,
            {"anonymous": 401, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
        ),
        (
            "post",
            lambda p: CARDS,
            card(),
            {"anonymous": 401, "customer": 201, "other_customer": 201, "staff": 201, "admin": 201},
        ),
        (
            "post",
            lambda p: f"/api/v1/bookings/{p.booking_id}/pay/",
            {"card": card()},
            {"anonymous": 401, "customer": 409, "other_customer": 404, "staff": 404, "admin": 404},
        ),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(users, role, method, path, body, expected):
    assert pay(client_for(users["customer"]), held_booking(users["customer"])).status_code == 200
    payment = Payment.objects.get()
    matrix_cell(
        users, role, method, path, body, expected, subject=payment, HTTP_IDEMPOTENCY_KEY="k"
    )

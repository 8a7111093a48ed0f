"""`POST /promotions/validate/`: what a code would do for a signed-in customer, before a hold."""

from decimal import Decimal

import pytest

from booking import services as booking_services
from catalog.tests.factories import MovieFactory
from screening.tests.factories import HallFactory, ShowtimeFactory

from .factories import PromotionFactory
from .helpers import hold

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/promotions/validate/"


@pytest.fixture
def showtime():
    return ShowtimeFactory(base_price=Decimal("10.00"))


def seat(showtime, label: str, ticket_type: str = "ADULT") -> dict:
    pk = showtime.hall.seats.get(row=label[0], number=int(label[1:])).pk
    return {"seat": pk, "ticket_type": ticket_type}


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


def test_a_code_alone_answers_its_terms(customer_api):
    promotion = PromotionFactory(code="SPRING", value=Decimal("20"), description="20% off")
    response = customer_api.post(VALIDATE, {"code": " spring "})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "code": "SPRING",
        "discount_type": "PERCENT",
        "value": "20.00",
        "description": "20% off",
        "ends_at": response.json()["ends_at"],
        "discount": None,
        "subtotal": None,
        "fees": None,
        "tax": None,
        "total": None,
        "currency": "USD",
    }
    assert response.json()["ends_at"].startswith(promotion.ends_at.date().isoformat())


def test_with_seats_it_prices_them_as_a_hold_would(customer_api, showtime, settings):
    settings.BOOKING_FEE = Decimal("0.50")
    PromotionFactory(code="SPRING", value=Decimal("20"))
    response = customer_api.post(
        VALIDATE,
        {
            "code": "SPRING",
            "showtime": showtime.pk,
            "seats": [seat(showtime, "A1", "CHILD"), seat(showtime, "B2")],
        },
    )
    assert response.status_code == 200, response.content
    quote = response.json()
    # CHILD 7.00 + VIP 13.00 = 20.00; 20 % = 4.00; two fees of 0.50.
    assert (quote["subtotal"], quote["discount"], quote["fees"], quote["tax"], quote["total"]) == (
        "20.00",
        "4.00",
        "1.00",
        "0.00",
        "17.00",
    )


@pytest.mark.parametrize(
    ("promotion", "code"),
    [
        ({"code": "ELSE"}, "promotion_invalid"),
        ({"active": False}, "promotion_invalid"),
        ({"future": True}, "promotion_invalid"),
        ({"expired": True}, "promotion_expired"),
        ({"max_redemptions": 1}, "promotion_exhausted"),
        ({"per_user_limit": 1}, "promotion_not_applicable"),
        ({"min_total": Decimal("25.00")}, "promotion_not_applicable"),
        ({"ticket_types": ["SENIOR"]}, "promotion_not_applicable"),
    ],
)
def test_every_reason_a_code_fails_is_its_own_400(
    customer, customer_api, other_customer, showtime, promotion, code
):
    PromotionFactory(**{"code": "CODE", **promotion})
    if "max_redemptions" in promotion:
        hold(other_customer, ShowtimeFactory(), "CODE")
    if "per_user_limit" in promotion:
        hold(customer, ShowtimeFactory(), "CODE")
    err = error(
        customer_api.post(
            VALIDATE, {"code": "CODE", "showtime": showtime.pk, "seats": [seat(showtime, "A1")]}
        ),
        400,
        code,
    )
    assert err["message"]


def test_another_movie_is_not_applicable_with_or_without_seats(customer_api, showtime):
    PromotionFactory(code="DUNE", movies=[MovieFactory()])
    err = error(
        customer_api.post(VALIDATE, {"code": "DUNE", "showtime": showtime.pk}),
        400,
        "promotion_not_applicable",
    )
    assert err["message"] == "This promo code is not valid for this movie."
    assert customer_api.post(VALIDATE, {"code": "DUNE"}).status_code == 200


def test_a_first_booking_code_for_someone_who_booked_before(customer, customer_api):
    PromotionFactory(code="WELCOME", first_booking_only=True)
    assert customer_api.post(VALIDATE, {"code": "WELCOME"}).status_code == 200
    booking_services.booking_confirm(booking_id=hold(customer, ShowtimeFactory()).pk)
    error(customer_api.post(VALIDATE, {"code": "WELCOME"}), 400, "promotion_not_applicable")


def test_a_spent_budget_is_exhausted_even_without_seats(customer_api, other_customer):
    PromotionFactory(code="POT", fixed=True, value=Decimal("10.00"), max_discount_total=10)
    hold(other_customer, ShowtimeFactory(), "POT")
    error(customer_api.post(VALIDATE, {"code": "POT"}), 400, "promotion_exhausted")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "code"),
        ({"code": ""}, "code"),
        ({"code": "X" * 41}, "code"),
        ({"code": "CODE", "showtime": 999999}, "showtime"),
        ({"code": "CODE", "showtime": "x"}, "showtime"),
        ({"code": "CODE", "seats": "SEATS"}, "seats"),
        ({"code": "CODE", "seats": [{"seat": 1}]}, "showtime"),
        ({"code": "CODE", "seats": []}, "showtime"),
        ("other hall", "seats"),
        ("repeated", "seats"),
        ("bad ticket type", "seats"),
    ],
)
def test_bad_input_is_400(customer_api, showtime, payload, field):
    PromotionFactory(code="CODE")
    own = seat(showtime, "A1")
    named = {
        "other hall": {
            "code": "CODE",
            "showtime": showtime.pk,
            "seats": [{"seat": HallFactory().seats.first().pk}],
        },
        "repeated": {"code": "CODE", "showtime": showtime.pk, "seats": [own, own]},
        "bad ticket type": {
            "code": "CODE",
            "showtime": showtime.pk,
            "seats": [{**own, "ticket_type": "VIP"}],
        },
    }
    payload = named[payload] if isinstance(payload, str) else payload
    err = error(customer_api.post(VALIDATE, payload), 400, "validation_error")
    assert field in err["details"], err


def test_validate_takes_a_constant_number_of_queries(
    customer_api, customer, showtime, django_assert_num_queries
):
    PromotionFactory(code="CODE", max_redemptions=100, movies=[showtime.movie])
    body = {
        "code": "CODE",
        "showtime": showtime.pk,
        "seats": [seat(showtime, label) for label in ("A1", "A2", "A3", "B1", "B2")],
    }
    # user, promotion, showtime, price rules, seats, the promotion's movies, its uses
    with django_assert_num_queries(7):
        response = customer_api.post(VALIDATE, body)
    assert response.json()["discount"] == "5.60"  # 10 % of 3 x 10.00 + 2 x 13.00
    with django_assert_num_queries(3):  # user, promotion, its uses
        customer_api.post(VALIDATE, {"code": "CODE"})

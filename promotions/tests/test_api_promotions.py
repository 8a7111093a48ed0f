"""`/promotions/`: administrators create, list, change and delete promo codes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import MovieFactory
from core.testing import ROLES, matrix_cell
from promotions.models import Promotion
from screening.tests.factories import ShowtimeFactory

from .factories import PromotionFactory
from .helpers import hold

pytestmark = pytest.mark.django_db

PROMOTIONS = "/api/v1/promotions/"


def detail(promotion) -> str:
    return f"{PROMOTIONS}{promotion.pk}/"


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


def body(**extra) -> dict:
    now = timezone.now()
    return {
        "code": "summer25",
        "description": "25% off all summer",
        "discount_type": "PERCENT",
        "value": "25.00",
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=30)).isoformat(),
        **extra,
    }


ADMIN_ONLY = {
    "anonymous": 401,
    "customer": 403,
    "other_customer": 403,
    "staff": 403,
    "admin": None,  # the row's own success status
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "payload", "success"),
    [
        ("get", lambda p: PROMOTIONS, None, 200),
        ("post", lambda p: PROMOTIONS, lambda p: body(), 201),
        ("get", detail, None, 200),
        ("patch", detail, {"description": "New words"}, 200),
        ("delete", detail, None, 204),
        ("post", lambda p: f"{detail(p)}send/", None, 202),
    ],
)
def test_promotions_are_for_administrators_only(users, role, method, path, payload, success):
    expected = {**ADMIN_ONLY, "admin": success}
    matrix_cell(users, role, method, path, payload, expected, subject=PromotionFactory())


@pytest.mark.parametrize("role", ROLES)
def test_validate_is_for_every_signed_in_user(users, role):
    promotion = PromotionFactory(code="HELLO")
    expected = {
        "anonymous": 401,
        "customer": 200,
        "other_customer": 200,
        "staff": 200,
        "admin": 200,
    }
    matrix_cell(
        users,
        role,
        "post",
        lambda p: f"{PROMOTIONS}validate/",
        {"code": "hello"},
        expected,
        subject=promotion,
    )


def test_create_stores_the_code_in_capitals_and_answers_every_field(admin_api):
    movie = MovieFactory()
    response = admin_api.post(
        PROMOTIONS,
        body(
            movies=[movie.pk],
            ticket_types=["STUDENT", "CHILD"],
            max_redemptions=100,
            per_user_limit=2,
            min_total="15.00",
            max_discount_total="500.00",
            first_booking_only=True,
            refund_restores_use=False,
        ),
    )
    assert response.status_code == 201, response.content
    promotion = response.json()
    assert promotion["code"] == "SUMMER25"
    assert (promotion["discount_type"], promotion["value"]) == ("PERCENT", "25.00")
    assert promotion["movies"] == [movie.pk]
    assert promotion["ticket_types"] == ["CHILD", "STUDENT"]
    assert (promotion["max_redemptions"], promotion["per_user_limit"]) == (100, 2)
    assert (promotion["min_total"], promotion["max_discount_total"]) == ("15.00", "500.00")
    assert (promotion["first_booking_only"], promotion["refund_restores_use"]) == (True, False)
    assert (promotion["active"], promotion["sent_at"]) == (True, None)
    assert (promotion["uses"], promotion["uses_left"], promotion["discount_total"]) == (
        0,
        100,
        "0.00",
    )


def test_codes_are_unique_whatever_their_case(admin_api):
    PromotionFactory(code="SUMMER25")
    err = error(admin_api.post(PROMOTIONS, body(code="Summer25")), 400, "validation_error")
    assert "code" in err["details"]
    assert Promotion.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"value": "-5.00"}, "value"),
        ({"value": "0"}, "value"),
        ({"value": "100.01"}, "value"),
        ({"discount_type": "FIXED", "value": "-1.00"}, "value"),
        ({"value": "123456789.00"}, "value"),
        ({"discount_type": "HALF"}, "discount_type"),
        ({"ends_at": (timezone.now() - timedelta(days=1)).isoformat()}, "ends_at"),
        ({"ends_at": "tomorrow"}, "ends_at"),
        ({"movies": [999999]}, "movies"),
        ({"ticket_types": ["VIP"]}, "ticket_types"),
        ({"ticket_types": "ADULT"}, "ticket_types"),
        ({"max_redemptions": 0}, "max_redemptions"),
        ({"max_redemptions": -3}, "max_redemptions"),
        ({"per_user_limit": 0}, "per_user_limit"),
        ({"min_total": "-1.00"}, "min_total"),
        ({"max_discount_total": "0.00"}, "max_discount_total"),
        ({"code": "two words"}, "code"),
        ({"code": ""}, "code"),
        ({"code": "X" * 41}, "code"),
        ({"description": None}, "description"),
    ],
)
def test_bad_input_is_400_naming_the_field(admin_api, extra, field):
    err = error(admin_api.post(PROMOTIONS, body(**extra)), 400, "validation_error")
    assert field in err["details"], err
    assert not Promotion.objects.exists()


def test_a_fixed_discount_may_exceed_100(admin_api):
    response = admin_api.post(PROMOTIONS, body(discount_type="FIXED", value="150.00"))
    assert response.status_code == 201, response.content


def test_patch_changes_only_what_it_names_and_checks_the_whole(admin_api):
    promotion = PromotionFactory(discount_type="FIXED", value=Decimal("150.00"))
    error(admin_api.patch(detail(promotion), {"discount_type": "PERCENT"}), 400, "validation_error")
    starts = promotion.starts_at - timedelta(days=1)
    err = error(
        admin_api.patch(detail(promotion), {"ends_at": starts.isoformat()}),
        400,
        "validation_error",
    )
    assert "ends_at" in err["details"]
    response = admin_api.patch(detail(promotion), {"active": False, "max_redemptions": 5})
    assert response.status_code == 200, response.content
    promotion.refresh_from_db()
    assert (promotion.active, promotion.max_redemptions, promotion.value) == (
        False,
        5,
        Decimal("150.00"),
    )


def test_put_is_not_offered(admin_api):
    promotion = PromotionFactory()
    assert admin_api.put(detail(promotion), body()).status_code == 405


def test_unknown_promotions_are_404(admin_api):
    assert admin_api.get(f"{PROMOTIONS}999999/").status_code == 404
    assert admin_api.patch(f"{PROMOTIONS}999999/", {"active": False}).status_code == 404
    assert admin_api.get(f"{PROMOTIONS}nope/").status_code == 404


def test_a_used_promotion_cannot_be_deleted_but_can_be_paused(admin_api, customer):
    promotion = PromotionFactory()
    hold(customer, ShowtimeFactory(), promotion.code)
    error(admin_api.delete(detail(promotion)), 409, "promotion_in_use")
    assert admin_api.patch(detail(promotion), {"active": False}).status_code == 200
    unused = PromotionFactory()
    assert admin_api.delete(detail(unused)).status_code == 204
    assert not Promotion.objects.filter(pk=unused.pk).exists()


def test_the_list_shows_uses_and_filters(admin_api, customer, other_customer):
    promotion = PromotionFactory(code="USED", max_redemptions=10, fixed=True)
    hold(customer, ShowtimeFactory(), "used")
    hold(other_customer, ShowtimeFactory(), "USED")
    PromotionFactory(code="PAUSED", active=False)
    listed = admin_api.get(PROMOTIONS, {"active": "true"}).json()
    assert [p["code"] for p in listed["results"]] == ["USED"]
    used = listed["results"][0]
    assert (used["id"], used["uses"], used["uses_left"], used["discount_total"]) == (
        promotion.pk,
        2,
        8,
        "10.00",
    )
    assert admin_api.get(PROMOTIONS, {"search": "paus"}).json()["count"] == 1


@pytest.mark.parametrize("count", [1, 8])
def test_the_list_takes_a_constant_number_of_queries(
    admin_api, admin, django_assert_num_queries, count
):
    movies = [MovieFactory(), MovieFactory()]
    for _ in range(count):
        PromotionFactory(movies=movies, max_redemptions=3)
    with django_assert_num_queries(4):  # user, count, page with uses, movies
        response = admin_api.get(PROMOTIONS)
    assert response.json()["count"] == count
    assert all(p["movies"] == sorted(m.pk for m in movies) for p in response.json()["results"])

"""Promo codes tried per customer are limited (THROTTLE_PROMO_CODE): validations, and holds
that carry a code; nothing else is slowed down."""

import pytest
from rest_framework.test import APIClient

from promotions.tests.factories import PromotionFactory
from screening.tests.factories import ShowtimeFactory

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/promotions/validate/"
BOOKINGS = "/api/v1/bookings/"


@pytest.fixture(autouse=True)
def three_a_minute(settings):
    settings.THROTTLE_PROMO_CODE = "3/min"


def throttled(response) -> bool:
    if response.status_code != 429:
        return False
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response
    return True


def test_a_customer_guessing_codes_is_stopped_and_another_is_not(customer_api, other_customer):
    guesses = [customer_api.post(VALIDATE, {"code": f"GUESS{i}"}) for i in range(4)]
    assert [r.status_code for r in guesses[:3]] == [400, 400, 400]
    assert throttled(guesses[3])

    PromotionFactory(code="SPRING")
    assert throttled(customer_api.post(VALIDATE, {"code": "SPRING"}))  # even the right one

    other = APIClient()
    other.force_authenticate(other_customer)
    assert other.post(VALIDATE, {"code": "SPRING"}).status_code == 200


def test_holds_count_only_when_they_carry_a_code(customer_api):
    showtime = ShowtimeFactory()
    for _ in range(3):
        assert customer_api.post(VALIDATE, {"code": "NOPE"}).status_code == 400

    with_code = customer_api.post(
        BOOKINGS, {"showtime": showtime.pk, "quantity": 1, "promo_code": "NOPE"}
    )
    assert throttled(with_code)
    without = customer_api.post(BOOKINGS, {"showtime": showtime.pk, "quantity": 1})
    assert without.status_code == 201, without.content


def test_a_replayed_hold_tries_no_code(customer_api):
    """A hold retried with its Idempotency-Key gets its stored answer: it tries nothing."""
    PromotionFactory(code="SPRING")
    showtime = ShowtimeFactory()
    body = {"showtime": showtime.pk, "quantity": 1, "promo_code": "SPRING"}
    first = customer_api.post(BOOKINGS, body, HTTP_IDEMPOTENCY_KEY="hold-1")
    assert first.status_code == 201, first.content
    for _ in range(3):
        assert customer_api.post(VALIDATE, {"code": "NOPE"}).status_code in (400, 429)

    again = customer_api.post(BOOKINGS, body, HTTP_IDEMPOTENCY_KEY="hold-1")

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


def test_a_bad_body_is_a_400_whatever_the_count(customer_api):
    for i in range(3):
        customer_api.post(VALIDATE, {"code": f"GUESS{i}"})
    bad = customer_api.post(VALIDATE, "{not json", content_type="application/json")
    assert bad.status_code == 400


def test_staff_at_the_counter_are_not_counted(staff_api):
    for i in range(5):
        assert staff_api.post(VALIDATE, {"code": f"GUESS{i}"}).status_code == 400


def test_none_switches_it_off(customer_api, settings):
    settings.THROTTLE_PROMO_CODE = "none"
    for i in range(5):
        assert customer_api.post(VALIDATE, {"code": f"GUESS{i}"}).status_code == 400

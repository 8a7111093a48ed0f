"""Failed logins are limited per account and per address (accounts.lockout, django-axes)."""

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from .factories import PASSWORD, UserFactory
from .helpers import last_link_to

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
NAT = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@pytest.fixture(autouse=True)
def _no_rate_limit(monkeypatch):
    """These tests send more logins from one address than THROTTLE_AUTH lets through in a minute
    (the rate limit has a test of its own)."""
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", None)


def login(email="cara@example.com", password=PASSWORD, ip=NAT):
    return APIClient().post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)


def assert_locked(response, settings):
    assert response.status_code == 429, response.content
    assert response.json()["error"]["code"] == "account_locked"
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_LOCKOUT_MINUTES * 60


def fail(times, **kwargs):
    return [login(password="wrong", **kwargs) for _ in range(times)]


def test_failed_logins_lock_that_account_from_that_address_only(customer, other_customer, settings):
    *first, locking = fail(settings.LOGIN_FAILURE_LIMIT)
    assert {response.status_code for response in first} == {401}
    assert_locked(locking, settings)
    # The right password from that address is refused too,
    assert_locked(login(), settings)
    # but whoever else is behind that address (a NAT) logs in to their own account,
    assert login("olek@example.com").status_code == 200
    # and the owner does from elsewhere.
    assert login(ip=ELSEWHERE).status_code == 200
    # The lock ends with its window.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)
    assert login().status_code == 200


def test_a_successful_login_clears_that_address_failures(customer, settings):
    fail(settings.LOGIN_FAILURE_LIMIT - 1)
    assert login().status_code == 200
    responses = fail(settings.LOGIN_FAILURE_LIMIT - 1)
    assert {response.status_code for response in responses} == {401}


def test_spelling_the_address_differently_counts_as_the_same_account(customer, settings):
    for i in range(settings.LOGIN_FAILURE_LIMIT - 1):
        login(email="CARA@Example.com" if i % 2 else "cara@example.com", password="wrong")
    assert_locked(login(email=" Cara@EXAMPLE.com", password="wrong"), settings)


def test_addresses_without_an_account_lock_the_same_way(db, settings):
    *first, locking = [
        login("nobody@example.com", "wrong") for _ in range(settings.LOGIN_FAILURE_LIMIT)
    ]
    assert {response.status_code for response in first} == {401}
    assert_locked(locking, settings)


def test_failures_from_many_addresses_lock_the_account_until_a_password_reset(
    customer, other_customer, settings, django_capture_on_commit_callbacks
):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 6
    responses = [login(password="wrong", ip=f"192.0.2.{i}") for i in range(6)]
    assert {response.status_code for response in responses[:-1]} == {401}
    assert_locked(responses[-1], settings)

    locked = login(ip=ELSEWHERE)
    assert_locked(locked, settings)
    assert "reset the password" in locked.json()["error"]["message"]
    assert login("olek@example.com", ip=ELSEWHERE).status_code == 200

    client = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/auth/password/reset/", {"email": "cara@example.com"})
    _, params = last_link_to("cara@example.com")
    new_password = "Matinee-Balcony-42"
    reset = {**params, "new_password": new_password}
    assert client.post("/api/v1/auth/password/reset/confirm/", reset).status_code == 200
    assert login(password=new_password, ip=ELSEWHERE).status_code == 200


def admin_login(password=PASSWORD):
    return Client(REMOTE_ADDR=NAT).post(
        "/admin/login/", {"username": "ada@example.com", "password": password}
    )


def test_the_admin_login_shares_the_limits(settings):
    UserFactory(admin=True, email="ada@example.com")
    assert admin_login().status_code == 302
    assert admin_login("wrong").status_code == 200  # the form again, with an error

    fail(settings.LOGIN_FAILURE_LIMIT, email="ada@example.com")
    refused = admin_login()
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_the_admin_login_refuses_an_account_locked_from_everywhere(settings):
    UserFactory(admin=True, email="ada@example.com")
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 3
    for i in range(3):
        login("ada@example.com", "wrong", ip=f"192.0.2.{i}")
    assert admin_login().status_code == 429

"""Fixtures shared by every app's tests: API clients and one user per role."""

import importlib

import pytest
from django.apps import apps
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import UserFactory
from booking.selectors import _hall_seats


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache, hall seats in a per-process one; every test starts
    with neither (flushing tables resets ids, which the seats cache takes as never reused)."""
    cache.clear()
    _hall_seats.cache_clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_price_rules(request):
    """The default ticket types and seat surcharges come from a data migration, and tests with
    real transactions flush every table; every database test starts with them again."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    importlib.import_module("booking.migrations.0002_default_price_rules").create(apps, None)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:
    """An API client sending `user`'s access token; anonymous for None."""
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


ROLES = ("anonymous", "customer", "other_customer", "staff", "admin")


def matrix_cell(users: dict, role: str, method: str, path, body, expected, *, subject, **extra):
    """One cell of an authorization matrix: `role` sends the row's request and gets its status.

    `path` (and `body`, when callable) are functions of `subject`, the object the row is about;
    `expected` lists the status each role gets, in ROLES order.
    """
    body = body(subject) if callable(body) else body
    response = getattr(client_for(users[role]), method)(path(subject), body, **extra)
    assert response.status_code == expected[ROLES.index(role)], response.content
    return response


@pytest.fixture
def customer(db):
    return UserFactory(email="cara@example.com", first_name="Cara")


@pytest.fixture
def other_customer(db):
    return UserFactory(email="olek@example.com", first_name="Olek")


@pytest.fixture
def staff(db):
    return UserFactory(staff=True, email="sam@example.com", first_name="Sam")


@pytest.fixture
def admin(db):
    return UserFactory(admin=True, email="ada@example.com", first_name="Ada")


@pytest.fixture
def users(customer, other_customer, staff, admin) -> dict:
    """The authorization matrix's cast: the customer owns things, the others try to reach them."""
    return {
        "anonymous": None,
        "customer": customer,
        "other_customer": other_customer,
        "staff": staff,
        "admin": admin,
    }


@pytest.fixture
def customer_api(customer) -> APIClient:
    return client_for(customer)


@pytest.fixture
def staff_api(staff) -> APIClient:
    return client_for(staff)


@pytest.fixture
def admin_api(admin) -> APIClient:
    return client_for(admin)


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.PAYMENT_WEBHOOK_SECRET = "whsec_test"  # noqa: S105 (a test value)

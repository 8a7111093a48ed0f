"""Fixtures shared by every app's tests: API clients and one user per role. Helpers that are not
fixtures live in `core.testing`."""

import importlib

import pytest
from django.apps import apps
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from booking.selectors import seat_map_cache_clear
from core.testing import SmtpServer, client_for

# Property-based tests: the same examples on every run (derandomized: a failure in CI fails
# again on a laptop), a bounded number of them, no example database left in the checkout.
hypothesis_settings.register_profile(
    "cinema", derandomize=True, max_examples=150, deadline=None, database=None
)
hypothesis_settings.load_profile("cinema")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache, hall seats in a per-process one; every test starts
    with neither (flushing tables resets ids, which the seats cache takes as never reused)."""
    cache.clear()
    seat_map_cache_clear()
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


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (core.testing.SmtpServer), and Django sending to it with a short
    EMAIL_TIMEOUT."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    yield server
    server.stop()

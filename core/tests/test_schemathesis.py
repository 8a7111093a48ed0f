"""Schemathesis: every operation of the OpenAPI schema, as every role, against the app in process.

The operations come from the schema itself, so a new endpoint is covered as soon as it is in the
schema. Each (operation, role) is a test of its own - `test_operation[POST /api/v1/bookings/-
customer]` names what failed, and the failure says which check, the answer and a curl line to
reproduce it. The database holds a small cinema: a showtime with a paid booking of the customer,
a pending booking on another, a saved card; real JWTs of users that exist.

For each (operation, role), Schemathesis generates valid requests (positive) and invalid ones
(negative) from the schema, and valid ones aimed at the cast's own objects (`{id}` of a booking,
a hall, ...), a fixed number of each and derandomized: the same cases on every run. Every answer
is checked: no server error, no status code the operation does not document, a body and headers
that match the schema, the documented content type. Throttled answers (429) are documented
answers too.
"""

import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from booking.tests.factories import BookingFactory
from payments.tests.factories import PaidBookingPaymentFactory, SavedCardFactory
from screening.tests.factories import ShowtimeFactory

SCHEMA = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
SCHEMA.app = WSGIHandler()
OPERATIONS = {
    operation.label: operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
}
ROLES = ("anonymous", "customer", "staff", "admin")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Examples per operation, role and mode: enough to reach every branch of validation and lookup
# over the suite's runs on every commit, few enough for about two minutes on two cores.
EXAMPLES = 10
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection_kept():
    """The app runs in the test's thread and transaction: like Django's test client, keep the
    request signals from closing the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def cast(connection_kept, customer, staff, admin):
    """Who calls, and the objects a path's `{id}` can name (by the path's resource)."""
    showtime = ShowtimeFactory()
    payment = PaidBookingPaymentFactory(booking=BookingFactory(user=customer, showtime=showtime))
    pending = BookingFactory(user=customer, showtime=ShowtimeFactory(hall=showtime.hall))
    card = SavedCardFactory(user=customer, number="4242424242424242")
    return {
        "users": {"anonymous": None, "customer": customer, "staff": staff, "admin": admin},
        "ids": {
            "bookings": pending.pk,
            "cards": card.pk,
            "cinemas": showtime.hall.cinema_id,
            "halls": showtime.hall_id,
            "movies": showtime.movie_id,
            "payments": payment.pk,
            "showtimes": showtime.pk,
            "users": customer.pk,
            "webhooks": "sandbox",
        },
    }


def existing_path_parameters(path: str, ids: dict) -> dict | None:
    """`{id}` (or `{provider}`) of an object the cast has, by the segment before it; None for a
    resource it has none of (a new endpoint is still fuzzed with generated ids)."""
    match = re.search(r"/([a-z_-]+)/\{(\w+)\}/", path)
    if match is None or match.group(1) not in ids:
        return None
    return {match.group(2): ids[match.group(1)]}


def auth_headers(user) -> dict[str, str]:
    if user is None:
        return {}
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation(label, role, cast):
    operation = OPERATIONS[label]
    headers = auth_headers(cast["users"][role])

    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    existing = existing_path_parameters(operation.path, cast["ids"])
    if existing:
        strategies.append(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=existing)
        )
    for strategy in strategies:
        try:
            HYPOTHESIS(given(case=strategy)(check))()
        except Unsatisfiable:  # nothing to make invalid: no parameters, no body
            continue

"""The error envelope of API.md, whatever raised the error."""

import logging
from unittest import mock

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import RequestFactory

from core.views import server_error

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login/"
CREDENTIALS = {"email": "a@example.com", "password": "whatever-123"}


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


def test_unknown_api_path_is_a_json_404(api_client, settings):
    for debug in (False, True):
        settings.DEBUG = debug
        response = api_client.get("/api/v1/no/such/thing/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert error_of(response)["code"] == "not_found"


def test_method_not_allowed(api_client):
    response = api_client.get(LOGIN)
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_unexpected_exception_is_a_logged_500_without_internals(api_client, caplog):
    with mock.patch("accounts.services.user_login", side_effect=RuntimeError("secret internals")):
        response = api_client.post(LOGIN, CREDENTIALS)
    assert response.status_code == 500
    assert error_of(response) == {
        "code": "server_error",
        "message": "An unexpected error occurred.",
    }
    assert "secret internals" not in response.content.decode()
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged
    assert logged[0].exc_info[1].args == ("secret internals",)


@pytest.mark.parametrize("errno", [1205, 1213])
def test_lock_wait_and_deadlock_become_409_with_retry_after(api_client, errno):
    error = OperationalError(errno, "Lock wait timeout exceeded; try restarting transaction")
    with mock.patch("accounts.services.user_login", side_effect=error):
        response = api_client.post(LOGIN, CREDENTIALS)
    assert response.status_code == 409
    assert error_of(response)["code"] == "resource_busy"
    assert response["Retry-After"] == "1"


@pytest.mark.parametrize(
    "error",
    [
        OperationalError(2002, "Can't connect to local server through socket"),
        OperationalError(2003, "Can't connect to server on '127.0.0.1'"),
        OperationalError(2006, "MySQL server has gone away"),
        OperationalError(2013, "Lost connection to server during query"),
        OperationalError(1040, "Too many connections"),
        OperationalError(1969, "Query execution was interrupted (max_statement_time exceeded)"),
        InterfaceError(0, ""),
    ],
)
def test_an_unavailable_database_is_503_with_retry_after(api_client, error):
    with mock.patch("accounts.services.user_login", side_effect=error):
        response = api_client.post(LOGIN, CREDENTIALS)
    assert response.status_code == 503
    assert error_of(response)["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


def test_other_database_errors_are_500(api_client):
    error = OperationalError(1054, "Unknown column 'x' in 'field list'")
    with mock.patch("accounts.services.user_login", side_effect=error):
        response = api_client.post(LOGIN, CREDENTIALS)
    assert response.status_code == 500


@pytest.mark.urls("core.tests.urls")
def test_plain_django_views_under_api_answer_the_envelope_too(api_client):
    gone = api_client.get("/api/v1/test/database-gone/")
    assert gone.status_code == 503
    assert gone["Content-Type"] == "application/json"
    assert error_of(gone)["code"] == "service_unavailable"
    assert int(gone["Retry-After"]) > 0
    busy = api_client.get("/api/v1/test/busy/")
    assert busy.status_code == 409
    assert error_of(busy)["code"] == "resource_busy"
    assert busy["Retry-After"] == "1"


def test_unforeseen_integrity_error_is_a_409(api_client):
    with mock.patch("accounts.services.user_login", side_effect=IntegrityError(1062, "Duplicate")):
        response = api_client.post(LOGIN, CREDENTIALS)
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


def test_handler500_outside_drf():
    factory = RequestFactory()
    api = server_error(factory.get("/api/v1/anything/"))
    assert api.status_code == 500
    assert b'"server_error"' in api.content
    page = server_error(factory.get("/admin/"))
    assert page.status_code == 500
    assert b"server_error" not in page.content

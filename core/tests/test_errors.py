"""The error envelope of API.md, whatever raised the error."""

import logging
from unittest import mock

import pytest
from django.db import IntegrityError, OperationalError
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


def test_other_database_errors_are_500(api_client):
    error = OperationalError(2006, "MySQL server has gone away")
    with mock.patch("accounts.services.user_login", side_effect=error):
        response = api_client.post(LOGIN, CREDENTIALS)
    assert response.status_code == 500


def test_unforeseen_integrity_error_is_a_logged_500(api_client, caplog):
    """Services turn the constraints they expect into domain errors; any other is a bug."""
    with mock.patch("accounts.services.user_login", side_effect=IntegrityError(1062, "Duplicate")):
        response = api_client.post(LOGIN, CREDENTIALS)
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert any(record.exc_info for record in caplog.records)


def test_handler500_outside_drf():
    factory = RequestFactory()
    api = server_error(factory.get("/api/v1/anything/"))
    assert api.status_code == 500
    assert b'"server_error"' in api.content
    page = server_error(factory.get("/admin/"))
    assert page.status_code == 500
    assert b"server_error" not in page.content

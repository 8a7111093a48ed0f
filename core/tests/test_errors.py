"""The error envelope of API.md, whatever raised the error."""

import json
import logging
from unittest import mock

import pytest
from django.core.exceptions import DisallowedHost, PermissionDenied, SuspiciousOperation
from django.db import IntegrityError, InterfaceError, OperationalError
from django.test import Client, RequestFactory

from core.views import bad_request, csrf_failure, permission_denied, server_error

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


# Bad input that Django or Python would answer with a 500 or an HTML page.

REFRESH = "/api/v1/auth/token/refresh/"
WEBHOOK = "/api/v1/payments/webhooks/sandbox/"


@pytest.mark.parametrize("path", [LOGIN, REFRESH, WEBHOOK])
def test_a_body_over_the_upload_limit_is_413(api_client, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({**CREDENTIALS, "password": "x" * 1000})
    response = api_client.post(path, body, content_type="application/json")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    small = api_client.post(path, json.dumps(CREDENTIALS), content_type="application/json")
    assert small.status_code != 413


def test_the_default_upload_limit_applies_and_the_app_can_read_the_answer(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    body = json.dumps({**CREDENTIALS, "password": "x" * 3_000_000})
    response = api_client.post(
        LOGIN, body, content_type="application/json", HTTP_ORIGIN="https://app.example.com"
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"


@pytest.mark.parametrize("path", [LOGIN, REFRESH, "/api/v1/auth/register/"])
def test_deeply_nested_json_is_a_400(api_client, path):
    response = api_client.post(path, "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"
    nested = api_client.post(path, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert nested.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/users/me/cards/-1/"),
        ("post", "/api/v1/halls/1.5/"),
        ("put", "/api/v1/no/such/thing/"),
        ("patch", "/api/v1/showtimes/1.5/"),
    ],
)
def test_any_method_on_an_unknown_api_path_is_a_json_404_not_a_csrf_page(method, path):
    browser = Client(enforce_csrf_checks=True)
    response = getattr(browser, method)(path, "{}", content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_django_error_pages_under_api_are_json():
    factory = RequestFactory()
    for page, status, code in [
        (bad_request(factory.get("/api/v1/x/"), SuspiciousOperation()), 400, "bad_request"),
        (bad_request(factory.get("/api/v1/x/"), DisallowedHost()), 400, "invalid_host"),
        (
            permission_denied(factory.get("/api/v1/x/"), PermissionDenied()),
            403,
            "permission_denied",
        ),
    ]:
        assert page.status_code == status
        assert json.loads(page.content)["error"]["code"] == code
    assert b"<html" in bad_request(factory.get("/admin/"), SuspiciousOperation()).content.lower()


def test_csrf_failure_under_api_is_json():
    request = RequestFactory().post("/api/v1/anything/")
    response = csrf_failure(request, reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert json.loads(response.content)["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize("ssl_redirect", [False, True])
@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_host_is_a_json_400(api_client, settings, ssl_redirect, debug):
    settings.SECURE_SSL_REDIRECT = ssl_redirect
    settings.DEBUG = debug
    for method in ("get", "post"):
        response = getattr(api_client, method)("/api/v1/movies/", HTTP_HOST="evil.example.com")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert error_of(response)["code"] == "invalid_host"

"""Health probes, request logging, API docs, CORS and settings."""

import importlib
import logging
import os
import re
import subprocess
import sys
from unittest import mock

import pytest
import yaml
from django.conf import settings as django_settings
from django.db import OperationalError

from conftest import client_for

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz(client):
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_down(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError(2003, "Can't connect to MySQL server")
    with mock.patch("core.views.connection", broken):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


def test_one_log_line_per_request_with_user_id(caplog, customer):
    caplog.set_level(logging.INFO, logger="cinema.request")
    client_for(customer).get("/api/v1/users/me/")
    client_for(None).get("/api/v1/users/me/")
    lines = [r.getMessage() for r in caplog.records if r.name == "cinema.request"]
    assert len(lines) == 2
    method, path, status, duration, user = lines[0].split()
    assert (method, path, status, user) == (
        "GET",
        "/api/v1/users/me/",
        "200",
        f"user={customer.pk}",
    )
    assert duration.endswith("ms")
    assert lines[1].startswith("GET /api/v1/users/me/ 401 ")
    assert lines[1].endswith(" user=-")


def test_schema_documents_every_operation_with_error_bodies(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert "ErrorResponse" in schema["components"]["schemas"]
    operations = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 15
    for path, method, operation in operations:
        errors = {code for code in operation["responses"] if code.startswith("4")}
        assert errors, f"{method} {path} documents no error"
        for code in errors:
            ref = operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorResponse"), (method, path, code)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_are_served_with_local_assets(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()


def test_cors_allows_the_configured_origin_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = client.options(
        "/api/v1/auth/login/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    other = client.get("/api/v1/auth/email-exists/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def _settings_in_subprocess(env: dict, expression: str) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET", "DEBUG"))}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({expression})",
        ],
        # No env file: only what the test gives (a developer's .env would answer otherwise).
        env={
            **keep,
            "DJANGO_SETTINGS_MODULE": "cinema_project.settings",
            "ENV_FILE": "/nonexistent",
            **env,
        },
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        check=False,
    )


def test_production_settings_require_a_secret_key():
    result = _settings_in_subprocess({"DEBUG": "False"}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_settings_come_from_the_environment():
    result = _settings_in_subprocess(
        {
            "DEBUG": "True",
            "DATABASE_URL": "mysql://u:p@db.internal:3307/cinema",
            "BOOKING_HOLD_SECONDS": "120",
            "TAX_RATE": "0.07",
            "THROTTLE_AUTH": "5/min",
            "CORS_ALLOWED_ORIGINS": "https://a.example,https://b.example",
        },
        "settings.DATABASES['default']['HOST'], settings.DATABASES['default']['OPTIONS']['charset'], "
        "settings.BOOKING_HOLD_SECONDS, settings.TAX_RATE, "
        "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['auth'], settings.CORS_ALLOWED_ORIGINS",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "db.internal utf8mb4 120 0.07 5/min ['https://a.example', 'https://b.example']"
    )


def test_env_example_lists_every_variable_the_settings_read():
    root = django_settings.BASE_DIR
    read = set()
    for module in (root / "cinema_project" / "settings").glob("*.py"):
        read |= set(
            re.findall(r'(?:env(?:\.\w+)?|throttle_rate)\(\s*"([A-Z_]+)"', module.read_text())
        )
    listed = set(re.findall(r"^#? ?([A-Z_]+)=", (root / ".env.example").read_text(), re.M))
    assert read
    assert read - listed == set()


def test_settings_are_one_module_per_integration():
    modules = {
        "drf": "REST_FRAMEWORK",
        "jwt": "SIMPLE_JWT",
        "spectacular": "SPECTACULAR_SETTINGS",
        "cors": "CORS_ALLOWED_ORIGINS",
    }
    for module, setting in modules.items():
        loaded = importlib.import_module(f"cinema_project.settings.{module}")
        assert hasattr(loaded, setting), module
        others = set(modules.values()) - {setting}
        assert not others & set(vars(loaded)), module
    # The suite's settings live in the settings package too.
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "cinema_project.settings.test"

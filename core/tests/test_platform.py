"""Health probes, request logging, API docs, CORS and settings."""

import contextlib
import copy
import importlib
import logging
import os
import re
import smtplib
import socket
import time
from unittest import mock

import pytest
import yaml
from django.conf import settings as django_settings
from django.core.mail import get_connection
from django.db import OperationalError, connection, connections

from core.exceptions import dependency_unavailable
from core.testing import client_for, python_in_subprocess, settings_in_subprocess, silent_server

pytestmark = pytest.mark.django_db


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz(client):
    assert client.get("/readyz").status_code == 200


def assert_unavailable(response):
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


def test_readyz_is_503_when_the_database_is_down(client):
    with closed_port() as port, database_at(port):
        assert_unavailable(client.get("/readyz"))


def test_readyz_does_not_hang_with_a_database_that_accepts_and_never_answers(client, settings):
    settings.DB_READY_TIMEOUT = 1
    with silent_server() as port, database_at(port):
        started = time.monotonic()
        response = client.get("/readyz")
    assert_unavailable(response)
    assert time.monotonic() - started < 3


def test_readyz_does_not_disturb_the_request_connection(client):
    before = connection.connection
    assert client.get("/readyz").status_code == 200
    assert connection.connection is before


@contextlib.contextmanager
def database_at(port: int):
    """/readyz's probe (and any new connection) goes to 127.0.0.1:port; the open one stays."""
    with mock.patch.dict(connection.settings_dict, {"HOST": "127.0.0.1", "PORT": str(port)}):
        yield


@contextlib.contextmanager
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port


def test_mysql_connections_have_timeouts_and_short_lock_waits(settings):
    options = settings.DATABASES["default"]["OPTIONS"]
    assert (options["connect_timeout"], options["read_timeout"], options["write_timeout"]) == (
        5,
        30,
        30,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@SESSION.innodb_lock_wait_timeout, @@SESSION.lock_wait_timeout")
        assert cursor.fetchone() == (10, 10)


@pytest.mark.django_db(transaction=True)
def test_a_metadata_lock_wait_ends_after_the_lock_wait_timeout():
    """LOCK TABLES (or a migration's ALTER TABLE) holds a metadata lock, which
    innodb_lock_wait_timeout does not cover; our sessions give up on it as on a row lock."""
    usual = connections["default"]
    init_command = usual.settings_dict["OPTIONS"]["init_command"]
    assert "lock_wait_timeout=10" in init_command.replace("innodb_lock_wait_timeout", "")
    holder = usual.__class__(copy.deepcopy(usual.settings_dict))
    waiter_settings = copy.deepcopy(usual.settings_dict)
    waiter_settings["OPTIONS"]["init_command"] = init_command.replace(
        " lock_wait_timeout=10", " lock_wait_timeout=1"
    )
    waiter = usual.__class__(waiter_settings)
    try:
        with holder.cursor() as cursor:
            cursor.execute("LOCK TABLES accounts_user WRITE")
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised, waiter.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM accounts_user")
        assert time.monotonic() - started < 3
        assert raised.value.args[0] == 1205  # answered 409 resource_busy (test_errors.py)
    finally:
        waiter.close()
        holder.close()


def test_a_query_slower_than_the_read_timeout_fails_as_unavailable():
    usual = connections["default"]
    settings_dict = copy.deepcopy(usual.settings_dict)
    settings_dict["OPTIONS"]["read_timeout"] = 1
    slow = usual.__class__(settings_dict)
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError) as raised, slow.cursor() as cursor:
            cursor.execute("SELECT SLEEP(5)")
    finally:
        slow.close()
    assert time.monotonic() - started < 3
    assert dependency_unavailable(raised.value)


def test_email_has_a_timeout(settings):
    assert settings.EMAIL_TIMEOUT == 10
    settings.EMAIL_TIMEOUT = 1
    with silent_server() as port:
        smtp = get_connection(
            "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=port
        )
        started = time.monotonic()
        with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
            smtp.open()
    assert time.monotonic() - started < 3


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
        if method in ("post", "put", "patch"):
            assert "413" in operation["responses"], (method, path)
        assert "503" in operation["responses"], (method, path)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_are_served_with_local_assets_under_a_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    # Only this origin's files: no CDN, no web fonts from elsewhere, no inline script.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), html
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts
    assert all(" src=" in tag for tag in scripts), scripts
    policy = csp_directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    # The pages' own stylesheet and ReDoc's run-time styles; ReDoc's search worker.
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "blob:" in policy["worker-src"]


def test_swagger_ui_start_up_script_is_a_file_of_its_own(client):
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_admin_has_a_strict_content_security_policy(client):
    response = client.get("/admin/login/", secure=True)
    assert response.status_code == 200
    policy = csp_directives(response)
    for directive in ("default-src", "script-src", "style-src"):
        assert policy[directive] == ["'self'"], directive
    assert policy["object-src"] == ["'none'"]


def csp_directives(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";")]
    return {name: values for name, *values in directives}


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


def test_production_settings_require_a_secret_key():
    result = settings_in_subprocess({"DEBUG": "False"}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_settings_come_from_the_environment():
    result = settings_in_subprocess(
        {
            "DEBUG": "True",
            "DATABASE_URL": "mysql://u:p@db.internal:3307/cinema",
            "BOOKING_HOLD_SECONDS": "120",
            "TAX_RATE": "0.07",
            "THROTTLE_AUTH": "5/min",
            "CORS_ALLOWED_ORIGINS": "https://a.example,https://b.example",
            "DB_CONNECT_TIMEOUT": "3",
            "DB_READ_TIMEOUT": "20",
            "DB_WRITE_TIMEOUT": "21",
            "DB_LOCK_WAIT_TIMEOUT": "7",
            "EMAIL_TIMEOUT": "4",
        },
        "settings.DATABASES['default']['HOST'], settings.DATABASES['default']['OPTIONS']['charset'], "
        "settings.BOOKING_HOLD_SECONDS, settings.TAX_RATE, "
        "settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['auth'], settings.CORS_ALLOWED_ORIGINS, "
        "[settings.DATABASES['default']['OPTIONS'][k] for k in "
        "('connect_timeout', 'read_timeout', 'write_timeout', 'init_command')], "
        "settings.EMAIL_TIMEOUT",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "db.internal utf8mb4 120 0.07 5/min ['https://a.example', 'https://b.example'] "
        "[3, 20, 21, \"SET sql_mode='STRICT_TRANS_TABLES', innodb_lock_wait_timeout=7, "
        'lock_wait_timeout=7"] 4'
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


def test_the_home_page_says_what_this_is_and_links_to_the_docs(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cinema booking API" in html
    for link in ("/api/docs/", "/api/redoc/", "/api/schema/", "/admin/", "/healthz"):
        assert f'href="{link}"' in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from elsewhere


def test_under_debug_without_cors_origins_the_frontend_may_call():
    origins = "settings.CORS_ALLOWED_ORIGINS"
    env = {"DEBUG": "True", "FRONTEND_URL": "http://localhost:3000/app"}
    assert settings_in_subprocess(env, origins).stdout.strip() == "['http://localhost:3000']"
    named = {**env, "CORS_ALLOWED_ORIGINS": "https://spa.example.com"}
    assert settings_in_subprocess(named, origins).stdout.strip() == "['https://spa.example.com']"
    production = {"DEBUG": "False", "SECRET_KEY": "x" * 50}
    assert settings_in_subprocess(production, origins).stdout.strip() == "[]"


def test_cors_exposes_retry_after_and_idempotent_replayed(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    response = client.get("/api/v1/genres/", HTTP_ORIGIN="https://app.example.com")
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert {"retry-after", "idempotent-replayed"} <= exposed


def test_a_random_development_key_starting_with_a_dollar_is_no_variable_name():
    """Regression: django-environ read a default starting with "$" as another variable's name
    and recursed until the stack ran out (a random key starts so about once in fifty)."""
    code = (
        "import django.core.management.utils as utils; "
        "utils.get_random_secret_key = lambda: '$notavariable' + 'x' * 50; "
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY[:13])"
    )
    result = python_in_subprocess(["-c", code], {"DEBUG": "True"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "$notavariable"


def test_a_worker_warms_up_without_connecting_to_anything():
    """gunicorn's workers load the views and Celery's machinery before their first request, and
    start while the broker and the database are down (nothing listens on their ports here)."""
    result = _worker_started({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")


def test_a_warm_up_step_that_fails_does_not_keep_a_worker_from_starting():
    result = _worker_started({"PAYMENT_GATEWAY": "nosuchprovider"})
    assert result.returncode == 0, result.stderr
    assert "Warm-up step gateway failed" in result.stdout
    assert result.stdout.strip().endswith("True")  # the other steps ran


def _worker_started(env: dict):
    """Load the WSGI module as a gunicorn worker does, no network reachable; prints whether the
    warm-up loaded what it loads."""
    code = (
        "import socket, sys\n"
        "def refuse(*args): raise OSError('no network')\n"
        "socket.socket.connect = refuse\n"
        "from cinema_project import wsgi\n"
        "print(all(name in sys.modules for name in "
        "('booking.tasks', 'payments.api.views', 'kombu.transport.redis', 'jwt')))\n"
    )
    return python_in_subprocess(
        ["-c", code],
        {
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "mysql://root@127.0.0.1:1/none",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
            **env,
        },
    )


SQLITE_RACE = """
import threading, time
import django
django.setup()
from django.db import connection, connections, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n integer)")
    cursor.execute("INSERT INTO counter VALUES (0)")
connections.close_all()
barrier, errors = threading.Barrier(2), []
def add_one():
    try:
        barrier.wait()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            n = cursor.fetchone()[0]
            time.sleep(0.2)
            cursor.execute("UPDATE counter SET n = %s", [n + 1])
    except Exception as exc:
        errors.append(type(exc).__name__)
    finally:
        connections.close_all()
threads = [threading.Thread(target=add_one) for _ in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print(cursor.fetchone()[0], errors)
"""


def test_sqlite_transactions_that_race_wait_for_each_other(tmp_path):
    """`make run`'s SQLite has no row locks: without taking the write lock when a transaction
    begins, one of two racing read-then-write transactions fails with "database is locked"."""
    result = python_in_subprocess(
        ["-c", SQLITE_RACE],
        {"DATABASE_URL": f"sqlite:///{tmp_path}/race.sqlite3", "SECRET_KEY": "x" * 50},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "2 []"

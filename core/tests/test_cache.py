"""The cache that DRF's throttle counters live in: shared by every worker and host by default."""

import sqlite3
import uuid

import pytest
from django.core import checks
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from core.testing import python_in_subprocess, settings_in_subprocess

LOGIN = "/api/v1/auth/login/"
CREDENTIALS = {"email": "x@example.com", "password": "whatever-123"}
DATABASE_CACHE = "django.core.cache.backends.db.DatabaseCache"
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def test_the_default_cache_is_a_table_in_the_database_and_redis_when_asked():
    default = settings_in_subprocess({"DEBUG": "True"}, "settings.CACHES['default']")
    assert default.returncode == 0, default.stderr
    assert eval(default.stdout) == {  # noqa: S307 (our own settings' repr)
        "BACKEND": DATABASE_CACHE,
        "LOCATION": "cinema_cache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
    redis = settings_in_subprocess(
        {"DEBUG": "True", "CACHE_URL": "redis://127.0.0.1:6379/3"}, "settings.CACHES['default']"
    )
    assert redis.returncode == 0, redis.stderr
    assert eval(redis.stdout) == {  # noqa: S307
        "BACKEND": REDIS_CACHE,
        "LOCATION": "redis://127.0.0.1:6379/3",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


def test_migrate_on_a_fresh_sqlite_database_creates_the_cache_table(tmp_path):
    """`make run`: SQLite, no other service, no extra step."""
    database = tmp_path / "fresh.sqlite3"
    result = python_in_subprocess(
        ["manage.py", "migrate", "--no-input", "-v", "0"],
        {"DEBUG": "True", "DATABASE_URL": f"sqlite:///{database}"},
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "cinema_cache" in tables


@pytest.mark.django_db(transaction=True)
def test_migrate_creates_the_table_and_throttle_counters_outlive_the_process(monkeypatch):
    table = f"cache_test_{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
    with override_settings(CACHES={"default": {"BACKEND": DATABASE_CACHE, "LOCATION": table}}):
        assert table not in connection.introspection.table_names()
        call_command("migrate", verbosity=0)
        try:
            assert table in connection.introspection.table_names()
            client = APIClient()
            for _ in range(2):
                assert client.post(LOGIN, CREDENTIALS).status_code == 401
            # Another worker - its own cache object, nothing in common but the database - sees
            # the counter, and so does the next request.
            worker = DatabaseCache(table, {})
            assert len(worker.get("throttle_auth_127.0.0.1")) == 2
            assert client.post(LOGIN, CREDENTIALS).status_code == 429
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")


@pytest.mark.django_db
def test_throttle_counters_in_redis(monkeypatch):
    prefix = f"test-{uuid.uuid4().hex}"
    redis_cache = {"BACKEND": REDIS_CACHE, "LOCATION": "redis://127.0.0.1:6379/0"}
    with override_settings(CACHES={"default": {**redis_cache, "KEY_PREFIX": prefix}}):
        try:
            cache.get("probe")
        except RedisConnectionError:
            pytest.skip("no Redis on 127.0.0.1:6379 (.ci/redis starts one)")
        monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
        client = APIClient()
        try:
            for _ in range(2):
                assert client.post(LOGIN, CREDENTIALS).status_code == 401
            assert len(cache.get("throttle_auth_127.0.0.1")) == 2
            response = client.post(LOGIN, CREDENTIALS)
            assert response.status_code == 429
            assert response.json()["error"]["code"] == "throttled"
        finally:
            cache.delete_many(["throttle_auth_127.0.0.1", "throttle_anon_127.0.0.1"])


@pytest.mark.django_db
def test_an_unreachable_redis_is_a_503_not_a_500():
    unreachable = {
        "BACKEND": REDIS_CACHE,
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    with override_settings(CACHES={"default": unreachable}):
        response = APIClient().post(LOGIN, CREDENTIALS)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("backend", "warns"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", True),
        ("django.core.cache.backends.dummy.DummyCache", True),
        (DATABASE_CACHE, False),
        (REDIS_CACHE, False),
    ],
)
def test_deploy_check_warns_about_a_per_process_cache(settings, backend, warns):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "x"}}
    found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.caches])
    assert ("core.W001" in {message.id for message in found}) is warns
    # A development checkout (`manage.py check` without --deploy) is not nagged.
    assert "core.W001" not in {message.id for message in checks.run_checks()}


def test_check_deploy_fails_with_a_per_process_cache():
    production = {
        "DEBUG": "False",
        "SECRET_KEY": "a-long-random-production-like-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "cinema.example.com",
        "CACHE_URL": "locmemcache://",
    }
    result = python_in_subprocess(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production
    )
    assert result.returncode != 0
    assert "core.W001" in result.stderr + result.stdout

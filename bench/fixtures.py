"""What the bench measures: a fresh database with a hall, its showtimes and their customers, and
the app serving it under gunicorn as in production (DEBUG off, throttling off, plain HTTP)."""

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.client import request

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "bench" / "results" / "gunicorn.log"
SEATS_PER_ROW = 25


@dataclass
class Showtime:
    number: int  # 1, 2, ...: its place in the run, as the report names it
    id: int
    tokens: list[str]  # its own customers: a customer's new hold would release their previous one


@dataclass
class Server:
    """The app, running, and its data."""

    port: int
    workers: int
    database_port: int | None  # None: the database is not on this machine
    capacity: int  # seats per showtime
    showtimes: list[Showtime]


# Mail and other tasks go to a broker of their own, as in production (workers elsewhere take
# them); nobody works the queue during the run, and it is emptied at the start of the next.
BROKER_URL = os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")


def environment(database_url: str) -> dict[str, str]:
    """The settings of both this script's Django and gunicorn's. Throttling is off: all the load
    comes from one IP, whose rate-limit window would otherwise hold every request of the run.
    Tasks (the outbox's mail) are queued in a broker, as in production, not run in the request."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cinema_project.settings",
        "DEBUG": "False",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "SECURE_SSL_REDIRECT": "False",
        "THROTTLE_ANON": "none",
        "THROTTLE_USER": "none",
        "THROTTLE_PROMO_CODE": "none",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": BROKER_URL,
    }


def broker_empty() -> None:
    """Forget the tasks an earlier run queued (the bench's broker database is its own)."""
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


def database_port(database_url: str) -> int | None:
    parts = urlsplit(database_url)
    local = (parts.hostname or "127.0.0.1") in {"127.0.0.1", "localhost", "::1"}
    return (parts.port or 3306) if local else None


def database_recreate(database_url: str) -> None:
    import MySQLdb

    parts = urlsplit(database_url)
    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    name = parts.path.lstrip("/")
    cursor = connection.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.close()


def data_create(seats: int, showtimes: int, customers_each: int) -> tuple[list[Showtime], int]:
    """Migrate, then a hall of `seats` seats, `showtimes` showtimes in it (a day apart), each with
    `customers_each` customers' tokens. Returns the showtimes and the hall's capacity."""
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import AccountState, User
    from catalog import services as catalog_services
    from screening import services as screening_services

    call_command("migrate", verbosity=0)
    cinema = screening_services.cinema_create(
        name="Bench", address="1 Load St", city="Bench", timezone="UTC"
    )
    rows = [
        {
            "label": f"R{i}",
            "seats": min(SEATS_PER_ROW, seats - i * SEATS_PER_ROW),
            "type": "VIP" if i < 2 else "STANDARD",
        }
        for i in range((seats + SEATS_PER_ROW - 1) // SEATS_PER_ROW)
    ]
    hall = screening_services.hall_create(cinema=cinema, name="Big", layout={"rows": rows})
    movie = catalog_services.movie_create(
        title="Benchmark", duration_minutes=120, release_date=timezone.now().date(), rating="PG"
    )
    showtime_ids = [
        screening_services.showtime_schedule(
            movie=movie,
            hall=hall,
            starts_at=timezone.now() + timedelta(days=day),
            base_price=Decimal("12.00"),
        ).pk
        for day in range(1, showtimes + 1)
    ]
    # Customers need only a token here: no password to hash.
    users = [
        User(email=f"bench{i}@example.com", state=AccountState.ACTIVE)
        for i in range(showtimes * customers_each)
    ]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    tokens = [
        str(AccessToken.for_user(user)) for user in User.objects.filter(email__startswith="bench")
    ]
    connections.close_all()  # not to be shared with the client processes forked from this one
    return [
        Showtime(i + 1, showtime_id, tokens[i * customers_each : (i + 1) * customers_each])
        for i, showtime_id in enumerate(showtime_ids)
    ], hall.capacity


def gunicorn_start(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    """gunicorn serving the app; returns once it answers `/healthz`."""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "cinema_project.wsgi:application",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--backlog=2048",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


@contextmanager
def serving(
    *, database_url: str, port: int, workers: int, seats: int, showtimes: int, customers_each: int
) -> Iterator[Server]:
    """A fresh database (dropped, created, migrated) with its data, served by gunicorn until the
    block ends. The database stays afterwards, for the checks and for a look."""
    env = environment(database_url)
    os.environ.update(env)
    name = urlsplit(database_url).path.lstrip("/")
    print(f"Setting up: database {name}, {seats} seats ...", flush=True)
    database_recreate(database_url)
    broker_empty()
    made, capacity = data_create(seats, showtimes, customers_each)
    LOG.parent.mkdir(exist_ok=True)
    process = gunicorn_start(port, workers, env, LOG)
    try:
        yield Server(port, workers, database_port(database_url), capacity, made)
    finally:
        process.terminate()
        process.wait(10)

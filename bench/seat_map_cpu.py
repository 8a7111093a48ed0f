"""The seat map's CPU per request, in this process: the WSGI app called directly, no server, no
network client - what each path costs the app, without gunicorn or load generators sharing the
machine. Production-like settings (DEBUG off, persistent connections with their health check),
a fresh `cinema_mapbench` database with a 500-seat hall and a showtime (`fixtures.data_create`)
with two holds in it.

    python bench/seat_map_cpu.py [N]

prints, for `/healthz`, the full seat map (of a version seen before, and of a new one: rendered),
the 304 (a current `If-None-Match`) and `?since=`:
CPU ms per request (time.process_time: this process, user + system), wall time, the database
server's CPU (read from /proc; anything else it serves meanwhile counts too) and the queries
one request sends.
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu import cpu_seconds, pids_listening  # noqa: E402
from bench.fixtures import data_create, database_port, database_recreate, environment  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/cinema_mapbench")


def environ(path: str, query: str = "", **headers: str) -> dict:
    from core.testing import wsgi_environ

    return wsgi_environ(
        "GET", path, query=query, **{f"HTTP_{name}": value for name, value in headers.items()}
    )


def call(application, environ_: dict) -> tuple[str, dict, bytes]:
    """One request, as a WSGI server makes it: the answer's status, headers and body."""
    from core.testing import wsgi_call

    status, headers, content = wsgi_call(application, environ_)
    return status, dict(headers), content


def measure(application, name: str, environ_: dict, expected: str, count: int, before=None):
    """`count` requests, after `before()` each when given."""
    from django.db import connection

    before = before or (lambda: None)

    queries = []

    def counting(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    for _ in range(50):  # warm: per-process caches, the connection
        before()
        status, _headers, _ = call(application, environ_)
        assert status.startswith(expected), (name, status)
    before()
    with connection.execute_wrapper(counting):
        call(application, environ_)
    database = pids_listening(database_port(DATABASE_URL))
    started, wall = time.process_time(), time.perf_counter()
    database_started = cpu_seconds(database)
    for _ in range(count):
        before()
        call(application, environ_)
    cpu = (time.process_time() - started) / count * 1000
    elapsed = (time.perf_counter() - wall) / count * 1000
    database_cpu = (cpu_seconds(database) - database_started) / count * 1000
    print(
        f"{name:<18} {expected}  CPU {cpu:5.2f} ms  wall {elapsed:5.2f} ms  "
        f"database {database_cpu:5.2f} ms  queries {len(queries)}",
        flush=True,
    )


def main(count: int) -> None:
    os.environ.update(environment(DATABASE_URL))
    database_recreate(DATABASE_URL)
    showtimes, _ = data_create(seats=500, showtimes=1, customers_each=0)
    showtime_id = showtimes[0].id

    from accounts.models import AccountState, User
    from booking import selectors, services

    def hold(email: str, quantity: int) -> None:
        user = User.objects.create(email=email, state=AccountState.ACTIVE)
        services.booking_create(
            user=user, showtime_id=showtime_id, pick=services.SeatPick(quantity=quantity)
        )

    from cinema_project.wsgi import application

    seats = f"/api/v1/showtimes/{showtime_id}/seats/"
    hold("first@example.com", 4)
    _, headers, body = call(application, environ(seats))
    since = json.loads(body)["version"]
    hold("second@example.com", 3)
    status, headers, body = call(application, environ(seats))
    assert status.startswith("200"), status
    print(f"{len(body)} bytes; ETag {headers['ETag']}; N={count}")

    measure(application, "/healthz", environ("/healthz"), "200", count)
    measure(application, "seat map", environ(seats), "200", count)
    # As while a showtime sells: every poll finds a new version (the rendered maps forgotten).
    rendered = getattr(selectors, "_rendered", {})
    measure(application, "seat map, new", environ(seats), "200", count, before=rendered.clear)
    measure(
        application, "seat map, 304", environ(seats, IF_NONE_MATCH=headers["ETag"]), "304", count
    )
    measure(application, "seat map ?since=", environ(seats, f"since={since}"), "200", count)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)

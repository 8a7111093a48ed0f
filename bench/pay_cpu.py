"""CPU per payment, in this process, without a server: the WSGI app called directly.

    .venv/bin/python bench/pay_cpu.py [customers]

A fresh database (`PAY_BENCH_DATABASE_URL`, default mysql://root@127.0.0.1:3306/cinema_paybench)
with a 500-seat hall and two showtimes, production-like settings (DEBUG off, throttling off, mail
queued in a broker of its own - nobody takes it - as in production). Each customer holds two
seats (`quantity`), then pays with a card and an Idempotency-Key. Prints the app's CPU
milliseconds per pay, per hold and per `/healthz` (this process's CPU time around those calls:
the database server's is not in it) and the SQL statements per pay (BEGIN and COMMIT not
counted). Single-threaded and quick: a figure to compare before and after a change, not a load
test (`bench/booking.py` is that). Where the time goes:
`py-spy record --gil -- .venv/bin/python bench/pay_cpu.py`.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The checkout, not bench/, on the path: bench/profile.py would hide the standard library's.
sys.path[0] = str(ROOT)

from bench.fixtures import data_create, database_recreate, environment  # noqa: E402

DATABASE_URL = os.environ.get(
    "PAY_BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/cinema_paybench"
)
BROKER_URL = os.environ.get("PAY_BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
CARD = {
    "number": "4242424242424242",
    "exp_month": 12,
    "exp_year": 2035,
    "cvc": "123",
    "holder_name": "Bench",
}


def call(app, method: str, path: str, token: str, body: dict | None = None, **headers):
    from core.testing import wsgi_call, wsgi_environ

    environ = wsgi_environ(
        method,
        path,
        HTTP_AUTHORIZATION=f"Bearer {token}",
        CONTENT_TYPE="application/json",
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    )
    payload = json.dumps(body).encode() if body is not None else b""
    status, _headers, content = wsgi_call(app, environ, payload)
    return int(status.split()[0]), content


def main(customers: int) -> None:
    os.environ.update(
        {**environment(DATABASE_URL), "CELERY_BROKER_URL": BROKER_URL, "LOG_LEVEL": "ERROR"}
    )
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()
    database_recreate(DATABASE_URL)
    showtimes, _ = data_create(seats=500, showtimes=2, customers_each=(customers + 1) // 2)

    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    app = get_wsgi_application()
    queries = []

    def count(execute, sql, params, many, context):
        queries[-1] += 1
        return execute(sql, params, many, context)

    pays, holds, healthz = [], [], []
    for showtime in showtimes:
        for i, token in enumerate(showtime.tokens):
            start = time.process_time()
            status, content = call(
                app, "POST", "/api/v1/bookings/", token, {"showtime": showtime.id, "quantity": 2}
            )
            holds.append(time.process_time() - start)
            assert status == 201, content
            booking = json.loads(content)["id"]
            queries.append(0)
            with connection.execute_wrapper(count):
                start = time.process_time()
                status, content = call(
                    app,
                    "POST",
                    f"/api/v1/bookings/{booking}/pay/",
                    token,
                    {"card": CARD},
                    idempotency_key=f"pay-{showtime.id}-{i}",
                )
                pays.append(time.process_time() - start)
            assert status == 200, content
            start = time.process_time()
            status, content = call(app, "GET", "/healthz", token)
            healthz.append(time.process_time() - start)
            assert status == 200, content
    # The first few requests load templates and code paths once per process: left out.
    print(
        f"{len(pays)} pays: CPU per pay {ms(pays)}; statements per pay "
        f"{statistics.mean(queries[10:]):.1f}. CPU per hold {ms(holds)}, per /healthz "
        f"{ms(healthz)}"
    )


def ms(seconds: list[float]) -> str:
    steady = seconds[10:]
    return (
        f"{1000 * statistics.mean(steady):.2f} ms mean, "
        f"{1000 * statistics.median(steady):.2f} ms median"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)

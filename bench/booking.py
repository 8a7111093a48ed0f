"""Booking benchmark: the app under gunicorn on MariaDB, measured from outside over HTTP.

    make bench                      # or: .venv/bin/python bench/booking.py --help

1. A fresh database `cinema_bench` (dropped and created), migrated; a 500-seat hall, a showtime,
   and customer accounts with tokens.
2. gunicorn with 4 workers, DEBUG=False, as in production (no HTTPS redirect: plain HTTP here).
3. Measured, with the same client machinery for each:
   - `/healthz` requests/s: the ceiling of this machine, app and client together;
   - seat map (`GET /showtimes/{id}/seats/`) requests/s, p50, p99;
   - 16 clients each booking 1-4 random free seats until the showtime is sold out: booking
     requests/s, successful holds/s, p50, p99, the 409 rate;
   - SQL afterwards: no seat is claimed or ticketed twice, and every seat is gone.

Load comes from several client processes, so that one Python process (and its GIL) does not cap
the `/healthz` baseline and flatter the ratios. The machine has 2 cores shared by client, app
and database: the absolute numbers are modest; the ratios are the point.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Load:
    """What one measurement saw."""

    # Wall-clock span of the work itself, from the first client's start to the last one's end
    # (not counting the start of the client processes).
    first_start: float = float("inf")
    last_end: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    @property
    def elapsed(self) -> float:
        return max(self.last_end - self.first_start, 0.0)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def merge(self, other: "Load") -> None:
        self.statuses.update(other.statuses)
        self.latencies.extend(other.latencies)
        self.first_start = min(self.first_start, other.first_start)
        self.last_end = max(self.last_end, other.last_end)


def request(port: int, method: str, path: str, body=None, token: str | None = None):
    """One HTTP request on its own connection (gunicorn's sync workers close each one)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request(
        method, path, body=json.dumps(body) if body is not None else None, headers=headers
    )
    response = connection.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, payload, elapsed


def _hammer(port: int, path: str, threads: int, seconds: float) -> Load:
    """In a client process: `threads` threads requesting `path` for `seconds`."""
    load, lock = Load(first_start=time.time()), threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        mine = Load()
        while time.perf_counter() < deadline:
            status, _, elapsed = request(port, "GET", path)
            mine.statuses[status] += 1
            mine.latencies.append(elapsed)
        with lock:
            load.merge(mine)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    load.last_end = time.time()
    return load


def hammer(port: int, path: str, *, clients: int, processes: int, seconds: float) -> Load:
    total = Load()
    with ProcessPoolExecutor(processes) as executor:
        futures = [
            executor.submit(_hammer, port, path, clients // processes, seconds)
            for _ in range(processes)
        ]
        for future in futures:
            total.merge(future.result())
    return total


def _book_until_sold_out(
    port: int, showtime_id: int, tokens: list[str], seed: int
) -> tuple[Load, int]:
    """In a client process: threads that each book 1-4 random free seats until none are left.

    Each client reads the seat map at the start and after every 409, as a browser showing the map
    would. A customer's new hold would release their previous one, so every
    successful booking moves the client on to a fresh account.
    """
    load, lock = Load(first_start=time.time()), threading.Lock()
    accounts = iter(tokens)
    holds = 0

    def worker(index: int):
        nonlocal holds
        rng, mine, held = random.Random(seed * 1000 + index), Load(), 0
        with lock:
            token = next(accounts, None)
        free: list[int] = []
        while token is not None:
            if not free:
                status, payload, _ = request(port, "GET", f"/api/v1/showtimes/{showtime_id}/seats/")
                free = [s["id"] for s in json.loads(payload)["seats"] if s["status"] == "available"]
                if not free:
                    break
            wanted = rng.sample(free, min(len(free), rng.randint(1, 4)))
            body = {"showtime": showtime_id, "seats": [{"seat": seat} for seat in wanted]}
            status, payload, elapsed = request(port, "POST", "/api/v1/bookings/", body, token)
            mine.statuses[status] += 1
            mine.latencies.append(elapsed)
            if status == 201:
                held += 1
                free = [seat for seat in free if seat not in wanted]
                with lock:
                    token = next(accounts, None)
            else:
                free = []  # someone was faster: look at the seat map again, as a browser would

        with lock:
            load.merge(mine)
            holds += held

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS_PER_PROCESS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    load.last_end = time.time()
    return load, holds


CLIENTS_PER_PROCESS = 4


def book_until_sold_out(
    port: int, showtime_id: int, tokens: list[str], clients: int
) -> tuple[Load, int]:
    processes = max(1, clients // CLIENTS_PER_PROCESS)
    share = len(tokens) // processes
    total, holds = Load(), 0
    with ProcessPoolExecutor(processes) as executor:
        futures = [
            executor.submit(
                _book_until_sold_out, port, showtime_id, tokens[i * share : (i + 1) * share], i
            )
            for i in range(processes)
        ]
        for future in futures:
            load, held = future.result()
            total.merge(load)
            holds += held
    return total, holds


# CPU accounting: where each phase's time goes, from /proc (Linux).


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def pids(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(pid) for pid in found.stdout.split()]


class CpuMeter:
    """CPU used by the app server and by the database during a phase."""

    def __init__(self, server: subprocess.Popen):
        self.app = [
            server.pid,
            *map(
                int,
                subprocess.run(
                    ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
                ).stdout.split(),
            ),
        ]
        self.db = pids("mariadbd|mysqld")

    def measure(self, phase):
        app, db, client = cpu_seconds(self.app), cpu_seconds(self.db), _children_cpu()
        result = phase()
        used = (cpu_seconds(self.app) - app, cpu_seconds(self.db) - db, _children_cpu() - client)
        return result, *used


def _children_cpu() -> float:
    """CPU of this script's finished child processes: the load-generating clients."""
    times = os.times()
    return times.children_user + times.children_system


# Setting up


def environment(database_url: str) -> dict[str, str]:
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
        "LOG_LEVEL": "WARNING",
    }


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


def data_create(seats: int, customers: int) -> tuple[int, list[str], int]:
    """Migrate, then a hall of `seats` seats (25 per row), a showtime and customer tokens."""
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts import services as accounts_services
    from catalog import services as catalog_services
    from screening import services as screening_services

    call_command("migrate", verbosity=0)
    cinema = screening_services.cinema_create(
        name="Bench", address="1 Load St", city="Bench", timezone="UTC"
    )
    per_row = 25
    rows = [
        {
            "label": f"R{i}",
            "seats": min(per_row, seats - i * per_row),
            "type": "VIP" if i < 2 else "STANDARD",
        }
        for i in range((seats + per_row - 1) // per_row)
    ]
    hall = screening_services.hall_create(cinema=cinema, name="Big", layout={"rows": rows})
    movie = catalog_services.movie_create(
        title="Benchmark", duration_minutes=120, release_date=timezone.now().date(), rating="PG"
    )
    showtime = screening_services.showtime_schedule(
        movie=movie,
        hall=hall,
        starts_at=timezone.now() + timedelta(days=1),
        base_price=Decimal("12.00"),
    )
    tokens = []
    for i in range(customers):
        user = accounts_services.user_create(
            email=f"bench{i}@example.com", password=secrets.token_urlsafe(16)
        )
        tokens.append(str(AccessToken.for_user(user)))
    return showtime.pk, tokens, hall.capacity


def double_sales() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT seat_id FROM booking_ticket t "
            "JOIN booking_booking b ON b.id = t.booking_id "
            "WHERE b.status IN ('PENDING', 'CONFIRMED') GROUP BY b.showtime_id, t.seat_id "
            "HAVING COUNT(*) > 1) twice"
        )
        (tickets_twice,) = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT seat_id FROM booking_seatclaim "
            "GROUP BY showtime_id, seat_id HAVING COUNT(*) > 1) twice"
        )
        (claims_twice,) = cursor.fetchone()
        cursor.execute("SELECT COUNT(*) FROM booking_seatclaim")
        (claimed,) = cursor.fetchone()
    return {"tickets_twice": tickets_twice, "claims_twice": claims_twice, "claimed": claimed}


def gunicorn_start(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "mysql://root@127.0.0.1:3306/cinema_bench"),
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="length of each fixed-time measurement"
    )
    parser.add_argument("--port", type=int, default=8199)
    args = parser.parse_args()

    env = environment(args.database_url)
    os.environ.update(env)
    print(
        f"Setting up: database {urlsplit(args.database_url).path.lstrip('/')}, {args.seats} seats ...",
        flush=True,
    )
    database_recreate(args.database_url)
    showtime_id, tokens, capacity = data_create(args.seats, customers=args.seats + args.clients)

    log = ROOT / "bench" / "results" / "gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = gunicorn_start(args.port, args.workers, env, log)
    try:
        processes = min(4, args.clients)
        meter = CpuMeter(server)
        healthz, *healthz_cpu = meter.measure(
            lambda: hammer(
                args.port,
                "/healthz",
                clients=args.clients,
                processes=processes,
                seconds=args.seconds,
            )
        )
        seat_map, *seat_map_cpu = meter.measure(
            lambda: hammer(
                args.port,
                f"/api/v1/showtimes/{showtime_id}/seats/",
                clients=args.clients,
                processes=processes,
                seconds=args.seconds,
            )
        )
        (booking, holds), *booking_cpu = meter.measure(
            lambda: book_until_sold_out(args.port, showtime_id, tokens, args.clients)
        )
    finally:
        server.terminate()
        server.wait(10)
    sales = double_sales()

    conflicts = booking.statuses.get(409, 0)
    server_errors = healthz.server_errors + seat_map.server_errors + booking.server_errors
    print()
    print(
        f"gunicorn: {args.workers} workers; {args.clients} clients in {processes} processes; {os.cpu_count()} CPUs"
    )
    print(
        f"/healthz        {healthz.rate:8.0f} req/s   p50 {healthz.percentile(50):6.1f} ms   p99 {healthz.percentile(99):6.1f} ms"
    )
    print(
        f"seat map        {seat_map.rate:8.0f} req/s   p50 {seat_map.percentile(50):6.1f} ms   p99 {seat_map.percentile(99):6.1f} ms"
        f"   = {seat_map.rate / healthz.rate:.3f} x /healthz (target >= 0.200)"
    )
    print(
        f"booking         {booking.rate:8.0f} req/s   p50 {booking.percentile(50):6.1f} ms   p99 {booking.percentile(99):6.1f} ms"
        f"   = {booking.rate / healthz.rate:.3f} x /healthz (target >= 0.100)"
    )
    print(
        f"  holds         {holds / booking.elapsed:8.0f} /s      {holds} bookings for {capacity} seats in {booking.elapsed:.1f} s;"
        f" 409 rate {conflicts / max(booking.count, 1):.1%} ({conflicts} of {booking.count})"
    )
    print(f"5xx answers     {server_errors}")
    for name, load, (app, db, client) in [
        ("/healthz", healthz, healthz_cpu),
        ("seat map", seat_map, seat_map_cpu),
        ("booking", booking, booking_cpu),
    ]:
        print(
            f"cpu {name:<11} app {1000 * app / load.count:5.2f} ms/request   database {1000 * db / load.count:5.2f} ms/request"
            f"   clients {1000 * client / load.count:5.2f} ms/request"
        )
    print(
        f"double sales    {sales['tickets_twice'] + sales['claims_twice']} (SQL: seats ticketed twice "
        f"{sales['tickets_twice']}, claimed twice {sales['claims_twice']}); seats claimed {sales['claimed']} of {capacity}"
    )
    ok = (
        server_errors == 0
        and sales["tickets_twice"] == 0
        and sales["claims_twice"] == 0
        and sales["claimed"] == capacity
    )
    print("correctness     " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

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
import re
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


def request(
    port: int,
    method: str,
    path: str,
    body=None,
    token: str | None = None,
    headers: dict | None = None,
):
    """One HTTP request on its own connection (gunicorn's sync workers close each one)."""
    headers = {"Content-Type": "application/json", **(headers or {})}
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


def _run_threads(target, count: int) -> None:
    """Run `target(i)` in `count` threads; re-raise the first error any of them hit."""
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:  # handed to the main thread below
            errors.append(exc)

    pool = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if errors:
        raise errors[0]


def _hammer(port: int, path: str, threads: int, seconds: float) -> Load:
    """In a client process: `threads` threads requesting `path` for `seconds`."""
    load, lock = Load(first_start=time.time()), threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(_index: int):
        mine = Load()
        while time.perf_counter() < deadline:
            status, _, elapsed = request(port, "GET", path)
            mine.statuses[status] += 1
            mine.latencies.append(elapsed)
        with lock:
            load.merge(mine)

    _run_threads(worker, threads)
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


# The ids of available seats in a seat map, read without a JSON parser: the clients share the
# machine with the server, and parsing 500 seats after every conflict would cost a tenth of it.
# (Checked against the JSON in `seat_map_free`.)
AVAILABLE_SEAT = re.compile(rb'\{"id":(\d+),"row":[^}]*\},"status":"available"')


def seat_map_free(payload: bytes) -> list[int]:
    """The same ids, the slow and obvious way."""
    return [s["id"] for s in json.loads(payload)["seats"] if s["status"] == "available"]


PAY_BODY = {
    "card": {
        "number": "4242424242424242",
        "exp_month": 12,
        "exp_year": 2035,
        "cvc": "123",
        "holder_name": "Bench",
    }
}


def _book_until_sold_out(
    port: int, showtime_id: int, tokens: list[str], seed: int, pay: bool
) -> tuple[Load, Load, int]:
    """In a client process: threads that each book 1-4 random free seats (and with `pay`, pay for
    them at once), until none are left. Returns the booking requests, the payment requests and
    the holds made.

    Each client reads the seat map at the start and after every 409, as a browser showing the map
    would. Every successful booking moves the client on to a fresh account (a customer's new hold
    would release their previous one).
    """
    bookings, payments, lock = (
        Load(first_start=time.time()),
        Load(first_start=time.time()),
        threading.Lock(),
    )
    accounts = iter(tokens)
    holds = 0

    def worker(index: int):
        nonlocal holds
        rng, booked, paid, held = random.Random(seed * 1000 + index), Load(), Load(), 0
        checked = False
        with lock:
            token = next(accounts, None)
        free: list[int] = []
        while token is not None:
            if not free:
                status, payload, _ = request(port, "GET", f"/api/v1/showtimes/{showtime_id}/seats/")
                if status != 200:
                    raise RuntimeError(f"seat map of showtime {showtime_id} answered {status}")
                free = [int(seat_id) for seat_id in AVAILABLE_SEAT.findall(payload)]
                if not checked:
                    assert free == seat_map_free(payload), "the seat map reader is wrong"
                    checked = True
                if not free:
                    break
            wanted = rng.sample(free, min(len(free), rng.randint(1, 4)))
            body = {"showtime": showtime_id, "seats": [{"seat": seat} for seat in wanted]}
            status, payload, elapsed = request(port, "POST", "/api/v1/bookings/", body, token)
            booked.statuses[status] += 1
            booked.latencies.append(elapsed)
            if status == 201 and pay:
                held += 1
                free = [seat for seat in free if seat not in wanted]
                booking_id = json.loads(payload)["id"]
                status, _, elapsed = request(
                    port,
                    "POST",
                    f"/api/v1/bookings/{booking_id}/pay/",
                    PAY_BODY,
                    token,
                    headers={"Idempotency-Key": f"bench-{booking_id}"},
                )
                paid.statuses[status] += 1
                paid.latencies.append(elapsed)
                with lock:
                    token = next(accounts, None)
            elif status == 201:
                held += 1
                free = [seat for seat in free if seat not in wanted]
                with lock:
                    token = next(accounts, None)
            else:
                free = []  # someone was faster: look at the seat map again, as a browser would
        with lock:
            bookings.merge(booked)
            payments.merge(paid)
            holds += held

    _run_threads(worker, CLIENTS_PER_PROCESS)
    bookings.last_end = payments.last_end = time.time()
    return bookings, payments, holds


CLIENTS_PER_PROCESS = 4


def book_until_sold_out(
    port: int, showtime_id: int, tokens: list[str], clients: int, *, pay: bool
) -> tuple[Load, Load, int]:
    processes = max(1, clients // CLIENTS_PER_PROCESS)
    share = len(tokens) // processes
    bookings, payments, holds = Load(), Load(), 0
    with ProcessPoolExecutor(processes) as executor:
        futures = [
            executor.submit(
                _book_until_sold_out, port, showtime_id, tokens[i * share : (i + 1) * share], i, pay
            )
            for i in range(processes)
        ]
        for future in futures:
            booked, paid, held = future.result()
            bookings.merge(booked)
            payments.merge(paid)
            holds += held
    return bookings, payments, holds


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


def data_create(seats: int, showtimes: int, customers: int) -> tuple[list[int], list[str], int]:
    """Migrate, then a hall of `seats` seats (25 per row), `showtimes` showtimes in it (a day
    apart), and customers' tokens."""
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import AccountState, User
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
        User(email=f"bench{i}@example.com", state=AccountState.ACTIVE) for i in range(customers)
    ]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    tokens = [
        str(AccessToken.for_user(user)) for user in User.objects.filter(email__startswith="bench")
    ]
    return showtime_ids, tokens, hall.capacity


def sales_check(showtime_id: int) -> dict[str, int]:
    """SQL over one showtime: seats ticketed or claimed twice (must be 0), seats claimed, sold."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT t.seat_id FROM booking_ticket t "
            "JOIN booking_booking b ON b.id = t.booking_id "
            "WHERE b.showtime_id = %s AND b.status IN ('PENDING', 'CONFIRMED') "
            "GROUP BY t.seat_id HAVING COUNT(*) > 1) twice",
            [showtime_id],
        )
        (tickets_twice,) = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT seat_id FROM booking_seatclaim WHERE showtime_id = %s "
            "GROUP BY seat_id HAVING COUNT(*) > 1) twice",
            [showtime_id],
        )
        (claims_twice,) = cursor.fetchone()
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) - COUNT(expires_at) FROM booking_seatclaim WHERE showtime_id = %s",
            [showtime_id],
        )
        claimed, sold = cursor.fetchone()
    return {"twice": tickets_twice + claims_twice, "claimed": claimed, "sold": sold}


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
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="sell-outs of holds only, each on its own showtime, measured together: one lasts "
        "about as long as a deep breath, too short to measure alone",
    )
    args = parser.parse_args()

    env = environment(args.database_url)
    os.environ.update(env)
    print(
        f"Setting up: database {urlsplit(args.database_url).path.lstrip('/')}, {args.seats} seats ...",
        flush=True,
    )
    database_recreate(args.database_url)
    per_run = args.seats + args.clients
    runs = args.rounds + 1
    showtimes, tokens, capacity = data_create(args.seats, runs, customers=runs * per_run)
    holding, paying = showtimes[:-1], showtimes[-1]

    def sell_out(round_: int, *, pay: bool) -> tuple[Load, Load, int]:
        round_tokens = tokens[round_ * per_run : (round_ + 1) * per_run]
        return book_until_sold_out(
            args.port, showtimes[round_], round_tokens, args.clients, pay=pay
        )

    def sell_outs_holding() -> tuple[Load, int]:
        total, held = Load(), 0
        elapsed = 0.0
        for round_ in range(args.rounds):
            load, _, holds_made = sell_out(round_, pay=False)
            elapsed += load.elapsed
            total.statuses.update(load.statuses)
            total.latencies.extend(load.latencies)
            held += holds_made
        total.first_start, total.last_end = 0.0, elapsed  # the rounds' own time, end to end
        return total, held

    log = ROOT / "bench" / "results" / "gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = gunicorn_start(args.port, args.workers, env, log)
    try:
        processes = min(4, args.clients)
        meter = CpuMeter(server)

        def healthz_run() -> Load:
            return hammer(
                args.port,
                "/healthz",
                clients=args.clients,
                processes=processes,
                seconds=args.seconds,
            )

        healthz, *healthz_cpu = meter.measure(healthz_run)
        seat_map, *seat_map_cpu = meter.measure(
            lambda: hammer(
                args.port,
                f"/api/v1/showtimes/{holding[0]}/seats/",
                clients=args.clients,
                processes=processes,
                seconds=args.seconds,
            )
        )
        (booking, holds), *booking_cpu = meter.measure(sell_outs_holding)
        (paid_booking, payment, paid_holds), *paying_cpu = meter.measure(
            lambda: sell_out(args.rounds, pay=True)
        )
        # The machine's pace drifts during a run: the baseline is measured at both ends.
        healthz_end = healthz_run()
    finally:
        server.terminate()
        server.wait(10)
    held_checks = [sales_check(showtime) for showtime in holding]
    paid_sales = sales_check(paying)

    loads = [healthz, healthz_end, seat_map, booking, paid_booking, payment]
    baseline = (healthz.rate + healthz_end.rate) / 2
    server_errors = sum(load.server_errors for load in loads)
    paid = payment.statuses.get(200, 0)

    def line(name: str, load: Load, unit: str = "req/s") -> str:
        return (
            f"{name:<15} {load.rate:8.0f} {unit:<6} p50 {load.percentile(50):6.1f} ms   "
            f"p99 {load.percentile(99):6.1f} ms"
        )

    def conflicts(load: Load) -> str:
        n = load.statuses.get(409, 0)
        return f"409 rate {n / max(load.count, 1):.1%} ({n} of {load.count})"

    print()
    print(
        f"gunicorn: {args.workers} workers; {args.clients} clients in {processes} processes; {os.cpu_count()} CPUs"
    )
    print(line("/healthz", healthz) + "   (at the start)")
    print(
        line("/healthz", healthz_end) + f"   (at the end; baseline: the mean, {baseline:.0f} req/s)"
    )
    print(
        line("seat map", seat_map)
        + f"   = {seat_map.rate / baseline:.3f} x /healthz (target >= 0.200)"
    )
    print()
    print(
        f"Sell-outs 1-{args.rounds}, holding seats ({capacity} seats each, {args.clients} clients):"
    )
    print(
        line("  booking", booking)
        + f"   = {booking.rate / baseline:.3f} x /healthz (target >= 0.100)"
    )
    print(
        f"  holds         {holds / booking.elapsed:8.0f} /s      {holds} bookings in {booking.elapsed:.1f} s; {conflicts(booking)}"
    )
    print()
    print(f"Sell-out {runs}, holding and paying at once:")
    print(line("  booking", paid_booking) + f"   = {paid_booking.rate / baseline:.3f} x /healthz")
    print(
        f"  holds         {paid_holds / paid_booking.elapsed:8.0f} /s      {paid_holds} bookings; {conflicts(paid_booking)}"
    )
    print(line("  payment", payment) + f"   ({dict(payment.statuses)})")
    print(
        f"  paid          {paid / payment.elapsed:8.0f} /s      {paid} paid bookings in {payment.elapsed:.1f} s"
    )
    print()
    print(f"5xx answers     {server_errors}")
    for name, load, (app, db, client) in [
        ("/healthz", healthz, healthz_cpu),
        ("seat map", seat_map, seat_map_cpu),
        ("holding", booking, booking_cpu),
        ("paying", paid_booking, paying_cpu),
    ]:
        requests = load.count + (payment.count if load is paid_booking else 0)
        print(
            f"cpu {name:<11} app {1000 * app / requests:5.2f} ms/request   database "
            f"{1000 * db / requests:5.2f} ms/request   clients {1000 * client / requests:5.2f} ms/request"
        )
    twice = sum(check["twice"] for check in [*held_checks, paid_sales])
    claimed = [check["claimed"] for check in [*held_checks, paid_sales]]
    print(
        f"double sales    {twice} (SQL over all {runs} showtimes); seats claimed {claimed} of {capacity} "
        f"each; sold (paid) in sell-out {runs}: {paid_sales['sold']}"
    )
    ok = (
        server_errors == 0
        and twice == 0
        and all(count == capacity for count in claimed)
        and paid_sales["sold"] == capacity
        and paid == paid_holds
    )
    print("correctness     " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Reports benchmark: a year of a 6-hall cinema on MariaDB, and how long `/admin/stats/` takes.

    make bench-reports              # or: .venv/bin/python bench/reports.py --help

1. A fresh database `cinema_bench_reports` (dropped, created, migrated) and a year of a 6-hall
   cinema in it (bench/reports_data.py: about a million tickets sold, with the holds, payments,
   refunds and promotions around them), written with multi-row INSERTs. `--reuse` keeps the
   database of an earlier run instead.
2. The rollups built (`refresh_reports --rebuild`), timed.
3. `GET /api/v1/admin/stats/` through Django's test client (in this process, DEBUG off) as an
   administrator, for the last month and the last year, each `--repeat` times (the first, the
   best and the median are printed): right after the refresh, JSON and CSV; then after
   `--changes` bookings of the year were refunded in full (their showtimes are computed live
   until the next refresh); then from the records alone (rollups ignored), once each.
4. EXPLAIN of every query of the year's report: the index each table is read by.

Target: a year's report under 1 s. The machine has 2 cores shared with others: the numbers move
with their load (printed at the start and the end).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

# The repository root instead of bench/: `bench.*` imports as a package, `reports` as the app.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import fixtures  # noqa: E402

TIMEZONE = "Europe/Berlin"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_REPORTS_DATABASE_URL", "mysql://root@127.0.0.1:3306/cinema_bench_reports"
        ),
    )
    parser.add_argument("--days", type=int, default=365, help="days of data, ending yesterday")
    parser.add_argument(
        "--scale", type=float, default=1.08, help="sales per showtime (1.08: ~1M tickets a year)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--changes",
        type=int,
        default=50,
        help="bookings refunded after the refresh (a busy few minutes between two refreshes)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    return parser.parse_args()


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> int:
    args = arguments()
    os.environ.update(fixtures.environment(args.database_url))
    name = args.database_url.rsplit("/", 1)[-1]
    print(f"Reports benchmark: database {name}; {load()}", flush=True)
    if not args.reuse:
        fixtures.database_recreate(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bench import reports_data

    if not args.reuse:
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated in {time.monotonic() - started:.1f} s", flush=True)
        first = timezone.localdate() - timedelta(days=args.days)
        counts = reports_data.generate(
            first_day=first, days=args.days, timezone_name=TIMEZONE, scale=args.scale
        )
        print(
            f"generated {args.days} days in {counts.seconds:.0f} s: {counts.showtimes:,} showtimes, "
            f"{counts.bookings:,} bookings sold with {counts.tickets:,} tickets, "
            f"{counts.expired:,} expired holds with {counts.expired_tickets:,} tickets, "
            f"{counts.payments:,} payments, {counts.refunds:,} refunds",
            flush=True,
        )
    _rollups_build()
    admin = _admin()
    last = timezone.localdate() - timedelta(days=1)
    periods = {
        "month": (last - timedelta(days=29), last),
        "year": (last - timedelta(days=364), last),
    }
    queries = {
        label: {"from": first.isoformat(), "to": until.isoformat()}
        for label, (first, until) in periods.items()
    }
    print()
    print(f"GET /api/v1/admin/stats/, {args.repeat} times each (ms: first, best, median):")
    print(" right after the refresh (every showtime from the rollups):")
    for label, query in queries.items():
        print(_timed(admin, f"{label} JSON", query, args.repeat)[0])
        print(_timed(admin, f"{label} CSV", {**query, "format": "csv"}, args.repeat)[0])
    _activity(args.changes)
    print(f" after {args.changes} refunds since the refresh (their showtimes computed live):")
    rolled = {}
    for label, query in queries.items():
        line, rolled[label] = _timed(admin, f"{label} JSON", query, args.repeat)
        print(line)
    print(" from the records alone (rollups ignored), once:")
    same = True
    for label, query in queries.items():
        line, content = _timed(admin, f"{label} live", query, 1, live=True)
        print(line)
        same &= content == rolled[label]
    print(f"the same report from the rollups as from the records alone: {same}")
    print()
    print(
        "EXPLAIN of the year's report (JSON, with the refunds since the refresh), query by query:"
    )
    _explain(admin, queries["year"])
    print()
    print(f"Done; {load()}")
    return 0 if same else 1


def _rollups_build() -> None:
    from reports.services import report_rollups_refresh

    started = time.monotonic()
    result = report_rollups_refresh(rebuild=True)
    print(
        f"rollups built in {time.monotonic() - started:.1f} s ({result.showtimes:,} showtimes)",
        flush=True,
    )


def _activity(changes: int) -> None:
    """Bookings of the year refunded in full after the refresh (as an administrator would, but
    written directly: the sandbox provider has no ledger for the generated charges)."""
    from django.db import transaction
    from django.utils import timezone

    from booking.models import Booking, BookingStatus
    from payments.models import Payment, PaymentStatus, Refund, RefundStatus

    now = timezone.now()
    confirmed = list(
        Booking.objects.filter(status=BookingStatus.CONFIRMED, payments__status="SUCCEEDED")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    step = max(len(confirmed) // max(changes, 1), 1)
    chosen = confirmed[::step][:changes]
    with transaction.atomic():
        for payment in Payment.objects.filter(booking_id__in=chosen, status="SUCCEEDED"):
            Refund.objects.create(
                payment=payment,
                amount=payment.amount,
                status=RefundStatus.SUCCEEDED,
                reason="Bench",
                completed_at=now,
            )
            payment.amount_refunded = payment.amount
            payment.status = PaymentStatus.REFUNDED
            payment.save(update_fields=["amount_refunded", "status", "updated_at"])
        Booking.objects.filter(pk__in=chosen).update(
            status=BookingStatus.CANCELLED, cancelled_at=now, cancellation_reason="Bench"
        )
    showtimes = Booking.objects.filter(pk__in=chosen).values("showtime").distinct().count()
    print(
        f"activity after the refresh: {len(chosen)} bookings refunded in full, on {showtimes} "
        "showtimes (read live by the reports)",
        flush=True,
    )


def _admin():
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import AccountState, Role, User

    user, _ = User.objects.get_or_create(
        email="bench.admin@example.com",
        defaults={"role": Role.ADMIN, "state": AccountState.ACTIVE},
    )
    return str(AccessToken.for_user(user))


def _get(token: str, query: dict):
    from django.test import Client

    response = Client().get(
        "/api/v1/admin/stats/",
        query,
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_HOST="127.0.0.1",
    )
    assert response.status_code == 200, response.content[:500]
    return response


def _timed(
    token: str, label: str, query: dict, repeat: int, *, live: bool = False
) -> tuple[str, bytes]:
    """A line of timings, and the last answer."""
    from reports.models import RollupState

    saved = RollupState.objects.get(pk=1).refreshed_at
    if live:
        RollupState.objects.filter(pk=1).update(refreshed_at=None)
    try:
        times, content = [], b""
        for _ in range(repeat):
            started = time.perf_counter()
            content = _get(token, query).content
            times.append(1000 * (time.perf_counter() - started))
    finally:
        RollupState.objects.filter(pk=1).update(refreshed_at=saved)
    best, median = min(times), statistics.median(times)
    line = (
        f"  {label:<12} first {times[0]:7.0f}   best {best:7.0f}   median {median:7.0f}   "
        f"({len(content) / 1e6:.1f} MB)"
    )
    return line, content


def _explain(token: str, query: dict) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        _get(token, query)
    with connection.cursor() as cursor:
        for number, entry in enumerate(captured.captured_queries, 1):
            # A transaction's first statement carries its start (core/backends/mysql).
            sql = entry["sql"].removeprefix("START TRANSACTION; ")
            if not sql.lstrip("(").upper().startswith("SELECT"):
                continue
            print(f"{number:2}. {float(entry['time']) * 1000:6.0f} ms  {sql[:110]}...")
            cursor.execute("EXPLAIN " + sql)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                plan = dict(zip(columns, row, strict=True))
                print(
                    f"      {plan['select_type']:<18} {str(plan['table'])[:24]:<24} "
                    f"{plan['type']!s:<7} key={plan['key']} rows={plan['rows']} "
                    f"{plan['Extra'] or ''}"
                )


if __name__ == "__main__":
    sys.exit(main())

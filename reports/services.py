"""Refreshing the rollups: `manage.py refresh_reports` from cron, every few minutes, on as many
hosts as you like (a lease lets one run at a time; the others return at once)."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_EVEN
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from booking.models import Booking
from screening.models import Showtime

from . import locks
from .facts import KINDS, Where, changed_showtimes, money_rows, records_span, seat_rows, share_rows
from .models import SHARE_UNIT, TYPE_COLUMNS, RollupState, ShowtimeMoney, ShowtimeSeats
from .periods import Period
from .selectors import CHANGE_MARGIN, cinemas_with_halls, zones_of

LEASE = timedelta(minutes=10)
# The money columns of a rollup row: each kind, and each kind's share of each ticket type.
MONEY_COLUMNS = [
    *KINDS,
    *(f"{kind}_{column}" for kind in KINDS for column in TYPE_COLUMNS.values()),
]
BATCH = 500


@dataclass(frozen=True)
class RefreshResult:
    showtimes: int  # showtimes whose rollups were computed again
    skipped: bool = False  # another refresh holds the lease
    rebuilt: bool = False


def report_rollups_refresh(*, rebuild: bool = False, batch_size: int = BATCH) -> RefreshResult:
    """Bring the rollups up to date: compute again the rollups of every showtime that changed
    since the last refresh (`facts.changed_showtimes`, from a margin before it), or of every
    showtime with bookings the first time or with `rebuild` (the report is computed live
    meanwhile), and of the showtimes of a cinema whose time zone changed.

    Batches of `batch_size` showtimes: read without a transaction, then their rows replaced in
    a short one under the state's lock (reports/locks.py), which renews the lease. The state
    then says "as of the start of this refresh": every row reflects the records as they were
    then or later, and what changed after is found again by the next report or refresh.
    """
    started = timezone.now()
    state = _lease_take(started, rebuild=rebuild)
    if state is None:
        return RefreshResult(0, skipped=True)
    try:
        cinemas = cinemas_with_halls()
        zones = {str(pk): cinema.timezone for pk, cinema in cinemas.items()}
        full = rebuild or state.refreshed_at is None
        if full:
            targets = set(
                Booking.objects.order_by().values_list("showtime_id", flat=True).distinct()
            )
        else:
            targets = changed_showtimes(state.refreshed_at - CHANGE_MARGIN)
            rezoned = [pk for pk, zone in zones.items() if state.zones.get(pk, zone) != zone]
            if rezoned:
                targets |= set(
                    Showtime.objects.filter(hall__cinema__in=rezoned).values_list("pk", flat=True)
                )
        ordered = sorted(targets)
        for start in range(0, len(ordered), batch_size):
            chunk = ordered[start : start + batch_size]
            money, seats = _rollups_compute(chunk, cinemas)
            with transaction.atomic(durable=True):
                state = locks.rollup_state_lock()
                state.lease_until = timezone.now() + LEASE
                state.save(update_fields=["lease_until"])
                ShowtimeMoney.objects.filter(showtime_id__in=chunk).delete()
                ShowtimeSeats.objects.filter(showtime_id__in=chunk).delete()
                ShowtimeMoney.objects.bulk_create(money, batch_size=1000)
                ShowtimeSeats.objects.bulk_create(seats, batch_size=1000)
        if full:
            # Rows of showtimes that no longer have bookings (none should): gone.
            with transaction.atomic(durable=True):
                locks.rollup_state_lock()
                ShowtimeMoney.objects.exclude(showtime_id__in=ordered).delete()
                ShowtimeSeats.objects.exclude(showtime_id__in=ordered).delete()
        with transaction.atomic(durable=True):
            state = locks.rollup_state_lock()
            state.refreshed_at = started
            state.zones = zones
            state.lease_until = None
            state.save()
    except BaseException:
        _lease_release()
        raise
    return RefreshResult(len(ordered), rebuilt=full)


def _lease_take(now, *, rebuild: bool) -> RollupState | None:
    with transaction.atomic(durable=True):
        state = locks.rollup_state_lock()
        if state.lease_until is not None and state.lease_until > now:
            return None
        state.lease_until = now + LEASE
        if rebuild:
            state.refreshed_at = None  # reports go live until the rebuild is done
        state.save()
        return state


def _lease_release() -> None:
    with transaction.atomic(durable=True):
        state = locks.rollup_state_lock()
        state.lease_until = None
        state.save(update_fields=["lease_until"])


def _rollups_compute(showtime_ids: list[int], cinemas) -> tuple[list, list]:
    """The rollup rows of these showtimes, from the same queries as a live report."""
    info = {
        pk: (cinema, movie, starts_at)
        for pk, cinema, movie, starts_at in Showtime.objects.filter(pk__in=showtime_ids)
        .order_by()
        .values_list("pk", "hall__cinema_id", "movie_id", "starts_at")
    }
    span = records_span(showtime_ids)
    if span is None:
        days = Period(timezone.localdate(), timezone.localdate())
    else:
        days = Period(span[0].date() - timedelta(days=2), span[1].date() + timedelta(days=2))
    where = Where(
        zones=zones_of(cinemas),
        filtered=False,
        movie_id=None,
        period=None,
        span=days,
        showtimes=tuple(showtime_ids),
        halls=(),
    )
    money: dict[tuple, dict[str, int]] = {}
    for row in money_rows(where):
        key = (row.day, row.showtime_id, row.method)
        if key not in money:
            money[key] = dict.fromkeys(MONEY_COLUMNS, 0)
        money[key][row.kind] += int(row.amount.scaleb(2))
    for share in share_rows(where, detailed=True):
        key = (share.day, share.showtime_id, share.method)
        column = f"{share.kind}_{TYPE_COLUMNS[share.ticket_type]}"
        money[key][column] += int((share.amount / SHARE_UNIT).to_integral_value(ROUND_HALF_EVEN))
    rows = []
    for (day, showtime_id, method), columns in money.items():
        cinema, movie, _ = info[showtime_id]
        rows.append(
            ShowtimeMoney(
                day=day,
                showtime_id=showtime_id,
                method=method,
                cinema_id=cinema,
                movie_id=movie,
                **columns,
            )
        )
    seats = []
    for row in seat_rows(where):
        cinema, movie, starts_at = info[row.showtime_id]
        counts = {}
        for code, column in TYPE_COLUMNS.items():
            counts[f"{column}_tickets"], counts[f"{column}_bookings"] = row.types[code]
        seats.append(
            ShowtimeSeats(
                day=starts_at.astimezone(ZoneInfo(cinemas[cinema].timezone)).date(),
                showtime_id=row.showtime_id,
                method=row.method,
                cinema_id=cinema,
                movie_id=movie,
                tickets=row.tickets,
                bookings=row.bookings,
                **counts,
            )
        )
    return rows, seats

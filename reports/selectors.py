"""The sales report: revenue and occupancy of a period, from the records the apps keep (payments,
refunds, bookings, tickets, showtimes), in a fixed number of aggregate queries.

Which day a figure counts on - the rule an accountant can check against the bank:

- Money counts on the local day (the cinema's time zone) when it moved. A payment that captured
  money - SUCCEEDED, PARTIALLY_REFUNDED or REFUNDED; a refund never turns a capture into no
  capture - counts on its `created_at`: when the card was charged (the charge is made in the
  request that creates the payment, so the provider dates it then too, even when our answer came
  later through reconciliation) or the cash was taken at the counter. A SUCCEEDED refund counts
  on its `created_at` likewise: when it was asked of the provider (or paid out at the till). A
  promotion's discount counts with its sale: the booking's `confirmed_at`.
- Seats count on the local day the showtime starts: tickets sold, bookings and occupancy of the
  showtimes of the period, whenever they were sold. A ticket is sold while its booking is
  CONFIRMED; a cancelled booking (a full refund cancels it) has none. A cancelled showtime offers
  no seats.

So a sale on 31 January for a show on 2 February is January's money and February's ticket; its
refund on 3 February is February's money, and the ticket is no longer sold.

The figures, for the whole period and for every row of every breakdown:
- revenue: `gross` (what was charged plus what promotions took off), `discounts`, `refunds`,
  `net` = gross - discounts - refunds = what was charged less what was refunded: to the cent,
  the payments ledger of the same days;
- `tickets_sold`, `bookings` (confirmed ones) and `occupancy` (tickets sold over the seats the
  showtimes offer).

A row is a movie, a showtime, a cinema, a local day, a ticket type or a payment method. A
booking's payment method is that of its first captured payment (FREE: a booking a promotion made
free, paid by nothing). Money has no ticket type of its own: each amount of a booking is shared
among its tickets by their prices, and the rows are rounded to cents so that they add up to the
total (largest remainders). In `by_ticket_type` and `by_payment_method` occupancy is the share
of the period's seats sold with that type or method, and `bookings` counts the bookings with at
least one such ticket (so that column does not add up: a booking may have several types).

Where the figures come from: the rollups (reports/models.py) for every showtime that has not
changed since they were last refreshed, and the records themselves (reports/facts.py) for the
others - those with a booking confirmed or cancelled, a payment written or a refund made since
(less a margin for transactions still committing then), and all of them when the rollups were
never refreshed. Both are the same queries (the refresh runs those of reports/facts.py), so the
report is the same either way; only its cost differs.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum

from booking.models import TicketTypeCode
from booking.selectors import Occupancy
from payments.models import PaymentMethod
from screening.models import Cinema, ShowtimeStatus

from .facts import (
    CHARGED,
    DISCOUNTS,
    FREE,
    KINDS,
    REFUNDS,
    Where,
    changed_showtimes,
    money_rows,
    seat_rows,
    share_rows,
    showtime_rows,
)
from .models import SHARE_UNIT, TYPE_COLUMNS, RollupState, ShowtimeMoney, ShowtimeSeats
from .periods import Period

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
METHOD_LABELS = {**dict(PaymentMethod.choices), FREE: "Free (a promotion paid it all)"}
# A change is looked for from this long before the last refresh: a transaction commits a little
# after the time it wrote down (the services' transactions are short, lock waits end within
# seconds), and the hosts' clocks differ by a little.
CHANGE_MARGIN = timedelta(minutes=2)

BREAKDOWNS = (
    "by_movie",
    "by_showtime",
    "by_cinema",
    "by_day",
    "by_ticket_type",
    "by_payment_method",
)


@dataclass
class Figures:
    """What every row of the report says. `charged` is what payments captured; `seats` what the
    row's showtimes offered."""

    charged: Decimal = ZERO
    discounts: Decimal = ZERO
    refunds: Decimal = ZERO
    tickets_sold: int = 0
    bookings: int = 0
    seats: int = 0

    @property
    def gross(self) -> Decimal:
        return self.charged + self.discounts

    @property
    def net(self) -> Decimal:
        return self.charged - self.refunds

    @property
    def occupancy(self) -> Occupancy:
        return Occupancy(self.tickets_sold, self.seats)

    def add(self, other: "Figures") -> None:
        self.charged += other.charged
        self.discounts += other.discounts
        self.refunds += other.refunds
        self.tickets_sold += other.tickets_sold
        self.bookings += other.bookings
        self.seats += other.seats

    def add_money(self, kind: str, amount: Decimal) -> None:
        setattr(self, kind, getattr(self, kind) + amount)

    def add_seats(self, tickets: int, bookings: int) -> None:
        self.tickets_sold += tickets
        self.bookings += bookings


@dataclass
class Row:
    key: dict[str, Any]
    figures: Figures = field(default_factory=Figures)


@dataclass
class Report:
    period: Period
    cinema_id: int | None
    movie_id: int | None
    currency: str
    total: Figures
    by_movie: list[Row]
    by_showtime: list[Row]
    by_cinema: list[Row]
    by_day: list[Row]
    by_ticket_type: list[Row]
    by_payment_method: list[Row]


@dataclass(frozen=True)
class _Cinema:
    name: str
    timezone: str
    halls: tuple[int, ...]


def stats_for_period(
    *, period: Period, cinema_id: int | None = None, movie_id: int | None = None
) -> Report:
    """The report of `period` (local days of each cinema), for one cinema or movie or all.

    A fixed number of queries whatever the period. On MySQL they read one snapshot (REPEATABLE
    READ, one statement more), so that the figures of one query agree with those of the next
    while sales go on.
    """
    if connection.vendor == "mysql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _report(period, cinema_id, movie_id)
    return _report(period, cinema_id, movie_id)


def cinemas_with_halls() -> dict[int, _Cinema]:
    """Every cinema with its time zone and halls. One query."""
    names, halls = {}, defaultdict(list)
    for pk, name, zone, hall in Cinema.objects.order_by().values_list(
        "pk", "name", "timezone", "halls"
    ):
        names[pk] = (name, zone)
        if hall is not None:
            halls[pk].append(hall)
    return {pk: _Cinema(name, zone, tuple(sorted(halls[pk]))) for pk, (name, zone) in names.items()}


def zones_of(cinemas: dict[int, _Cinema]) -> dict[str, tuple[int, ...]]:
    zones = defaultdict(list)
    for cinema in cinemas.values():
        zones[cinema.timezone].extend(cinema.halls)
    return {zone: tuple(sorted(halls)) for zone, halls in zones.items()}


def _report(period: Period, cinema_id: int | None, movie_id: int | None) -> Report:
    cinemas = cinemas_with_halls()
    in_scope = {pk: c for pk, c in cinemas.items() if cinema_id is None or pk == cinema_id}
    where = Where(
        zones=zones_of(in_scope),
        filtered=len(in_scope) < len(cinemas),
        movie_id=movie_id,
        period=period,
        span=period,
    )
    sums = _Sums(period)
    state = RollupState.objects.filter(pk=1).first()
    live = where
    if state is not None and state.refreshed_at is not None:
        changed = changed_showtimes(state.refreshed_at - CHANGE_MARGIN)
        # A cinema whose time zone changed since the refresh: its local days are out of date.
        rezoned = [
            pk for pk, c in in_scope.items() if state.zones.get(str(pk), c.timezone) != c.timezone
        ]
        _rollups_read(sums, period, list(in_scope), movie_id, changed, rezoned)
        live = replace(
            where,
            showtimes=tuple(sorted(changed)),
            halls=tuple(hall for pk in rezoned for hall in in_scope[pk].halls),
        )
    for money in money_rows(live):
        sums.money(money.kind, money.showtime_id, money.method, money.day, money.amount)
    for share in share_rows(live):
        sums.shares[share.kind][share.ticket_type] += share.amount
    for seats in seat_rows(live):
        sums.seats(seats.showtime_id, seats.method, seats.tickets, seats.bookings, seats.types)
    # Money's showtimes beyond those the period's seats bring (the query lists their ids).
    showtimes = showtime_rows(where, set(sums.by_showtime) - set(sums.seats_of))
    return sums.report(showtimes, in_scope, cinema_id, movie_id)


def _rollups_read(
    sums: "_Sums",
    period: Period,
    cinema_ids: list[int],
    movie_id: int | None,
    changed: set[int],
    rezoned: list[int],
) -> None:
    """Add the rollups of the period's unchanged showtimes. Four queries, each grouped as far as
    the report needs (a year of a 6-hall cinema is some 90,000 rows of money and 30,000 of
    seats)."""
    scope = {"day__gte": period.first, "day__lte": period.last, "cinema_id__in": cinema_ids or [0]}
    if movie_id is not None:
        scope["movie_id"] = movie_id
    money = (
        ShowtimeMoney.objects.filter(**scope)
        .exclude(showtime_id__in=changed)
        .exclude(cinema_id__in=rezoned)
        .order_by()
    )
    seats = (
        ShowtimeSeats.objects.filter(**scope)
        .exclude(showtime_id__in=changed)
        .exclude(cinema_id__in=rezoned)
        .order_by()
    )
    for showtime_id, *cents in _fetch(
        money.values_list("showtime_id").annotate(*(Sum(kind) for kind in KINDS))
    ):
        figures = sums.by_showtime[showtime_id]
        for kind, amount in zip(KINDS, cents, strict=True):
            figures.add_money(kind, _cents(amount))
    # Grouped by day - the order of the primary key, so no sorting - with the payment methods
    # and the ticket types' shares as columns.
    methods = [(method, kind) for method in sums.by_method for kind in KINDS]
    shares = [
        (kind, code, f"{kind}_{column}") for kind in KINDS for code, column in TYPE_COLUMNS.items()
    ]
    columns = {f"all_{kind}": Sum(kind) for kind in KINDS}
    columns |= {f"{method}_{kind}": Sum(kind, filter=Q(method=method)) for method, kind in methods}
    columns |= {f"share_{column}": Sum(column) for _, _, column in shares}
    for day, *amounts in _fetch(money.values_list("day").annotate(**columns)):
        of_day = sums.by_day[_date(day)].figures
        for kind, amount in zip(KINDS, amounts, strict=False):
            of_day.add_money(kind, _cents(amount))
            sums.total.add_money(kind, _cents(amount))
        amounts = amounts[len(KINDS) :]
        for (method, kind), amount in zip(methods, amounts, strict=False):
            if amount:
                sums.by_method[method].add_money(kind, _cents(amount))
        for (kind, code, _), units in zip(shares, amounts[len(methods) :], strict=True):
            sums.shares[kind][code] += Decimal(int(units)) * SHARE_UNIT
    # Grouped by day and showtime: the order of the primary key, so no sorting.
    for _, showtime_id, tickets, bookings in _fetch(
        seats.values_list("day", "showtime_id").annotate(Sum("tickets"), Sum("bookings"))
    ):
        sums.seats_of[showtime_id].add_seats(int(tickets), int(bookings))
    counts = [
        f"{column}_{what}" for column in TYPE_COLUMNS.values() for what in ("tickets", "bookings")
    ]
    for method, tickets, bookings, *by_type in _fetch(
        seats.values_list("method").annotate(
            Sum("tickets"), Sum("bookings"), *(Sum(count) for count in counts)
        )
    ):
        sums.by_method[method].add_seats(int(tickets), int(bookings))
        for index, code in enumerate(TYPE_COLUMNS):
            sums.by_type[code].add_seats(int(by_type[2 * index]), int(by_type[2 * index + 1]))


def _fetch(queryset) -> list[tuple]:
    """The rows of a queryset as the database driver gives them: a year of rollups is tens of
    thousands of rows, and Django's per-value conversions would cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _cents(value) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class _Sums:
    """The report's figures as they are added up, by each breakdown's key."""

    def __init__(self, period: Period):
        self.period = period
        self.total = Figures()
        self.by_showtime: dict[int, Figures] = defaultdict(Figures)
        self.by_day = {day: Row({"date": day}) for day in period.days}
        self.by_method = {method: Figures() for method in (*PaymentMethod.values, FREE)}
        self.by_type = {code: Figures() for code in TicketTypeCode.values}
        self.shares: dict[str, dict[str, Decimal]] = {kind: defaultdict(Decimal) for kind in KINDS}
        self.seats_of: dict[int, Figures] = defaultdict(Figures)

    def money(self, kind: str, showtime_id: int, method: str, day: date, amount: Decimal) -> None:
        self.by_showtime[showtime_id].add_money(kind, amount)
        self.by_method[method].add_money(kind, amount)
        self.by_day[day].figures.add_money(kind, amount)
        self.total.add_money(kind, amount)

    def seats(self, showtime_id, method, tickets, bookings, types) -> None:
        self.seats_of[showtime_id].add_seats(tickets, bookings)
        self.by_method[method].add_seats(tickets, bookings)
        for code, (type_tickets, type_bookings) in types.items():
            self.by_type[code].add_seats(type_tickets, type_bookings)

    def report(self, showtimes, cinemas: dict[int, _Cinema], cinema_id, movie_id) -> Report:
        """The report, from the showtimes (in the order of their start) and the sums."""
        zones = {pk: ZoneInfo(cinema.timezone) for pk, cinema in cinemas.items()}
        first, last, total, by_day = self.period.first, self.period.last, self.total, self.by_day
        scheduled = ShowtimeStatus.SCHEDULED
        by_showtime: dict[int, Row] = {}
        for pk, starts_at, status, movie, title, cinema, hall, capacity in showtimes:
            money = self.by_showtime.get(pk)
            figures = Figures(money.charged, money.discounts, money.refunds) if money else Figures()
            day = starts_at.astimezone(zones[cinema]).date()
            if first <= day <= last:
                sold = self.seats_of.get(pk)
                if sold is not None:
                    figures.tickets_sold, figures.bookings = sold.tickets_sold, sold.bookings
                figures.seats = capacity if status == scheduled else 0
                of_day = by_day[day].figures
                of_day.tickets_sold += figures.tickets_sold
                of_day.bookings += figures.bookings
                of_day.seats += figures.seats
                total.tickets_sold += figures.tickets_sold
                total.bookings += figures.bookings
                total.seats += figures.seats
            by_showtime[pk] = Row(
                {
                    "showtime": pk,
                    "starts_at": starts_at,
                    "movie": movie,
                    "title": title,
                    "cinema": cinema,
                    "hall": hall,
                    "status": status,
                },
                figures,
            )
        for figures in (*self.by_type.values(), *self.by_method.values()):
            figures.seats = self.total.seats
        by_type = {
            code: Row({"ticket_type": code, "label": label}, self.by_type[code])
            for code, label in TicketTypeCode.choices
        }
        _apportion(self.total, self.shares, by_type)

        by_movie: dict[int, Row] = {}
        by_cinema = {
            pk: Row({"cinema": pk, "name": cinema.name, "timezone": cinema.timezone})
            for pk, cinema in sorted(cinemas.items(), key=lambda item: (item[1].name, item[0]))
        }
        for row in by_showtime.values():
            movie = row.key["movie"]
            if movie not in by_movie:
                by_movie[movie] = Row({"movie": movie, "title": row.key["title"]})
            by_movie[movie].figures.add(row.figures)
            by_cinema[row.key["cinema"]].figures.add(row.figures)
        return Report(
            period=self.period,
            cinema_id=cinema_id,
            movie_id=movie_id,
            currency=settings.CURRENCY,
            total=self.total,
            by_movie=sorted(
                by_movie.values(),
                key=lambda row: (-row.figures.net, row.key["title"], row.key["movie"]),
            ),
            by_showtime=list(by_showtime.values()),
            by_cinema=list(by_cinema.values()),
            by_day=list(self.by_day.values()),
            by_ticket_type=list(by_type.values()),
            by_payment_method=[
                Row({"payment_method": method, "label": METHOD_LABELS[method]}, figures)
                for method, figures in self.by_method.items()
                if method != FREE or _has_figures(figures)
            ],
        )


def _has_figures(figures: Figures) -> bool:
    return bool(figures.charged or figures.discounts or figures.refunds or figures.tickets_sold)


def _apportion(total: Figures, shares: dict[str, dict[str, Decimal]], rows: dict[str, Row]) -> None:
    """Round each kind of money per ticket type to cents so that the rows add up to the total:
    each row gets its share rounded down, and the cents left go to the largest remainders."""
    for kind in (CHARGED, DISCOUNTS, REFUNDS):
        amounts = shares.get(kind, {})
        floors = {
            code: amounts.get(code, ZERO).quantize(CENT, rounding=ROUND_FLOOR) for code in rows
        }
        left = int((getattr(total, kind) - sum(floors.values(), ZERO)) / CENT)
        order = sorted(rows, key=lambda code: (floors[code] - amounts.get(code, ZERO), code))
        for index in range(max(left, 0)):
            floors[order[index % len(order)]] += CENT
        for code, amount in floors.items():
            setattr(rows[code].figures, kind, amount)

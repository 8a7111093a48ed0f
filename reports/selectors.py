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
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from booking.models import Booking, Ticket, TicketTypeCode
from booking.selectors import Occupancy, tickets_sold
from payments.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus
from screening.models import Cinema, Showtime, ShowtimeStatus

from .periods import Period, local_date, period_q

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# A payment that took money: refunds change its status, not the fact that it did.
CAPTURED = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
FREE = "FREE"
METHOD_LABELS = {**dict(PaymentMethod.choices), FREE: "Free (a promotion paid it all)"}
# Allocated shares of money keep this many places until the rows are rounded.
SHARE = DecimalField(max_digits=28, decimal_places=10)

CHARGED, DISCOUNTS, REFUNDS = "charged", "discounts", "refunds"


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


BREAKDOWNS = (
    "by_movie",
    "by_showtime",
    "by_cinema",
    "by_day",
    "by_ticket_type",
    "by_payment_method",
)


@dataclass(frozen=True)
class _Cinema:
    name: str
    timezone: str
    halls: tuple[int, ...]


@dataclass(frozen=True)
class _Scope:
    """What the report covers: its period, and the cinemas and the movie it is filtered to.

    Cinemas are told apart by their halls' ids (a showtime's `hall_id`), so that the queries
    join no more than the showtime: the fewer the joins, the surer MariaDB is to start from the
    range of dates.
    """

    period: Period
    cinemas: dict[int, _Cinema]  # the cinemas in scope
    filtered: bool  # some cinemas are left out
    movie_id: int | None

    def showtime_q(self, showtime: str = "") -> Q:
        """The showtimes in scope, at the path `showtime` (the row itself when empty)."""
        q = Q()
        if self.filtered:
            q &= Q(**{_path(showtime, "hall_id__in"): self._halls(self.cinemas.values())})
        if self.movie_id is not None:
            q &= Q(**{_path(showtime, "movie_id"): self.movie_id})
        return q

    def when(self, field_name: str, showtime: str = "") -> Q:
        """`field_name` (a timestamp) in the period, in the time zone of the cinema of the
        showtime at the path `showtime`."""
        return period_q(field_name, self.period, self._zones(showtime))

    def day(self, field_name: str, showtime: str = ""):
        """The local date of `field_name` (see `when`)."""
        return local_date(field_name, self.period, self._zones(showtime))

    def _zones(self, showtime: str) -> dict[str, Q]:
        by_zone: dict[str, list[_Cinema]] = defaultdict(list)
        for cinema in self.cinemas.values():
            by_zone[cinema.timezone].append(cinema)
        return {
            zone: Q(**{_path(showtime, "hall_id__in"): self._halls(cinemas)})
            for zone, cinemas in by_zone.items()
        }

    @staticmethod
    def _halls(cinemas: Iterable[_Cinema]) -> list[int]:
        return sorted(hall for cinema in cinemas for hall in cinema.halls) or [0]


def _path(showtime: str, name: str) -> str:
    return f"{showtime}__{name}" if showtime else name


def stats_for_period(
    *, period: Period, cinema_id: int | None = None, movie_id: int | None = None
) -> Report:
    """The report of `period` (local days of each cinema), for one cinema or movie or all.

    Five queries whatever the period: the cinemas, the money by showtime, day and method, the
    money by ticket type, the showtimes, and the tickets sold. On MySQL they read one snapshot
    (REPEATABLE READ, one statement more), so that the figures of one query agree with those of
    the next while sales go on.
    """
    if connection.vendor == "mysql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _report(period, cinema_id, movie_id)
    return _report(period, cinema_id, movie_id)


def _report(period: Period, cinema_id: int | None, movie_id: int | None) -> Report:
    halls = defaultdict(list)
    names = {}
    for pk, name, zone, hall in Cinema.objects.values_list("pk", "name", "timezone", "halls"):
        names[pk] = (name, zone)
        if hall is not None:
            halls[pk].append(hall)
    in_scope = {
        pk: _Cinema(name, zone, tuple(halls[pk]))
        for pk, (name, zone) in names.items()
        if cinema_id is None or pk == cinema_id
    }
    scope = _Scope(period, in_scope, len(in_scope) < len(names), movie_id)
    money = _money(scope)
    money_by_type = _money_by_ticket_type(scope)
    showtimes = _showtimes(scope, {showtime_id for _, showtime_id, _, _, _ in money})
    sold = _tickets_sold(scope)

    total = Figures()
    by_showtime: dict[int, Row] = {}
    by_day = {day: Row({"date": day}) for day in period.days}
    by_type = {
        code: Row({"ticket_type": code, "label": label}) for code, label in TicketTypeCode.choices
    }
    by_method = {
        method: Row({"payment_method": method, "label": METHOD_LABELS[method]})
        for method in (*PaymentMethod.values, FREE)
    }
    for showtime_id, info in showtimes.items():
        row = by_showtime[showtime_id] = Row(info["key"])
        if info["in_period"] and info["key"]["status"] == ShowtimeStatus.SCHEDULED:
            seats = Figures(seats=info["capacity"])
            row.figures.add(seats)
            by_day[info["day"]].figures.add(seats)
            total.add(seats)
    for kind, showtime_id, method, day, amount in money:
        entry = Figures(**{kind: amount})
        by_showtime[showtime_id].figures.add(entry)
        by_method[method].figures.add(entry)
        by_day[day].figures.add(entry)
        total.add(entry)
    for showtime_id, method, tickets, bookings, types in sold:
        entry = Figures(tickets_sold=tickets, bookings=bookings)
        by_showtime[showtime_id].figures.add(entry)
        by_day[showtimes[showtime_id]["day"]].figures.add(entry)
        by_method[method].figures.add(entry)
        total.add(entry)
        for code, (type_tickets, type_bookings) in types.items():
            by_type[code].figures.add(Figures(tickets_sold=type_tickets, bookings=type_bookings))
    for row in (*by_type.values(), *by_method.values()):
        row.figures.seats = total.seats
    _apportion(total, money_by_type, by_type)

    by_movie: dict[int, Row] = {}
    by_cinema = {
        pk: Row({"cinema": pk, "name": cinema.name, "timezone": cinema.timezone})
        for pk, cinema in sorted(in_scope.items(), key=lambda item: (item[1].name, item[0]))
    }
    for row in by_showtime.values():
        movie = row.key["movie"]
        if movie not in by_movie:
            by_movie[movie] = Row({"movie": movie, "title": row.key["title"]})
        by_movie[movie].figures.add(row.figures)
        by_cinema[row.key["cinema"]].figures.add(row.figures)
    return Report(
        period=period,
        cinema_id=cinema_id,
        movie_id=movie_id,
        currency=settings.CURRENCY,
        total=total,
        by_movie=sorted(
            by_movie.values(),
            key=lambda row: (-row.figures.net, row.key["title"], row.key["movie"]),
        ),
        by_showtime=sorted(
            by_showtime.values(), key=lambda row: (row.key["starts_at"], row.key["showtime"])
        ),
        by_cinema=list(by_cinema.values()),
        by_day=list(by_day.values()),
        by_ticket_type=list(by_type.values()),
        by_payment_method=[
            row for method, row in by_method.items() if method != FREE or _has_figures(row.figures)
        ],
    )


def _has_figures(figures: Figures) -> bool:
    return bool(figures.charged or figures.discounts or figures.refunds or figures.tickets_sold)


def _sale_method(booking: str) -> Coalesce:
    """For annotating rows: the payment method of the booking at the path `booking` (its id) - of
    its first captured payment; FREE when nothing was paid."""
    first = (
        Payment.objects.filter(booking=OuterRef(booking), status__in=CAPTURED)
        .order_by("pk")
        .values("method")[:1]
    )
    return Coalesce(Subquery(first), Value(FREE))


MONEY_COLUMNS = ("kind", "showtime_ref", "method_ref", "day")


def _money(scope: _Scope) -> list[tuple[str, int, str, date, Decimal]]:
    """(kind, showtime, method, local day, amount) of the money that moved in the period, in one
    query: a union of the captures, the discounts and the refunds."""
    charged = (
        Payment.objects.filter(
            scope.when("created_at", "booking__showtime"),
            scope.showtime_q("booking__showtime"),
            status__in=CAPTURED,
        )
        .annotate(
            kind=Value(CHARGED),
            showtime_ref=F("booking__showtime_id"),
            method_ref=F("method"),
            day=scope.day("created_at", "booking__showtime"),
        )
        .values(*MONEY_COLUMNS)
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    discounts = (
        Booking.objects.filter(
            scope.when("confirmed_at", "showtime"),
            scope.showtime_q("showtime"),
            confirmed_at__isnull=False,
            discount__gt=0,
        )
        .annotate(
            kind=Value(DISCOUNTS),
            showtime_ref=F("showtime_id"),
            method_ref=_sale_method("pk"),
            day=scope.day("confirmed_at", "showtime"),
        )
        .values(*MONEY_COLUMNS)
        .annotate(amount=Sum("discount"))
        .order_by()
    )
    refunds = (
        Refund.objects.filter(
            scope.when("created_at", "payment__booking__showtime"),
            scope.showtime_q("payment__booking__showtime"),
            status=RefundStatus.SUCCEEDED,
        )
        .annotate(
            kind=Value(REFUNDS),
            showtime_ref=F("payment__booking__showtime_id"),
            method_ref=F("payment__method"),
            day=scope.day("created_at", "payment__booking__showtime"),
        )
        .values(*MONEY_COLUMNS)
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    rows = charged.union(discounts, refunds, all=True).values_list(*MONEY_COLUMNS, "amount")
    return [
        (kind, showtime, method, day, Decimal(amount).quantize(CENT))
        for kind, showtime, method, day, amount in rows
    ]


def _shared(amount: str) -> ExpressionWrapper:
    """For annotating tickets: the ticket's share of an amount of its booking (at the path
    `amount`) - in proportion to its price within the booking's subtotal, or an equal share when
    all its tickets were free. In ten decimal places, multiplied before it is divided."""
    count = (
        Ticket.objects.filter(booking=OuterRef("booking_id"))
        .order_by()
        .values("booking")
        .annotate(n=Count("pk"))
        .values("n")
    )
    whole = Cast(amount, SHARE)
    return ExpressionWrapper(
        Case(
            When(booking__subtotal__gt=0, then=whole * F("price") / F("booking__subtotal")),
            default=whole / Subquery(count, output_field=IntegerField()),
        ),
        output_field=SHARE,
    )


def _money_by_ticket_type(scope: _Scope) -> dict[str, dict[str, Decimal]]:
    """{kind: {ticket type: amount}}: the money of `_money`, each booking's shared among its
    tickets by price (not rounded). One query."""
    columns = ("kind", "ticket_type")
    charged = (
        Ticket.objects.filter(
            scope.when("booking__payments__created_at", "booking__showtime"),
            scope.showtime_q("booking__showtime"),
            booking__payments__status__in=CAPTURED,
        )
        .annotate(kind=Value(CHARGED))
        .values(*columns)
        .annotate(amount=Sum(_shared("booking__payments__amount"), output_field=SHARE))
        .order_by()
    )
    discounts = (
        Ticket.objects.filter(
            scope.when("booking__confirmed_at", "booking__showtime"),
            scope.showtime_q("booking__showtime"),
            booking__confirmed_at__isnull=False,
            booking__discount__gt=0,
        )
        .annotate(kind=Value(DISCOUNTS))
        .values(*columns)
        .annotate(amount=Sum(_shared("booking__discount"), output_field=SHARE))
        .order_by()
    )
    refunds = (
        Ticket.objects.filter(
            scope.when("booking__payments__refunds__created_at", "booking__showtime"),
            scope.showtime_q("booking__showtime"),
            booking__payments__refunds__status=RefundStatus.SUCCEEDED,
        )
        .annotate(kind=Value(REFUNDS))
        .values(*columns)
        .annotate(amount=Sum(_shared("booking__payments__refunds__amount"), output_field=SHARE))
        .order_by()
    )
    result: dict[str, dict[str, Decimal]] = defaultdict(dict)
    union = charged.union(discounts, refunds, all=True).values_list(*columns, "amount")
    for kind, ticket_type, amount in union:
        result[kind][ticket_type] = Decimal(amount)
    return result


def _showtimes(scope: _Scope, money_showtimes: set[int]) -> dict[int, dict]:
    """The showtimes of the period, and those of other days that money of the period was for;
    each with its row's key, its seats, its local day and whether that is in the period."""
    rows = (
        Showtime.objects.filter(
            (scope.when("starts_at") & scope.showtime_q()) | Q(pk__in=sorted(money_showtimes))
        )
        .order_by()
        .values_list(
            "pk",
            "starts_at",
            "status",
            "movie_id",
            "movie__title",
            "hall__cinema_id",
            "hall__name",
            "hall__capacity",
        )
    )
    result = {}
    for pk, starts_at, status, movie_id, title, cinema_id, hall, capacity in rows:
        day = starts_at.astimezone(ZoneInfo(scope.cinemas[cinema_id].timezone)).date()
        result[pk] = {
            "key": {
                "showtime": pk,
                "starts_at": starts_at,
                "movie": movie_id,
                "title": title,
                "cinema": cinema_id,
                "hall": hall,
                "status": status,
            },
            "capacity": capacity,
            "day": day,
            "in_period": scope.period.first <= day <= scope.period.last,
        }
    return result


def _tickets_sold(scope: _Scope) -> list[tuple[int, str, int, int, dict[str, tuple[int, int]]]]:
    """(showtime, method, tickets, bookings, {ticket type: (tickets, bookings)}) sold for the
    showtimes of the period. One query."""
    showtimes = Showtime.objects.filter(scope.when("starts_at"), scope.showtime_q()).values("pk")
    per_type = {}
    for code in TicketTypeCode.values:
        of_type = Q(ticket_type=code)
        per_type[f"tickets_{code}"] = Count("pk", filter=of_type)
        per_type[f"bookings_{code}"] = Count("booking_id", distinct=True, filter=of_type)
    rows = (
        tickets_sold()
        .filter(booking__showtime__in=showtimes)
        .annotate(showtime_ref=F("booking__showtime_id"), method_ref=_sale_method("booking_id"))
        .values("showtime_ref", "method_ref")
        .annotate(tickets=Count("pk"), bookings=Count("booking_id", distinct=True), **per_type)
        .order_by()
    )
    return [
        (
            row["showtime_ref"],
            row["method_ref"],
            row["tickets"],
            row["bookings"],
            {
                code: (row[f"tickets_{code}"], row[f"bookings_{code}"])
                for code in TicketTypeCode.values
            },
        )
        for row in rows
    ]


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

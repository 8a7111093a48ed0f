"""The report's figures computed from the records themselves (payments, refunds, bookings,
tickets, showtimes), in aggregate queries: the rules of reports/selectors.py in SQL.

A report uses them live for what its rollups do not cover, and the refresh uses them to write
the rollups (reports/services.py): one implementation of the rules for both.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from booking.models import Booking, Ticket, TicketTypeCode
from booking.selectors import tickets_sold
from payments.models import Payment, PaymentStatus, Refund, RefundStatus
from screening.models import Showtime

from .periods import Period, local_date, period_q

CENT = Decimal("0.01")
# A payment that took money: refunds change its status, not the fact that it did.
CAPTURED = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)
FREE = "FREE"
CHARGED, DISCOUNTS, REFUNDS = "charged", "discounts", "refunds"
KINDS = (CHARGED, DISCOUNTS, REFUNDS)
# Shares of money by ticket type keep this many places until the report rounds them.
SHARE = DecimalField(max_digits=28, decimal_places=10)


class MoneyRow(NamedTuple):
    kind: str
    showtime_id: int
    method: str
    day: date
    amount: Decimal


class ShareRow(NamedTuple):
    """A kind of money's share of one ticket type; with `detailed`, per showtime, method, day."""

    kind: str
    ticket_type: str
    amount: Decimal
    showtime_id: int | None = None
    method: str | None = None
    day: date | None = None


class SeatRow(NamedTuple):
    showtime_id: int
    method: str
    tickets: int
    bookings: int
    types: dict[str, tuple[int, int]]  # ticket type: (tickets, bookings with one)


@dataclass(frozen=True)
class Where:
    """Which records a computation covers.

    `zones` maps each time zone to the halls of the cinemas in it (the cinemas in scope); a
    showtime's cinema is told by its `hall_id`, so that the queries join no further than the
    showtime. `period`: the local days whose money and showtimes count (None: all of them), with
    local dates computed for `span` (the period, or the days the records fall on). `showtimes`
    and `halls`, when given, limit it to those showtimes and those of those halls.
    """

    zones: dict[str, tuple[int, ...]]
    filtered: bool  # some cinemas are out of scope: only the halls of `zones` count
    movie_id: int | None
    period: Period | None
    span: Period
    showtimes: tuple[int, ...] | None = None
    halls: tuple[int, ...] | None = None

    @property
    def nothing(self) -> bool:
        return not self.zones or (self.showtimes == () and self.halls == ())

    def showtime_q(self, showtime: str = "") -> Q:
        """The showtimes covered, at the path `showtime` (the row itself when empty)."""
        q = Q()
        if self.filtered:
            q &= Q(**{_path(showtime, "hall_id__in"): _halls(self.zones.values())})
        if self.movie_id is not None:
            q &= Q(**{_path(showtime, "movie_id"): self.movie_id})
        if self.showtimes is not None or self.halls is not None:
            q &= Q(**{_path(showtime, "pk__in"): list(self.showtimes or ())}) | Q(
                **{_path(showtime, "hall_id__in"): list(self.halls or ())}
            )
        return q

    def when(self, field_name: str, showtime: str = "") -> Q:
        """`field_name` (a timestamp) in the period, in the time zone of the cinema of the
        showtime at the path `showtime`."""
        if self.period is None:
            return Q()
        return period_q(field_name, self.period, self._zones(showtime))

    def day(self, field_name: str, showtime: str = ""):
        """The local date of `field_name` (see `when`)."""
        return local_date(field_name, self.span, self._zones(showtime))

    def _zones(self, showtime: str) -> dict[str, Q]:
        return {
            zone: Q(**{_path(showtime, "hall_id__in"): _halls([halls])})
            for zone, halls in self.zones.items()
        }


def _path(showtime: str, name: str) -> str:
    return f"{showtime}__{name}" if showtime else name


def _halls(groups: Iterable[Iterable[int]]) -> list[int]:
    return sorted(hall for halls in groups for hall in halls) or [0]


def sale_method(booking: str) -> Coalesce:
    """For annotating rows: the payment method of the booking at the path `booking` (its id) - of
    its first captured payment; FREE when nothing was paid."""
    first = (
        Payment.objects.filter(booking=OuterRef(booking), status__in=CAPTURED)
        .order_by("pk")
        .values("method")[:1]
    )
    return Coalesce(Subquery(first), Value(FREE))


MONEY_COLUMNS = ("kind", "showtime_ref", "method_ref", "day")


def money_rows(where: Where) -> list[MoneyRow]:
    """The money that moved, by kind, showtime, method and local day: one query, a union of the
    captures, the discounts and the refunds."""
    if where.nothing:
        return []
    charged = (
        Payment.objects.filter(
            where.when("created_at", "booking__showtime"),
            where.showtime_q("booking__showtime"),
            status__in=CAPTURED,
        )
        .annotate(
            kind=Value(CHARGED),
            showtime_ref=F("booking__showtime_id"),
            method_ref=F("method"),
            day=where.day("created_at", "booking__showtime"),
        )
        .values(*MONEY_COLUMNS)
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    discounts = (
        Booking.objects.filter(
            where.when("confirmed_at", "showtime"),
            where.showtime_q("showtime"),
            confirmed_at__isnull=False,
            discount__gt=0,
        )
        .annotate(
            kind=Value(DISCOUNTS),
            showtime_ref=F("showtime_id"),
            method_ref=sale_method("pk"),
            day=where.day("confirmed_at", "showtime"),
        )
        .values(*MONEY_COLUMNS)
        .annotate(amount=Sum("discount"))
        .order_by()
    )
    refunds = (
        Refund.objects.filter(
            where.when("created_at", "payment__booking__showtime"),
            where.showtime_q("payment__booking__showtime"),
            status=RefundStatus.SUCCEEDED,
        )
        .annotate(
            kind=Value(REFUNDS),
            showtime_ref=F("payment__booking__showtime_id"),
            method_ref=F("payment__method"),
            day=where.day("created_at", "payment__booking__showtime"),
        )
        .values(*MONEY_COLUMNS)
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    rows = charged.union(discounts, refunds, all=True).values_list(*MONEY_COLUMNS, "amount")
    return [
        MoneyRow(kind, showtime, method, day, Decimal(amount).quantize(CENT))
        for kind, showtime, method, day, amount in rows
    ]


def _shared(amount: str) -> ExpressionWrapper:
    """For annotating tickets: the ticket's share of an amount of its booking (at the path
    `amount`) - in proportion to its price within the booking's subtotal, or an equal share when
    all its tickets were free; multiplied before it is divided, in ten more decimal places.

    SQLite (development) stores 15.00 as the integer 15 and Django casts every decimal step to
    NUMERIC there, which would divide integers: there the share is a float."""
    if connection.vendor == "sqlite":
        number, one = FloatField(), Value(1.0)
    else:
        number, one = SHARE, Value(Decimal("1.0000000000"))

    def exact(expression):
        return ExpressionWrapper(expression, output_field=number)

    count = (
        Ticket.objects.filter(booking=OuterRef("booking_id"))
        .order_by()
        .values("booking")
        .annotate(n=Count("pk"))
        .values("n")
    )
    whole = exact(F(amount) * one)
    return exact(
        Case(
            When(
                booking__subtotal__gt=0,
                then=exact(exact(whole * F("price")) / F("booking__subtotal")),
            ),
            default=exact(whole / Subquery(count, output_field=IntegerField())),
        )
    )


def share_rows(where: Where, *, detailed: bool = False) -> list[ShareRow]:
    """The money of `money_rows` shared among each booking's tickets by price (not rounded), by
    kind and ticket type - and with `detailed`, by showtime, method and local day too. One
    query."""
    if where.nothing:
        return []
    columns = ["kind", "ticket_type"]
    if detailed:
        columns += ["showtime_ref", "method_ref", "day"]

    def detail(queryset, method, day):
        if not detailed:
            return queryset
        return queryset.annotate(showtime_ref=F("booking__showtime_id"), method_ref=method, day=day)

    charged = (
        detail(
            Ticket.objects.filter(
                where.when("booking__payments__created_at", "booking__showtime"),
                where.showtime_q("booking__showtime"),
                booking__payments__status__in=CAPTURED,
            ).annotate(kind=Value(CHARGED)),
            F("booking__payments__method"),
            where.day("booking__payments__created_at", "booking__showtime"),
        )
        .values(*columns)
        .annotate(amount=Sum(_shared("booking__payments__amount"), output_field=SHARE))
        .order_by()
    )
    discounts = (
        detail(
            Ticket.objects.filter(
                where.when("booking__confirmed_at", "booking__showtime"),
                where.showtime_q("booking__showtime"),
                booking__confirmed_at__isnull=False,
                booking__discount__gt=0,
            ).annotate(kind=Value(DISCOUNTS)),
            sale_method("booking_id"),
            where.day("booking__confirmed_at", "booking__showtime"),
        )
        .values(*columns)
        .annotate(amount=Sum(_shared("booking__discount"), output_field=SHARE))
        .order_by()
    )
    refunds = (
        detail(
            Ticket.objects.filter(
                where.when("booking__payments__refunds__created_at", "booking__showtime"),
                where.showtime_q("booking__showtime"),
                booking__payments__refunds__status=RefundStatus.SUCCEEDED,
            ).annotate(kind=Value(REFUNDS)),
            F("booking__payments__method"),
            where.day("booking__payments__refunds__created_at", "booking__showtime"),
        )
        .values(*columns)
        .annotate(amount=Sum(_shared("booking__payments__refunds__amount"), output_field=SHARE))
        .order_by()
    )
    union = charged.union(discounts, refunds, all=True).values_list(*columns, "amount")
    if not detailed:
        return [ShareRow(kind, code, Decimal(amount)) for kind, code, amount in union]
    return [
        ShareRow(kind, code, Decimal(amount), showtime, method, day)
        for kind, code, showtime, method, day, amount in union
    ]


def seat_rows(where: Where) -> list[SeatRow]:
    """The tickets sold for the showtimes of the period, and their bookings, by showtime and
    payment method, in all and by ticket type. One query."""
    if where.nothing:
        return []
    showtimes = Showtime.objects.filter(where.when("starts_at"), where.showtime_q()).values("pk")
    per_type = {}
    for code in TicketTypeCode.values:
        of_type = Q(ticket_type=code)
        per_type[f"tickets_{code}"] = Count("pk", filter=of_type)
        per_type[f"bookings_{code}"] = Count("booking_id", distinct=True, filter=of_type)
    rows = (
        tickets_sold()
        .filter(booking__showtime__in=showtimes)
        .annotate(showtime_ref=F("booking__showtime_id"), method_ref=sale_method("booking_id"))
        .values("showtime_ref", "method_ref")
        .annotate(tickets=Count("pk"), bookings=Count("booking_id", distinct=True), **per_type)
        .order_by()
    )
    return [
        SeatRow(
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


def showtime_rows(where: Where, others: Iterable[int]) -> list[tuple]:
    """(id, starts_at, status, movie, title, cinema, hall, capacity) of the showtimes of the
    period, and of `others`, in the order they start."""
    return list(
        Showtime.objects.filter(
            (where.when("starts_at") & where.showtime_q()) | Q(pk__in=sorted(others))
        )
        .order_by("starts_at", "pk")
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


def records_span(showtime_ids: list[int]) -> tuple | None:
    """The earliest and latest moment any money of these showtimes moved (or None): the days a
    refresh computes local dates for. One query."""
    bounds = [
        Payment.objects.filter(booking__showtime__in=showtime_ids).aggregate(
            first=Min("created_at"), last=Max("created_at")
        ),
        Refund.objects.filter(payment__booking__showtime__in=showtime_ids).aggregate(
            first=Min("created_at"), last=Max("created_at")
        ),
        Booking.objects.filter(showtime__in=showtime_ids).aggregate(
            first=Min("confirmed_at"), last=Max("confirmed_at")
        ),
    ]
    firsts = [b["first"] for b in bounds if b["first"] is not None]
    lasts = [b["last"] for b in bounds if b["last"] is not None]
    if not firsts:
        return None
    return min(firsts), max(lasts)


def changed_showtimes(since) -> set[int]:
    """The showtimes whose figures may have changed since `since`: a booking of theirs confirmed
    or cancelled, a payment of theirs written (`updated_at`), a refund asked or completed. One
    query, each part a range on an index."""
    bookings = Booking.objects.filter(
        Q(confirmed_at__gte=since) | Q(cancelled_at__gte=since)
    ).values_list("showtime_id", flat=True)
    # Every status: the range then runs on the (status, updated_at) index.
    payments = Payment.objects.filter(
        status__in=PaymentStatus.values, updated_at__gte=since
    ).values_list("booking__showtime_id", flat=True)
    refunds = Refund.objects.filter(
        Q(created_at__gte=since) | Q(completed_at__gte=since)
    ).values_list("payment__booking__showtime_id", flat=True)
    return set(bookings.order_by().union(payments.order_by(), refunds.order_by()))

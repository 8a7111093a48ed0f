import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from screening.models import Seat, Showtime, ShowtimeStatus

from . import hooks
from .models import Booking, BookingStatus, SeatClaim, Ticket
from .pricing import price_list


def seats_taken_subquery() -> Coalesce:
    """For annotating `Showtime` querysets: the live claims of each row, as a correlated count
    (served by the claims' unique index), so a listing stays one query. Registered with
    screening for its `seats_available` (booking/apps.py)."""
    taken = (
        SeatClaim.objects.live(timezone.now())
        .filter(showtime=OuterRef("pk"))
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(taken, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class _HallSeats:
    """A hall's seats in drawing order, each as the start of its JSON object in the seat map."""

    ids: tuple[int, ...]
    types: tuple[str, ...]
    heads: tuple[str, ...]


@lru_cache(maxsize=256)
def _hall_seats(hall_id: int, seats_version: int) -> _HallSeats:
    """Seats change only when a hall's layout is replaced, which bumps `seats_version`: the key
    read from the database on every request, so this per-process cache is never stale."""
    seats = (
        Seat.objects.filter(hall_id=hall_id)
        .order_by("y", "x")
        .values_list("id", "row", "number", "seat_type", "x", "y")
    )
    ids, types, heads = [], [], []
    for seat_id, row, number, seat_type, x, y in seats:
        ids.append(seat_id)
        types.append(seat_type)
        fields = {
            "id": seat_id,
            "row": row,
            "number": number,
            "type": seat_type,
            "position": {"x": x, "y": y},
        }
        heads.append(json.dumps(fields, separators=(",", ":"))[:-1] + ',"status":"')
    return _HallSeats(tuple(ids), tuple(types), tuple(heads))


def seat_map_cache_clear() -> None:
    """Forget the per-process hall cache (tests flush tables, which resets ids)."""
    _hall_seats.cache_clear()


def seat_map_json(showtime_id: int) -> str | None:
    """The seat map of a showtime as a JSON document: every seat of its hall with its status
    (available / held / sold) and ADULT price, and the counts; None for no such showtime.

    Three queries whatever the hall size: the showtime (with its hall's seats version), the
    price rules, and the live claims. The seats themselves come from `_hall_seats`. This is the
    page every customer reloads, so it is built for speed: the document is built as text.
    """
    row = (
        Showtime.objects.filter(pk=showtime_id)
        .values_list("hall_id", "hall__seats_version", "starts_at", "status", "base_price")
        .first()
    )
    if row is None:
        return None
    hall_id, seats_version, starts_at, status, base_price = row
    claims = SeatClaim.objects.live(timezone.now()).filter(showtime_id=showtime_id)
    states = {
        seat_id: "held" if expires_at else "sold"
        for seat_id, expires_at in claims.values_list("seat_id", "expires_at")
    }
    seats = _hall_seats(hall_id, seats_version)
    prices = price_list()
    showtime = {
        "id": showtime_id,
        "hall": hall_id,
        "starts_at": starts_at,
        "status": status,
        "base_price": base_price,
    }
    price_tails = {}
    for seat_type in set(seats.types):
        price = prices.adult_price(showtime["base_price"], seat_type)
        price_tails[seat_type] = (
            '","price":' + json.dumps(None if price is None else str(price)) + "}"
        )
    counts = {"available": 0, "held": 0, "sold": 0}
    parts = []
    for seat_id, seat_type, head in zip(seats.ids, seats.types, seats.heads, strict=True):
        state = states.get(seat_id, "available")
        counts[state] += 1
        parts.append(head + state + price_tails[seat_type])
    header = {**showtime, "base_price": str(showtime["base_price"])}
    return (
        f'{{"showtime":{json.dumps(header, cls=DjangoJSONEncoder)},"seats":[{",".join(parts)}],'
        f'"counts":{json.dumps(counts)},"currency":{json.dumps(settings.CURRENCY)}}}'
    )


def booking_queryset() -> QuerySet[Booking]:
    """Bookings with what the API shows, in three queries for any page."""
    return Booking.objects.select_related(
        "showtime__movie", "showtime__hall__cinema"
    ).prefetch_related(
        Prefetch(
            "tickets", queryset=Ticket.objects.select_related("seat").order_by("seat__y", "seat__x")
        )
    )


def bookings_visible_to(user) -> QuerySet[Booking]:
    """A customer's own bookings; staff and administrators see all."""
    queryset = booking_queryset()
    return queryset if user.is_staff else queryset.filter(user=user)


def booking_status_q(status: str, *, now=None) -> Q:
    """Filter by the status a client sees: a PENDING booking whose hold ran out shows EXPIRED."""
    now = now or timezone.now()
    if status == BookingStatus.PENDING:
        return Q(status=BookingStatus.PENDING, expires_at__gt=now)
    if status == BookingStatus.EXPIRED:
        return Q(status=BookingStatus.EXPIRED) | Q(
            status=BookingStatus.PENDING, expires_at__lte=now
        )
    return Q(status=status)


def payment_summaries_attach(bookings: list[Booking]) -> list[Booking]:
    """Give each booking its `payment_summary` (what the payments app reports, one query for
    all of them; None for a booking never paid)."""
    summaries = hooks.payment_summaries([booking.pk for booking in bookings])
    for booking in bookings:
        booking.payment_summary = summaries.get(booking.pk)
    return bookings


def tickets_sold() -> QuerySet[Ticket]:
    """The tickets sold: those of confirmed bookings. A cancelled booking keeps its tickets as
    its history (a full refund cancels it), but they are sold no more."""
    return Ticket.objects.filter(booking__status=BookingStatus.CONFIRMED)


@dataclass(frozen=True)
class Occupancy:
    """Seats sold over seats offered. A cancelled showtime offers none."""

    sold: int
    seats: int

    @property
    def basis_points(self) -> int | None:
        """sold / seats in ten-thousandths, rounded half up; None without seats."""
        if not self.seats:
            return None
        return (20000 * self.sold + self.seats) // (2 * self.seats)

    @property
    def fraction(self) -> Decimal | None:
        points = self.basis_points
        return None if points is None else Decimal(points).scaleb(-4)

    @property
    def percent(self) -> Decimal | None:
        points = self.basis_points
        return None if points is None else Decimal(points).scaleb(-2)


def showtimes_occupancy(showtime_ids: list[int]) -> dict[int, Occupancy]:
    """Each showtime's occupancy now, in one query: tickets sold over the seats of its hall (none
    when it is cancelled). For the box office's board and the reports."""
    sold = (
        tickets_sold()
        .filter(showtime=OuterRef("pk"))
        .order_by()
        .values("showtime")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Showtime.objects.filter(pk__in=showtime_ids)
        .annotate(sold=Coalesce(Subquery(sold, output_field=IntegerField()), 0))
        .values_list("pk", "status", "hall__capacity", "sold")
    )
    return {
        pk: Occupancy(sold, capacity if status == ShowtimeStatus.SCHEDULED else 0)
        for pk, status, capacity, sold in rows
    }

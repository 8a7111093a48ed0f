import json
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
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
from django.http import Http404
from django.utils import timezone

from screening.models import Hall, Seat, Showtime

from .models import Booking, BookingStatus, SeatClaim, Ticket
from .pricing import price_list


def claims_active(*, now=None) -> QuerySet[SeatClaim]:
    """Claims that take a seat: sales, and holds that have not expired."""
    return SeatClaim.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())
    )


def seats_taken_subquery() -> Coalesce:
    """For annotating `Showtime` querysets: the live claims of each row, as a correlated count
    (served by the claims' unique index), so a listing stays one query."""
    taken = (
        claims_active()
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


def seat_map_json(showtime_id: int) -> str:
    """The seat map of a showtime as a JSON document: every seat of its hall with its status
    (available / held / sold) and ADULT price, and the counts.

    Three queries whatever the hall size: the showtime (with its hall's seats version), the
    price rules, and the live claims. The seats themselves come from `_hall_seats`. This is the
    page every customer reloads, so it is built for speed: plain SQL for the two reads (the ORM's
    query building costs more than the database's answers) and the document built as text.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.hall_id, h.seats_version, s.starts_at, s.status, s.base_price "  # noqa: S608
            f"FROM {Showtime._meta.db_table} s JOIN {Hall._meta.db_table} h ON h.id = s.hall_id "
            f"WHERE s.id = %s",
            [showtime_id],
        )
        row = cursor.fetchone()
        if row is None:
            raise Http404
        hall_id, seats_version, starts_at, status, base_price = row
        # Live claims only: a sale (no expiry) or a hold that has not expired.
        cursor.execute(
            f"SELECT seat_id, expires_at IS NULL FROM {SeatClaim._meta.db_table} "  # noqa: S608
            f"WHERE showtime_id = %s AND (expires_at IS NULL OR expires_at > %s)",
            [showtime_id, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        states = {seat_id: "sold" if sold else "held" for seat_id, sold in cursor.fetchall()}
    seats = _hall_seats(hall_id, seats_version)
    prices = price_list()
    showtime = {
        "id": showtime_id,
        "hall": hall_id,
        "starts_at": starts_at
        if timezone.is_aware(starts_at)
        else timezone.make_aware(starts_at, UTC),
        "status": status,
        "base_price": Decimal(str(base_price)),
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


def showtime_has_bookings(showtime_id: int) -> bool:
    return Booking.objects.filter(showtime_id=showtime_id).exists()


def hall_has_bookings(hall_id: int) -> bool:
    return Booking.objects.filter(showtime__hall_id=hall_id).exists()


def movie_has_bookings(movie_id: int) -> bool:
    return Booking.objects.filter(showtime__movie_id=movie_id).exists()


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

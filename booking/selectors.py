from django.conf import settings
from django.db.models import (
    Count,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from screening.models import Seat, Showtime

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


def seat_map_for_showtime(showtime_id: int) -> dict:
    """Every seat of the showtime's hall with its status and ADULT price, and the counts.

    Four queries whatever the hall size: the showtime, the price rules (two), and the seats
    left-joined with this showtime's claims (at most one per seat: the unique key).
    """
    showtime = get_object_or_404(Showtime.objects.select_related("hall"), pk=showtime_id)
    prices = price_list()
    rows = (
        Seat.objects.filter(hall_id=showtime.hall_id)
        .annotate(claim=FilteredRelation("claims", condition=Q(claims__showtime_id=showtime.pk)))
        .order_by("y", "x")
        .values_list("id", "row", "number", "seat_type", "x", "y", "claim__id", "claim__expires_at")
    )
    now = timezone.now()
    counts = {"available": 0, "held": 0, "sold": 0}
    price_by_type: dict[str, str | None] = {}
    seats = []
    for seat_id, row, number, seat_type, x, y, claim_id, expires_at in rows:
        if claim_id is None or (expires_at is not None and expires_at <= now):
            state = "available"
        elif expires_at is None:
            state = "sold"
        else:
            state = "held"
        counts[state] += 1
        if seat_type not in price_by_type:
            price = prices.adult_price(showtime.base_price, seat_type)
            price_by_type[seat_type] = None if price is None else str(price)
        seats.append(
            {
                "id": seat_id,
                "row": row,
                "number": number,
                "type": seat_type,
                "status": state,
                "price": price_by_type[seat_type],
                "position": {"x": x, "y": y},
            }
        )
    return {
        "showtime": {
            "id": showtime.pk,
            "hall": showtime.hall_id,
            "starts_at": showtime.starts_at,
            "status": showtime.status,
            "base_price": str(showtime.base_price),
        },
        "seats": seats,
        "counts": counts,
        "currency": settings.CURRENCY,
    }


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

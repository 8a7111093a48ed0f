"""Recording lapsed holds as EXPIRED (a tidy-up: an expired hold is free already)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import locks
from ..models import Booking, BookingStatus, SeatChange, SeatClaim
from . import discounts
from .common import claims_delete


def bookings_expire(*, batch_size: int = 500) -> int:
    """Mark pending bookings whose hold has run out EXPIRED, delete their claims and release
    their uses of promotions.

    Not needed for correctness (an expired hold is already free to everyone); it keeps the tables
    tidy. Safe on several hosts at once: rows another run (or a payment) has locked are skipped.
    Locks each batch's showtimes (shared) before its bookings, as every service does. Purges the
    seat maps' change log of entries older than `SEAT_CHANGES_RETENTION_HOURS` too.
    """
    seat_changes_purge()
    expired = 0
    while True:
        now = timezone.now()
        with transaction.atomic(durable=True):
            candidates = list(
                Booking.objects.filter(status=BookingStatus.PENDING, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "showtime_id")[:batch_size]
            )
            if not candidates:
                return expired
            locks.showtimes_lock_shared(sorted({showtime_id for _, showtime_id in candidates}))
            ids = [
                booking.pk
                for booking in locks.bookings_lock([pk for pk, _ in candidates], skip_locked=True)
                if booking.status == BookingStatus.PENDING and booking.expires_at <= now
            ]
            if not ids:
                return expired  # all of them held by someone else (another run, a payment)
            claims_delete(SeatClaim.objects.filter(booking_id__in=ids, expires_at__lte=now))
            discounts.redemptions_release(ids)
            expired += Booking.objects.filter(pk__in=ids).update(
                status=BookingStatus.EXPIRED, pending=None, cancellation_reason="The hold expired."
            )


def seat_changes_purge() -> int:
    """Delete the seat maps' change log of showtimes that ended more than
    `SEAT_CHANGES_RETENTION_HOURS` ago: nobody polls them. A showtime's log is kept whole while
    it can be sold, so `?since=` never misses a change; a poller of a purged one reloads."""
    cutoff = timezone.now() - timedelta(hours=settings.SEAT_CHANGES_RETENTION_HOURS)
    deleted, _ = SeatChange.objects.filter(showtime__ends_at__lt=cutoff).delete()
    return deleted

"""Cancelling a booking, or a showtime with all its bookings: the seats are free at once, and
the `on_bookings_cancelled` hooks (payments) refund what was paid, after commit."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from screening import locks as schedule_locks
from screening.models import Showtime, ShowtimeStatus

from .. import hooks, locks
from ..exceptions import (
    BookingNotCancellable,
    CancellationWindowClosed,
    ShowtimeNotBookable,
)
from ..models import Booking, BookingStatus, SeatClaim
from .common import booking_cancel_record, booking_email, claims_delete


def _cancellable_by_customer_check(booking: Booking, now: datetime) -> None:
    cutoff = booking.showtime.starts_at - timedelta(minutes=settings.CANCELLATION_CUTOFF_MINUTES)
    if booking.status == BookingStatus.CONFIRMED and now >= cutoff:
        raise CancellationWindowClosed(
            f"Bookings can be cancelled until {settings.CANCELLATION_CUTOFF_MINUTES} minutes "
            "before the show; please contact the cinema."
        )


def booking_cancel(*, booking_id: int, by: User | None, reason: str = "") -> Booking:
    """Cancel a booking; its seats are free at once, and what was paid for it is refunded (the
    `on_bookings_cancelled` hooks, after commit). A pending hold can always be released; a
    confirmed booking, by its customer, only until `CANCELLATION_CUTOFF_MINUTES` before the show
    (staff and administrators - and the system, `by=None` - at any time). Raises
    BookingNotCancellable, CancellationWindowClosed.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        booking = locks.booking_lock(booking_id)
        if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
            raise BookingNotCancellable()
        if by is not None and not by.is_staff:
            _cancellable_by_customer_check(booking, now)
        was_confirmed = booking.status == BookingStatus.CONFIRMED
        claims_delete(booking.claims.all())
        if not reason:
            by_customer = by is not None and by.pk == booking.user_id
            reason = "Cancelled by the customer." if by_customer else "Cancelled by the cinema."
        booking_cancel_record(booking, now, by=by, reason=reason)
        if was_confirmed:
            booking_email(booking, "booking/email/cancelled")
    hooks.bookings_cancelled(booking_ids=[booking.pk], by=by, reason=reason)
    return booking


def showtime_cancel(*, showtime_id: int, by: User, reason: str = "") -> Showtime:
    """Cancel a showtime and every booking of it; customers with tickets are e-mailed, and what
    they paid is refunded (the `on_bookings_cancelled` hooks, after commit).

    Takes the showtime's exclusive lock first: bookings in flight finish before, new ones see the
    cancellation. Raises ShowtimeNotBookable when it is already cancelled.
    """
    now = timezone.now()
    reason = reason or "The showtime was cancelled."
    with transaction.atomic(durable=True):
        showtime = schedule_locks.showtime_lock(showtime_id)
        if showtime.status == ShowtimeStatus.CANCELLED:
            raise ShowtimeNotBookable("This showtime is already cancelled.")
        showtime.status = ShowtimeStatus.CANCELLED
        showtime.save(update_fields=["status"])
        live = Booking.objects.filter(
            showtime=showtime, status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED]
        )
        bookings = locks.bookings_lock(list(live.values_list("pk", flat=True)))
        claims_delete(SeatClaim.objects.filter(showtime=showtime))
        for booking in bookings:
            was_confirmed = booking.status == BookingStatus.CONFIRMED
            booking_cancel_record(booking, now, by=by, reason=reason)
            if was_confirmed:
                booking_email(booking, "booking/email/showtime_cancelled")
    hooks.bookings_cancelled(booking_ids=[b.pk for b in bookings], by=by, reason=reason)
    return showtime

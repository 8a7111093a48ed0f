"""What several booking services share: the state of a locked seat, recording a cancellation,
and the e-mails they send."""

from datetime import datetime

from accounts.models import User
from core.emails import email_send_on_commit
from screening.models import Seat

from ..models import Booking, BookingStatus, SeatClaim
from . import discounts


def seat_taken(seat: Seat, now: datetime) -> bool:
    """Whether a seat from `locks.seats_lock` is taken by its claim."""
    return seat.claim_id is not None and SeatClaim.takes_seat(seat.claim_expires_at, now)


def seat_labels(seats) -> str:
    return ", ".join(sorted(seat.label for seat in seats))


def booking_cancel_record(booking: Booking, now: datetime, *, by: User | None, reason: str) -> None:
    """Record the cancellation of a locked booking (its claims are the caller's to delete), and
    give back its use of a promotion."""
    if booking.promotion_id is not None:
        discounts.redemptions_release([booking.pk])
    booking.status = BookingStatus.CANCELLED
    booking.pending = None
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancellation_reason = reason
    booking.save(
        update_fields=["status", "pending", "cancelled_at", "cancelled_by", "cancellation_reason"]
    )


def booking_email(booking: Booking, template: str) -> None:
    email_send_on_commit(
        to=[booking.user.email],
        template=template,
        context={
            "booking": booking,
            "user": booking.user,
            "showtime": booking.showtime,
            "tickets": list(booking.tickets.select_related("seat")),
        },
    )

"""What several booking services share: the state of a locked seat, recording a cancellation,
and the e-mails they send."""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from core.db import rows_insert
from core.emails import EmailFile, email_send_on_commit
from screening.models import Seat

from ..models import Booking, BookingStatus, SeatChange, SeatClaim
from ..tickets import booking_calendar, booking_document_context, ticket_payload
from . import discounts


def seat_changes_record(showtime_id: int, seat_ids) -> None:
    """Log seats of a showtime as changed, in the caller's transaction: its seat map's version
    moves on (`SeatChange`)."""
    now = timezone.now()
    rows_insert(
        SeatChange,
        ["showtime", "seat_id", "created_at"],
        ((showtime_id, seat_id, now) for seat_id in seat_ids),
    )


def claims_delete(claims) -> None:
    """Delete claims (a queryset) and log their seats as changed."""
    rows = list(claims.values_list("showtime_id", "seat_id"))
    if rows:
        claims.delete()
        now = timezone.now()
        rows_insert(
            SeatChange,
            ["showtime", "seat_id", "created_at"],
            ((showtime_id, seat_id, now) for showtime_id, seat_id in rows),
        )


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


def booking_recipient(booking: Booking) -> User | None:
    """Who a booking's e-mails go to: its customer's account - or, for a box-office sale, the
    address given at the counter. A walk-in who gave none is not written to (the booking is
    under the seller's own account then)."""
    if booking.customer_email:
        if booking.customer_email == booking.user.email:
            return booking.user
        return User(email=booking.customer_email)  # no account: greeted by address
    if booking.sold_by_id is not None and booking.sold_by_id == booking.user_id:
        return None
    return booking.user


def booking_email(booking: Booking, template: str) -> None:
    """Write a booking's mail to the outbox, in the caller's transaction: where and when (the
    cinema's address, its local time and zone), the tickets, the link to the booking in the app.
    The confirmation carries a QR code per ticket and a calendar entry; a cancellation the
    reason given and what is refunded. Sent to `booking_recipient` (nobody for a walk-in who gave
    no address)."""
    recipient = booking_recipient(booking)
    if recipient is None:
        return
    booking = Booking.objects.select_related(
        "user", "showtime__movie", "showtime__hall__cinema"
    ).get(pk=booking.pk)
    tickets = list(booking.tickets.select_related("seat").order_by("seat__y", "seat__x"))
    context = booking_document_context(booking, tickets)
    attachments = []
    if booking.status == BookingStatus.CONFIRMED:
        attachments = [
            EmailFile.qr_code(content_id=f"ticket-{ticket.pk}", text=ticket_payload(ticket))
            for ticket in tickets
        ]
        attachments.append(
            EmailFile(
                f"booking-{booking.reference}.ics",
                "text/calendar",
                booking_calendar(booking, tickets),
            )
        )
    email_send_on_commit(
        to=[recipient.email],
        template=template,
        context={**context, "user": recipient},
        attachments=attachments,
    )

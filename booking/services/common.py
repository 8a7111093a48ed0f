"""What several booking services share: the state of a locked seat, recording a cancellation,
and the e-mails they send."""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from core.db import Statement, rows_insert_statement, statements_run
from core.emails import EmailContent, EmailFile, email_queue_on_commit, email_send_on_commit
from core.outbox import EmailWithdrawn
from screening.models import Seat

from ..models import Booking, BookingStatus, SeatChange, SeatClaim
from ..tickets import booking_calendar, booking_document_context, ticket_payload
from . import discounts


def seat_changes_statement(showtime_id: int, seat_ids) -> Statement | None:
    """Log seats of a showtime as changed - its seat map's version moves on (`SeatChange`) - as
    a statement for `core.db.statements_run`, in the caller's transaction, with the writes that
    changed them."""
    return _changes_statement((showtime_id, seat_id) for seat_id in seat_ids)


def _changes_statement(pairs) -> Statement | None:
    """The `SeatChange` rows of (showtime id, seat id) pairs, logged now."""
    now = timezone.now()
    return rows_insert_statement(
        SeatChange,
        ["showtime", "seat_id", "created_at"],
        ((showtime_id, seat_id, now) for showtime_id, seat_id in pairs),
    )


def claims_delete(claims) -> None:
    """Delete claims (a queryset) and log their seats as changed."""
    rows = list(claims.values_list("showtime_id", "seat_id"))
    if rows:
        claims.delete()
        statements_run(_changes_statement(rows))


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


# The confirmation is rendered when it is sent, from the database (`core.emails`): written while
# a payment holds the booking's locks, it costs that transaction one insert. The cancellations are
# rendered when written: they say what was paid and is being refunded at the cancellation, before
# the refunds (after commit) change it.
CONFIRMATION = "booking/email/confirmed"
RENDERED_WHEN_SENT = {CONFIRMATION}
# The name the booking mails' renderer is registered under (booking/apps.py).
RENDERER = "booking"


def booking_email(booking: Booking, template: str) -> None:
    """Write a booking's mail to the outbox, in the caller's transaction (see
    `booking_email_content` for what it says). Sent to `booking_recipient` (nobody for a walk-in
    who gave no address)."""
    recipient = booking_recipient(booking)
    if recipient is None:
        return
    if template in RENDERED_WHEN_SENT:
        email_queue_on_commit(
            to=[recipient.email],
            template=template,
            renderer=RENDERER,
            params={"booking_id": booking.pk},
        )
        return
    content = booking_email_content(template, booking_id=booking.pk)
    email_send_on_commit(
        to=[recipient.email],
        template=template,
        context=content.context,
        attachments=content.attachments,
    )


def booking_email_content(template: str, *, booking_id: int) -> EmailContent:
    """What a booking's mail says, from the database as it is now: where and when (the cinema's
    address, its local time and zone), the tickets, the payment, the link to the booking in the
    app; a cancellation the reason given and what is refunded. The confirmation carries a QR code
    per ticket (its signed payload, drawn when sent) and a calendar entry. The renderer of the
    booking mails (registered in booking/apps.py)."""
    booking = Booking.objects.select_related(
        "user", "showtime__movie", "showtime__hall__cinema"
    ).get(pk=booking_id)
    if template == CONFIRMATION and booking.status != BookingStatus.CONFIRMED:
        # Paid, then cancelled before the confirmation's turn came: the cancellation's mail
        # says what happened; tickets that no longer admit anyone would only mislead.
        raise EmailWithdrawn(f"Booking {booking.reference} is {booking.status.lower()} now.")
    tickets = list(booking.tickets.select_related("seat").order_by("seat__y", "seat__x"))
    context = booking_document_context(booking, tickets)
    attachments = []
    if template == CONFIRMATION:
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
    recipient = booking_recipient(booking) or booking.user
    return EmailContent({**context, "user": recipient}, attachments)

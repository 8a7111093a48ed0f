"""Confirming a booking: its hold becomes sold tickets, each with an unguessable code."""

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from screening.models import Seat, Showtime, ShowtimeStatus

from .. import locks
from ..exceptions import (
    BookingNotConfirmed,
    BookingNotPayable,
    HoldExpired,
)
from ..models import Booking, BookingStatus, SeatClaim, Ticket
from . import discounts
from .common import CONFIRMATION, booking_email, seat_changes_record, seat_labels, seat_taken


def booking_payable_check(booking: Booking, now: datetime) -> dict[int, Seat]:
    """Whether a locked booking can be paid - and so confirmed - now; returns its seats, locked.

    A hold that has expired can still be paid while none of its seats has been taken since - and
    its promo code still allows its use. Raises BookingNotPayable (a cancelled booking; a showtime
    cancelled or started) and HoldExpired (410: its hold ran out and some of its seats are someone
    else's now, or its promo code's last use).
    """
    if booking.status not in (BookingStatus.PENDING, BookingStatus.EXPIRED):
        raise BookingNotPayable("This booking has been cancelled.")
    showtime = Showtime.objects.get(pk=booking.showtime_id)
    if showtime.status != ShowtimeStatus.SCHEDULED or showtime.starts_at <= now:
        raise BookingNotPayable("This showtime has been cancelled or has started.")
    seat_ids = sorted(booking.tickets.values_list("seat_id", flat=True))
    locked = locks.seats_lock(booking.showtime_id, seat_ids)
    lost = [
        seat
        for seat in locked.values()
        if seat.claim_booking_id != booking.pk and seat_taken(seat, now)
    ]
    if lost:
        raise HoldExpired(
            f"The hold expired and {seat_labels(lost)} {'has' if len(lost) == 1 else 'have'} been "
            "taken since.",
            details={"seats": sorted(seat.pk for seat in lost)},
        )
    discounts.redemption_payable_check(booking, now)
    return locked


def booking_confirm(*, booking_id: int) -> Booking:
    """Turn a hold into sold tickets, each with an unguessable code (a free booking; payments
    confirms a paid one inside its own transaction with `booking_confirm_locked`). Idempotent.
    Raises what `booking_payable_check` raises."""
    with transaction.atomic(durable=True):
        return booking_confirm_locked(locks.booking_lock(booking_id), timezone.now())


def booking_confirm_locked(booking: Booking, now: datetime) -> Booking:
    """Confirm a booking locked by `locks.booking_lock`, within the caller's transaction: seats
    the hold lost to expiry (still free) are claimed again. Raises what `booking_payable_check`
    raises."""
    if booking.status == BookingStatus.CONFIRMED:
        return booking
    locked = booking_payable_check(booking, now)
    # Sell what this booking still holds; claim again what it lost to expiry (still free).
    SeatClaim.objects.filter(booking=booking).update(expires_at=None)
    seat_changes_record(booking.showtime_id, sorted(locked))
    reclaim = [seat for seat in locked.values() if seat.claim_booking_id != booking.pk]
    SeatClaim.objects.filter(pk__in=[seat.claim_id for seat in reclaim if seat.claim_id]).delete()
    SeatClaim.objects.bulk_create(
        SeatClaim(showtime_id=booking.showtime_id, seat=seat, booking=booking) for seat in reclaim
    )
    tickets = list(booking.tickets.all())
    for ticket in tickets:
        ticket.code = secrets.token_urlsafe(16)
    Ticket.objects.bulk_update(tickets, ["code"])
    discounts.redemption_confirm(booking)
    booking.status = BookingStatus.CONFIRMED
    booking.pending = None
    booking.confirmed_at = now
    booking.save(update_fields=["status", "pending", "confirmed_at"])
    booking_email(booking, CONFIRMATION)
    return booking


def booking_confirmation_resend(*, booking_id: int) -> Booking:
    """Write the confirmation mail again (the customer lost it): tickets, QR codes, calendar
    entry, as they are now. Raises BookingNotConfirmed (400) unless the booking is confirmed."""
    with transaction.atomic(durable=True):
        booking = Booking.objects.get(pk=booking_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise BookingNotConfirmed(
                f"Booking {booking.reference} is {booking.effective_status.lower()}: it has no "
                "tickets to send."
            )
        booking_email(booking, CONFIRMATION)
    return booking

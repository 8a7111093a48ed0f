"""Confirming a booking: its hold becomes sold tickets, each with an unguessable code."""

import secrets
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from core.db import RowLoader, Statement, prefetched, rows_update_statement, statements_run
from screening.models import Seat, ShowtimeStatus

from .. import locks
from ..exceptions import (
    BookingNotConfirmed,
    BookingNotPayable,
    HoldExpired,
)
from ..models import Booking, BookingStatus, SeatClaim, Ticket
from . import discounts
from .common import CONFIRMATION, booking_email, seat_changes_statement, seat_labels, seat_taken


def booking_payable_check(
    booking: Booking, now: datetime, tickets: list[Ticket] | None = None
) -> dict[int, Seat]:
    """Whether a locked booking can be paid - and so confirmed - now; returns its seats, locked.
    `tickets`: the booking's, when the caller has read them (read here otherwise).

    A hold that has expired can still be paid while none of its seats has been taken since - and
    its promo code still allows its use. Raises BookingNotPayable (a cancelled booking; a showtime
    cancelled or started) and HoldExpired (410: its hold ran out and some of its seats are someone
    else's now, or its promo code's last use).
    """
    _booking_payable_state_check(booking, now)
    if tickets is None:
        seat_ids = sorted(booking.tickets.values_list("seat_id", flat=True))
    else:
        seat_ids = sorted(ticket.seat_id for ticket in tickets)
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


def _booking_payable_state_check(booking: Booking, now: datetime) -> None:
    """The booking's and its showtime's state allow paying. `locks.booking_lock` has read the
    showtime with its lock: `booking.showtime` costs no query then."""
    if booking.status not in (BookingStatus.PENDING, BookingStatus.EXPIRED):
        raise BookingNotPayable("This booking has been cancelled.")
    showtime = booking.showtime
    if showtime.status != ShowtimeStatus.SCHEDULED or showtime.starts_at <= now:
        raise BookingNotPayable("This showtime has been cancelled or has started.")


def booking_charge_check(booking: Booking, now: datetime) -> None:
    """Whether a booking locked by `locks.booking_lock` may be charged now: what
    `booking_payable_check` checks, before the card is charged (the confirmation checks it all
    again under its own locks, and a charge it cannot confirm is refunded).

    A live hold (PENDING, not expired) needs no look at its seats or its promo code: its claims
    are its own and live, and only services holding the booking's lock delete them (cancelling,
    replacing it) before they expire - so does its use of a promotion. Raises what
    `booking_payable_check` raises.
    """
    if booking.status == BookingStatus.PENDING and booking.expires_at > now:
        _booking_payable_state_check(booking, now)
        return
    booking_payable_check(booking, now)


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
    # Read once: the seats to lock, the codes to write, and what the caller renders.
    tickets = _tickets_with_seats(booking.pk)
    locked = booking_payable_check(booking, now, tickets)
    # Claim again what the hold lost to expiry (still free: checked above); the claims made
    # now are sold ones (no expiry).
    reclaim = [seat for seat in locked.values() if seat.claim_booking_id != booking.pk]
    if reclaim:
        lapsed = [seat.claim_id for seat in reclaim if seat.claim_id]
        SeatClaim.objects.filter(pk__in=lapsed).delete()
        SeatClaim.objects.bulk_create(
            SeatClaim(showtime_id=booking.showtime_id, seat=seat, booking=booking)
            for seat in reclaim
        )
    discounts.redemption_confirm(booking)
    for ticket in tickets:
        ticket.code = secrets.token_urlsafe(16)
    booking.status = BookingStatus.CONFIRMED
    booking.pending = None
    booking.confirmed_at = now
    # Sell what it holds: the claims, the seat map's log, the tickets' codes and the booking's
    # state, in one round trip.
    statements_run(
        rows_update_statement(SeatClaim, {"expires_at": None}, "booking_id = %s", [booking.pk]),
        seat_changes_statement(booking.showtime_id, sorted(locked)),
        _ticket_codes_statement(tickets),
        rows_update_statement(
            Booking,
            {"status": booking.status, "pending": None, "confirmed_at": now},
            "id = %s",
            [booking.pk],
        ),
    )
    booking_email(booking, CONFIRMATION)
    prefetched(booking, "tickets", tickets)  # with their seats: what the caller renders
    return booking


_TICKET = RowLoader(Ticket, alias="t")
_TICKET_SEAT = RowLoader(Seat, alias="s")


def _tickets_with_seats(booking_id: int) -> list[Ticket]:
    """A booking's tickets with their seats, in their order in the hall (y, then x). Plain SQL
    (`RowLoader`): every payment reads them, and the ORM's query building costs more than the
    database's answer."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_TICKET.columns}, {_TICKET_SEAT.columns} "  # noqa: S608
            f"FROM {Ticket._meta.db_table} t JOIN {Seat._meta.db_table} s ON s.id = t.seat_id "
            "WHERE t.booking_id = %s ORDER BY s.y, s.x",
            [booking_id],
        )
        rows = cursor.fetchall()
    tickets = []
    for row in rows:
        ticket = _TICKET.load(row)
        ticket.seat = _TICKET_SEAT.load(row, _TICKET.width)
        tickets.append(ticket)
    return tickets


def _ticket_codes_statement(tickets: list[Ticket]) -> Statement | None:
    """The tickets' codes written by one statement. Plain SQL: `bulk_update` builds an
    expression per ticket, and costs more than the database's work."""
    if not tickets:
        return None
    cases = " ".join(["WHEN %s THEN %s"] * len(tickets))
    ids = ", ".join(["%s"] * len(tickets))
    return Statement(
        f"UPDATE {Ticket._meta.db_table} SET code = CASE id {cases} END "  # noqa: S608
        f"WHERE id IN ({ids})",
        [value for ticket in tickets for value in (ticket.pk, ticket.code)]
        + [ticket.pk for ticket in tickets],
    )


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

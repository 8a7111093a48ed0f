"""Checking a ticket in at the door."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from screening.models import Cinema
from screening.timezones import local_format

from .. import locks
from ..exceptions import (
    AlreadyCheckedIn,
    BookingNotConfirmed,
    InvalidTicket,
    TicketNotFound,
)
from ..models import BookingStatus, Ticket
from ..tickets import is_ticket_payload, ticket_payload_verify


def ticket_check_in(*, code: str, by: User) -> Ticket:
    """Mark a ticket used at the door, by its code or its QR code's signed payload. Locks its
    booking (its showtime shared first), then the ticket. Raises InvalidTicket (400: a forged,
    altered or malformed payload), TicketNotFound (404), BookingNotConfirmed (400),
    AlreadyCheckedIn (409)."""
    showtime_id = None
    if is_ticket_payload(code):
        claim = ticket_payload_verify(code)
        code, showtime_id = claim.code, claim.showtime_id
    found = Ticket.objects.filter(code=code).values_list("pk", "booking_id", "showtime_id").first()
    if found is None:
        raise TicketNotFound()
    ticket_id, booking_id, ticket_showtime_id = found
    if showtime_id is not None and showtime_id != ticket_showtime_id:
        raise InvalidTicket()  # signed, but not for this ticket's show: never issued by us
    with transaction.atomic(durable=True):
        booking = locks.booking_lock(booking_id)
        ticket = locks.ticket_lock(ticket_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise BookingNotConfirmed(f"Booking {booking.reference} is {booking.status.lower()}.")
        if ticket.checked_in_at is not None:
            cinema = Cinema.objects.filter(halls__showtimes=booking.showtime_id).get()
            raise AlreadyCheckedIn(
                f"This ticket was checked in at "
                f"{local_format(ticket.checked_in_at, cinema.zone, '%H:%M on %d %b')}.",
                details={"checked_in_at": ticket.checked_in_at},
            )
        ticket.checked_in_at = timezone.now()
        ticket.checked_in_by = by
        ticket.save(update_fields=["checked_in_at", "checked_in_by"])
    return ticket

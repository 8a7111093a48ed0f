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
    TicketNotFound,
)
from ..models import BookingStatus, Ticket


def ticket_check_in(*, code: str, by: User) -> Ticket:
    """Mark a ticket used at the door. Locks its booking (its showtime shared first), then the
    ticket. Raises TicketNotFound (404), BookingNotConfirmed (400), AlreadyCheckedIn (409)."""
    found = Ticket.objects.filter(code=code).values_list("pk", "booking_id").first()
    if found is None:
        raise TicketNotFound()
    ticket_id, booking_id = found
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

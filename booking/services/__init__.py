"""Every write of the booking app, one module per flow: `holds` (holding seats), `confirmation`,
`cancellation` (a booking, or a showtime with all its bookings), `checkin`, `expiry`, `counter`
(seats sold by staff at the box office, inside the sale's transaction).

Locks are always taken through `booking.locks`, in the order it documents, inside one
`transaction.atomic(durable=True)` per service, so two requests never wait on each other in a
circle and nothing around a service widens its lock scope. The unique key on (showtime, seat) of
the claims stays the last word for anything that skips the services. No e-mail and no outside
call happens while these locks are held: e-mails go out on commit, refunds after commit.
"""

from .cancellation import booking_cancel, showtime_cancel
from .checkin import ticket_check_in
from .confirmation import booking_confirm, booking_confirm_locked, booking_payable_check
from .counter import booking_counter_create_locked
from .expiry import bookings_expire
from .holds import SeatRequest, booking_create

__all__ = [
    "SeatRequest",
    "booking_cancel",
    "booking_confirm",
    "booking_confirm_locked",
    "booking_counter_create_locked",
    "booking_create",
    "booking_payable_check",
    "bookings_expire",
    "showtime_cancel",
    "ticket_check_in",
]

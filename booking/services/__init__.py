"""Every write of the booking app, one module per flow: `holds` (holding seats), `confirmation`,
`cancellation` (a booking, or a showtime with all its bookings), `checkin`, `expiry`, promo
codes in bookings: `discounts` (a hold's use of a promotion), `quotes` (what a code would do),
and `counter` (seats sold by staff at the box office, inside the sale's transaction).

Locks are always taken through `booking.locks`, in the order it documents, inside one
`transaction.atomic(durable=True)` per service, so two requests never wait on each other in a
circle and nothing around a service widens its lock scope. The unique key on (showtime, seat) of
the claims stays the last word for anything that skips the services. No e-mail is sent and no
outside call happens while these locks are held: e-mails are outbox rows of the same transaction,
sent by a worker after commit; refunds happen after commit.
"""

from .cancellation import booking_cancel, showtime_cancel
from .checkin import ticket_check_in
from .confirmation import (
    booking_charge_check,
    booking_confirm,
    booking_confirm_locked,
    booking_confirmation_resend,
    booking_payable_check,
)
from .counter import booking_counter_create_locked
from .expiry import bookings_expire
from .holds import booking_create
from .quotes import Quote, promotion_quote
from .seating import SeatPick, SeatRequest

__all__ = [
    "Quote",
    "SeatPick",
    "SeatRequest",
    "booking_cancel",
    "booking_charge_check",
    "booking_confirm",
    "booking_confirm_locked",
    "booking_confirmation_resend",
    "booking_counter_create_locked",
    "booking_create",
    "booking_payable_check",
    "bookings_expire",
    "promotion_quote",
    "showtime_cancel",
    "ticket_check_in",
]

"""Selling at the box office: staff book seats for a walk-in inside the transaction of the
service that takes the money (boxoffice's counter sale), so that a cash sale - seats, tickets,
confirmation and payment - is written in one transaction.

The seats are checked, locked and priced as a customer's hold is (`holds.booking_create`): the
showtime shared, the seats and their claims in primary-key order, the same price list, and the
same unique key on (showtime, seat) as the last word. What differs is whose booking it is: a
counter booking is not "the customer's pending booking for the showtime". Its `pending` flag stays
NULL, so the unique key on (user, showtime, pending) never makes two counters sharing one staff
account release each other's seats, and a customer's own online hold is left alone. Nor does the
limit of live holds per customer apply: staff sell, they do not hoard.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User

from .. import locks
from ..models import Booking
from ..pricing import price_list
from .holds import (
    _integrity_error_explained,
    _seat_requests_check,
    _showtime_bookable_check,
    seats_hold_write,
)
from .seating import SeatRequest, seat_choice_check


def booking_counter_create_locked(
    *,
    user: User,
    sold_by: User,
    showtime_id: int,
    seats: list[SeatRequest],
    customer_email: str = "",
    rules_override: bool = False,
    now: datetime,
) -> Booking:
    """Hold seats for a sale at the counter, within the caller's transaction; returns the priced
    PENDING booking (its `pending` flag NULL). The caller confirms it in the same transaction
    (cash) or after charging a card (`booking_confirm_locked`).

    `user` owns the booking (the customer's account, or the seller's for a walk-in); `sold_by`
    is recorded, and so is what `rules_override` (staff only) overrode of the seat rules.
    Raises SeatsUnavailable (409), ShowtimeNotBookable, SingleSeatGap,
    SeatReservedForAccessibility and ValidationError (400), ResourceBusy (409, retry). A refusal
    rolls back the caller's transaction with it.
    """
    prices = price_list()
    _seat_requests_check(seats, set(prices.multipliers))
    seat_choice_check(
        user=sold_by,
        seats=seats,
        pick=None,
        rules_override=rules_override,
        active_types=prices.multipliers,
    )
    seat_ids = sorted(request.seat_id for request in seats)
    try:
        # A savepoint: a refused insert is explained below instead of breaking the transaction.
        with transaction.atomic():
            showtime = locks.showtime_lock_shared(showtime_id)
            if showtime is None:
                raise ValidationError({"showtime": ["No such showtime."]})
            _showtime_bookable_check(showtime, now)
            booking, _, seat_ids = seats_hold_write(
                user=user,
                showtime=showtime,
                seats=seats,
                pick=None,
                rules_override=rules_override,
                prices=prices,
                now=now,
                pending=False,
                sold_by=sold_by,
                customer_email=customer_email,
            )
    except IntegrityError as exc:
        raise _integrity_error_explained(exc, seat_ids) from exc
    return booking

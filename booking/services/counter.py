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

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User

from .. import locks
from ..exceptions import SeatsUnavailable
from ..models import Booking, SeatClaim, Ticket
from ..pricing import price_list, totals
from .common import seat_labels, seat_taken
from .holds import (
    SeatRequest,
    _integrity_error_explained,
    _reference,
    _seat_requests_check,
    _showtime_bookable_check,
)


def booking_counter_create_locked(
    *,
    user: User,
    sold_by: User,
    showtime_id: int,
    seats: list[SeatRequest],
    customer_email: str = "",
    now: datetime,
) -> Booking:
    """Hold seats for a sale at the counter, within the caller's transaction; returns the priced
    PENDING booking (its `pending` flag NULL). The caller confirms it in the
    same transaction (cash) or after charging a card (`booking_confirm_locked`).

    `user` owns the booking (the customer's account, or the seller's for a walk-in); `sold_by`
    is recorded. Raises SeatsUnavailable (409), ShowtimeNotBookable and ValidationError (400),
    ResourceBusy (409, retry). A refusal rolls back the caller's transaction with it.
    """
    prices = price_list()
    _seat_requests_check(seats, set(prices.multipliers))
    seat_ids = sorted(request.seat_id for request in seats)
    try:
        # A savepoint: a refused insert is explained below instead of breaking the transaction.
        with transaction.atomic():
            showtime = locks.showtime_lock_shared(showtime_id)
            if showtime is None:
                raise ValidationError({"showtime": ["No such showtime."]})
            _showtime_bookable_check(showtime, now)
            locked = locks.seats_lock(showtime.pk, seat_ids)
            foreign = [
                pk for pk in seat_ids if pk not in locked or locked[pk].hall_id != showtime.hall_id
            ]
            if foreign:
                raise ValidationError(
                    {"seats": [f"Seat {pk} is not in this showtime's hall." for pk in foreign]}
                )
            taken = [seat for seat in locked.values() if seat_taken(seat, now)]
            if taken:
                raise SeatsUnavailable(
                    f"{'Seat' if len(taken) == 1 else 'Seats'} {seat_labels(taken)} "
                    f"{'is' if len(taken) == 1 else 'are'} already taken.",
                    details={"seats": sorted(seat.pk for seat in taken)},
                )
            expired = [seat.claim_id for seat in locked.values() if seat.claim_id is not None]
            if expired:
                SeatClaim.objects.filter(pk__in=expired).delete()
            tickets = [
                Ticket(
                    showtime=showtime,
                    seat=locked[request.seat_id],
                    ticket_type=request.ticket_type,
                    price=prices.ticket_price(
                        showtime.base_price, request.ticket_type, locked[request.seat_id].seat_type
                    ),
                )
                for request in sorted(seats, key=lambda r: r.seat_id)
            ]
            amounts = totals([ticket.price for ticket in tickets])
            booking = Booking.objects.create(
                reference=_reference(),
                user=user,
                showtime=showtime,
                pending=None,
                expires_at=now + timedelta(seconds=settings.BOOKING_HOLD_SECONDS),
                subtotal=amounts.subtotal,
                discount=amounts.discount,
                fees=amounts.fees,
                tax=amounts.tax,
                total=amounts.total,
                currency=settings.CURRENCY,
                sold_by=sold_by,
                customer_email=customer_email,
            )
            for ticket in tickets:
                ticket.booking = booking
            Ticket.objects.bulk_create(tickets)
            SeatClaim.objects.bulk_create(
                SeatClaim(
                    showtime=showtime, seat_id=pk, booking=booking, expires_at=booking.expires_at
                )
                for pk in seat_ids
            )
    except IntegrityError as exc:
        raise _integrity_error_explained(exc, seat_ids) from exc
    return booking

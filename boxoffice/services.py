"""Selling at the box office: seats, tickets and the money in one go, through the same booking and
payment services as the API - the same locks, prices and unique keys.

A sale is one booking, confirmed at once:
- cash: one transaction writes the booking, its tickets and claims, its confirmation and the
  payment (`booking/locks.py`'s order: the showtime shared, then the seats and their claims, then
  the payment);
- a card on the counter's terminal: the booking is held and its payment reserved in one
  transaction, the terminal is charged with no transaction open, and the charge is settled as an
  online payment is (the booking confirmed and the payment captured together). A declined card
  releases the seats at once, so the sale can be tried again.

Staff sales never cancel each other: a counter booking is not subject to the one pending booking
per customer and showtime (see `booking.services.counter`). The booking belongs to the customer's
account when the e-mail given at the counter has one, else to the seller; the seller is recorded
either way (`Booking.sold_by`).
"""

import contextlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User, UserManager
from booking import services as booking_services
from booking.exceptions import BookingNotCancellable, BookingNotPayable, HoldExpired
from booking.models import Booking
from payments import services as payments_services
from payments.exceptions import PaymentDeclined
from payments.models import Payment, PaymentMethod

# How a counter sale is paid.
COUNTER_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD_PRESENT)


@dataclass(frozen=True)
class CounterSale:
    booking: Booking
    payment: Payment | None  # None for a free booking
    change: Decimal | None  # cash only: what goes back to the customer


def _customer_for(email: str) -> User | None:
    """The customer account with this address, if there is one."""
    if not email:
        return None
    return User.objects.filter(email=email, role=Role.CUSTOMER).first()


def counter_sale_create(
    *,
    by: User,
    showtime_id: int,
    seats: list[booking_services.SeatRequest],
    method: str,
    tendered: Decimal | None = None,
    customer_email: str = "",
    rules_override: bool = False,
) -> CounterSale:
    """Sell seats at the counter, paid in cash (`tendered`: the change is returned) or by a card
    on the terminal; returns the confirmed booking, its payment and the change. The seat rules
    apply as online; `rules_override` sells despite them, and is recorded on the booking.

    Raises what `booking_counter_create_locked` raises (SeatsUnavailable 409, ShowtimeNotBookable
    and ValidationError 400), ValidationError when less cash than the total is tendered, and for
    a card PaymentDeclined (402; the seats are free again) or PaymentGatewayUnavailable (503: the
    terminal did not answer; reconciliation confirms the booking or refunds the charge).
    """
    if method not in COUNTER_METHODS:
        raise ValidationError({"method": [f"Choose {' or '.join(COUNTER_METHODS)}."]})
    if method == PaymentMethod.CASH and tendered is None:
        raise ValidationError({"tendered": ["Say how much cash was handed over."]})
    email = UserManager.normalize_email(customer_email)
    owner = _customer_for(email) or by
    now = timezone.now()
    with transaction.atomic(durable=True):
        booking = booking_services.booking_counter_create_locked(
            user=owner,
            sold_by=by,
            showtime_id=showtime_id,
            seats=seats,
            customer_email=email,
            rules_override=rules_override,
            now=now,
        )
        if booking.total == 0 or method == PaymentMethod.CASH:
            booking = booking_services.booking_confirm_locked(booking, now)
            if booking.total == 0:
                return CounterSale(booking, None, tendered)
            payment = payments_services.counter_cash_record_locked(
                booking=booking, tendered=tendered, by=by
            )
            return CounterSale(booking, payment, tendered - booking.total)
        payment = payments_services.counter_card_reserve_locked(booking=booking, by=by)
    try:
        booking, payment = payments_services.counter_card_charge(payment_id=payment.pk)
    except (PaymentDeclined, HoldExpired, BookingNotPayable):
        _hold_release(booking.pk, by=by)
        raise
    return CounterSale(booking, payment, None)


def _hold_release(booking_id: int, *, by: User) -> None:
    """A card that did not pay: the seats go back on sale at once."""
    with contextlib.suppress(BookingNotCancellable):  # expired or cancelled meanwhile: free
        booking_services.booking_cancel(
            booking_id=booking_id, by=by, reason="The card was not charged at the box office."
        )

"""The row locks of money: step 7 of the order in `booking/locks.py` - a payment's booking (and
its showtime and seats) before the payment, the payment before its refunds. Every helper refuses
to run outside a transaction."""

from accounts.models import User
from booking import locks as booking_locks
from core.db import transaction_required

from .models import Payment, Refund


def payment_lock(payment_id: int) -> Payment:
    transaction_required()
    return Payment.objects.select_for_update().get(pk=payment_id)


def refund_lock(refund_id: int) -> Refund:
    transaction_required()
    return Refund.objects.select_for_update().get(pk=refund_id)


def refunds_lock(payment_id: int) -> list[Refund]:
    """A payment's refunds, oldest first (after the payment's lock)."""
    transaction_required()
    return list(Refund.objects.select_for_update().filter(payment_id=payment_id).order_by("pk"))


def payment_with_booking_lock(payment_id: int) -> Payment:
    """A payment locked after its booking's row (step 4 before 7). For a service that changes
    the payment's `in_flight` outside the booking's own transaction: that column belongs to a
    unique key that begins with the booking, so InnoDB checks the foreign key and share-locks
    the booking row - after the payment's lock, against the order, if the booking's is not
    taken first."""
    transaction_required()
    booking_id = Payment.objects.values_list("booking_id", flat=True).get(pk=payment_id)
    booking_locks.bookings_lock([booking_id])
    return payment_lock(payment_id)


def card_owner_lock(user_id: int) -> None:
    """The customer's row: saving cards one at a time keeps the limit of 3 (no other lock of
    this order is held then)."""
    transaction_required()
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))

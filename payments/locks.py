"""The row locks of money: step 7 of the order in `booking/locks.py` - a payment's booking (and
its showtime and seats) before the payment, the payment before its refunds. Every helper refuses
to run outside a transaction."""

from accounts.models import User
from core.db import transaction_required

from .models import Payment, Refund, RefundStatus


def payment_lock(payment_id: int) -> Payment:
    transaction_required()
    return Payment.objects.select_for_update().get(pk=payment_id)


def refund_lock(refund_id: int) -> Refund:
    transaction_required()
    return Refund.objects.select_for_update().get(pk=refund_id)


def pending_refunds_lock(payment_id: int) -> list[Refund]:
    """A payment's refunds still PENDING, oldest first (after the payment's lock)."""
    transaction_required()
    return list(
        Refund.objects.select_for_update()
        .filter(payment_id=payment_id, status=RefundStatus.PENDING)
        .order_by("pk")
    )


def card_owner_lock(user_id: int) -> None:
    """The customer's row: saving cards one at a time keeps the limit of 3 (no other lock of
    this order is held then)."""
    transaction_required()
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))

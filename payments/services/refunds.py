"""Refunds: an amount reserved under the payment's lock before the provider is called, so racing
refunds never add up to more than was captured. A full refund cancels the booking (its seats are
free again and its tickets void); a partial one keeps it, and shows on it."""

import contextlib
import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from booking import services as booking_services
from booking.exceptions import BookingNotCancellable
from booking.models import Booking, BookingStatus
from booking.tickets import booking_url, local_time_text
from core.emails import email_send_on_commit

from ..audit import payment_event_record
from ..exceptions import PaymentNotRefundable, RefundFailed
from ..gateways import gateway
from ..gateways.base import Charge, GatewayError
from ..locks import payment_lock, refund_lock, refunds_lock
from ..models import (
    LIVE_CAPTURE,
    Payment,
    PaymentEvent,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from ..selectors import booking_payments

logger = logging.getLogger(__name__)
# What a refund handed over in cash at the box office records as its reference.
CASH_REFUND_REFERENCE = "cash"


def _refundable(payment: Payment) -> Decimal:
    """What is left to refund: captured, less refunds done or under way."""
    reserved = payment.refunds.filter(
        status__in=[RefundStatus.PENDING, RefundStatus.SUCCEEDED]
    ).aggregate(total=Sum("amount"))["total"]
    return payment.amount - (reserved or Decimal("0.00"))


def payment_refund(
    *, payment_id: int, amount: Decimal | None = None, reason: str = "", by: User | None = None
) -> Refund:
    """Refund a payment, all that is left (`amount=None`) or part of it.

    The refund's amount is reserved under the payment's row lock before the provider is called,
    so two refunds racing each other never add up to more than was captured (the second gets a
    ValidationError). A provider failure leaves the refund PENDING for reconciliation
    (RefundFailed, 503). Once nothing is left, the booking is cancelled (if it is not already).
    """
    with transaction.atomic(durable=True):
        refund = refund_reserve(payment_lock(payment_id), amount=amount, reason=reason, by=by)
    return refund_make(refund.pk, by=by, reason=reason)


def refund_reserve(
    payment: Payment, *, amount: Decimal | None = None, reason: str = "", by: User | None = None
) -> Refund:
    """Reserve a refund of a payment locked by the caller's transaction (`payment_lock`): all
    that is left (`amount=None`) or part of it. Committed, it is a PENDING refund: made by
    `refund_make` after the commit, or by reconciliation if that never happens. Raises
    PaymentNotRefundable, and ValidationError when nothing or less than `amount` is left."""
    if payment.status not in LIVE_CAPTURE:
        raise PaymentNotRefundable()
    refundable = _refundable(payment)
    amount = refundable if amount is None else amount
    if refundable <= 0:
        raise ValidationError({"amount": ["Nothing is left to refund on this payment."]})
    if not Decimal("0.00") < amount <= refundable:
        raise ValidationError(
            {"amount": [f"At most {refundable} {payment.currency} can be refunded."]}
        )
    refund = Refund.objects.create(
        payment=payment, amount=amount, reason=reason[:200], created_by=by
    )
    payment_event_record(
        payment,
        PaymentEvent.Kind.REFUND_REQUESTED,
        refund=refund.pk,
        amount=str(amount),
        reason=reason,
    )
    return refund


def refund_make(refund_id: int, *, by: User | None = None, reason: str | None = None) -> Refund:
    """Make a reserved refund (`refund_execute`), then cancel the booking if its money is all
    back (`reason`: the refund's own by default). Raises RefundFailed (the refund stays
    PENDING)."""
    refund = refund_execute(refund_id)
    _booking_cancel_if_refunded(
        refund.payment_id, by=by, reason=refund.reason if reason is None else reason
    )
    return refund


def refund_execute(refund_id: int) -> Refund:
    """Ask the provider for a reserved refund and record its answer. Raises RefundFailed.

    Cash goes back in cash: the box office hands it over, no provider is asked, and the refund
    is recorded as made in cash."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.payment.method == PaymentMethod.CASH:
        reference = CASH_REFUND_REFERENCE
    else:
        try:
            reference = (
                gateway()
                .refund(
                    charge_reference=refund.payment.provider_reference,
                    amount=refund.amount,
                    idempotency_key=refund.gateway_key,
                )
                .reference
            )
        except GatewayError as exc:
            payment_event_record(
                refund.payment, PaymentEvent.Kind.REFUND_FAILED, refund=refund.pk, error=str(exc)
            )
            raise RefundFailed() from exc
    with transaction.atomic(durable=True):
        payment = payment_lock(refund.payment_id)
        refund = refund_lock(refund_id)
        if refund.status == RefundStatus.PENDING:
            refund_record(payment, refund, reference)
    return refund


def refund_record(payment: Payment, refund: Refund, reference: str) -> None:
    """Record a refund the provider made, on the locked payment."""
    refund.status = RefundStatus.SUCCEEDED
    refund.provider_reference = reference
    refund.completed_at = timezone.now()
    refund.save(update_fields=["status", "provider_reference", "completed_at"])
    payment.amount_refunded += refund.amount
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.amount_refunded >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["amount_refunded", "status", "updated_at"])
    payment_event_record(
        payment,
        PaymentEvent.Kind.REFUNDED,
        refund=refund.pk,
        amount=str(refund.amount),
        reference=reference,
    )
    refund_email(payment, refund)


def refund_email(payment: Payment, refund: Refund) -> None:
    """Tell the customer, in the transaction that records the refund: how much, why, for which
    show (in the cinema's local time)."""
    booking = Booking.objects.select_related(
        "user", "showtime__movie", "showtime__hall__cinema"
    ).get(pk=payment.booking_id)
    cinema = booking.showtime.hall.cinema
    email_send_on_commit(
        to=[booking.user.email],
        template="payments/email/refunded",
        context={
            "user": booking.user,
            "booking": booking,
            "movie": booking.showtime.movie,
            "cinema": cinema,
            "starts_local": local_time_text(booking.showtime.starts_at, cinema.zone),
            "refunded_local": local_time_text(refund.completed_at, cinema.zone),
            "booking_url": booking_url(booking),
            "amount": refund.amount,
            "currency": payment.currency,
            "paid": payment.amount,
            "refunded_total": payment.amount_refunded,
            "fully_refunded": payment.amount_refunded >= payment.amount,
            "reason": refund.reason,
            "card_last4": payment.card_last4,
        },
    )


def _booking_cancel_if_refunded(payment_id: int, *, by: User | None, reason: str) -> None:
    """A booking whose money went back in full is no longer sold: cancel it (seats free,
    tickets void, the customer told). Nothing to do while the refund is pending or partial."""
    payment = Payment.objects.select_related("booking").get(pk=payment_id)
    if payment.status != PaymentStatus.REFUNDED:
        return
    if payment.booking.status != BookingStatus.CONFIRMED:
        return
    if booking_payments(payment.booking_id).payers:
        return  # another payment still pays for it (one being given back does not)
    with contextlib.suppress(BookingNotCancellable):  # cancelled meanwhile
        booking_services.booking_cancel(
            booking_id=payment.booking_id, by=by, reason=reason or "Refunded in full."
        )


def refund_everything(payments: QuerySet[Payment], *, reason: str, by: User | None) -> None:
    """Refund what is left of each payment; a provider failure is left for reconciliation."""
    for payment in payments.filter(status__in=LIVE_CAPTURE):
        try:
            payment_refund(payment_id=payment.pk, reason=reason, by=by)
        except RefundFailed:
            logger.warning("Refund of payment %s left for reconciliation", payment.pk)
        except (ValidationError, PaymentNotRefundable):
            pass  # nothing left: refunded or being refunded already


def payments_refund_for_cancelled_bookings(
    *, booking_ids: list[int], by: User | None, reason: str
) -> None:
    """Booking's `on_bookings_cancelled` hook (payments/apps.py): cancelled bookings get back
    everything paid for them."""
    refund_everything(Payment.objects.filter(booking_id__in=booking_ids), reason=reason, by=by)


def provider_refunds_record(payment_id: int, charge: Charge) -> list[str]:
    """Bring our records up to the refunds the provider made on the charge (its
    `charge.refunded` event, reconciliation's look): `provider_refunds_apply` under the
    payment's lock, then the booking cancelled if its money is all back. What was recorded,
    in words (nothing: our records had it all)."""
    with transaction.atomic(durable=True):
        payment = payment_lock(payment_id)
        if payment.status not in LIVE_CAPTURE:
            return []
        recorded = provider_refunds_apply(payment, charge)
    if recorded:
        _booking_cancel_if_refunded(payment_id, by=None, reason="Refunded at the provider.")
    return recorded


def provider_refunds_apply(payment: Payment, charge: Charge) -> list[str]:
    """Record, on the locked payment, each refund the provider made on its charge once, by
    identity - never from totals, where two refunds of one amount are one: ours (asked with a
    refund's key) as made if not recorded yet - the provider's event can outrun our call's
    answer, or the answer was lost; any other (made in its dashboard) as refunded at the
    provider, once per provider reference. Then our pending refunds that no longer fit in what is
    left of the capture fail: the provider cannot make them, the money went back another way.
    What was recorded, in words."""
    ours = refunds_lock(payment.pk)
    by_key = {refund.gateway_key: refund for refund in ours}
    known = {refund.provider_reference for refund in ours if refund.provider_reference}
    recorded = []
    for made in charge.refunds:
        refund = by_key.get(made.idempotency_key)
        if refund is not None:
            if refund.status != RefundStatus.SUCCEEDED:
                refund_record(payment, refund, made.reference)
                recorded.append(f"refund {refund.pk} of {made.amount} recorded as made")
        elif made.reference not in known:
            refund = Refund.objects.create(
                payment=payment, amount=made.amount, reason="Refunded at the provider."
            )
            refund_record(payment, refund, made.reference)
            recorded.append(f"refund of {made.amount} made at the provider recorded")
    left = payment.amount - payment.amount_refunded
    for refund in ours:
        if refund.status != RefundStatus.PENDING:
            continue
        if refund.amount <= left:
            left -= refund.amount
            continue
        refund.status = RefundStatus.FAILED
        refund.save(update_fields=["status"])
        payment_event_record(
            payment,
            PaymentEvent.Kind.REFUND_FAILED,
            refund=refund.pk,
            error="superseded: the provider returned the money by other refunds",
        )
        recorded.append(f"refund {refund.pk} failed: the money went back by other refunds")
    return recorded

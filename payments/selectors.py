from django.db.models import QuerySet

from .models import Payment, PaymentStatus


def payments_visible_to(user) -> QuerySet[Payment]:
    """A customer's own payments; administrators see all. Anyone else's is simply not there (404)."""
    queryset = Payment.objects.select_related("booking").prefetch_related("refunds")
    return queryset if user.is_admin else queryset.filter(user=user)


def payment_summaries(booking_ids: list[int]) -> dict[int, dict]:
    """What each booking shows of its payment (booking's `PaymentSummarySerializer`): the one
    latest that did not fail, else the latest attempt. One query."""
    rows = Payment.objects.filter(booking_id__in=booking_ids).order_by("created_at", "id")
    summaries: dict[int, dict] = {}
    for payment in rows:
        current = summaries.get(payment.booking_id)
        if current and current["status"] != PaymentStatus.FAILED == payment.status:
            continue  # a failed retry does not hide the payment that went through
        summaries[payment.booking_id] = payment_summary(payment)
    return summaries


def payment_summary(payment: Payment) -> dict:
    """What a booking shows of one payment (booking's `PaymentSummarySerializer`)."""
    return {
        "id": payment.pk,
        "status": payment.status,
        "amount": payment.amount,
        "amount_refunded": payment.amount_refunded,
        "currency": payment.currency,
        "method": payment.method,
        "card_brand": payment.card_brand,
        "card_last4": payment.card_last4,
        "being_confirmed": payment.status == PaymentStatus.PENDING,
    }

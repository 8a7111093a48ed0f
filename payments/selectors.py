from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from .models import LIVE_CAPTURE, Payment, PaymentStatus, Refund, RefundStatus


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


@dataclass(frozen=True)
class BookingPayments:
    """Who pays for a booking now: `payers` hold money for it that is not all reserved for
    refunds (a capture that could not confirm the booking reserves its refund in the transaction
    that records it, and so never pays); `status` is the asked payment's."""

    payers: frozenset[int]
    status: str | None

    def paid_by_other(self, payment_id: int) -> bool:
        return bool(self.payers - {payment_id})


def booking_payments(booking_id: int, payment_id: int | None = None) -> BookingPayments:
    """The booking's payers, and `payment_id`'s status (None if not asked, or not the booking's).
    One statement (every payment settled runs it): the booking's live captures and the asked
    payment, each with the refunds reserved on it. Amounts are compared rounded to the cent:
    SQLite sums decimals as floats."""
    live = ", ".join(["%s"] * len(LIVE_CAPTURE))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id, p.status, p.status IN ({live}) AND ROUND(p.amount, 2) > ROUND(("  # noqa: S608
            f"SELECT COALESCE(SUM(r.amount), 0) FROM {Refund._meta.db_table} r "
            "WHERE r.payment_id = p.id AND r.status IN (%s, %s)), 2) "
            f"FROM {Payment._meta.db_table} p "
            f"WHERE p.booking_id = %s AND (p.status IN ({live}) OR p.id = %s)",
            [
                *LIVE_CAPTURE,
                RefundStatus.PENDING,
                RefundStatus.SUCCEEDED,
                booking_id,
                *LIVE_CAPTURE,
                payment_id,
            ],
        )
        rows = cursor.fetchall()
    return BookingPayments(
        payers=frozenset(pk for pk, _, pays in rows if pays),
        status=next((status for pk, status, _ in rows if pk == payment_id), None),
    )

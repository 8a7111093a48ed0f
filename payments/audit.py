"""The audit trail's one writer: every event in a payment's life is appended here."""

from .models import Payment, PaymentEvent


def payment_event_record(payment: Payment | None, kind: str, **data) -> PaymentEvent:
    """Append an event. `data` holds brand, last four digits, amounts, codes and references
    only - never a card number or a CVC."""
    return PaymentEvent.objects.create(payment=payment, kind=kind, data=data)

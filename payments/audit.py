"""The audit trail's one writer: every event in a payment's life is appended here."""

from core.db import instances_insert

from .models import Payment, PaymentEvent


def payment_event_record(payment: Payment | None, kind: str, **data) -> PaymentEvent:
    """Append an event. `data` holds brand, last four digits, amounts, codes and references
    only - never a card number or a CVC.

    One plain INSERT (`instances_insert`): every payment appends two, and `save()` spends more
    on building its query than the database spends on the row. Nothing listens to the model's
    signals; a new row is the one thing the model's own `save()` allows."""
    event = PaymentEvent(payment=payment, kind=kind, data=data)
    instances_insert([event])
    return event

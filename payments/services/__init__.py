"""Every write of the payments app, one module per flow:

- `paying`: paying for a booking exactly once (reserve, charge with no transaction open, settle);
- `refunds`: refunds, and refunding what was paid for cancelled bookings;
- `webhooks`: provider events, each applied once, checked against the provider;
- `reconciliation`: settling what the provider did not answer, for cron or Celery;
- `cards`: saved cards (tokens only);
- `counter`: money taken at the box office (cash, or a card on the counter's terminal).

The provider is never called while a database transaction - and so a row lock - is open.
"""

from .cards import card_delete, card_save
from .counter import counter_card_charge, counter_card_reserve_locked, counter_cash_record_locked
from .paying import PaymentSource, booking_pay, payment_reconcile
from .reconciliation import payments_reconcile_all
from .refunds import payment_refund, payments_refund_for_cancelled_bookings
from .webhooks import webhook_receive

__all__ = [
    "PaymentSource",
    "booking_pay",
    "card_delete",
    "card_save",
    "counter_card_charge",
    "counter_card_reserve_locked",
    "counter_cash_record_locked",
    "payment_reconcile",
    "payment_refund",
    "payments_reconcile_all",
    "payments_refund_for_cancelled_bookings",
    "webhook_receive",
]

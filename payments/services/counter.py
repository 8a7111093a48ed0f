"""Money taken at the box office, for boxoffice's counter sales.

- Cash: recorded in the sale's own transaction, together with the booking it pays for - the
  till has the money already, nobody is asked.
- A card on the counter's terminal: paid for exactly as a card online is (`paying`): reserved in
  the sale's transaction (a payment in flight, one per booking), charged through the gateway with
  no transaction open, then settled (`charge_settle`: the booking confirmed and the payment
  captured together, or the charge refunded when the booking can no longer be confirmed).

Refunds go back the way the money came in (`refunds.refund_execute`: cash in cash).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError

from accounts.models import User
from booking.models import Booking
from core.db import transaction_required

from ..audit import payment_event_record
from ..exceptions import PaymentGatewayUnavailable
from ..gateways import gateway
from ..gateways.base import GatewayError
from ..models import Payment, PaymentEvent, PaymentMethod, PaymentStatus
from .paying import _outcome_unknown, charge_settle

# Cash has no provider: what `Payment.provider` says of money taken into a till.
CASH_PROVIDER = "cash"


def counter_cash_record_locked(*, booking: Booking, tendered: Decimal, by: User) -> Payment:
    """Record the cash taken for a booking the caller confirms in its transaction (after the
    booking's locks, as `booking/locks.py` orders). Raises ValidationError when less than the
    total was tendered - which rolls the whole sale back."""
    transaction_required()
    if tendered < booking.total:
        raise ValidationError(
            {"tendered": [f"Less than the total of {booking.total} {booking.currency}."]}
        )
    payment = Payment.objects.create(
        booking=booking,
        user=booking.user,
        amount=booking.total,
        currency=booking.currency,
        status=PaymentStatus.SUCCEEDED,
        method=PaymentMethod.CASH,
        in_flight=None,
        provider=CASH_PROVIDER,
    )
    payment_event_record(
        payment,
        PaymentEvent.Kind.CREATED,
        method=PaymentMethod.CASH,
        amount=str(payment.amount),
        currency=payment.currency,
        tendered=str(tendered),
        change=str(tendered - payment.amount),
        by=by.pk,
    )
    payment_event_record(payment, PaymentEvent.Kind.SUCCEEDED, method=PaymentMethod.CASH)
    return payment


def counter_card_reserve_locked(*, booking: Booking, by: User) -> Payment:
    """A card payment at the terminal, in flight, for a booking the caller has just written in
    its transaction (the unique key on (booking, in_flight) as for any payment)."""
    transaction_required()
    payment = Payment.objects.create(
        booking=booking,
        user=booking.user,
        amount=booking.total,
        currency=booking.currency,
        method=PaymentMethod.CARD_PRESENT,
        provider=gateway().name,
    )
    payment_event_record(
        payment,
        PaymentEvent.Kind.CREATED,
        method=PaymentMethod.CARD_PRESENT,
        amount=str(payment.amount),
        currency=payment.currency,
        by=by.pk,
    )
    return payment


def counter_card_charge(*, payment_id: int) -> tuple[Booking, Payment]:
    """Charge a reserved terminal payment - no transaction may be open - and settle it.

    Raises PaymentDeclined (402), HoldExpired / BookingNotPayable (the charge refunded), and
    PaymentGatewayUnavailable (503: the terminal did not answer; the payment waits for
    reconciliation, which confirms the booking or refunds the charge).
    """
    payment = Payment.objects.select_related("booking").get(pk=payment_id)
    try:
        charge = gateway().charge_present(
            amount=payment.amount,
            currency=payment.currency,
            idempotency_key=payment.gateway_key,
            description=f"Booking {payment.booking.reference} at the box office",
        )
    except GatewayError as exc:
        _outcome_unknown(payment.pk, str(exc))
        raise PaymentGatewayUnavailable(
            "The card terminal did not answer. Do not charge again: the payment is being "
            "checked with the provider."
        ) from exc
    return charge_settle(payment.pk, charge)

"""Every write of the payments app: paying for a booking exactly once, refunds, saved cards,
provider webhooks and reconciliation.

The provider is never called while a database transaction - and so a row lock - is open. Paying
therefore takes three steps: reserve (a short transaction: the booking locked, checked, and an
in-flight payment row inserted - one per booking, a unique key), charge (no transaction), settle
(a short transaction: the payment and the booking's confirmation together). A charge whose booking
can no longer be confirmed is refunded: a payment ends confirmed or refunded, never charged and
unconfirmed. When the provider does not answer, the payment waits for reconciliation, and the next
attempt to pay settles it first, so a retry never charges twice.
"""

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from booking import locks
from booking import services as booking_services
from booking.exceptions import BookingNotPayable, HoldExpired
from booking.models import Booking, BookingStatus
from screening.models import Showtime

from .cards import CardDetails
from .exceptions import (
    CardLimitReached,
    InvalidSignature,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    PaymentNotRefundable,
    RefundFailed,
)
from .gateways import gateway, gateway_named
from .gateways.base import Charge, GatewayError
from .gateways.base import InvalidSignature as GatewayInvalidSignature
from .models import (
    Payment,
    PaymentEvent,
    PaymentStatus,
    Refund,
    RefundStatus,
    SavedCard,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

MAX_SAVED_CARDS = 3
# A payment in flight for longer than this is presumed abandoned (its process died).
IN_FLIGHT_LIMIT = timedelta(minutes=2)
PAID = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


def _audit(payment: Payment | None, kind: str, **data) -> None:
    PaymentEvent.objects.create(payment=payment, kind=kind, data=data)


# Saved cards


def card_save(*, user: User, card: CardDetails) -> SavedCard:
    """Tokenize a card through the provider and keep the token: at most 3 cards per customer
    (CardLimitReached, 409), checked again under the customer's row lock after tokenizing."""
    if SavedCard.objects.filter(user=user).count() >= MAX_SAVED_CARDS:
        raise CardLimitReached()
    token = gateway().tokenize(card)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).exists()
        if SavedCard.objects.filter(user=user).count() >= MAX_SAVED_CARDS:
            raise CardLimitReached()
        return SavedCard.objects.create(
            user=user,
            provider=gateway().name,
            token=token.token,
            brand=token.brand,
            last4=token.last4,
            exp_month=token.exp_month,
            exp_year=token.exp_year,
            holder_name=card.holder_name,
        )


def card_delete(*, user: User, card_id: int) -> None:
    deleted, _ = SavedCard.objects.filter(user=user, pk=card_id).delete()
    if not deleted:
        raise Http404


# Paying


@dataclass(frozen=True)
class PaymentSource:
    token: str
    brand: str
    last4: str


def _payment_source(*, user: User, card_id: int | None, card: CardDetails | None) -> PaymentSource:
    if card_id is not None:
        saved = SavedCard.objects.filter(user=user, pk=card_id, provider=gateway().name).first()
        if saved is None:
            raise ValidationError({"card_id": ["No such saved card."]})
        today = timezone.now().date()
        if (saved.exp_year, saved.exp_month) < (today.year, today.month):
            raise ValidationError({"card_id": ["This card has expired."]})
        return PaymentSource(saved.token, saved.brand, saved.last4)
    if card is None:
        raise ValidationError({"card": ["Give a saved card_id or the card's details."]})
    token = gateway().tokenize(card)
    return PaymentSource(token.token, token.brand, token.last4)


def booking_pay(
    *, user: User, booking_id: int, card_id: int | None = None, card: CardDetails | None = None
) -> tuple[Booking, Payment | None]:
    """Charge a booking's total once and confirm it; returns the booking and the payment.

    A free booking (total 0) is confirmed without a card. Raises PaymentDeclined (402: the
    booking stays pending until its hold expires), HoldExpired (410: nothing charged, or the
    charge refunded), BookingNotPayable (409: paid already, cancelled, or another payment in
    progress), PaymentGatewayUnavailable (503: the provider did not answer; a retry is safe).
    """
    booking = Booking.objects.filter(pk=booking_id, user=user).first()
    if booking is None:
        raise Http404
    if booking.total == 0:
        return booking_services.booking_confirm(booking_id=booking.pk), None
    settled = _unknown_outcomes_settle(booking.pk)
    if settled is not None:
        return settled
    source = _payment_source(user=user, card_id=card_id, card=card)
    payment = _payment_reserve(booking_id=booking.pk, user=user, source=source)
    try:
        charge = gateway().charge(
            amount=payment.amount,
            currency=payment.currency,
            token=source.token,
            idempotency_key=payment.gateway_key,
            description=f"Booking {booking.reference}",
        )
    except GatewayError as exc:
        _outcome_unknown(payment.pk, str(exc))
        raise PaymentGatewayUnavailable() from exc
    return _charge_settle(payment.pk, charge)


def _payment_reserve(*, booking_id: int, user: User, source: PaymentSource) -> Payment:
    """Check under the booking's locks that it can be paid, and record the payment in flight.

    The unique key on (booking, in_flight) lets one request at a time charge a booking: a second
    one, racing with another key, is refused here, before anything is charged.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            booking = locks.booking_lock(booking_id)
            if booking.status == BookingStatus.CONFIRMED:
                raise BookingNotPayable("This booking is paid already.")
            booking_services.booking_payable_check(booking, now)
            payment = Payment.objects.create(
                booking=booking,
                user=user,
                amount=booking.total,
                currency=booking.currency,
                provider=gateway().name,
                card_brand=source.brand,
                card_last4=source.last4,
            )
            _audit(
                payment,
                PaymentEvent.Kind.CREATED,
                amount=str(payment.amount),
                currency=payment.currency,
                card=f"{source.brand} {source.last4}",
            )
    except IntegrityError as exc:
        raise BookingNotPayable("Another payment for this booking is in progress.") from exc
    return payment


def _outcome_unknown(payment_id: int, error: str) -> None:
    """The provider did not answer: keep the payment PENDING for reconciliation, and let the
    booking be paid again (the next attempt settles this one first)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == PaymentStatus.PENDING:
            payment.in_flight = None
            payment.needs_reconciliation = True
            payment.failure_message = error[:255]
            payment.save(
                update_fields=["in_flight", "needs_reconciliation", "failure_message", "updated_at"]
            )
            _audit(payment, PaymentEvent.Kind.GATEWAY_ERROR, error=error)


def _charge_settle(payment_id: int, charge: Charge) -> tuple[Booking, Payment]:
    """Record what the provider did with a charge - from the request that made it, a webhook or
    reconciliation, in any order: settling twice changes nothing.

    A declined charge fails the payment (PaymentDeclined). A successful one confirms the booking
    in the same transaction; if the booking cannot be confirmed any more (its seats were taken,
    it was cancelled, another payment paid it), the charge is refunded and the reason raised.
    """
    booking_id = Payment.objects.values_list("booking_id", flat=True).get(pk=payment_id)
    if not charge.succeeded:
        _payment_failed(
            payment_id,
            code=charge.decline_code,
            message=charge.message,
            reference=charge.reference,
            event=PaymentEvent.Kind.FAILED,
            decline_code=charge.decline_code,
        )
        raise PaymentDeclined(
            charge.message or PaymentDeclined.message, details={"decline_code": charge.decline_code}
        )
    try:
        with transaction.atomic():
            booking = locks.booking_lock(booking_id)
            paid_by_other = (
                Payment.objects.filter(booking_id=booking_id, status__in=PAID)
                .exclude(pk=payment_id)
                .exists()
            )
            if paid_by_other:
                raise BookingNotPayable("This booking is paid already.")
            booking = booking_services.booking_confirm(booking_id=booking_id)
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
                _payment_captured(payment, charge)
    except (HoldExpired, BookingNotPayable) as exc:
        _charge_refund_unconfirmable(payment_id, charge, exc.message)
        raise
    return booking, payment


def _payment_failed(
    payment_id: int, *, code: str, event: str, message: str = "", reference: str = "", **audit
) -> None:
    """A pending payment that did not go through: it fails, and the booking may be paid again."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.FAILED
            payment.in_flight = None
            payment.needs_reconciliation = False
            payment.provider_reference = reference or payment.provider_reference
            payment.failure_code = code
            payment.failure_message = message
            payment.save()
            _audit(payment, event, **audit)


def _payment_captured(payment: Payment, charge: Charge, **audit) -> None:
    payment.status = PaymentStatus.SUCCEEDED
    payment.in_flight = None
    payment.needs_reconciliation = False
    payment.provider_reference = charge.reference
    payment.failure_code = payment.failure_message = ""
    payment.save()
    _audit(payment, PaymentEvent.Kind.SUCCEEDED, reference=charge.reference, **audit)


def _charge_refund_unconfirmable(payment_id: int, charge: Charge, reason: str) -> None:
    """Money came in for a booking that cannot be confirmed: record it, and give it back."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            _payment_captured(payment, charge, unconfirmable=reason)
    try:
        payment_refund(payment_id=payment_id, reason=f"Booking not confirmed: {reason}")
    except RefundFailed:
        logger.warning("Refund of unconfirmable payment %s left for reconciliation", payment_id)
    except (ValidationError, PaymentNotRefundable):
        pass  # refunded, or being refunded, already: this charge was settled before


def _unknown_outcomes_settle(booking_id: int) -> tuple[Booking, Payment] | None:
    """Before charging a booking again, ask the provider about earlier attempts it did not answer.

    If one did go through, it pays for the booking and no new charge is made. Raises
    PaymentGatewayUnavailable while the provider still cannot say.
    """
    for payment in Payment.objects.filter(
        booking_id=booking_id, status=PaymentStatus.PENDING, needs_reconciliation=True
    ):
        try:
            settled = payment_reconcile(payment_id=payment.pk)
        except GatewayError as exc:
            raise PaymentGatewayUnavailable() from exc
        except (PaymentDeclined, HoldExpired, BookingNotPayable):
            continue
        if settled is not None:
            return settled
    return None


def payment_reconcile(*, payment_id: int) -> tuple[Booking, Payment] | None:
    """Settle a payment whose outcome is unknown by asking the provider about its charge.

    No charge at the provider: the payment failed (nothing was charged). Raises GatewayError
    when the provider cannot be asked, and what `_charge_settle` raises.
    """
    payment = Payment.objects.get(pk=payment_id)
    charge = gateway().charge_lookup(idempotency_key=payment.gateway_key)
    if charge is None:
        _payment_failed(
            payment_id,
            code="not_charged",
            event=PaymentEvent.Kind.RECONCILED,
            outcome="no charge at the provider",
        )
        return None
    _audit(
        payment,
        PaymentEvent.Kind.RECONCILED,
        outcome="succeeded" if charge.succeeded else "declined",
    )
    return _charge_settle(payment_id, charge)


# Refunds


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
    (RefundFailed, 503).
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
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
        _audit(
            payment,
            PaymentEvent.Kind.REFUND_REQUESTED,
            refund=refund.pk,
            amount=str(amount),
            reason=reason,
        )
    return _refund_execute(refund.pk)


def _refund_execute(refund_id: int) -> Refund:
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    try:
        result = gateway().refund(
            charge_reference=refund.payment.provider_reference,
            amount=refund.amount,
            idempotency_key=refund.gateway_key,
        )
    except GatewayError as exc:
        _audit(refund.payment, PaymentEvent.Kind.REFUND_FAILED, refund=refund.pk, error=str(exc))
        raise RefundFailed() from exc
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == RefundStatus.PENDING:
            _refund_record(payment, refund, result.reference)
    return refund


def _refund_record(payment: Payment, refund: Refund, reference: str) -> None:
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
    _audit(
        payment,
        PaymentEvent.Kind.REFUNDED,
        refund=refund.pk,
        amount=str(refund.amount),
        reference=reference,
    )


def _refund_everything(payments, *, reason: str, by: User | None) -> None:
    for payment in payments.filter(
        status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED]
    ):
        try:
            payment_refund(payment_id=payment.pk, reason=reason, by=by)
        except RefundFailed:
            logger.warning("Refund of payment %s left for reconciliation", payment.pk)
        except ValidationError:
            pass  # nothing left: refunded or being refunded already


def booking_cancel_and_refund(*, booking_id: int, by: User, reason: str = "") -> Booking:
    """Cancel a booking (seats free at once) and refund what was paid for it."""
    booking = booking_services.booking_cancel(booking_id=booking_id, by=by, reason=reason)
    _refund_everything(
        Payment.objects.filter(booking=booking), reason=booking.cancellation_reason, by=by
    )
    return booking


def showtime_cancel_and_refund(*, showtime_id: int, by: User, reason: str = "") -> Showtime:
    """Cancel a showtime and all its bookings, and refund every payment made for them."""
    showtime = booking_services.showtime_cancel(showtime_id=showtime_id, by=by, reason=reason)
    _refund_everything(
        Payment.objects.filter(booking__showtime=showtime),
        reason=reason or "The showtime was cancelled.",
        by=by,
    )
    return showtime


# Webhooks


def webhook_receive(*, provider: str, body: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify, record and apply a provider's event; returns it and whether it was new.

    Each event id is applied once. Events of unknown types, or about payments we do not know, are
    recorded and acknowledged. Raises InvalidSignature (400), Http404 for an unknown provider.
    """
    provider_gateway = gateway_named(provider)
    if provider_gateway is None:
        raise Http404
    try:
        event = provider_gateway.webhook_parse(body=body, signature=signature)
    except GatewayInvalidSignature as exc:
        raise InvalidSignature() from exc
    except ValueError as exc:
        raise ValidationError({"body": [str(exc)]}) from exc
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                provider=provider,
                event_id=event.id,
                type=event.type,
                payload={"id": event.id, "type": event.type, "data": event.data},
            )
    except IntegrityError:
        return WebhookEvent.objects.get(provider=provider, event_id=event.id), False
    payment = _webhook_payment(event.data)
    _audit(payment, PaymentEvent.Kind.WEBHOOK_RECEIVED, event=event.id, type=event.type)
    outcome = _webhook_apply(event, payment)
    WebhookEvent.objects.filter(pk=record.pk).update(payment=payment, outcome=outcome[:200])
    record.refresh_from_db()
    return record, True


def _webhook_payment(data: dict) -> Payment | None:
    reference = str(data.get("charge") or "")
    key = str(data.get("idempotency_key") or "")
    query = Q(provider_reference=reference) if reference else Q(pk__in=[])
    if key.startswith("payment-") and key.removeprefix("payment-").isdigit():
        query |= Q(pk=int(key.removeprefix("payment-")))
    return Payment.objects.filter(query).first()


def _webhook_apply(event, payment: Payment | None) -> str:
    if payment is None:
        return "no such payment: recorded only"
    data = event.data
    if event.type in ("charge.succeeded", "charge.failed"):
        charge = Charge(
            reference=str(data.get("charge", "")),
            succeeded=event.type == "charge.succeeded",
            amount=Decimal(str(data.get("amount", payment.amount))),
            decline_code=str(data.get("decline_code", "")),
            message=str(data.get("message", "")),
        )
        try:
            _charge_settle(payment.pk, charge)
        except PaymentDeclined:
            return "payment failed"
        except (HoldExpired, BookingNotPayable) as exc:
            return f"charge refunded: {exc.message}"
        return "payment succeeded"
    if event.type == "charge.refunded":
        return _external_refund_record(payment, Decimal(str(data.get("amount_refunded", "0"))))
    return "event type not handled: recorded only"


def _external_refund_record(payment: Payment, amount_refunded: Decimal) -> str:
    """A refund made at the provider (its dashboard): bring our records up to its total."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        missing = min(amount_refunded, payment.amount) - payment.amount_refunded
        if missing <= 0 or payment.status not in (
            PaymentStatus.SUCCEEDED,
            PaymentStatus.PARTIALLY_REFUNDED,
        ):
            return "refund known already"
        refund = Refund.objects.create(
            payment=payment, amount=missing, reason="Refunded at the provider."
        )
        _refund_record(payment, refund, reference="")
    return f"refund of {missing} recorded"


# Reconciliation


def payments_reconcile_all() -> dict[str, int]:
    """For cron: settle payments whose outcome is unknown or whose process died mid-charge, retry
    refunds the provider failed, and refund money that came in for bookings never confirmed."""
    now = timezone.now()
    counts = {"examined": 0, "refunds_retried": 0, "unconfirmed_refunded": 0}
    stale = Payment.objects.filter(status=PaymentStatus.PENDING).filter(
        Q(needs_reconciliation=True) | Q(in_flight=True, created_at__lt=now - IN_FLIGHT_LIMIT)
    )
    for payment_id in stale.values_list("pk", flat=True):
        # Whatever the outcome, it is recorded; a provider still silent is asked again next run.
        with contextlib.suppress(GatewayError, PaymentDeclined, HoldExpired, BookingNotPayable):
            payment_reconcile(payment_id=payment_id)
        counts["examined"] += 1
    pending_refunds = Refund.objects.filter(
        status=RefundStatus.PENDING, created_at__lt=now - IN_FLIGHT_LIMIT
    )
    for refund_id in pending_refunds.values_list("pk", flat=True):
        try:
            _refund_execute(refund_id)
            counts["refunds_retried"] += 1
        except RefundFailed:
            pass
    unconfirmed = list(
        Payment.objects.filter(
            status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED],
            updated_at__lt=now - IN_FLIGHT_LIMIT,
        )
        .exclude(booking__status=BookingStatus.CONFIRMED)
        .values_list("pk", flat=True)
    )
    _refund_everything(
        Payment.objects.filter(pk__in=unconfirmed), reason="Booking not confirmed.", by=None
    )
    counts["unconfirmed_refunded"] = len(unconfirmed)
    return counts

"""Provider events. A signed event is a hint, not the truth: what it claims about a charge is
looked up at the provider (`charge_lookup`) and checked against the payment's amount and
currency before anything is applied. An event counts as seen once it has been applied; one that
failed half-way is applied again when the provider retries it."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from booking.exceptions import BookingNotPayable, HoldExpired

from ..audit import payment_event_record
from ..exceptions import (
    InvalidSignature,
    PaymentDeclined,
    PaymentGatewayUnavailable,
    UnknownProvider,
)
from ..gateways import gateway_named
from ..gateways.base import GatewayError, PaymentGateway
from ..gateways.base import InvalidSignature as GatewayInvalidSignature
from ..gateways.base import WebhookEvent as ProviderEvent
from ..models import Payment, PaymentEvent, PaymentStatus, WebhookEvent
from .paying import charge_settle
from .refunds import provider_refunds_record

MAX_ID_LENGTH = WebhookEvent._meta.get_field("event_id").max_length
MAX_TYPE_LENGTH = WebhookEvent._meta.get_field("type").max_length


def webhook_receive(*, provider: str, body: bytes, signature: str) -> tuple[WebhookEvent, bool]:
    """Verify, record and apply a provider's event; returns it and whether it was new.

    Each event id is applied once. Events of unknown types, or about payments we do not know, are
    recorded and acknowledged. Raises InvalidSignature and ValidationError (400), UnknownProvider
    (404), PaymentGatewayUnavailable (503: the provider could not confirm the event; it retries).
    """
    provider_gateway = gateway_named(provider)
    if provider_gateway is None:
        raise UnknownProvider()
    try:
        event = provider_gateway.webhook_parse(body=body, signature=signature)
    except GatewayInvalidSignature as exc:
        raise InvalidSignature() from exc
    except ValueError as exc:
        raise ValidationError({"body": [str(exc)]}) from exc
    if not 0 < len(event.id) <= MAX_ID_LENGTH or not 0 < len(event.type) <= MAX_TYPE_LENGTH:
        raise ValidationError(
            {"body": [f"`id` and `type` are 1 to {MAX_ID_LENGTH} characters long."]}
        )
    try:
        with transaction.atomic(durable=True):
            record = WebhookEvent.objects.create(
                provider=provider,
                event_id=event.id,
                type=event.type,
                payload={"id": event.id, "type": event.type, "data": event.data},
            )
    except IntegrityError:
        record = WebhookEvent.objects.get(provider=provider, event_id=event.id)
        if record.applied_at is not None:
            return record, False
    payment = _webhook_payment(event.data)
    payment_event_record(
        payment, PaymentEvent.Kind.WEBHOOK_RECEIVED, event=event.id, type=event.type
    )
    try:
        outcome = _webhook_apply(provider_gateway, event, payment)
    except GatewayError as exc:
        raise PaymentGatewayUnavailable(
            "The payment provider could not confirm this event; send it again later."
        ) from exc
    WebhookEvent.objects.filter(pk=record.pk).update(
        payment=payment, outcome=outcome[:200], applied_at=timezone.now()
    )
    record.refresh_from_db()
    return record, True


def _webhook_payment(data: dict) -> Payment | None:
    reference = str(data.get("charge") or "")
    key = str(data.get("idempotency_key") or "")
    query = Q(provider_reference=reference) if reference else Q(pk__in=[])
    number = key.removeprefix("payment-")
    if key.startswith("payment-") and number.isascii() and number.isdigit():
        query |= Q(pk=int(number))
    return Payment.objects.filter(query).first()


def _webhook_apply(
    provider_gateway: PaymentGateway, event: ProviderEvent, payment: Payment | None
) -> str:
    if payment is None:
        return "no such payment: recorded only"
    if event.type not in ("charge.succeeded", "charge.failed", "charge.refunded"):
        return "event type not handled: recorded only"
    charge = provider_gateway.charge_lookup(idempotency_key=payment.gateway_key)
    if charge is None:
        return "no such charge at the provider: ignored"
    if charge.amount != payment.amount or (charge.currency and charge.currency != payment.currency):
        payment_event_record(
            payment,
            PaymentEvent.Kind.WEBHOOK_RECEIVED,
            event=event.id,
            mismatch=f"provider has {charge.amount} {charge.currency}",
        )
        return "the provider's charge differs from the payment: ignored"
    if event.type == "charge.refunded" and payment.status not in (
        PaymentStatus.PENDING,
        PaymentStatus.FAILED,
    ):
        return _refunds_outcome(provider_refunds_record(payment.pk, charge))
    # A charge refunded before we knew it went through is settled as one (a charge given back
    # confirms nothing; its refunds are recorded with it).
    try:
        charge_settle(payment.pk, charge)
    except PaymentDeclined:
        return "payment failed"
    except (HoldExpired, BookingNotPayable) as exc:
        return f"charge refunded: {exc.message}"
    if event.type == "charge.refunded":  # settled meanwhile as the booking's payment
        return _refunds_outcome(provider_refunds_record(payment.pk, charge))
    return "payment succeeded" if charge.succeeded else "payment failed"


def _refunds_outcome(recorded: list[str]) -> str:
    return "; ".join(recorded) or "refund known already"

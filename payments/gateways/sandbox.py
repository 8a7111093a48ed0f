"""The sandbox provider: behaves like a real one - references, declines with reasons, refunds
against a charge, signed webhooks - with no network. Its ledger is kept in the database, so it
works across processes like a real provider would.

Test cards (any future expiry, any CVC):
    4242 4242 4242 4242   succeeds
    4000 0000 0000 0002   declined (card_declined)
    4000 0000 0000 9995   declined (insufficient_funds)
    4000 0000 0000 0119   provider error before charging: nothing is charged
    4000 0000 0000 0341   charged, but the answer is lost on the way back (a timeout)
Any other valid number succeeds, and so does every card at the counter's terminal
(`charge_present`).
"""

import hashlib
import hmac
import json
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from core.db import instances_insert

from ..cards import CardDetails, card_brand, card_check
from ..models import SandboxCharge, SandboxRefund
from .base import (
    CardToken,
    Charge,
    GatewayError,
    InvalidSignature,
    PaymentGateway,
    ProviderRefund,
    RefundResult,
    WebhookEvent,
)

BEHAVIOURS = {
    "4000000000000002": "declined",
    "4000000000009995": "nofunds",
    "4000000000000119": "error",
    "4000000000000341": "lost",
}
DECLINES = {
    "declined": ("card_declined", "Your card was declined."),
    "nofunds": ("insufficient_funds", "Your card has insufficient funds."),
}


def _insert(record: SandboxCharge) -> SandboxCharge:
    """Insert a ledger row: one statement, atomic by itself. Inside a transaction (tests run in
    one; the app charges with none open) a savepoint keeps a duplicate from breaking it. A plain
    INSERT (`instances_insert`): the sandbox stands in for a provider's answer over the network,
    and its own bookkeeping should not weigh on what the benchmarks measure of ours."""
    if connection.in_atomic_block:
        with transaction.atomic():
            instances_insert([record])
    else:
        instances_insert([record])
    return record


def sign(body: bytes, secret: str | None = None) -> str:
    """The `X-Signature` header value for a body: `sha256=<hex HMAC-SHA256>`."""
    key = (secret if secret is not None else settings.PAYMENT_WEBHOOK_SECRET).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


class SandboxGateway(PaymentGateway):
    name = "sandbox"

    def tokenize(self, card: CardDetails) -> CardToken:
        card_check(card)
        behaviour = BEHAVIOURS.get(card.number, "ok")
        return CardToken(
            # The token carries how the test card behaves - never the number.
            token=f"tok_{behaviour}_{secrets.token_hex(12)}",
            brand=card_brand(card.number),
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def _charge_from(self, record: SandboxCharge, *, new: bool = False) -> Charge:
        """The provider's answer about a charge: a `new` one has no refunds yet."""
        decline = dict(DECLINES.values()).get(record.decline_code, "")
        refunds = (
            ()
            if new
            else tuple(
                ProviderRefund(made.reference, made.amount, made.idempotency_key)
                for made in record.refunds.order_by("pk")
            )
        )
        return Charge(
            record.reference,
            record.succeeded,
            record.amount,
            record.decline_code,
            decline,
            currency=record.currency,
            refunds=refunds,
        )

    def charge(self, *, amount, currency, token, idempotency_key, description) -> Charge:
        # A provider's own ledger, kept small: one insert for a new charge; the unique key on the
        # idempotency key answers a retry with the first charge.
        behaviour = token.split("_")[1] if token.startswith("tok_") else "invalid"
        if behaviour in ("error", "invalid"):
            existing = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return self._charge_from(existing)
            raise GatewayError("The sandbox provider failed to process the charge.")
        decline_code = DECLINES[behaviour][0] if behaviour in DECLINES else ""
        try:
            record = _insert(
                SandboxCharge(
                    reference=f"ch_sbx_{secrets.token_hex(10)}",
                    idempotency_key=idempotency_key,
                    amount=amount,
                    currency=currency,
                    succeeded=not decline_code,
                    decline_code=decline_code,
                )
            )
        except IntegrityError:  # charged with this key before (or concurrently): the first one
            return self._charge_from(SandboxCharge.objects.get(idempotency_key=idempotency_key))
        if behaviour == "lost":
            raise GatewayError("The sandbox provider did not answer in time.")
        return self._charge_from(record, new=True)

    def charge_present(self, *, amount, currency, idempotency_key, description) -> Charge:
        """The sandbox's card terminal accepts every card."""
        try:
            with transaction.atomic():
                record, _ = SandboxCharge.objects.get_or_create(
                    idempotency_key=idempotency_key,
                    defaults={
                        "reference": f"ch_sbx_{secrets.token_hex(10)}",
                        "amount": amount,
                        "currency": currency,
                        "succeeded": True,
                    },
                )
        except IntegrityError:  # the same key, concurrently: the provider answers with the first
            record = SandboxCharge.objects.get(idempotency_key=idempotency_key)
        return self._charge_from(record)

    def charge_lookup(self, *, idempotency_key) -> Charge | None:
        record = SandboxCharge.objects.filter(idempotency_key=idempotency_key).first()
        return None if record is None else self._charge_from(record)

    def refund(self, *, charge_reference, amount, idempotency_key) -> RefundResult:
        existing = SandboxRefund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return RefundResult(existing.reference, existing.amount)
        with transaction.atomic():
            charge = (
                SandboxCharge.objects.select_for_update().filter(reference=charge_reference).first()
            )
            if charge is None or not charge.succeeded:
                raise GatewayError(f"No successful charge {charge_reference!r} to refund.")
            refunded = charge.refunds.aggregate(total=Sum("amount"))["total"] or Decimal("0")
            if refunded + amount > charge.amount:
                raise GatewayError("The refund exceeds what is left of the charge.")
            record = SandboxRefund.objects.create(
                reference=f"re_sbx_{secrets.token_hex(10)}",
                idempotency_key=idempotency_key,
                charge=charge,
                amount=amount,
            )
        return RefundResult(record.reference, record.amount)

    def webhook_parse(self, *, body: bytes, signature: str) -> WebhookEvent:
        secret = settings.PAYMENT_WEBHOOK_SECRET
        expected = sign(body, secret).encode() if secret else b""
        if not secret or not hmac.compare_digest(expected, (signature or "").encode()):
            raise InvalidSignature()
        try:
            event = json.loads(body)
            return WebhookEvent(
                id=str(event["id"]), type=str(event["type"]), data=dict(event.get("data") or {})
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError('Expected {"id", "type", "data"}.') from exc

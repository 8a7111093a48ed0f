"""What the app needs from a payment provider. A real provider's adapter implements this class;
nothing outside `payments` knows which one is configured (`PAYMENT_GATEWAY`)."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from ..cards import CardDetails


class GatewayError(Exception):
    """The provider could not be reached or failed. Whether money moved is unknown: the payment
    is left for reconciliation."""


class InvalidSignature(Exception):
    pass


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ProviderRefund:
    """A refund the provider made on a charge: `idempotency_key` is the one we asked for it with
    (`Refund.gateway_key`); a refund made in the provider's dashboard carries none of ours."""

    reference: str
    amount: Decimal
    idempotency_key: str = ""


@dataclass(frozen=True)
class Charge:
    reference: str
    succeeded: bool
    amount: Decimal
    decline_code: str = ""
    message: str = ""
    currency: str = ""
    # Every refund made on the charge, as the provider has them now (a lookup's answer; none for a
    # charge just made): ours with the key we asked with. Refunds are recorded from this list.
    refunds: tuple[ProviderRefund, ...] = ()

    @property
    def amount_refunded(self) -> Decimal:
        return sum((refund.amount for refund in self.refunds), Decimal("0.00"))


@dataclass(frozen=True)
class RefundResult:
    reference: str
    amount: Decimal


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    data: dict


class PaymentGateway(ABC):
    name: str

    @abstractmethod
    def tokenize(self, card: CardDetails) -> CardToken:
        """Exchange card details for a reusable token. Raises ValidationError for a bad card."""

    @abstractmethod
    def charge(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str, description: str
    ) -> Charge:
        """Charge a token. The same `idempotency_key` never charges twice: a retry returns the
        first charge. A decline is a Charge that did not succeed; GatewayError when unknown."""

    @abstractmethod
    def charge_present(
        self, *, amount: Decimal, currency: str, idempotency_key: str, description: str
    ) -> Charge:
        """Charge a card presented at a box office's terminal (the terminal reads the card; no
        number reaches us). The same `idempotency_key` never charges twice; a decline is a Charge
        that did not succeed; GatewayError when the outcome is unknown."""

    @abstractmethod
    def charge_lookup(self, *, idempotency_key: str) -> Charge | None:
        """The charge made with this key, if the provider made one, as the provider has it now:
        what reconciliation and webhooks trust. Its `refunds` list every refund made on it, each
        of ours with the idempotency key we asked for it with (how it is told from one made in
        the provider's dashboard)."""

    @abstractmethod
    def refund(
        self, *, charge_reference: str, amount: Decimal, idempotency_key: str
    ) -> RefundResult:
        """Refund part or all of a charge; idempotent by key. GatewayError when it fails."""

    @abstractmethod
    def webhook_parse(self, *, body: bytes, signature: str) -> WebhookEvent:
        """Check the signature over the raw body and parse the event. Raises InvalidSignature, or
        ValueError for a signed body that is not an event."""

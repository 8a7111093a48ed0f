from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .cards import card_expired


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    REFUNDED = "REFUNDED", "Refunded"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", "Partially refunded"


class PaymentMethod(models.TextChoices):
    CARD = "CARD", "Card, online"
    CARD_PRESENT = "CARD_PRESENT", "Card, at the counter"
    CASH = "CASH", "Cash, at the counter"


# A payment that holds money now: it pays for its booking (a refund in full ends that).
LIVE_CAPTURE = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)


class Payment(models.Model):
    """One attempt to charge a booking's total.

    PENDING while the charge is in flight (`in_flight`) or its outcome is unknown
    (`needs_reconciliation`: the provider did not answer); then SUCCEEDED or FAILED; refunds move
    a succeeded payment to PARTIALLY_REFUNDED or REFUNDED.
    """

    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, related_name="payments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    amount_refunded = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=PaymentStatus, default=PaymentStatus.PENDING)
    # How the money came in; a refund goes back the same way (cash in cash).
    method = models.CharField(max_length=12, choices=PaymentMethod, default=PaymentMethod.CARD)
    # TRUE while the charge is in flight, NULL otherwise. With the unique key on (booking,
    # in_flight) a booking is charged by one request at a time (NULLs never collide).
    in_flight = models.BooleanField(null=True, default=True, editable=False)
    needs_reconciliation = models.BooleanField(default=False)
    provider = models.CharField(max_length=30)
    provider_reference = models.CharField(max_length=100, blank=True, db_index=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    failure_code = models.CharField(max_length=50, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["status", "updated_at"]),
            # Reports: captures by the day they were made, and by booking (with the method), read
            # from the index alone.
            models.Index(
                fields=["created_at", "status", "booking", "method", "amount"],
                name="payment_report_created_idx",
            ),
            models.Index(
                fields=["booking", "status", "method", "created_at", "amount"],
                name="payment_report_booking_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "in_flight"], name="payment_one_in_flight_per_booking"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount")),
                name="payment_refunds_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({self.status})"

    @property
    def gateway_key(self) -> str:
        """The idempotency key the provider sees for this charge: a retry can never charge twice."""
        return f"payment-{self.pk}"


class RefundStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"


class Refund(models.Model):
    """Money given back on a payment. A PENDING refund has reserved its amount: the sum of pending
    and succeeded refunds never exceeds what was captured."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=RefundStatus, default=RefundStatus.PENDING)
    reason = models.CharField(max_length=200, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        # Reports: refunds by the day they were made, and those completed since their rollups.
        indexes = [
            models.Index(
                fields=["created_at", "status", "payment", "amount"],
                name="refund_report_created_idx",
            ),
            models.Index(fields=["completed_at"], name="refund_report_completed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values), name="refund_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} of payment {self.payment_id} ({self.status})"

    @property
    def gateway_key(self) -> str:
        return f"refund-{self.pk}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The payment audit trail is append-only.")

    def delete(self):
        raise TypeError("The payment audit trail is append-only.")


class PaymentEvent(models.Model):
    """The audit trail: every event in a payment's life, appended and never changed.

    The ORM refuses updates and deletes (here and in the admin); card numbers never get in: the
    data holds brand, last four digits, amounts, codes and references only.
    """

    class Kind(models.TextChoices):
        CREATED = "created"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        GATEWAY_ERROR = "gateway_error"
        RECONCILED = "reconciled"
        REFUND_REQUESTED = "refund_requested"
        REFUNDED = "refunded"
        REFUND_FAILED = "refund_failed"
        WEBHOOK_RECEIVED = "webhook_received"

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.payment_id})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The payment audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The payment audit trail is append-only.")


class SavedCard(models.Model):
    """A card kept for later: the provider's token and what a customer recognises it by. Never
    the number or the CVC."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards"
    )
    provider = models.CharField(max_length=30)
    token = models.CharField(max_length=100)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    holder_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.brand} ending {self.last4}"

    @property
    def expired(self) -> bool:
        return card_expired(self.exp_month, self.exp_year)


class WebhookEvent(models.Model):
    """A notification from a provider, recorded once per event id whatever it says."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # Set once the event has been applied: only then is a delivery of the same id a duplicate.
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class SandboxCharge(models.Model):
    """The sandbox provider's own ledger (what a real provider keeps on its side), so that it
    behaves like one across processes: idempotent charges, refunds checked against a charge."""

    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    succeeded = models.BooleanField()
    decline_code = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.reference


class SandboxRefund(models.Model):
    reference = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    charge = models.ForeignKey(SandboxCharge, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.reference

"""Promo codes, the uses bookings make of them, and who has been e-mailed about them.

Promotions sit below booking: a redemption names its booking by id (`booking_id`), not by a
foreign key, and booking records, confirms and releases its uses through `promotions.services`
while it holds its own locks.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

CODE_MAX_LENGTH = 40
code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
    "Letters, digits, dashes and underscores, starting with a letter or digit.",
)


def code_normalize(code: str) -> str:
    """The one spelling of a code: `summer25 ` is `SUMMER25`."""
    return code.strip().upper()


class DiscountType(models.TextChoices):
    PERCENT = "PERCENT", "Percent of the subtotal"
    FIXED = "FIXED", "Fixed amount off the subtotal"


class Promotion(models.Model):
    """A promo code: a discount on a booking's subtotal, within limits.

    `code` is stored in capitals (the services write it so), which makes the plain unique key
    case-insensitive. Once the promotion has been e-mailed (`sent_at`), what the e-mail told
    customers - its code and its discount - is fixed.
    """

    code = models.CharField(
        max_length=CODE_MAX_LENGTH,
        unique=True,
        validators=[code_validator],
        help_text="Case-insensitive; stored in capitals.",
    )
    description = models.CharField(max_length=300, help_text="What the customer is told.")
    discount_type = models.CharField(max_length=10, choices=DiscountType)
    value = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="PERCENT: 0.01-100 (% of the subtotal); FIXED: an amount in the currency.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    max_redemptions = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Bookings that may use the code, held ones included; empty: no limit.",
    )
    per_user_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Bookings per customer; empty: no limit.",
    )
    min_total = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="The least subtotal (before the discount) the code applies to.",
    )
    max_discount_total = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="A budget: the most all uses together may take off; empty: no budget.",
    )
    movies = models.ManyToManyField(
        "catalog.Movie", blank=True, related_name="+", help_text="Empty: every movie."
    )
    ticket_types = models.JSONField(
        default=list, blank=True, help_text="Ticket type codes discounted; empty: all."
    )
    first_booking_only = models.BooleanField(
        default=False, help_text="Only for a customer who has never had a booking confirmed."
    )
    active = models.BooleanField(default=True, help_text="Off: the code is refused at once.")
    refund_restores_use = models.BooleanField(
        default=True,
        help_text="A confirmed booking that is cancelled (and refunded) gives its use back.",
    )
    sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="First e-mailed; code and discount are fixed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_type__in=DiscountType.values),
                name="promotion_discount_type_valid",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="promotion_value_positive"),
            models.CheckConstraint(
                condition=Q(discount_type=DiscountType.FIXED) | Q(value__lte=100),
                name="promotion_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="promotion_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True) | Q(max_redemptions__gte=1),
                name="promotion_max_redemptions_positive",
            ),
            models.CheckConstraint(
                condition=Q(per_user_limit__isnull=True) | Q(per_user_limit__gte=1),
                name="promotion_per_user_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(min_total__gte=0), name="promotion_min_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(max_discount_total__isnull=True) | Q(max_discount_total__gt=0),
                name="promotion_budget_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class RedemptionStatus(models.TextChoices):
    HELD = "HELD", "Held by a pending booking until it expires"
    CONFIRMED = "CONFIRMED", "Redeemed by a confirmed booking"
    FORFEITED = "FORFEITED", "The booking was cancelled after confirmation; the use stays spent"
    RELEASED = "RELEASED", "Given back: the hold lapsed or was cancelled or replaced, or refunded"


# What counts against a promotion's limits, besides holds that have not expired.
SPENT = (RedemptionStatus.CONFIRMED, RedemptionStatus.FORFEITED)


class RedemptionQuerySet(models.QuerySet):
    def counting(self, now: datetime) -> "RedemptionQuerySet":
        """The uses that count against the limits: spent ones, and holds that have not expired
        (uses left = limit - confirmed - live holds). A lapsed hold counts for nothing, at once:
        no job has to release it first."""
        return self.filter(
            Q(status__in=SPENT) | Q(status=RedemptionStatus.HELD, expires_at__gt=now)
        )


class Redemption(models.Model):
    """One booking's use of a promotion, from its hold on.

    The unique key on (booking, promotion) is the database's last word: a booking never uses a
    promotion twice. The limits themselves are counted under the promotion's row lock
    (`promotions.locks`), where every new use is taken.

    The indexes are chosen for InnoDB's sake: no index that begins with the promotion's foreign
    key holds a column that changes, so confirming or releasing a use never makes InnoDB check
    that key - which would share-lock the promotion row outside the lock order.
    """

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    booking_id = models.PositiveBigIntegerField(help_text="The booking (booking app) using it.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text="The discount given.")
    status = models.CharField(
        max_length=10, choices=RedemptionStatus, default=RedemptionStatus.HELD
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While HELD: when the booking's hold lapses."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RedemptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Counting a promotion's uses: spent ones, and holds by expiry.
            models.Index(fields=["status", "promotion", "expires_at"], name="redemption_counting"),
            # A customer's uses of a promotion (and the user foreign key's index).
            models.Index(fields=["user", "promotion"], name="redemption_user_promotion"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking_id", "promotion"], name="redemption_one_per_booking"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RedemptionStatus.values), name="redemption_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="redemption_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status=RedemptionStatus.HELD, expires_at__isnull=False)
                | (~Q(status=RedemptionStatus.HELD) & Q(expires_at__isnull=True)),
                name="redemption_expiry_while_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} -> booking {self.booking_id} ({self.status})"


class PromotionRecipient(models.Model):
    """A customer e-mailed about a promotion. Written with the e-mail, in one transaction; the
    unique key makes sure that sending again never mails anyone twice."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mailed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "user"], name="promotion_recipient_once"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} -> {self.user_id}"

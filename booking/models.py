from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from screening.models import SeatType


class TicketTypeCode(models.TextChoices):
    ADULT = "ADULT", "Adult"
    CHILD = "CHILD", "Child"
    SENIOR = "SENIOR", "Senior"
    STUDENT = "STUDENT", "Student"


class TicketType(models.Model):
    """A price rule: a ticket costs the showtime's base price times `multiplier`."""

    code = models.CharField(max_length=10, choices=TicketTypeCode, unique=True)
    name = models.CharField(max_length=50)
    multiplier = models.DecimalField(
        max_digits=4, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(multiplier__gte=0), name="ticket_type_multiplier_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (x{self.multiplier})"


class SeatSurcharge(models.Model):
    """Added to every ticket for a seat of this type (VIP: 3.00 by default)."""

    seat_type = models.CharField(max_length=10, choices=SeatType, unique=True)
    amount = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["seat_type"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="seat_surcharge_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.seat_type}: +{self.amount}"


class BookingStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    CONFIRMED = "CONFIRMED", "Confirmed"
    CANCELLED = "CANCELLED", "Cancelled"
    EXPIRED = "EXPIRED", "Expired"


class Booking(models.Model):
    """A customer's seats for one showtime: held while PENDING, sold once CONFIRMED."""

    reference = models.CharField(max_length=12, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    showtime = models.ForeignKey(
        "screening.Showtime", on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(max_length=10, choices=BookingStatus, default=BookingStatus.PENDING)
    # TRUE while PENDING, NULL otherwise. With the unique key on (user, showtime, pending) this
    # allows one pending booking per customer and showtime: MySQL has no partial unique index,
    # but NULLs never collide.
    pending = models.BooleanField(null=True, default=True, editable=False)
    expires_at = models.DateTimeField(help_text="End of the seat hold while pending.")
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    fees = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    tax = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    total = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3)
    promo_code = models.CharField(max_length=40, blank=True)
    # The promotion that gave `discount`; its use is a `promotions.Redemption` of this booking.
    promotion = models.ForeignKey(
        "promotions.Promotion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancellation_reason = models.CharField(max_length=200, blank=True)
    # The seat rules staff overrode for this booking (error codes, comma-separated), and who.
    rules_overridden = models.CharField(
        max_length=100,
        blank=True,
        help_text="Seat rules overridden by staff: single_seat_gap, seat_reserved_for_accessibility.",
    )
    rules_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Sold at the box office: the staff member who sold it, and the address its tickets were sent
    # to (a walk-in's booking belongs to the seller's account when the customer has none).
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who sold it at the box office.",
    )
    customer_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["showtime", "status"]),
            models.Index(fields=["status", "expires_at"]),
            # Reports: discounts by the day of the sale, and what changed since their rollups.
            models.Index(
                fields=["confirmed_at", "discount", "showtime"], name="booking_report_confirmed_idx"
            ),
            models.Index(fields=["cancelled_at"], name="booking_report_cancelled_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "showtime", "pending"], name="booking_one_pending_per_showtime"
            ),
            models.CheckConstraint(
                condition=Q(pending__isnull=True) | Q(pending=True, status=BookingStatus.PENDING),
                name="booking_pending_flag_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BookingStatus.values), name="booking_status_valid"
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="booking_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def effective_status(self) -> str:
        """What a client sees: a PENDING booking whose hold has run out is EXPIRED already,
        whether or not `release_expired_holds` has recorded it yet."""
        if self.status == BookingStatus.PENDING and self.expires_at <= timezone.now():
            return BookingStatus.EXPIRED
        return self.status


class Ticket(models.Model):
    """One seat of a booking, at the price it was sold for. The history of a sale: it stays when
    the booking is cancelled, while the seat's claim goes."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tickets")
    showtime = models.ForeignKey(
        "screening.Showtime", on_delete=models.PROTECT, related_name="tickets"
    )
    seat = models.ForeignKey("screening.Seat", on_delete=models.PROTECT, related_name="tickets")
    ticket_type = models.CharField(
        max_length=10, choices=TicketTypeCode, default=TicketTypeCode.ADULT
    )
    price = models.DecimalField(max_digits=8, decimal_places=2)
    # Set when the booking is confirmed: what the box office scans. Unguessable, unique.
    code = models.CharField(max_length=32, unique=True, null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["booking_id", "seat__y", "seat__x"]
        # Reports: a booking's tickets by type and price, without reading the rows.
        indexes = [
            models.Index(
                fields=["booking", "ticket_type", "price"], name="ticket_report_booking_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "seat"], name="ticket_one_per_seat_per_booking"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="ticket_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.booking.reference} {self.seat}"


class SeatClaimQuerySet(models.QuerySet):
    def live(self, now: datetime) -> "SeatClaimQuerySet":
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class SeatClaim(models.Model):
    """The right to a seat at a showtime: a hold (`expires_at` set) or a sale (NULL).

    Only live claims exist: releasing a seat deletes its row. The unique key makes a second claim
    on one (showtime, seat) impossible, whatever writes it - the API, the admin or a shell. A hold
    whose `expires_at` has passed counts as free; the next booking of that seat deletes it.
    """

    showtime = models.ForeignKey(
        "screening.Showtime", on_delete=models.PROTECT, related_name="claims"
    )
    seat = models.ForeignKey("screening.Seat", on_delete=models.PROTECT, related_name="claims")
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="claims")
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = SeatClaimQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["showtime", "seat"], name="seat_claim_one_per_showtime"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.showtime_id}/{self.seat_id} -> {self.booking_id}"

    @staticmethod
    def takes_seat(expires_at: datetime | None, now: datetime) -> bool:
        """The rule of a live claim - a sale (no expiry), or a hold that has not expired - for a
        claim read as values; `SeatClaim.objects.live()` is the same rule in SQL."""
        return expires_at is None or expires_at > now


class SeatChange(models.Model):
    """An append-only log: a seat of a showtime changed hands (held, sold or freed). The newest
    id of a showtime's changes is its seat map's version: pollers ask "anything since V?"
    without any row being updated by every booking (a counter would serialise them). Holds that
    lapse are not logged - the seat map says when each hold ends (`held_until`). A showtime's
    entries are purged `SEAT_CHANGES_RETENTION_HOURS` after it ended."""

    id = models.BigAutoField(primary_key=True)
    showtime = models.ForeignKey(
        "screening.Showtime", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    seat_id = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["showtime", "id"], name="seat_change_showtime_id")]

    def __str__(self) -> str:
        return f"{self.showtime_id}/{self.seat_id} #{self.pk}"

import zoneinfo
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone (e.g. Europe/Berlin).")


class Cinema(models.Model):
    name = models.CharField(max_length=120, unique=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Hall(models.Model):
    """A screen. Its seats are generated from `layout` (see `screening.layouts`) by the services."""

    cinema = models.ForeignKey(Cinema, on_delete=models.PROTECT, related_name="halls")
    name = models.CharField(max_length=60)
    layout = models.JSONField()
    capacity = models.PositiveIntegerField(default=0)
    # Bumped whenever the seats are generated again: caches of a hall's seats key on it.
    seats_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["cinema_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cinema", "name"], name="hall_name_unique_per_cinema")
        ]

    def __str__(self) -> str:
        return f"{self.cinema.name} - {self.name}"


class SeatType(models.TextChoices):
    STANDARD = "STANDARD"
    VIP = "VIP"
    ACCESSIBLE = "ACCESSIBLE"  # an ordinary chair that is easy to reach
    WHEELCHAIR = "WHEELCHAIR"  # a space for a wheelchair
    COMPANION = "COMPANION"  # the chair of a wheelchair user's companion, beside its `pair`


# Wheelchair spaces and companion seats: kept for bookings with a wheelchair space until shortly
# before the show (booking/seat_rules.py).
ACCESSIBLE_SPACES = frozenset({SeatType.WHEELCHAIR, SeatType.COMPANION})


class Seat(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="seats")
    row = models.CharField(max_length=3)
    number = models.PositiveSmallIntegerField()
    seat_type = models.CharField(max_length=10, choices=SeatType, default=SeatType.STANDARD)
    # Where to draw the seat: x counts aisle gaps, y is the row's index from the screen.
    x = models.PositiveSmallIntegerField()
    y = models.PositiveSmallIntegerField()
    # A companion seat's wheelchair space, as the layout pairs them.
    pair = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="companions"
    )

    class Meta:
        ordering = ["hall_id", "y", "x"]
        # Seat maps read a hall's seats in drawing order.
        indexes = [models.Index(fields=["hall", "y", "x"])]
        constraints = [
            models.UniqueConstraint(fields=["hall", "row", "number"], name="seat_unique_per_hall"),
            models.CheckConstraint(
                condition=models.Q(seat_type__in=SeatType.values), name="seat_type_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(pair__isnull=True) | models.Q(seat_type=SeatType.COMPANION),
                name="seat_pair_only_for_companions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.row}{self.number}"

    @property
    def label(self) -> str:
        return f"{self.row}{self.number}"


class ShowtimeFormat(models.TextChoices):
    TWO_D = "2D"
    THREE_D = "3D"
    IMAX = "IMAX"


class ShowtimeStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Showtime(models.Model):
    """A screening of a movie in a hall. `ends_at` includes the cleaning buffer, so two scheduled
    showtimes of one hall may touch but never overlap (`services.showtime_schedule`)."""

    movie = models.ForeignKey("catalog.Movie", on_delete=models.PROTECT, related_name="showtimes")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="showtimes")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    base_price = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    format = models.CharField(max_length=4, choices=ShowtimeFormat, default=ShowtimeFormat.TWO_D)
    language = models.CharField(max_length=50)
    status = models.CharField(
        max_length=10, choices=ShowtimeStatus, default=ShowtimeStatus.SCHEDULED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["hall", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            # Reports: the showtimes of a period, whatever their status.
            models.Index(fields=["starts_at"], name="showtime_starts_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="showtime_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(base_price__gte=0), name="showtime_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=ShowtimeFormat.values), name="showtime_format_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ShowtimeStatus.values), name="showtime_status_valid"
            ),
        ]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(self.hall.cinema.zone)
        return f"{self.movie.title} @ {self.hall} {local:%Y-%m-%d %H:%M} {local.tzname()}"

    @property
    def cinema(self) -> Cinema:
        return self.hall.cinema

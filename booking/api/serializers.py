from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Rating
from core.serializers import SharedFieldsSerializer
from promotions.models import DiscountType
from screening.api.serializers import PositionSerializer
from screening.layouts import ROW_TYPES
from screening.models import SeatType, ShowtimeFormat, ShowtimeStatus

from ..models import BookingStatus, Ticket, TicketType, TicketTypeCode


class TicketTypeSerializer(serializers.ModelSerializer):
    price_rule = serializers.SerializerMethodField()

    class Meta:
        model = TicketType
        fields = ["code", "name", "multiplier", "price_rule"]
        read_only_fields = fields

    def get_price_rule(self, ticket_type: TicketType) -> str:
        return f"{ticket_type.multiplier * 100:.0f}% of the showtime's base price, plus the seat's surcharge"


class SeatRequestSerializer(serializers.Serializer):
    seat = serializers.IntegerField(min_value=1)
    ticket_type = serializers.ChoiceField(
        choices=TicketTypeCode.choices, default=TicketTypeCode.ADULT
    )


class BookingCreateInputSerializer(SharedFieldsSerializer):
    """Every hold validates its body with this: its fields are made once per process."""

    showtime = serializers.IntegerField(min_value=1)
    seats = SeatRequestSerializer(
        many=True,
        required=False,
        allow_empty=False,
        help_text="The seats chosen - or give `quantity` instead.",
    )
    quantity = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Best available: this many seats, chosen by the server under the lock "
        "(`together` in the seats' rows tells whether they are side by side). Not with `seats`.",
    )
    seat_type = serializers.ChoiceField(
        choices=list(ROW_TYPES), required=False, help_text="With `quantity`: only this type."
    )
    accessible = serializers.BooleanField(
        default=False,
        help_text="With `quantity`: a wheelchair space with its companion seat(s).",
    )
    ticket_types = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text='With `quantity`: how many seats get which ticket type, e.g. {"CHILD": 2}; '
        "the rest are ADULT.",
    )
    promo_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    rules_override = serializers.BooleanField(
        default=False,
        help_text="Staff and administrators only: hold the seats despite the single-seat-gap "
        "and accessibility rules; recorded on the booking.",
    )

    def validate(self, data):
        if "seats" in data and "quantity" in data:
            raise serializers.ValidationError(
                {"quantity": ["Give either seats or a quantity, not both."]}
            )
        if "seats" not in data and "quantity" not in data:
            raise serializers.ValidationError(
                {"seats": ["Choose seats, or give a quantity for the best available."]}
            )
        return data


class BestSeatsInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)
    seat_type = serializers.ChoiceField(choices=list(ROW_TYPES), required=False)
    accessible = serializers.BooleanField(
        default=False, help_text="A wheelchair space with its companion seat(s)."
    )

    def validate_quantity(self, value):
        if value > settings.BOOKING_MAX_SEATS:
            raise serializers.ValidationError(
                f"At most {settings.BOOKING_MAX_SEATS} seats per booking."
            )
        return value

    def validate(self, data):
        if data["accessible"] and data.get("seat_type"):
            raise serializers.ValidationError(
                {"seat_type": ["An accessible pick is a wheelchair space: leave seat_type out."]}
            )
        return data


class BestSeatsSerializer(serializers.Serializer):
    seats = serializers.ListField(child=serializers.IntegerField(), help_text="Seat ids.")
    labels = serializers.ListField(child=serializers.CharField(), help_text="Row and number.")
    together = serializers.BooleanField(
        help_text="Side by side in one row; false: no such block is left, this is the best split."
    )


MONEY = {"max_digits": 10, "decimal_places": 2}


class BookingTicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seat = serializers.IntegerField(source="seat_id")
    row = serializers.CharField(source="seat.row")
    number = serializers.IntegerField(source="seat.number")
    seat_type = serializers.ChoiceField(source="seat.seat_type", choices=SeatType.choices)
    ticket_type = serializers.ChoiceField(choices=TicketTypeCode.choices)
    price = serializers.DecimalField(**MONEY)
    code = serializers.CharField(allow_null=True, help_text="Set once the booking is confirmed.")
    checked_in_at = serializers.DateTimeField(allow_null=True)


class BookingMovieSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    rating = serializers.ChoiceField(choices=Rating.choices)
    poster_url = serializers.CharField(help_text="An http(s) URL, or empty.")


class BookingHallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BookingCinemaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()
    timezone = serializers.CharField()


class BookingShowtimeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    movie = BookingMovieSerializer()
    hall = BookingHallSerializer()
    cinema = BookingCinemaSerializer(source="hall.cinema")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    format = serializers.ChoiceField(choices=ShowtimeFormat.choices)
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=ShowtimeStatus.choices)


class PaymentSummarySerializer(serializers.Serializer):
    """What a booking shows of its payment. The payments app fills it in (`booking.hooks`)."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["PENDING", "SUCCEEDED", "FAILED", "REFUNDED", "PARTIALLY_REFUNDED"]
    )
    amount = serializers.DecimalField(**MONEY)
    amount_refunded = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    method = serializers.ChoiceField(
        choices=["CARD", "CARD_PRESENT", "CASH"],
        help_text="A card online, a card at the box office's terminal, or cash at the box office.",
    )
    card_brand = serializers.CharField()
    card_last4 = serializers.CharField()
    being_confirmed = serializers.BooleanField(
        help_text="The provider has not answered yet: the payment is being confirmed, and the "
        "booking will be confirmed (or the charge refunded) without another attempt to pay."
    )


class BookingSerializer(serializers.Serializer):
    """The one rendering of a booking: creating, paying, reading and listing answer it."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(
        source="effective_status",
        choices=BookingStatus.choices,
        help_text="A pending booking whose hold has run out is EXPIRED.",
    )
    user = serializers.IntegerField(source="user_id")
    showtime = BookingShowtimeSerializer()
    expires_at = serializers.DateTimeField(help_text="End of the seat hold while PENDING.")
    tickets = BookingTicketSerializer(many=True)
    subtotal = serializers.DecimalField(**MONEY)
    discount = serializers.DecimalField(**MONEY)
    promo_code = serializers.SerializerMethodField(help_text="The promo code used, or null.")
    promotion_description = serializers.CharField(
        source="promotion.description",
        allow_null=True,
        default=None,
        help_text="What the promo code's promotion offers, or null.",
    )
    fees = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    payment = PaymentSummarySerializer(
        source="payment_summary",
        allow_null=True,
        default=None,
        help_text="The latest payment, or null while none was made.",
    )
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancellation_reason = serializers.CharField()
    rules_overridden = serializers.SerializerMethodField()
    rules_overridden_by = serializers.IntegerField(
        source="rules_overridden_by_id", allow_null=True, help_text="Who overrode them."
    )

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(["single_seat_gap", "seat_reserved_for_accessibility"]),
            help_text="The seat rules staff overrode for this booking.",
        )
    )
    def get_rules_overridden(self, booking) -> list[str]:
        return booking.rules_overridden.split(",") if booking.rules_overridden else []

    def get_promo_code(self, booking) -> str | None:
        return booking.promo_code or None


_booking_renderer: BookingSerializer | None = None


def booking_render(booking) -> dict:
    """A booking as `BookingSerializer` renders it, through one serializer kept per process: DRF
    copies every declared field of a serializer and its nested ones each time one is made, which
    costs more than rendering. Safe to share: rendering keeps no state on the serializer, and
    nothing in a booking's rendering reads a request or a context."""
    global _booking_renderer
    if _booking_renderer is None:
        _booking_renderer = BookingSerializer()
    return _booking_renderer.to_representation(booking)


class PromotionValidateInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    showtime = serializers.IntegerField(
        min_value=1, required=False, help_text="Checks the movie; needed with `seats`."
    )
    seats = SeatRequestSerializer(
        many=True, required=False, help_text="Prices these seats with the discount."
    )


class PromotionQuoteSerializer(serializers.Serializer):
    """What a promo code would do; the prices only when seats were given."""

    code = serializers.CharField(source="promotion.code")
    discount_type = serializers.ChoiceField(
        source="promotion.discount_type", choices=DiscountType.choices
    )
    value = serializers.DecimalField(source="promotion.value", max_digits=8, decimal_places=2)
    description = serializers.CharField(source="promotion.description")
    ends_at = serializers.DateTimeField(source="promotion.ends_at")
    discount = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="For these seats; null without seats."
    )
    subtotal = serializers.DecimalField(**MONEY, source="totals.subtotal", allow_null=True)
    fees = serializers.DecimalField(**MONEY, source="totals.fees", allow_null=True)
    tax = serializers.DecimalField(**MONEY, source="totals.tax", allow_null=True)
    total = serializers.DecimalField(
        **MONEY, source="totals.total", allow_null=True, help_text="What a hold would cost."
    )
    currency = serializers.CharField(default=settings.CURRENCY)


class SeatMapSeatSerializer(serializers.Serializer):
    """Documents `seat_map_json`'s output, which is built without serializers (speed)."""

    id = serializers.IntegerField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    type = serializers.ChoiceField(choices=SeatType.choices)
    pair = serializers.IntegerField(
        allow_null=True, help_text="A companion seat's wheelchair space (its id)."
    )
    status = serializers.ChoiceField(choices=["available", "held", "sold"])
    held_until = serializers.DateTimeField(
        allow_null=True,
        help_text="A held seat's hold ends then: show it available from that moment without "
        "asking again. Null unless held.",
    )
    price = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="The ADULT price of this seat."
    )
    held_back_until = serializers.DateTimeField(
        allow_null=True,
        help_text="Wheelchair spaces and companion seats: sold only with a wheelchair space "
        "until then, on general sale after. Null for other seats, and once released.",
    )
    position = PositionSerializer()


class SeatMapShowtimeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    hall = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=ShowtimeStatus.choices)
    base_price = serializers.DecimalField(max_digits=8, decimal_places=2)


class SeatCountsSerializer(serializers.Serializer):
    available = serializers.IntegerField()
    held = serializers.IntegerField()
    sold = serializers.IntegerField()


class SeatMapSerializer(serializers.Serializer):
    showtime = SeatMapShowtimeSerializer()
    version = serializers.IntegerField(
        min_value=0, help_text="Ask `?since=` this to get only what changes after it."
    )
    seats = SeatMapSeatSerializer(many=True)
    counts = SeatCountsSerializer()
    currency = serializers.CharField(default=settings.CURRENCY)


class SeatChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["available", "held", "sold"])
    held_until = serializers.DateTimeField(allow_null=True)


class SeatMapChangesSerializer(serializers.Serializer):
    """`?since=V`: the seats whose status changed after version V, as they are now."""

    showtime = serializers.IntegerField()
    since = serializers.IntegerField(min_value=0)
    version = serializers.IntegerField(min_value=0)
    seats = SeatChangeSerializer(many=True)


class CheckInInputSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=200, help_text="The ticket's code, or its QR code's signed payload."
    )


class CheckInSerializer(serializers.ModelSerializer):
    booking = serializers.CharField(source="booking.reference")
    row = serializers.CharField(source="seat.row")
    number = serializers.IntegerField(source="seat.number")
    seat_type = serializers.ChoiceField(source="seat.seat_type", choices=SeatType.choices)
    showtime = BookingShowtimeSerializer()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "code",
            "booking",
            "ticket_type",
            "row",
            "number",
            "seat_type",
            "showtime",
            "checked_in_at",
        ]
        read_only_fields = fields


class BookingCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Told to the customer in the cancellation e-mail.",
    )


class ShowtimeCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

from django.conf import settings
from rest_framework import serializers

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


class BookingCreateInputSerializer(serializers.Serializer):
    showtime = serializers.IntegerField(min_value=1)
    seats = SeatRequestSerializer(many=True)
    promo_code = serializers.CharField(max_length=40, required=False, allow_blank=True)


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
    rating = serializers.CharField()
    poster_url = serializers.CharField()


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


class SeatMapSeatSerializer(serializers.Serializer):
    """Documents `seat_map_for_showtime`'s output, which is built without serializers (speed)."""

    id = serializers.IntegerField()
    row = serializers.CharField()
    number = serializers.IntegerField()
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=["available", "held", "sold"])
    price = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="The ADULT price of this seat."
    )
    position = serializers.DictField(child=serializers.IntegerField())


class SeatMapShowtimeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    hall = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    status = serializers.CharField()
    base_price = serializers.DecimalField(max_digits=8, decimal_places=2)


class SeatCountsSerializer(serializers.Serializer):
    available = serializers.IntegerField()
    held = serializers.IntegerField()
    sold = serializers.IntegerField()


class SeatMapSerializer(serializers.Serializer):
    showtime = SeatMapShowtimeSerializer()
    seats = SeatMapSeatSerializer(many=True)
    counts = SeatCountsSerializer()
    currency = serializers.CharField(default=settings.CURRENCY)


class CheckInInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class CheckInSerializer(serializers.ModelSerializer):
    booking = serializers.CharField(source="booking.reference")
    row = serializers.CharField(source="seat.row")
    number = serializers.IntegerField(source="seat.number")
    seat_type = serializers.CharField(source="seat.seat_type")
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


class ShowtimeCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)

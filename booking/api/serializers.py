from django.conf import settings
from rest_framework import serializers

from catalog.models import Movie
from screening.models import Cinema, Hall, Showtime

from ..models import Booking, BookingStatus, Ticket, TicketType, TicketTypeCode


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


class BookingTicketSerializer(serializers.ModelSerializer):
    seat = serializers.IntegerField(source="seat_id")
    row = serializers.CharField(source="seat.row")
    number = serializers.IntegerField(source="seat.number")
    seat_type = serializers.CharField(source="seat.seat_type")
    code = serializers.CharField(allow_null=True, help_text="Set once the booking is confirmed.")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "seat",
            "row",
            "number",
            "seat_type",
            "ticket_type",
            "price",
            "code",
            "checked_in_at",
        ]
        read_only_fields = fields


class _MovieBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Movie
        fields = ["id", "title", "rating", "poster_url"]
        read_only_fields = fields


class _HallBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hall
        fields = ["id", "name"]
        read_only_fields = fields


class _CinemaBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cinema
        fields = ["id", "name", "city", "timezone"]
        read_only_fields = fields


class BookingShowtimeSerializer(serializers.ModelSerializer):
    movie = _MovieBriefSerializer()
    hall = _HallBriefSerializer()
    cinema = _CinemaBriefSerializer(source="hall.cinema")

    class Meta:
        model = Showtime
        fields = [
            "id",
            "movie",
            "hall",
            "cinema",
            "starts_at",
            "ends_at",
            "format",
            "language",
            "status",
        ]
        read_only_fields = fields


class BookingSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        source="effective_status",
        choices=BookingStatus.choices,
        help_text="A pending booking whose hold has run out is EXPIRED.",
    )
    showtime = BookingShowtimeSerializer()
    tickets = BookingTicketSerializer(many=True)

    class Meta:
        model = Booking
        fields = [
            "id",
            "reference",
            "status",
            "user",
            "showtime",
            "expires_at",
            "tickets",
            "subtotal",
            "discount",
            "fees",
            "tax",
            "total",
            "currency",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "cancellation_reason",
        ]
        read_only_fields = fields


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

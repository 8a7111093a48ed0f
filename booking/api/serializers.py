from django.conf import settings
from drf_spectacular.utils import extend_schema_field
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


# A booking is rendered on every booking request, so it is built by the plain functions below,
# which format values with DRF's own fields: serializers would be instantiated - their fields
# deep-copied - on every render. The serializer classes document those shapes in the schema, and
# a test keeps the two equal.

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


class _MovieBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    rating = serializers.CharField()
    poster_url = serializers.CharField()


class _HallBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _CinemaBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    city = serializers.CharField()
    timezone = serializers.CharField()


class BookingShowtimeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    movie = _MovieBriefSerializer()
    hall = _HallBriefSerializer()
    cinema = _CinemaBriefSerializer(source="hall.cinema")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    format = serializers.ChoiceField(choices=ShowtimeFormat.choices)
    language = serializers.CharField()
    status = serializers.ChoiceField(choices=ShowtimeStatus.choices)


_datetime = serializers.DateTimeField()
_money = serializers.DecimalField(**MONEY)


def _datetime_or_none(value):
    return None if value is None else _datetime.to_representation(value)


def showtime_brief(showtime) -> dict:
    """What a booking or a ticket shows of its showtime (`BookingShowtimeSerializer`)."""
    movie, hall = showtime.movie, showtime.hall
    cinema = hall.cinema
    return {
        "id": showtime.id,
        "movie": {
            "id": movie.id,
            "title": movie.title,
            "rating": movie.rating,
            "poster_url": movie.poster_url,
        },
        "hall": {"id": hall.id, "name": hall.name},
        "cinema": {
            "id": cinema.id,
            "name": cinema.name,
            "city": cinema.city,
            "timezone": cinema.timezone,
        },
        "starts_at": _datetime.to_representation(showtime.starts_at),
        "ends_at": _datetime.to_representation(showtime.ends_at),
        "format": showtime.format,
        "language": showtime.language,
        "status": showtime.status,
    }


def ticket_representation(ticket) -> dict:
    """A booking's ticket (`BookingTicketSerializer`)."""
    seat = ticket.seat
    return {
        "id": ticket.id,
        "seat": ticket.seat_id,
        "row": seat.row,
        "number": seat.number,
        "seat_type": seat.seat_type,
        "ticket_type": ticket.ticket_type,
        "price": _money.to_representation(ticket.price),
        "code": ticket.code,
        "checked_in_at": _datetime_or_none(ticket.checked_in_at),
    }


class BookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(
        source="effective_status",
        choices=BookingStatus.choices,
        help_text="A pending booking whose hold has run out is EXPIRED.",
    )
    user = serializers.IntegerField(source="user_id")
    showtime = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField(help_text="End of the seat hold while PENDING.")
    tickets = serializers.SerializerMethodField()
    subtotal = serializers.DecimalField(**MONEY)
    discount = serializers.DecimalField(**MONEY)
    fees = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancellation_reason = serializers.CharField()

    @extend_schema_field(BookingShowtimeSerializer)
    def get_showtime(self, booking) -> dict:
        return showtime_brief(booking.showtime)

    @extend_schema_field(BookingTicketSerializer(many=True))
    def get_tickets(self, booking) -> list[dict]:
        return [ticket_representation(ticket) for ticket in booking.tickets.all()]

    def to_representation(self, booking) -> dict:
        """`booking_representation`: the fields above document it (a test keeps them equal)
        and are never copied per request."""
        return booking_representation(booking)


def booking_representation(booking) -> dict:
    """A booking as `BookingSerializer` documents it."""
    return {
        "id": booking.id,
        "reference": booking.reference,
        "status": booking.effective_status,
        "user": booking.user_id,
        "showtime": showtime_brief(booking.showtime),
        "expires_at": _datetime.to_representation(booking.expires_at),
        "tickets": [ticket_representation(ticket) for ticket in booking.tickets.all()],
        "subtotal": _money.to_representation(booking.subtotal),
        "discount": _money.to_representation(booking.discount),
        "fees": _money.to_representation(booking.fees),
        "tax": _money.to_representation(booking.tax),
        "total": _money.to_representation(booking.total),
        "currency": booking.currency,
        "created_at": _datetime.to_representation(booking.created_at),
        "confirmed_at": _datetime_or_none(booking.confirmed_at),
        "cancelled_at": _datetime_or_none(booking.cancelled_at),
        "cancellation_reason": booking.cancellation_reason,
    }


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

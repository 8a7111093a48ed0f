from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Movie

from ..layouts import MAX_ROWS, MAX_SEATS_PER_ROW, ROW_TYPES
from ..models import Cinema, Hall, Seat, SeatType, Showtime, ShowtimeFormat


class CinemaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cinema
        fields = ["id", "name", "address", "city", "timezone"]
        read_only_fields = fields


class CinemaInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=255)
    city = serializers.CharField(max_length=100)
    timezone = serializers.CharField(max_length=64, help_text="IANA time zone, e.g. Europe/Berlin.")


class LayoutCompanionSerializer(serializers.Serializer):
    seat = serializers.IntegerField(min_value=1, help_text="The companion seat's number.")
    pair = serializers.IntegerField(
        min_value=1, help_text="The number of its wheelchair space, in the same row."
    )

    class Meta:
        additional_properties = False


class LayoutRowSerializer(serializers.Serializer):
    """For the schema only: the layout is validated as a whole by `screening.layouts`."""

    label = serializers.RegexField(
        r"^[A-Za-z0-9]{1,3}$", max_length=3, help_text="1 to 3 letters or digits; unique."
    )
    seats = serializers.IntegerField(min_value=1, max_value=MAX_SEATS_PER_ROW)
    type = serializers.ChoiceField(choices=list(ROW_TYPES), default=SeatType.STANDARD)
    aisles_after = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        default=list,
        help_text="Seat numbers (below `seats`) followed by an aisle.",
    )
    wheelchair = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        default=list,
        help_text="Seat numbers that are wheelchair spaces (type WHEELCHAIR).",
    )
    companions = LayoutCompanionSerializer(
        many=True,
        default=list,
        help_text="Companion seats (type COMPANION), each paired with a wheelchair space.",
    )

    class Meta:
        additional_properties = False


class IdealSpotSerializer(serializers.Serializer):
    across = serializers.IntegerField(
        min_value=0, max_value=100, default=50, help_text="Percent of the width, from the left."
    )
    back = serializers.IntegerField(
        min_value=0, max_value=100, default=67, help_text="Percent of the depth, from the screen."
    )

    class Meta:
        additional_properties = False


class LayoutSerializer(serializers.Serializer):
    rows = LayoutRowSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)
    ideal_spot = IdealSpotSerializer(
        required=False, help_text="Where best available aims (default: centre, two thirds back)."
    )

    class Meta:
        additional_properties = False


@extend_schema_field(LayoutSerializer)
class LayoutField(serializers.JSONField):
    pass


class HallSerializer(serializers.ModelSerializer):
    layout = LayoutField(read_only=True)

    class Meta:
        model = Hall
        fields = ["id", "cinema", "name", "capacity", "layout"]
        read_only_fields = fields


class HallInputSerializer(serializers.Serializer):
    cinema = serializers.PrimaryKeyRelatedField(queryset=Cinema.objects.all())
    name = serializers.CharField(max_length=60)
    layout = LayoutField()


class HallUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    layout = LayoutField(required=False)


class PositionSerializer(serializers.Serializer):
    x = serializers.IntegerField()
    y = serializers.IntegerField()


class SeatSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(source="seat_type", choices=SeatType.choices)
    position = serializers.SerializerMethodField()
    pair = serializers.IntegerField(
        source="pair_id", allow_null=True, help_text="A companion seat's wheelchair space."
    )

    class Meta:
        model = Seat
        fields = ["id", "row", "number", "type", "position", "pair"]
        read_only_fields = fields

    @extend_schema_field(PositionSerializer)
    def get_position(self, seat: Seat) -> dict:
        return {"x": seat.x, "y": seat.y}


class ShowtimeMovieSerializer(serializers.ModelSerializer):
    poster_url = serializers.CharField(help_text="An http(s) URL, or empty.")

    class Meta:
        model = Movie
        fields = ["id", "title", "duration_minutes", "rating", "poster_url"]
        read_only_fields = fields


class ShowtimeHallSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hall
        fields = ["id", "name"]
        read_only_fields = fields


class ShowtimeSerializer(serializers.ModelSerializer):
    """A showtime from `selectors.showtime_queryset` (related rows joined, seats annotated)."""

    movie = ShowtimeMovieSerializer()
    hall = ShowtimeHallSerializer()
    cinema = CinemaSerializer(source="hall.cinema")
    seats_available = serializers.IntegerField()
    currency = serializers.SerializerMethodField()

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
            "base_price",
            "currency",
            "seats_available",
            "status",
        ]
        read_only_fields = fields

    def get_currency(self, showtime) -> str:
        return settings.CURRENCY


class LocalDateTimeField(serializers.DateTimeField):
    """Keeps a time given without an offset naive: the service reads it in the cinema's zone."""

    def enforce_timezone(self, value):
        return value if timezone.is_naive(value) else super().enforce_timezone(value)


class ShowtimeInputSerializer(serializers.Serializer):
    movie = serializers.PrimaryKeyRelatedField(queryset=Movie.objects.all())
    hall = serializers.PrimaryKeyRelatedField(queryset=Hall.objects.select_related("cinema"))
    starts_at = LocalDateTimeField(
        help_text="ISO 8601. Without an offset, the time is the cinema's local time."
    )
    base_price = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    format = serializers.ChoiceField(choices=ShowtimeFormat.choices, default=ShowtimeFormat.TWO_D)
    language = serializers.CharField(
        max_length=50, required=False, default="", help_text="Defaults to the movie's language."
    )

from django.utils import timezone
from rest_framework import serializers

from ..periods import DEFAULT_DAYS, Period, PeriodInvalid
from ..selectors import BREAKDOWNS, Figures, Report, Row


class StatsQuerySerializer(serializers.Serializer):
    """The query of `GET /admin/stats/`. `from` and `to` are local days of each cinema."""

    to = serializers.DateField(required=False, help_text="The last day, included (default: today).")
    cinema = serializers.IntegerField(
        required=False, min_value=1, help_text="One cinema only (an unknown one has no sales)."
    )
    movie = serializers.IntegerField(
        required=False, min_value=1, help_text="One movie only (an unknown one has no sales)."
    )
    breakdown = serializers.ChoiceField(
        choices=BREAKDOWNS,
        required=False,
        help_text="Only this breakdown (with `format=csv`: a file of that table alone).",
    )

    def get_fields(self):
        fields = super().get_fields()
        # `from` is a Python keyword: declared here rather than as a class attribute.
        fields["from"] = serializers.DateField(
            required=False,
            help_text=f"The first day, included (default: {DEFAULT_DAYS - 1} days before `to`).",
        )
        return fields

    def validate(self, attrs):
        try:
            period = Period.of(attrs.get("from"), attrs.get("to"), timezone.localdate())
        except PeriodInvalid as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from exc
        return {**attrs, "period": period}


def _money(value) -> str:
    return f"{value:.2f}"


def figures_data(figures: Figures, currency: str) -> dict:
    points = figures.occupancy.basis_points
    return {
        "revenue": {
            "gross": _money(figures.gross),
            "discounts": _money(figures.discounts),
            "refunds": _money(figures.refunds),
            "net": _money(figures.net),
            "currency": currency,
        },
        "tickets_sold": figures.tickets_sold,
        "bookings": figures.bookings,
        "occupancy": {
            "sold": figures.tickets_sold,
            "seats": figures.seats,
            "fraction": None if points is None else points / 10000,
            "percent": None if points is None else points / 100,
        },
    }


def _key_data(key: dict, zone) -> dict:
    data = dict(key)
    if "starts_at" in data:
        # As DRF's DateTimeField writes it, in the current time zone (UTC: "...Z").
        text = data["starts_at"].astimezone(zone).isoformat()
        data["starts_at"] = text[:-6] + "Z" if text.endswith("+00:00") else text
    if "date" in data:
        data["date"] = data["date"].isoformat()
    return data


def _rows_data(rows: list[Row], currency: str) -> list[dict]:
    zone = timezone.get_current_timezone()
    return [{**_key_data(row.key, zone), **figures_data(row.figures, currency)} for row in rows]


def report_data(report: Report, breakdown: str | None = None) -> dict:
    """The report as the API answers it (see `StatsSerializer` for its schema): plain dicts built
    directly, since a year has thousands of showtime rows."""
    data = {
        "from": report.period.first.isoformat(),
        "to": report.period.last.isoformat(),
        "cinema": report.cinema_id,
        "movie": report.movie_id,
        "currency": report.currency,
        **figures_data(report.total, report.currency),
    }
    for name in BREAKDOWNS:
        if breakdown is None or breakdown == name:
            data[name] = _rows_data(getattr(report, name), report.currency)
    return data


# The schema of the answer, for the OpenAPI document (the data is built by `report_data`).


class RevenueSerializer(serializers.Serializer):
    gross = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="What was charged, plus what promotions took off.",
    )
    discounts = serializers.DecimalField(max_digits=14, decimal_places=2)
    refunds = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="gross - discounts - refunds: what was charged less what was refunded.",
    )
    currency = serializers.CharField()


class OccupancySerializer(serializers.Serializer):
    sold = serializers.IntegerField(help_text="Tickets sold for the showtimes.")
    seats = serializers.IntegerField(help_text="Seats the showtimes offer (cancelled: none).")
    fraction = serializers.FloatField(allow_null=True, help_text="sold / seats, 4 places.")
    percent = serializers.FloatField(allow_null=True, help_text="sold / seats x 100, 2 places.")


class FiguresSerializer(serializers.Serializer):
    revenue = RevenueSerializer(help_text="Money that moved on the days of the period.")
    tickets_sold = serializers.IntegerField(
        help_text="Tickets of confirmed bookings for the showtimes of the period."
    )
    bookings = serializers.IntegerField(help_text="Confirmed bookings for those showtimes.")
    occupancy = OccupancySerializer()


class MovieRowSerializer(FiguresSerializer):
    movie = serializers.IntegerField()
    title = serializers.CharField()


class ShowtimeRowSerializer(FiguresSerializer):
    showtime = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    movie = serializers.IntegerField()
    title = serializers.CharField()
    cinema = serializers.IntegerField()
    hall = serializers.CharField()
    status = serializers.CharField()


class CinemaRowSerializer(FiguresSerializer):
    cinema = serializers.IntegerField()
    name = serializers.CharField()
    timezone = serializers.CharField()


class DayRowSerializer(FiguresSerializer):
    date = serializers.DateField(help_text="A local day of the cinemas.")


class TicketTypeRowSerializer(FiguresSerializer):
    ticket_type = serializers.CharField()
    label = serializers.CharField()


class PaymentMethodRowSerializer(FiguresSerializer):
    payment_method = serializers.CharField(help_text="CARD, CARD_PRESENT, CASH or FREE.")
    label = serializers.CharField()


class StatsSerializer(FiguresSerializer):
    cinema = serializers.IntegerField(allow_null=True)
    movie = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    by_movie = MovieRowSerializer(many=True, required=False)
    by_showtime = ShowtimeRowSerializer(many=True, required=False)
    by_cinema = CinemaRowSerializer(many=True, required=False)
    by_day = DayRowSerializer(many=True, required=False)
    by_ticket_type = TicketTypeRowSerializer(many=True, required=False)
    by_payment_method = PaymentMethodRowSerializer(many=True, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields

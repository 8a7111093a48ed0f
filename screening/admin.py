from datetime import UTC, datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.db import models

from catalog import services as catalog_services
from catalog.models import Movie
from core.admin import ServiceAdminMixin, error_text
from core.exceptions import ApplicationError

from . import services
from .layouts import layout_parse
from .models import Cinema, Hall, Seat, Showtime
from .seat_maps import seat_document, seat_map_html
from .selectors import cinema_timezones, hall_seats, local_days_q
from .timezones import local_format, local_to_aware


@admin.register(Cinema)
class CinemaAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "timezone"]
    search_fields = ["name", "city"]
    list_filter = ["city"]


class HallForm(forms.ModelForm):
    class Meta:
        model = Hall
        fields = ["cinema", "name", "layout"]
        help_texts = {
            "layout": '{"rows": [{"label": "A", "seats": 12, "type": "STANDARD", '
            '"aisles_after": [4, 8], "wheelchair": [1], "companions": [{"seat": 2, "pair": 1}]}, '
            '...], "ideal_spot": {"across": 50, "back": 67}} - seats are generated from it.'
        }

    def clean_layout(self):
        layout = self.cleaned_data["layout"]
        try:
            layout_parse(layout)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["layout"]) from exc
        return layout


@admin.register(Hall)
class HallAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = HallForm
    list_display = ["name", "cinema", "capacity"]
    list_filter = ["cinema"]
    search_fields = ["name", "cinema__name"]
    readonly_fields = ["capacity"]

    class Media:
        css = {"all": ["screening/seat_map.css"]}

    def get_fields(self, request, obj=None):
        fields = ["cinema", "name", "capacity", "seat_map", "layout"]
        return fields if obj else ["cinema", "name", "layout"]

    def get_readonly_fields(self, request, obj=None):
        return ["cinema", "capacity", "seat_map"] if obj else ["capacity"]

    @admin.display(description="Seats")
    def seat_map(self, hall):
        """The hall as the API's seat list draws it: rows, aisles, seat types."""
        return seat_map_html(seat_document(seat) for seat in hall_seats(hall.pk))

    def save_model(self, request, obj, form, change):
        """Through the hall services, which generate the seats."""
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data}
            services.hall_update(hall=obj, **changes)
        else:
            obj.pk = services.hall_create(**form.cleaned_data).pk

    def delete_model(self, request, obj):
        services.hall_delete(hall=obj)


@admin.register(Seat)
class SeatAdmin(admin.ModelAdmin):
    list_display = ["__str__", "hall", "seat_type", "pair"]
    list_filter = ["hall__cinema", "hall", "seat_type"]
    list_select_related = ["hall__cinema"]

    def has_add_permission(self, request):
        return False  # seats come from the hall's layout

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LocalSplitDateTimeField(forms.SplitDateTimeField):
    """A date and a time as typed, without a zone: a wall-clock time, which the form reads in the
    zone of the showtime's cinema (not the admin's current zone)."""

    def compress(self, data_list):
        if not data_list:
            return None
        if data_list[0] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_date"], code="invalid_date")
        if data_list[1] in self.empty_values:
            raise ValidationError(self.error_messages["invalid_time"], code="invalid_time")
        return datetime.combine(*data_list)


def _local_time_refused(value: datetime, zone, exc: ValidationError) -> str:
    """`local_to_aware`'s message, for a form that takes no UTC offset: a time the clocks show
    twice is refused with advice the form can follow."""
    early = value.replace(tzinfo=zone, fold=0)
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == value:
        return (
            f"{value:%H:%M} on {value:%Y-%m-%d} happens twice in {zone.key}: the clocks go "
            "back then. Choose a time outside that hour."
        )
    return "; ".join(exc.messages)


class ShowtimeForm(forms.ModelForm):
    class Meta:
        model = Showtime
        fields = ["movie", "hall", "starts_at", "base_price", "format", "language"]
        help_texts = {"language": "Empty: the movie's language."}

    starts_at = LocalSplitDateTimeField(
        widget=AdminSplitDateTime,
        label="Starts at (local time)",
        help_text="The cinema's own clock: 21:00 for a 9 pm show in New York, wherever you are.",
    )
    language = forms.CharField(max_length=50, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            zone = self.instance.hall.cinema.zone
            self.initial["starts_at"] = self.instance.starts_at.astimezone(zone).replace(
                tzinfo=None
            )

    def clean(self):
        """The checks the schedule services make, so a clash shows on the form. The start is
        read in the zone of the hall's cinema; a time the clocks skip or show twice is refused."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        zone = cleaned["hall"].cinema.zone
        try:
            cleaned["starts_at"] = local_to_aware(cleaned["starts_at"], zone)
        except ValidationError as exc:
            self.add_error("starts_at", _local_time_refused(cleaned["starts_at"], zone, exc))
            return cleaned
        showtime = Showtime(pk=self.instance.pk, **cleaned)
        showtime.language = showtime.language or showtime.movie.language
        try:
            services.showtime_validate(showtime)
        except (ApplicationError, ValidationError) as exc:
            raise ValidationError(error_text(exc)) from exc
        return cleaned


class LocalDayFilter(admin.SimpleListFilter):
    """Days as each showtime's cinema counts them: "Today" in New York is not London's today
    around midnight, and neither is a UTC day."""

    title = "day (the cinema's)"
    parameter_name = "day"
    # Reaches the showtime from the admin's model; a booking's admin sets "showtime__".
    prefix = ""
    RANGES = {
        "today": (0, 1, "Today"),
        "tomorrow": (1, 1, "Tomorrow"),
        "next7": (0, 7, "Next 7 days"),
        "past7": (-7, 7, "Past 7 days"),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (_, _, label) in self.RANGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        first, days, _ = self.RANGES[self.value()]
        return queryset.filter(
            local_days_q(first=first, days=days, timezones=cinema_timezones(), prefix=self.prefix)
        )


@admin.register(Showtime)
class ShowtimeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = ShowtimeForm
    list_display = [
        "movie",
        "hall",
        "cinema",
        "local_start",
        "local_end",
        "format",
        "base_price",
        "status",
    ]
    list_filter = [LocalDayFilter, "status", "hall__cinema", "format", "movie"]
    search_fields = ["movie__title", "hall__name", "hall__cinema__name"]
    list_select_related = ["movie", "hall__cinema"]
    readonly_fields = ["local_end", "status"]
    autocomplete_fields = ["movie"]

    @admin.display(description="Cinema", ordering="hall__cinema__name")
    def cinema(self, showtime):
        return showtime.hall.cinema

    @admin.display(description="Starts (local)", ordering="starts_at")
    def local_start(self, showtime):
        return local_format(showtime.starts_at, showtime.hall.cinema.zone)

    @admin.display(description="Ends, with cleaning (local)", ordering="ends_at")
    def local_end(self, showtime):
        if showtime.pk is None:
            return "-"
        return local_format(showtime.ends_at, showtime.hall.cinema.zone)

    def save_model(self, request, obj, form, change):
        """Through the schedule services: the hall is locked and the overlap re-checked."""
        if change:
            changes = {f: form.cleaned_data[f] for f in form.changed_data}
            services.showtime_update(showtime=obj, data=changes)
        else:
            obj.pk = services.showtime_schedule(**form.cleaned_data).pk

    def delete_model(self, request, obj):
        services.showtime_delete(showtime=obj)


@admin.register(Movie)
class MovieAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["title", "release_date", "rating", "duration_minutes", "director", "language"]
    list_filter = ["rating", "genres", "language", "release_date"]
    search_fields = ["title", "director", "cast"]
    date_hierarchy = "release_date"
    filter_horizontal = ["genres"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        """Through the movie services, genres included (in the same transaction)."""
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data}
            if "cast" in data:
                data["cast"] = data["cast"].split(",")
            services.movie_update(movie=obj, data=data)
        else:
            fields = dict(form.cleaned_data)
            fields["cast"] = fields["cast"].split(",")
            obj.pk = catalog_services.movie_create(**fields).pk

    def save_related(self, request, form, formsets, change):
        """The services saved the genres already."""

    def delete_model(self, request, obj):
        services.movie_delete(movie=obj)

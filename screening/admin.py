from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from catalog import services as catalog_services
from catalog.models import Movie
from core.admin import ServiceAdminMixin, error_text
from core.exceptions import ApplicationError

from . import services
from .layouts import layout_parse
from .models import Cinema, Hall, Seat, Showtime


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

    def get_readonly_fields(self, request, obj=None):
        return ["cinema", "capacity"] if obj else ["capacity"]

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


class ShowtimeForm(forms.ModelForm):
    class Meta:
        model = Showtime
        fields = ["movie", "hall", "starts_at", "base_price", "format", "language"]
        help_texts = {"starts_at": "In UTC.", "language": "Empty: the movie's language."}

    language = forms.CharField(max_length=50, required=False)

    def clean(self):
        """The checks the schedule services make, so a clash shows on the form."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        showtime = Showtime(pk=self.instance.pk, **cleaned)
        showtime.language = showtime.language or showtime.movie.language
        try:
            services.showtime_validate(showtime)
        except (ApplicationError, ValidationError) as exc:
            raise ValidationError(error_text(exc)) from exc
        return cleaned


@admin.register(Showtime)
class ShowtimeAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = ShowtimeForm
    list_display = [
        "movie",
        "hall",
        "cinema",
        "starts_at",
        "local_start",
        "ends_at",
        "format",
        "base_price",
        "status",
    ]
    list_filter = ["status", "hall__cinema", "starts_at", "format", "movie"]
    search_fields = ["movie__title", "hall__name", "hall__cinema__name"]
    list_select_related = ["movie", "hall__cinema"]
    date_hierarchy = "starts_at"
    readonly_fields = ["ends_at", "status"]
    autocomplete_fields = ["movie"]

    @admin.display(description="Cinema", ordering="hall__cinema__name")
    def cinema(self, showtime):
        return showtime.hall.cinema

    @admin.display(description="Local start")
    def local_start(self, showtime):
        return f"{showtime.starts_at.astimezone(showtime.hall.cinema.zone):%Y-%m-%d %H:%M}"

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

from django.contrib import admin
from django.db import models

from core.admin import ServiceAdminMixin

from . import services
from .models import Genre, Movie


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Movie)
class MovieAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ["title", "release_date", "rating", "duration_minutes", "director", "language"]
    list_filter = ["rating", "genres", "language", "release_date"]
    search_fields = ["title", "director", "cast"]
    date_hierarchy = "release_date"
    filter_horizontal = ["genres"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        """Through the movie services; genres are saved by the form afterwards."""
        data = {f: form.cleaned_data[f] for f in form.changed_data if f != "genres"}
        if "cast" in data:
            data["cast"] = data["cast"].split(",")
        if change:
            services.movie_update(movie=obj, data=data)
        else:
            fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f != "genres"}
            fields["cast"] = fields["cast"].split(",")
            obj.pk = services.movie_create(**fields).pk

from django.contrib import admin

from .models import Genre

# Movies are administered with the schedule (screening/admin.py): changing a movie's duration
# or deleting it depends on its showtimes.


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

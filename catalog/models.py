from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class Genre(models.Model):
    name = models.CharField(max_length=50, unique=True)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Rating(models.TextChoices):
    G = "G"
    PG = "PG"
    PG_13 = "PG-13"
    R = "R"
    NC_17 = "NC-17"


class MovieStatus(models.TextChoices):
    """Derived from the schedule, never stored: see `screening.selectors.movie_list`."""

    NOW_SHOWING = "now_showing", "Now showing"
    COMING_SOON = "coming_soon", "Coming soon"


MAX_DURATION_MINUTES = 600


class Movie(models.Model):
    title = models.CharField(max_length=200)
    synopsis = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    release_date = models.DateField()
    rating = models.CharField(max_length=5, choices=Rating)
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    director = models.CharField(max_length=200, blank=True)
    # The API shows a list. A plain column keeps `?search=` a simple LIKE on every database.
    cast = models.TextField(blank=True, help_text="Names separated by commas.")
    language = models.CharField(max_length=50, default="English")
    poster_url = models.URLField(max_length=500, blank=True)
    trailer_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["release_date"]), models.Index(fields=["title"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=1, duration_minutes__lte=MAX_DURATION_MINUTES
                ),
                name="movie_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__in=Rating.values), name="movie_rating_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.release_date.year})"

    @property
    def cast_list(self) -> list[str]:
        return [name.strip() for name in self.cast.split(",") if name.strip()]

"""Every write of the catalog: movies and genres."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from booking.selectors import movie_has_bookings
from screening.models import Showtime
from screening.selectors import showtimes_upcoming

from .exceptions import MovieHasBookings, MovieHasShowtimes
from .models import Genre, Movie


def _cast_text(cast: Iterable[str]) -> str:
    names = [name.strip() for name in cast]
    if any("," in name for name in names):
        raise ValidationError({"cast": ["A name cannot contain a comma."]})
    return ", ".join(name for name in names if name)


def _movie_write(movie: Movie, data: dict) -> Movie:
    data = dict(data)
    genres = data.pop("genres", None)
    if "cast" in data:
        data["cast"] = _cast_text(data["cast"])
    for field, value in data.items():
        setattr(movie, field, value)
    movie.full_clean()
    movie.save()
    if genres is not None:
        movie.genres.set(genres)
    return movie


def movie_create(*, genres: Iterable[Genre] = (), **fields) -> Movie:
    with transaction.atomic():
        return _movie_write(Movie(), {**fields, "genres": list(genres)})


def movie_update(*, movie: Movie, data: dict) -> Movie:
    """Change a movie. Its duration is fixed while showtimes are scheduled: their end times (and
    the hall's schedule around them) were computed from it."""
    with transaction.atomic():
        movie = Movie.objects.select_for_update().get(pk=movie.pk)
        duration = data.get("duration_minutes", movie.duration_minutes)
        if duration != movie.duration_minutes and showtimes_upcoming().filter(movie=movie).exists():
            raise MovieHasShowtimes()
        return _movie_write(movie, data)


def movie_delete(*, movie: Movie) -> None:
    """Delete a movie and its showtimes, unless anyone has booked one (409 movie_has_bookings).

    Locks the movie's showtimes (in primary-key order) as cancelling them would, so a booking in
    flight finishes before the check.
    """
    with transaction.atomic():
        list(
            Showtime.objects.select_for_update()
            .filter(movie=movie)
            .order_by("pk")
            .values_list("pk")
        )
        if movie_has_bookings(movie.pk):
            raise MovieHasBookings()
        movie.showtimes.all().delete()
        movie.delete()


def genre_create(*, name: str) -> Genre:
    genre = Genre(name=name, slug=slugify(name))
    genre.full_clean()
    genre.save()
    return genre

"""Every write of the catalog: movies and genres."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from core.db import transaction_required

from .models import Genre, Movie


def _cast_text(cast: Iterable[str]) -> str:
    names = [name.strip() for name in cast]
    if any("," in name for name in names):
        raise ValidationError({"cast": ["A name cannot contain a comma."]})
    return ", ".join(name for name in names if name)


def movie_lock(movie_id: int) -> Movie:
    """A movie row, exclusive: the first lock of the schedule's order (`booking/locks.py`)."""
    transaction_required()
    return Movie.objects.select_for_update().get(pk=movie_id)


def movie_write(movie: Movie, data: dict) -> Movie:
    """Set a movie's fields (and genres) and save it, within the caller's transaction.

    The rules that involve its showtimes (a duration fixed while they are scheduled, deleting it
    with them) are screening's: `screening.services.movie_update` and `movie_delete`.
    """
    transaction_required()
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
    with transaction.atomic(durable=True):
        return movie_write(Movie(), {**fields, "genres": list(genres)})


def genre_create(*, name: str) -> Genre:
    genre = Genre(name=name, slug=slugify(name))
    genre.full_clean()
    genre.save()
    return genre

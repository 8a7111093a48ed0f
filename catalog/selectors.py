from django.db.models import Case, Exists, OuterRef, Prefetch, QuerySet, Value, When

from screening.selectors import showtime_list, showtimes_upcoming

from .models import Movie, MovieStatus


def movie_list() -> QuerySet[Movie]:
    """Movies with their derived `status` (an annotation, so it can be filtered) and genres."""
    upcoming = showtimes_upcoming().filter(movie=OuterRef("pk"))
    return Movie.objects.annotate(
        status=Case(
            When(Exists(upcoming), then=Value(MovieStatus.NOW_SHOWING)),
            default=Value(MovieStatus.COMING_SOON),
        )
    ).prefetch_related("genres")


def movie_detail() -> QuerySet[Movie]:
    """As `movie_list`, plus `upcoming_showtimes`: one more query for all of them."""
    return movie_list().prefetch_related(
        Prefetch("showtimes", queryset=showtime_list(), to_attr="upcoming_showtimes")
    )

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    Exists,
    Expression,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from catalog.models import Movie, MovieStatus

from .models import Cinema, Hall, Seat, Showtime, ShowtimeStatus

# How many seats of a showtime are taken is for the booking app to say: it registers an
# expression over `OuterRef("pk")` in its AppConfig.ready() (booking/apps.py). Screening lists
# `seats_available` without knowing what a claim is.
_seats_taken: list[Callable[[], Expression]] = []


def seats_taken_provide(expression: Callable[[], Expression]) -> None:
    _seats_taken[:] = [expression]


def _seats_taken_expression() -> Expression:
    return _seats_taken[0]() if _seats_taken else Value(0)


def showtimes_upcoming(*, now: datetime | None = None) -> QuerySet[Showtime]:
    """Scheduled showtimes that have not started."""
    return Showtime.objects.filter(
        status=ShowtimeStatus.SCHEDULED, starts_at__gt=now or timezone.now()
    )


def showtime_queryset() -> QuerySet[Showtime]:
    """Showtimes with what the API shows - related rows and `seats_available` - in one query."""
    return (
        Showtime.objects.select_related("movie", "hall__cinema")
        .annotate(seats_available=F("hall__capacity") - _seats_taken_expression())
        .order_by("starts_at", "id")
    )


def showtime_list() -> QuerySet[Showtime]:
    """Upcoming scheduled showtimes, as listed."""
    return showtime_queryset().filter(status=ShowtimeStatus.SCHEDULED, starts_at__gt=timezone.now())


def local_day_q(day: date, timezones: list[str]) -> Q:
    """Showtimes starting on `day` in their own cinema's time zone.

    The UTC bounds of the day are computed per time zone in Python, so the query stays a range
    on `starts_at` (indexed) and needs no time zone tables in the database.
    """
    q = Q(pk__in=[])
    for name in timezones:
        zone = ZoneInfo(name)
        start = datetime.combine(day, time.min, tzinfo=zone)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
        q |= Q(hall__cinema__timezone=name, starts_at__gte=start, starts_at__lt=end)
    return q


def local_days_q(
    *,
    first: int,
    days: int,
    timezones: list[str],
    now: datetime | None = None,
    prefix: str = "",
) -> Q:
    """Showtimes starting on `days` local days from the one `first` days after today - today in
    each showtime's own cinema, which may be another date than in the next cinema's zone
    ("Today", "Tomorrow", "Next 7 days" of the admin). `prefix` reaches a showtime through a
    relation (`showtime__`)."""
    now = now or timezone.now()
    q = Q(pk__in=[])
    for name in timezones:
        zone = ZoneInfo(name)
        day = now.astimezone(zone).date() + timedelta(days=first)
        start = datetime.combine(day, time.min, tzinfo=zone)
        end = datetime.combine(day + timedelta(days=days), time.min, tzinfo=zone)
        q |= Q(
            **{
                f"{prefix}hall__cinema__timezone": name,
                f"{prefix}starts_at__gte": start,
                f"{prefix}starts_at__lt": end,
            }
        )
    return q


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first moment of a cinema's local day and of the next one."""
    return (
        datetime.combine(day, time.min, tzinfo=zone),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone),
    )


def hall_seats(hall_id: int) -> QuerySet[Seat]:
    """A hall's seats in drawing order (rows from the screen, then left to right)."""
    return Seat.objects.filter(hall_id=hall_id).order_by("y", "x")


def cinema_timezones() -> list[str]:
    return list(Cinema.objects.values_list("timezone", flat=True).distinct())


def showtimes_overlapping(
    *, hall_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
) -> QuerySet[Showtime]:
    """Scheduled showtimes of a hall that overlap [starts_at, ends_at). Touching is fine."""
    return (
        Showtime.objects.filter(
            hall_id=hall_id,
            status=ShowtimeStatus.SCHEDULED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=exclude_id)
        .select_related("movie")
        .order_by("starts_at")
    )


def halls_free(
    *, cinema_id: int, starts_at: datetime, ends_at: datetime, exclude_hall_id: int
) -> QuerySet[Hall]:
    """The cinema's other halls with no scheduled showtime overlapping the whole slot."""
    busy = Showtime.objects.filter(
        hall=OuterRef("pk"),
        status=ShowtimeStatus.SCHEDULED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    return (
        Hall.objects.filter(cinema_id=cinema_id)
        .exclude(pk=exclude_hall_id)
        .filter(~Exists(busy))
        .order_by("name")
    )


# Movies as the schedule shows them


def movie_list() -> QuerySet[Movie]:
    """Movies with their derived `status` (an annotation, so it can be filtered) and genres:
    now showing with an upcoming showtime, coming soon otherwise."""
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

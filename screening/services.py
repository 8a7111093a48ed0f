"""Every write of the screening app: cinemas, halls with their seats, the schedule, and the
writes to movies that the schedule depends on (a movie's duration, deleting a movie with its
showtimes). Locks are taken through `screening.locks`, in the order `booking/locks.py` documents.

Whether anyone booked a showtime or a hall's seats is read from the PROTECT foreign keys that
point at them (`core.db.protected_references_exist`, or a refused delete): screening does not
import the app that books.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Movie
from core.db import protected_references_exist

from . import locks
from .exceptions import (
    CinemaHasHalls,
    HallBusy,
    HallHasBookings,
    HallHasShowtimes,
    MovieHasBookings,
    MovieHasShowtimes,
    ShowtimeHasBookings,
    ShowtimeNotEditable,
)
from .layouts import IdealSpot, Row, layout_as_json, layout_ideal_spot, layout_parse, layout_seats
from .models import Cinema, Hall, Seat, Showtime, ShowtimeFormat, ShowtimeStatus
from .selectors import halls_free, showtimes_overlapping, showtimes_upcoming
from .timezones import local_to_aware

# How far ahead a showtime may be scheduled: a cinema plans months, not millennia ahead.
SCHEDULE_HORIZON = timedelta(days=5 * 366)
HALL_NAME_TAKEN = "This cinema already has a hall with this name."


# Cinemas


def cinema_create(*, name: str, address: str, city: str, timezone: str) -> Cinema:
    cinema = Cinema(name=name, address=address, city=city, timezone=timezone)
    cinema.full_clean()
    cinema.save()
    return cinema


def cinema_update(*, cinema: Cinema, data: dict) -> Cinema:
    for field, value in data.items():
        setattr(cinema, field, value)
    cinema.full_clean()
    cinema.save(update_fields=list(data))
    return cinema


def cinema_delete(*, cinema: Cinema) -> None:
    if cinema.halls.exists():
        raise CinemaHasHalls()
    cinema.delete()


# Halls and seats


def _seats_generate(hall: Hall, rows: list[Row], ideal_spot: IdealSpot | None) -> None:
    hall.layout = layout_as_json(rows, ideal_spot)
    specs = layout_seats(rows)
    hall.capacity = len(specs)
    hall.seats_version += 1
    Seat.objects.bulk_create(
        Seat(hall=hall, row=s.row, number=s.number, seat_type=s.seat_type, x=s.x, y=s.y)
        for s in specs
    )
    paired = [s for s in specs if s.pair is not None]
    if paired:
        # Companions point at their wheelchair space, whose id exists only now.
        ids = {
            (row, number): pk
            for pk, row, number in Seat.objects.filter(hall=hall).values_list("pk", "row", "number")
        }
        companions = [Seat(pk=ids[s.row, s.number], pair_id=ids[s.row, s.pair]) for s in paired]
        Seat.objects.bulk_update(companions, ["pair"])


def _hall_save(hall: Hall, fields: list[str] | None = None) -> None:
    if Hall.objects.filter(cinema_id=hall.cinema_id, name=hall.name).exclude(pk=hall.pk).exists():
        raise ValidationError({"name": [HALL_NAME_TAKEN]})
    try:
        with transaction.atomic():
            hall.save(update_fields=fields)
    except IntegrityError as exc:
        raise ValidationError({"name": [HALL_NAME_TAKEN]}) from exc


def hall_create(*, cinema: Cinema, name: str, layout: dict) -> Hall:
    """Create a hall and every seat of its layout in one transaction: all or nothing."""
    rows = layout_parse(layout)
    with transaction.atomic(durable=True):
        hall = Hall(cinema=cinema, name=name, layout=layout_as_json(rows))
        hall.full_clean(
            exclude=["layout", "capacity"], validate_unique=False, validate_constraints=False
        )
        _hall_save(hall)
        _seats_generate(hall, rows, layout_ideal_spot(layout))
        hall.save(update_fields=["capacity", "seats_version"])
    return hall


def hall_update(*, hall: Hall, name: str | None = None, layout: dict | None = None) -> Hall:
    """Rename a hall or replace its layout (and so its seats).

    The layout is fixed once a showtime of the hall has bookings: tickets point at its seats
    (PROTECT), so deleting them is refused (HallHasBookings, 409).
    """
    with transaction.atomic(durable=True):
        hall = locks.halls_lock(hall.pk)[0]
        if name is not None and name != hall.name:
            hall.name = name
            hall.full_clean(
                exclude=["layout", "capacity"], validate_unique=False, validate_constraints=False
            )
            _hall_save(hall, ["name"])
        if layout is not None:
            rows = layout_parse(layout)
            # The seats' locks, in the bookings' order: a booking in flight finishes first.
            locks.hall_seats_lock(hall.pk)
            try:
                hall.seats.all().delete()
            except ProtectedError as exc:
                raise HallHasBookings() from exc
            _seats_generate(hall, rows, layout_ideal_spot(layout))
            hall.save(update_fields=["layout", "capacity", "seats_version"])
    return hall


def hall_delete(*, hall: Hall) -> None:
    if hall.showtimes.exists():
        raise HallHasShowtimes()
    hall.delete()


# Showtimes


def _aware(value: datetime, cinema: Cinema) -> datetime:
    """A time without an offset means the cinema's local time, as a box office would mean it."""
    return local_to_aware(value, cinema.zone)


def _overlap_check(showtime: Showtime) -> None:
    """Raise HallBusy naming the clashing showtimes and the cinema's halls free for the slot."""
    conflicts = list(
        showtimes_overlapping(
            hall_id=showtime.hall_id,
            starts_at=showtime.starts_at,
            ends_at=showtime.ends_at,
            exclude_id=showtime.pk,
        )
    )
    if not conflicts:
        return
    cinema = showtime.hall.cinema
    zone = cinema.zone
    names = "; ".join(
        f"{c.movie.title} {c.starts_at.astimezone(zone):%Y-%m-%d %H:%M}-"
        f"{c.ends_at.astimezone(zone):%H:%M}"
        for c in conflicts
    )
    free = list(
        halls_free(
            cinema_id=showtime.hall.cinema_id,
            starts_at=showtime.starts_at,
            ends_at=showtime.ends_at,
            exclude_hall_id=showtime.hall_id,
        )
    )
    suggestion = (
        f"Free for the whole slot at {cinema.name}: {', '.join(h.name for h in free)}."
        if free
        else f"No other hall of {cinema.name} is free for the whole slot."
    )
    raise HallBusy(
        f"{showtime.hall.name} at {cinema.name} is busy then ({zone.key} time, cleaning "
        f"included): {names}. {suggestion}",
        details={
            "conflicts": [
                {"id": c.pk, "movie": c.movie.title, "starts_at": c.starts_at, "ends_at": c.ends_at}
                for c in conflicts
            ],
            "available_halls": [{"id": h.pk, "name": h.name} for h in free],
        },
    )


def showtime_validate(showtime: Showtime) -> None:
    """The schedule's rules for a new or changed showtime: `ends_at` from the movie's duration
    plus the cleaning buffer, not in the past, no overlap in its hall. Only reads: the services
    call it again while they hold the hall lock; forms call it to show the same errors."""
    now = timezone.now()
    if showtime.starts_at <= now:
        raise ValidationError({"starts_at": ["A showtime cannot be scheduled in the past."]})
    if showtime.starts_at > now + SCHEDULE_HORIZON:
        raise ValidationError(
            {"starts_at": [f"Schedule at most {SCHEDULE_HORIZON.days} days ahead."]}
        )
    showtime.ends_at = showtime.starts_at + timedelta(
        minutes=showtime.movie.duration_minutes + settings.SHOWTIME_CLEANING_MINUTES
    )
    showtime.full_clean(validate_unique=False, validate_constraints=False)
    _overlap_check(showtime)


def showtime_schedule(
    *,
    movie: Movie,
    hall: Hall,
    starts_at: datetime,
    base_price: Decimal,
    format: str = ShowtimeFormat.TWO_D,
    language: str = "",
) -> Showtime:
    """Schedule a showtime; `ends_at` = start + duration + cleaning buffer.

    Locks the hall row while it checks for overlaps and inserts, so two staff members scheduling
    the same hall at the same moment cannot both succeed. Raises HallBusy (409).
    """
    showtime = Showtime(
        movie=movie,
        hall=hall,
        starts_at=_aware(starts_at, hall.cinema),
        base_price=base_price,
        format=format,
        language=language or movie.language,
    )
    with transaction.atomic(durable=True):
        locks.halls_lock(hall.pk)
        showtime_validate(showtime)
        showtime.save()
    return showtime


SCHEDULE_FIELDS = {"movie", "hall", "starts_at"}
# What customers bought: fixed once a showtime has bookings. The price may change (tickets keep
# theirs), and so may the language label.
BOOKED_FIELDS = SCHEDULE_FIELDS | {"format"}


def showtime_update(*, showtime: Showtime, data: dict) -> Showtime:
    """Change a scheduled showtime that has not started, under the same overlap rule.

    Locks the showtime, then its hall and the new one (in primary-key order).
    """
    with transaction.atomic(durable=True):
        showtime = locks.showtime_lock(showtime.pk)
        locks.halls_lock(showtime.hall_id, *([data["hall"].pk] if "hall" in data else []))
        if showtime.status != ShowtimeStatus.SCHEDULED or showtime.starts_at <= timezone.now():
            raise ShowtimeNotEditable()
        data = dict(data)
        if "starts_at" in data:
            data["starts_at"] = _aware(data["starts_at"], data.get("hall", showtime.hall).cinema)
        changed = {field for field, value in data.items() if getattr(showtime, field) != value}
        if BOOKED_FIELDS & changed and protected_references_exist(showtime):
            raise ShowtimeHasBookings(
                "This showtime has bookings: its movie, hall, time and format cannot change. "
                "Cancel it and schedule a new one instead."
            )
        for field, value in data.items():
            setattr(showtime, field, value)
        if SCHEDULE_FIELDS & changed:
            showtime_validate(showtime)
        else:
            showtime.full_clean(validate_unique=False, validate_constraints=False)
        showtime.save()
    return showtime


def showtime_delete(*, showtime: Showtime) -> None:
    """Delete a showtime nobody has booked. Its exclusive lock makes bookings in flight finish
    first, and its bookings (PROTECT) refuse the delete. Raises ShowtimeHasBookings (409)."""
    with transaction.atomic(durable=True):
        showtime = locks.showtime_lock(showtime.pk)
        try:
            showtime.delete()
        except ProtectedError as exc:
            raise ShowtimeHasBookings() from exc


# Movies, where the schedule depends on them


def movie_update(*, movie: Movie, data: dict) -> Movie:
    """Change a movie. Its duration is fixed while showtimes are scheduled: their end times (and
    the hall's schedule around them) were computed from it. Raises MovieHasShowtimes (409)."""
    with transaction.atomic(durable=True):
        movie = catalog_services.movie_lock(movie.pk)
        duration = data.get("duration_minutes", movie.duration_minutes)
        if duration != movie.duration_minutes and showtimes_upcoming().filter(movie=movie).exists():
            raise MovieHasShowtimes()
        return catalog_services.movie_write(movie, data)


def movie_delete(*, movie: Movie) -> None:
    """Delete a movie and its showtimes, unless anyone has booked one (MovieHasBookings, 409).

    Locks the movie, then its showtimes (in primary-key order) as cancelling them would, so a
    booking in flight finishes first; the bookings' PROTECT foreign keys refuse the delete.
    """
    with transaction.atomic(durable=True):
        movie = catalog_services.movie_lock(movie.pk)
        locks.movie_showtimes_lock(movie.pk)
        try:
            movie.showtimes.all().delete()
        except ProtectedError as exc:
            raise MovieHasBookings() from exc
        movie.delete()

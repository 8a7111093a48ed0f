"""The row locks a booking takes, in the order every service takes them:

    1. the showtime, shared     (bookings side by side; cancelling or editing it is exclusive)
    2. booking rows             (primary-key order)
    3. seat rows and their claims for the showtime, exclusive (primary-key order)

Locking the seats before their claims means two bookings of one seat queue on the seat row
instead of racing to insert the same claim, where InnoDB could deadlock them; taking every lock
in one order means no two requests wait on each other in a circle.

Mind InnoDB's implicit locks: changing a booking's `status` or `pending` (columns of indexes that
begin with its foreign keys) makes InnoDB check the foreign key and share-lock the showtime row.
Every service that changes a booking therefore takes the showtime lock first, explicitly.

Plain SQL: these reads run on every booking attempt, and the ORM's query building costs more than
the database's answer. Instances come from `Model.objects.raw()`, so Django's field conversions
apply. SQLite has no row locks (it serialises writers): there the locking clauses are left out.
"""

from django.db import connection

from catalog.models import Movie
from screening.models import Cinema, Hall, Seat, Showtime

from .models import Booking, SeatClaim


def _shared() -> str:
    return " LOCK IN SHARE MODE" if connection.vendor == "mysql" else ""


def _exclusive() -> str:
    return " FOR UPDATE" if connection.vendor == "mysql" else ""


def showtime_lock_shared(showtime_id: int) -> Showtime | None:
    """The showtime, share-locked, with its movie, hall and cinema attached (what a booking
    shows of it). The joined rows are share-locked too: a writer to them waits for the bookings
    in flight, a few milliseconds."""
    movie, hall, cinema = Movie._meta.db_table, Hall._meta.db_table, Cinema._meta.db_table
    rows = Showtime.objects.raw(
        f"SELECT s.*, m.title AS movie_title, m.rating AS movie_rating, "  # noqa: S608
        f"m.poster_url AS movie_poster_url, h.name AS hall_name, h.cinema_id AS cinema_id, "
        f"c.name AS cinema_name, c.city AS cinema_city, c.timezone AS cinema_timezone "
        f"FROM {Showtime._meta.db_table} s JOIN {movie} m ON m.id = s.movie_id "
        f"JOIN {hall} h ON h.id = s.hall_id JOIN {cinema} c ON c.id = h.cinema_id "
        f"WHERE s.id = %s{_shared()}",
        [showtime_id],
    )
    showtime = next(iter(rows), None)
    if showtime is not None:
        showtime.movie = Movie(
            id=showtime.movie_id,
            title=showtime.movie_title,
            rating=showtime.movie_rating,
            poster_url=showtime.movie_poster_url,
        )
        showtime.hall = Hall(
            id=showtime.hall_id, name=showtime.hall_name, cinema_id=showtime.cinema_id
        )
        showtime.hall.cinema = Cinema(
            id=showtime.cinema_id,
            name=showtime.cinema_name,
            city=showtime.cinema_city,
            timezone=showtime.cinema_timezone,
        )
    return showtime


def showtimes_lock_shared(showtime_ids: list[int]) -> None:
    """Share-lock several showtime rows, in primary-key order."""
    if not showtime_ids:
        return
    placeholders = ", ".join(["%s"] * len(showtime_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Showtime._meta.db_table} WHERE id IN ({placeholders}) "  # noqa: S608
            f"ORDER BY id{_shared()}",
            sorted(showtime_ids),
        )


def booking_lock(booking_id: int) -> Booking:
    """A booking, locked after its showtime (shared), as the lock order wants. Raises
    Booking.DoesNotExist. The showtime a booking belongs to never changes, so it is safe to read
    before the locks."""
    showtime_id = Booking.objects.values_list("showtime_id", flat=True).get(pk=booking_id)
    showtimes_lock_shared([showtime_id])
    return Booking.objects.select_for_update().get(pk=booking_id)


def pending_bookings_lock(user_id: int, showtime_id: int) -> list[Booking]:
    """The customer's pending booking for the showtime (at most one: a unique key), locked.
    Usually there is none: only its id is read, and the booking loaded when there is one."""
    with connection.cursor() as cursor:
        cursor.execute(
            # Equality on all three columns of the unique key: a point lookup that locks this one
            # entry. A looser condition lets InnoDB scan - and lock - other bookings' rows.
            f"SELECT id FROM {Booking._meta.db_table} "  # noqa: S608
            f"WHERE user_id = %s AND showtime_id = %s AND pending = %s{_exclusive()}",
            [user_id, showtime_id, True],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    return list(Booking.objects.filter(pk__in=ids)) if ids else []


def seats_lock(showtime_id: int, seat_ids: list[int]) -> dict[int, Seat]:
    """Lock the seats in primary-key order, each with its claim for the showtime if it has one
    (at most one: a unique key). Each seat carries `claim_id`, `claim_booking_id` and
    `claim_expires_at` (None without a claim)."""
    if not seat_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(seat_ids))
    seats = Seat.objects.raw(
        f"SELECT s.*, c.id AS claim_id, c.booking_id AS claim_booking_id, "  # noqa: S608
        f"c.expires_at AS claim_expires_at FROM {Seat._meta.db_table} s "
        f"LEFT JOIN {SeatClaim._meta.db_table} c ON c.seat_id = s.id AND c.showtime_id = %s "
        f"WHERE s.id IN ({placeholders}) ORDER BY s.id{_exclusive()}",
        [showtime_id, *seat_ids],
    )
    result = {}
    for seat in seats:
        seat.claim_expires_at = _aware(seat.claim_expires_at)
        result[seat.pk] = seat
    return result


def _aware(value):
    """A datetime read outside a model field arrives as the database has it (naive UTC on MySQL,
    text on SQLite)."""
    if value is None:
        return None
    field = SeatClaim._meta.get_field("expires_at")
    for converter in connection.ops.get_db_converters(field.get_col(SeatClaim._meta.db_table)):
        value = converter(value, field, connection)
    return value

"""The row locks of selling a seat, and the one order in which every service takes them.

    0. the Idempotency-Key row (core/idempotency.py): leased by a statement that commits alone
       before the work and answered after it commits - never held together with the locks below
    1. schedule rows, exclusive, when the schedule changes (screening/locks.py): the showtime,
       then halls in primary-key order, then a hall's seats
    2. the customer's row, exclusive, while a hold is made (their live holds are counted under
       it); then the showtime, shared, while a booking of it changes (bookings side by side;
       cancelling or editing the showtime takes it exclusive, in step 1, and waits for them)
    3. the promotion, exclusive (promotions/locks.py), when a booking takes a use of it: a hold
       with a promo code, or paying for (confirming) a booking that has one. Its uses are counted
       under this lock; giving one back needs no lock
    4. booking rows, in primary-key order
    5. seat rows with their claims for the showtime, exclusive, in primary-key order, in one
       statement. A hold under the seat rules locks every seat of the hall rows it touches
       (`seat_rows_lock`): the single-seat-gap rule reads a row's state, and two holds around
       one free seat queue on the row instead of both leaving it alone. Best available locks
       the rows of the seats it chose from an unlocked read, re-checks under the lock, and
       starts again (a new transaction, nothing held) when they went meanwhile; its last
       attempt locks the whole hall (booking/services/seating.py).
    6. ticket rows, in primary-key order
    7. payment rows, then their refunds (payments/locks.py)
    8. the reports' rollup state (reports/locks.py): taken alone, by the refresh of the rollups,
       which holds no other lock of this order (it reads the records without locking them)

A service takes what it needs of these top to bottom, so no two requests wait on each other in a
circle. Locking the seats before their claims means two bookings of one seat queue on the seat row
instead of racing to insert the same claim, where InnoDB could deadlock them.

Mind InnoDB's implicit locks: changing a booking's `status` or `pending` (columns of indexes that
begin with its foreign keys) makes InnoDB check the foreign key and share-lock the showtime row.
Every service that changes a booking therefore takes the showtime lock first, explicitly.
Likewise, changing a payment's `in_flight` (a column of its unique key that begins with the
booking) share-locks the booking row: outside the booking's own transaction, payments take the
booking's lock before the payment's (payments/locks.py `payment_with_booking_lock`). One
implicit lock is left against the order: inserting a payment share-locks its customer's row (the
foreign key), after the booking's lock. A hold by the same customer for the same showtime at that
moment (customer, then their pending booking) can deadlock with it: InnoDB rolls one back, which
answers 409 `resource_busy` (retry). Taking the customer's lock on every payment to rule out that
self-inflicted case would cost every payment a round trip.

Every helper refuses to run outside a transaction: a lock taken there is released at once.
SQLite has no row locks (it serialises writers): there the locking clauses are left out.
"""

from collections.abc import Iterable

from django.db import connection

from accounts.models import User
from catalog.models import Movie
from core.db import RowLoader, transaction_required
from promotions import locks as promotion_locks
from screening.models import Cinema, Hall, Seat, Showtime

from .models import Booking, BookingStatus, SeatClaim, Ticket


def _shared() -> str:
    return " LOCK IN SHARE MODE" if connection.vendor == "mysql" else ""


def _exclusive() -> str:
    return " FOR UPDATE" if connection.vendor == "mysql" else ""


def customer_lock(user_id: int) -> None:
    """The customer's row: holds of one customer are made one at a time."""
    transaction_required()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {User._meta.db_table} WHERE id = %s{_exclusive()}",  # noqa: S608
            [user_id],
        )


def showtimes_lock_shared(showtime_ids: list[int]) -> list[int]:
    """Share-lock showtime rows in primary-key order; returns the ids that exist."""
    transaction_required()
    if not showtime_ids:
        return []
    placeholders = ", ".join(["%s"] * len(showtime_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Showtime._meta.db_table} WHERE id IN ({placeholders}) "  # noqa: S608
            f"ORDER BY id{_shared()}",
            sorted(showtime_ids),
        )
        return [pk for (pk,) in cursor.fetchall()]


# What a booking shows of its showtime, read in one statement (plain SQL: see `RowLoader`). The
# hall's layout is left out: the seat rules read the hall's plan, cached per process.
_SHOWTIME = RowLoader(Showtime, alias="s")
_MOVIE = RowLoader(Movie, alias="m")
_HALL = RowLoader(
    Hall, alias="h", fields=[f.name for f in Hall._meta.concrete_fields if f.name != "layout"]
)
_CINEMA = RowLoader(Cinema, alias="c")


def showtime_lock_shared(showtime_id: int) -> Showtime | None:
    """The showtime, share-locked, with its movie, hall and cinema loaded (what a booking shows of
    it; the hall's layout deferred); None when there is no such showtime.

    One statement: the showtime is read by a derived table that carries the lock, so the lock
    takes its row alone - the movie, hall and cinema joined to it are read without one, as
    anything else reads them (a locking read of the whole join would share-lock them too, and
    queue edits of a cinema behind every hold)."""
    transaction_required()
    return _with_venue(
        "TRUE",
        [showtime_id],
        showtime_source=f"(SELECT * FROM {Showtime._meta.db_table} WHERE id = %s{_shared()})",  # noqa: S608
    )


_BOOKING = RowLoader(Booking, alias="b")


def booking_with_venue(
    booking_id: int, user_id: int, *, annotations: dict[str, tuple[str, list]] | None = None
) -> Booking | None:
    """A customer's booking (no lock), with its showtime's movie, hall (layout deferred) and
    cinema loaded - what an answer shows of it - in one statement; None when it is not theirs.

    `annotations`: name -> (an SQL expression over the booking `b`, its parameters), each set on
    the booking as an attribute of that name - what a caller above this app asks about the
    booking, answered by the same statement (payments: any payment of unknown outcome?)."""
    return _with_venue(
        "b.id = %s AND b.user_id = %s",
        [booking_id, user_id],
        booking=True,
        annotations=annotations,
    )


def _with_venue(
    where: str,
    params: list,
    *,
    booking: bool = False,
    showtime_source: str | None = None,
    annotations: dict[str, tuple[str, list]] | None = None,
):
    """One row read in one statement: the showtime matching `where` (over `s`, and `b` with
    `booking`), with its movie, hall (its layout deferred) and cinema loaded; with `booking`, the
    booking of that row instead, its showtime so loaded, and its `annotations` set. None when no
    row matches. No lock, but what `showtime_source` takes: what to read the showtime from
    instead of its table (a derived table, its parameters first in `params`).

    Plain SQL (`RowLoader`): holds and payments read this on every request.
    """
    loaders = [_BOOKING] if booking else []
    loaders += [_SHOWTIME, _MOVIE, _HALL, _CINEMA]
    showtimes = showtime_source or Showtime._meta.db_table
    source = (
        f"{Booking._meta.db_table} b JOIN {showtimes} s ON s.id = b.showtime_id"
        if booking
        else f"{showtimes} s"
    )
    annotations = annotations or {}
    columns = [loader.columns for loader in loaders]
    columns += [f"({expression})" for expression, _ in annotations.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {source} "  # noqa: S608
            f"JOIN {Movie._meta.db_table} m ON m.id = s.movie_id "
            f"JOIN {Hall._meta.db_table} h ON h.id = s.hall_id "
            f"JOIN {Cinema._meta.db_table} c ON c.id = h.cinema_id WHERE {where}",
            [value for _, values in annotations.values() for value in values] + params,
        )
        row = cursor.fetchone()
    if row is None:
        return None
    start = _BOOKING.width if booking else 0
    showtime = _SHOWTIME.load(row, start)
    start += _SHOWTIME.width
    showtime.movie = _MOVIE.load(row, start)
    start += _MOVIE.width
    hall = _HALL.load(row, start)
    hall.cinema = _CINEMA.load(row, start + _HALL.width)
    showtime.hall = hall
    if not booking:
        return showtime
    found = _BOOKING.load(row)
    found.showtime = showtime
    for name, value in zip(annotations, row[len(row) - len(annotations) :], strict=True):
        setattr(found, name, value)
    return found


def booking_lock(booking_id: int, *, known: Booking | None = None) -> Booking:
    """A booking, locked after its showtime (shared) and - while it may still be confirmed
    (pending, or recorded as expired) - its promotion, as the order wants: confirming a booking
    whose hold had lapsed takes its promotion's use again, under that lock. Raises
    Booking.DoesNotExist.

    The showtime and the promotion of a booking never change, so they are safe to read before
    the locks; so is "may still be confirmed": a booking read as confirmed or cancelled is never
    confirmed again. `known`: the booking as the caller read it earlier (unlocked), which spares
    reading them. The booking comes back with its showtime (`booking.showtime`), read by the
    statement that share-locks it: as it is under the lock, and no query more.

    Plain SQL, as `seats_lock`: every payment takes this twice, and the ORM's query building costs
    more than the database's answer.
    """
    transaction_required()
    if known is not None:
        showtime_id, promotion_id, status = known.showtime_id, known.promotion_id, known.status
    else:
        showtime_id, promotion_id, status = Booking.objects.values_list(
            "showtime_id", "promotion_id", "status"
        ).get(pk=booking_id)
    showtime = _SHOWTIME.get(showtime_id, _shared())
    if promotion_id is not None and status in (BookingStatus.PENDING, BookingStatus.EXPIRED):
        promotion_locks.promotion_lock(promotion_id)
    booking = _BOOKING.get(booking_id, _exclusive())
    if booking is None:
        raise Booking.DoesNotExist(f"No booking {booking_id}.")
    if showtime is not None:  # it exists: bookings protect their showtime
        booking.showtime = showtime
    return booking


def bookings_lock(booking_ids: list[int], *, skip_locked: bool = False) -> list[Booking]:
    """Lock bookings in primary-key order (their showtimes are the caller's to lock first).
    With `skip_locked`, rows someone else holds are left out instead of waited for."""
    transaction_required()
    return list(
        Booking.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk__in=booking_ids)
        .order_by("pk")
    )


def pending_bookings_lock(user_id: int, showtime_id: int) -> list[Booking]:
    """The customer's pending booking for the showtime (at most one: a unique key), locked.
    Usually there is none: only its id is read, and the booking loaded when there is one."""
    transaction_required()
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


_SEAT = RowLoader(Seat, alias="s")
_CLAIM_EXPIRES = RowLoader(SeatClaim, alias="c", fields=["expires_at"])


def seats_lock(showtime_id: int, seat_ids: list[int]) -> dict[int, Seat]:
    """Lock the seats in primary-key order, each with its claim for the showtime if it has one
    (at most one: a unique key). Each seat carries `claim_id`, `claim_booking_id` and
    `claim_expires_at` (None without a claim).

    Plain SQL (`RowLoader`): this runs on every booking attempt, and the ORM's query building
    costs more than the database's answer.
    """
    transaction_required()
    if not seat_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(seat_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_SEAT.columns}, c.id, c.booking_id, c.expires_at "  # noqa: S608
            f"FROM {Seat._meta.db_table} s "
            f"LEFT JOIN {SeatClaim._meta.db_table} c ON c.seat_id = s.id AND c.showtime_id = %s "
            f"WHERE s.id IN ({placeholders}) ORDER BY s.id{_exclusive()}",
            [showtime_id, *seat_ids],
        )
        rows = cursor.fetchall()
    width = _SEAT.width
    # A datetime read outside a model field arrives as the database has it (naive UTC on MySQL,
    # text on SQLite): made what the claim's field would hold.
    expiries = _CLAIM_EXPIRES.values("expires_at", [row[width + 2] for row in rows])
    result = {}
    for seat, row, expires_at in zip(_SEAT.load_all(rows), rows, expiries, strict=True):
        seat.claim_id, seat.claim_booking_id = row[width], row[width + 1]
        seat.claim_expires_at = expires_at
        result[seat.pk] = seat
    return result


def seat_rows_lock(
    showtime_id: int, seat_ids: Iterable[int], rows: Iterable[Iterable[int]]
) -> dict[int, Seat]:
    """`seats_lock` over `seat_ids` and every seat of `rows` (each the seat ids of one hall row,
    from the hall's plan), in one statement: primary-key order across the rows, whatever their
    order. The seats that are not the booking's come with their claims too - the row's state."""
    return seats_lock(showtime_id, sorted({*seat_ids, *(pk for row in rows for pk in row)}))


def ticket_lock(ticket_id: int) -> Ticket:
    """A ticket, locked (after its booking, as the order wants)."""
    transaction_required()
    return Ticket.objects.select_for_update().get(pk=ticket_id)

"""The row locks of the schedule: step 1 of the lock order that `booking/locks.py` describes
(a movie, then showtimes in primary-key order, then halls in primary-key order, then a hall's
seats). Every helper refuses to
run outside a transaction."""

from core.db import transaction_required

from .models import Hall, Seat, Showtime


def showtime_lock(showtime_id: int) -> Showtime:
    """A showtime, exclusive: to edit or cancel it, after the bookings in flight. No joins in the
    locking query: MySQL would lock the joined rows too, outside the order. Raises
    Showtime.DoesNotExist."""
    transaction_required()
    return Showtime.objects.select_for_update().get(pk=showtime_id)


def halls_lock(*hall_ids: int) -> list[Hall]:
    """Hall rows in primary-key order: scheduling checks a hall's overlaps under its lock."""
    transaction_required()
    return list(Hall.objects.select_for_update().filter(pk__in=set(hall_ids)).order_by("pk"))


def hall_seats_lock(hall_id: int) -> list[int]:
    """A hall's seat rows in primary-key order (the bookings' order): replacing a layout waits
    for the bookings in flight."""
    transaction_required()
    return list(
        Seat.objects.select_for_update()
        .filter(hall_id=hall_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def movie_showtimes_lock(movie_id: int) -> list[Showtime]:
    """A movie's showtimes, exclusive, in primary-key order (after the movie's own lock)."""
    transaction_required()
    return list(Showtime.objects.select_for_update().filter(movie_id=movie_id).order_by("pk"))

"""SQL over a sold-out showtime, run after the load: what the database says was sold.

Table and column names come from the models (`_meta`), not from this file: renaming a table or a
column does not silently make a check count nothing.
"""

from dataclasses import dataclass
from itertools import groupby


@dataclass
class Sales:
    twice: int  # seats ticketed or claimed twice: must be 0
    claimed: int  # seats claimed, held or sold
    sold: int  # seats sold: claims without an expiry


def _names() -> dict[str, str]:
    """The quoted names the queries below use: `ticket`, `ticket_seat`, `booking_pk`, ..."""
    from django.db import connection

    from booking.models import Booking, SeatClaim, Ticket

    quote = connection.ops.quote_name
    names = {}
    for model, fields in [
        (Ticket, ["seat", "booking"]),
        (Booking, ["showtime", "status"]),
        (SeatClaim, ["seat", "showtime", "expires_at"]),
    ]:
        key = model._meta.model_name
        names[key] = quote(model._meta.db_table)
        names[f"{key}_pk"] = quote(model._meta.pk.column)
        for name in fields:
            names[f"{key}_{name}"] = quote(model._meta.get_field(name).column)
    return names


TICKETED_TWICE = """
    SELECT COUNT(*) FROM (
        SELECT t.{ticket_seat} FROM {ticket} t
        JOIN {booking} b ON b.{booking_pk} = t.{ticket_booking}
        WHERE b.{booking_showtime} = %s AND b.{booking_status} IN (%s, %s)
        GROUP BY t.{ticket_seat} HAVING COUNT(*) > 1
    ) twice
"""
CLAIMED_TWICE = """
    SELECT COUNT(*) FROM (
        SELECT {seatclaim_seat} FROM {seatclaim} WHERE {seatclaim_showtime} = %s
        GROUP BY {seatclaim_seat} HAVING COUNT(*) > 1
    ) twice
"""
CLAIMED_AND_SOLD = """
    SELECT COUNT(*), COUNT(*) - COUNT({seatclaim_expires_at}) FROM {seatclaim}
    WHERE {seatclaim_showtime} = %s
"""


def sales(showtime_id: int) -> Sales:
    """Seats of one showtime ticketed or claimed twice by live bookings, claimed, sold."""
    from django.db import connection

    from booking.models import BookingStatus

    names = _names()
    live = [BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value]
    with connection.cursor() as cursor:
        cursor.execute(TICKETED_TWICE.format_map(names), [showtime_id, *live])
        (tickets_twice,) = cursor.fetchone()
        cursor.execute(CLAIMED_TWICE.format_map(names), [showtime_id])
        (claims_twice,) = cursor.fetchone()
        cursor.execute(CLAIMED_AND_SOLD.format_map(names), [showtime_id])
        claimed, sold = cursor.fetchone()
    return Sales(twice=tickets_twice + claims_twice, claimed=claimed, sold=sold)


BOOKED_IN_ORDER = """
    SELECT b.{booking_pk}, t.{ticket_seat} FROM {booking} b
    JOIN {ticket} t ON t.{ticket_booking} = b.{booking_pk}
    WHERE b.{booking_showtime} = %s AND b.{booking_status} IN (%s, %s)
    ORDER BY b.{booking_pk}, t.{ticket_seat}
"""


@dataclass
class Gaps:
    refused: int  # bookings that left a seat alone where the rule applied: must be 0
    allowed: int  # bookings that left one where the rule allowed it (no choice avoided it, or
    # the showtime was past SEAT_GAP_RULE_UNTIL_PERCENT sold)


def gaps(showtime_id: int) -> Gaps:
    """The live bookings of a showtime, read by SQL and replayed in the order they were made
    (their ids: bookings of one row are made one after the other, under the row's locks), each
    judged by the seat rules on the seats the bookings before it took."""
    from django.conf import settings
    from django.db import connection

    from booking.models import BookingStatus
    from booking.seat_rules import gap_refusal, gaps_made
    from booking.selectors import hall_plan
    from screening.models import Showtime

    showtime = Showtime.objects.select_related("hall").get(pk=showtime_id)
    plan = hall_plan(showtime.hall_id, showtime.hall.seats_version)
    live = [BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value]
    with connection.cursor() as cursor:
        cursor.execute(BOOKED_IN_ORDER.format_map(_names()), [showtime_id, *live])
        rows = cursor.fetchall()
    taken: set[int] = set()
    refused = allowed = 0
    for _booking, booked in groupby(rows, key=lambda row: row[0]):
        seats = {seat for _, seat in booked}
        if gaps_made(plan, taken, seats):
            applies = settings.SEAT_GAP_RULE and (
                100 * len(taken) <= settings.SEAT_GAP_RULE_UNTIL_PERCENT * plan.capacity
            )
            free = set(plan.seats) - taken
            if applies and gap_refusal(
                plan, taken, seats, is_open=lambda s, free=free: s.id in free
            ):
                refused += 1
            else:
                allowed += 1
        taken |= seats
    return Gaps(refused=refused, allowed=allowed)


@dataclass
class Redeemed:
    uses: int  # the promotion's uses that count: confirmed and live holds
    bookings: int  # live bookings of the showtime that carry the promotion's discount


REDEEMED = """
    SELECT
        (SELECT COUNT(*) FROM {redemption} WHERE {redemption_promotion} = %s
         AND ({redemption_status} IN (%s, %s)
              OR ({redemption_status} = %s AND {redemption_expires_at} > %s))),
        (SELECT COUNT(*) FROM {booking} WHERE {booking_promotion} = %s
         AND {booking_showtime} = %s AND {booking_discount} > 0 AND {booking_status} IN (%s, %s))
"""


def redeemed(promotion_id: int, showtime_id: int) -> Redeemed:
    """What the database says a promo code was used for: its counted uses, and the showtime's
    live bookings discounted by it."""
    from django.db import connection
    from django.utils import timezone

    from booking.models import Booking, BookingStatus
    from promotions.models import Redemption, RedemptionStatus

    quote = connection.ops.quote_name
    names = {
        "redemption": quote(Redemption._meta.db_table),
        "booking": quote(Booking._meta.db_table),
    }
    for model, fields in [
        (Redemption, ["promotion", "status", "expires_at"]),
        (Booking, ["promotion", "showtime", "discount", "status"]),
    ]:
        for name in fields:
            names[f"{model._meta.model_name}_{name}"] = quote(model._meta.get_field(name).column)
    live = [BookingStatus.PENDING.value, BookingStatus.CONFIRMED.value]
    spent = [RedemptionStatus.CONFIRMED.value, RedemptionStatus.FORFEITED.value]
    with connection.cursor() as cursor:
        cursor.execute(
            REDEEMED.format_map(names),
            [
                *(promotion_id, *spent, RedemptionStatus.HELD.value, timezone.now()),
                *(promotion_id, showtime_id, *live),
            ],
        )
        uses, bookings = cursor.fetchone()
    return Redeemed(uses=uses, bookings=bookings)

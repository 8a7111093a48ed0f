"""Holding seats: a PENDING booking that keeps its seats until `expires_at`."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from core.db import (
    constraint_name,
    instances_insert,
    instances_insert_statement,
    prefetched,
    rows_insert_statement,
    statements_run,
)
from core.exceptions import ResourceBusy
from screening.models import Showtime, ShowtimeStatus

from .. import locks
from ..exceptions import (
    HoldLimitReached,
    SeatsUnavailable,
    ShowtimeNotBookable,
)
from ..models import Booking, BookingStatus, SeatClaim, Ticket
from ..pricing import PriceList, price_list, totals
from . import discounts, seating
from .common import booking_cancel_record, claims_delete, seat_changes_statement
from .seating import SeatPick, SeatRequest

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
REFERENCE_LENGTH = 8


def _seat_requests_check(seats: list[SeatRequest], active_types: set[str]) -> None:
    if not seats:
        raise ValidationError({"seats": ["Choose at least one seat."]})
    if len(seats) > settings.BOOKING_MAX_SEATS:
        raise ValidationError(
            {"seats": [f"At most {settings.BOOKING_MAX_SEATS} seats per booking."]}
        )
    seen, repeated = set(), set()
    for request in seats:
        (repeated if request.seat_id in seen else seen).add(request.seat_id)
    if repeated:
        raise ValidationError(
            {"seats": [f"Seat {seat_id} is listed twice." for seat_id in sorted(repeated)]}
        )
    unknown = sorted({r.ticket_type for r in seats} - active_types)
    if unknown:
        raise ValidationError(
            {"seats": [f"Ticket type {code} is not on sale." for code in unknown]}
        )


def _showtime_bookable_check(showtime: Showtime, now: datetime) -> None:
    if showtime.status != ShowtimeStatus.SCHEDULED:
        raise ShowtimeNotBookable("This showtime has been cancelled.")
    if showtime.starts_at <= now:
        raise ShowtimeNotBookable("This showtime has already started.")


def _pending_release(user: User, showtime: Showtime, now: datetime) -> None:
    """A customer has one pending booking per showtime: a new one releases the previous hold."""
    for previous in locks.pending_bookings_lock(user.pk, showtime.pk):
        claims_delete(previous.claims.all())
        booking_cancel_record(previous, now, by=user, reason="Replaced by a new booking.")


def _customer_holds_settle(user: User, showtime: Showtime, now: datetime) -> None:
    """Under the customer's row lock: release their pending booking for this showtime, and
    refuse a hold past `BOOKING_MAX_LIVE_HOLDS` unpaid bookings at once (counted under the lock,
    so holds racing each other cannot pass the limit together).

    One read answers both in the usual case (no pending booking for this showtime): the
    customer's live holds, and whether one of them - or an expired one not yet swept - is the
    pending booking for this showtime. That one is then locked and released as
    `_pending_release` does (which reads it again under its lock: a payment or the expiry may
    have settled it meanwhile). It does not count: it is released, or no longer pending."""
    with connection.cursor() as cursor:  # plain SQL: a hot path (see core.db.RowLoader)
        cursor.execute(
            f"SELECT showtime_id = %s AND pending = %s FROM {Booking._meta.db_table} "  # noqa: S608
            "WHERE user_id = %s AND (status = %s AND expires_at > %s "
            "OR showtime_id = %s AND pending = %s)",
            [
                showtime.pk,
                True,
                user.pk,
                BookingStatus.PENDING,
                connection.ops.adapt_datetimefield_value(now),
                showtime.pk,
                True,
            ],
        )
        this_showtime = [bool(pending_here) for (pending_here,) in cursor.fetchall()]
    if any(this_showtime):
        _pending_release(user, showtime, now)
    live = this_showtime.count(False)
    if live >= settings.BOOKING_MAX_LIVE_HOLDS:
        raise HoldLimitReached(
            f"You already hold seats in {live} unpaid bookings; pay for or cancel one first.",
            details={"limit": settings.BOOKING_MAX_LIVE_HOLDS},
        )


def _reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def _integrity_error_explained(exc: IntegrityError, seat_ids: list[int]) -> Exception:
    """The unique keys that can refuse a booking's rows, as the domain errors they mean. Any
    other refusal is a bug: it stays an IntegrityError (a logged 500)."""
    name = constraint_name(exc)
    if name == "seat_claim_one_per_showtime":
        # Only a writer that skipped the seat locks (a shell, raw SQL) can get here.
        return SeatsUnavailable(details={"seats": seat_ids})
    if name == "booking_one_pending_per_showtime":
        return ResourceBusy("Another booking of yours for this showtime is in progress.")
    if name == "reference":
        return ResourceBusy("Please try again.")  # a reference collision: about 1 in 10^12
    return exc


@seating.stale_choices_retried
def booking_create(
    *,
    user: User,
    showtime_id: int,
    seats: list[SeatRequest] | None = None,
    promo_code: str | None = None,
    pick: SeatPick | None = None,
    rules_override: bool = False,
) -> Booking:
    """Hold seats for `BOOKING_HOLD_SECONDS`; returns the priced PENDING booking.

    The customer's `seats`, or (`pick`) the best available, chosen under the lock. Returns the
    booking with its showtime (movie, hall, cinema) and tickets (seats) loaded.

    One short transaction: lock the customer's row (their live holds are counted under it),
    share-lock the showtime, lock the promo code's promotion, release the customer's previous hold
    for it, lock the seats and their claims in primary-key order - with the rest of their rows,
    for the seat rules (`seating.seats_hold_lock`) - re-check the claims and the rules under the
    lock (expired holds are deleted, live ones refused), check the promotion's rules and limits,
    then write the booking, its tickets, the claims and the use of the promotion (`discounts`).
    Staff may pass `rules_override`; what it overrode is recorded on the booking.

    Raises SeatsUnavailable and HoldLimitReached (409), ShowtimeNotBookable, PromotionError
    (`promotion_invalid`, `_expired`, `_exhausted`, `_not_applicable`), SingleSeatGap,
    SeatReservedForAccessibility and ValidationError (400), RulesOverrideForbidden (403),
    ResourceBusy (409, retry).
    """
    prices = price_list()
    if pick is None:
        _seat_requests_check(seats, set(prices.multipliers))
    seating.seat_choice_check(
        user=user,
        seats=seats,
        pick=pick,
        rules_override=rules_override,
        active_types=prices.multipliers,
    )
    seat_ids = sorted(request.seat_id for request in seats or ())
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            if not user.is_staff:
                locks.customer_lock(user.pk)
            showtime = locks.showtime_lock_shared(showtime_id)
            if showtime is None:
                raise ValidationError({"showtime": ["No such showtime."]})
            _showtime_bookable_check(showtime, now)
            promotion = discounts.promotion_lock(promo_code)
            if user.is_staff:  # staff holds are not limited in number
                _pending_release(user, showtime, now)
            else:
                _customer_holds_settle(user, showtime, now)
            booking, tickets, seat_ids = seats_hold_write(
                user=user,
                showtime=showtime,
                seats=seats,
                pick=pick,
                rules_override=rules_override,
                prices=prices,
                promotion=promotion,
                now=now,
            )
    except IntegrityError as exc:
        raise _integrity_error_explained(exc, seat_ids) from exc
    prefetched(booking, "tickets", tickets)  # what the caller renders
    return booking


def seats_hold_write(
    *,
    user: User,
    showtime: Showtime,
    seats: list[SeatRequest] | None,
    pick: SeatPick | None,
    rules_override: bool,
    prices: PriceList,
    now: datetime,
    promotion=None,
    pending: bool = True,
    sold_by: User | None = None,
    customer_email: str = "",
) -> tuple[Booking, list[Ticket], list[int]]:
    """The core of every hold, within the caller's transaction, after the showtime's shared lock
    (and the promotion's): lock the seats' rows, check the claims and the seat rules, price the
    tickets, and write the booking, its tickets, its claims and its use of the promotion.
    Returns the booking, its tickets and the seat ids. `pending=False` is a box-office sale: the
    booking is not "the customer's pending booking for the showtime" (the counter confirms it in
    the same sale), and `sold_by` records who sold it."""
    held = seating.seats_hold_lock(
        showtime=showtime, seats=seats, pick=pick, rules_override=rules_override, now=now
    )
    locked, seats, seat_ids = held.seats, held.requests, sorted(held.seats)
    tickets = [
        Ticket(
            showtime=showtime,
            seat=locked[request.seat_id],
            ticket_type=request.ticket_type,
            price=prices.ticket_price(
                showtime.base_price, request.ticket_type, locked[request.seat_id].seat_type
            ),
        )
        for request in sorted(seats, key=lambda r: r.seat_id)
    ]
    reservation = discounts.discount_reserve(
        promotion, user=user, movie_id=showtime.movie_id, tickets=tickets, now=now
    )
    amounts = totals([ticket.price for ticket in tickets], reservation.amount)
    booking = Booking(
        reference=_reference(),
        user=user,
        showtime=showtime,
        pending=True if pending else None,
        expires_at=now + timedelta(seconds=settings.BOOKING_HOLD_SECONDS),
        subtotal=amounts.subtotal,
        discount=amounts.discount,
        fees=amounts.fees,
        tax=amounts.tax,
        total=amounts.total,
        currency=settings.CURRENCY,
        promo_code=reservation.code,
        promotion=promotion,
        rules_overridden=",".join(held.overridden),
        rules_overridden_by=(sold_by or user) if held.overridden else None,
        sold_by=sold_by,
        customer_email=customer_email,
    )
    instances_insert([booking])
    reservation.record(booking)
    for ticket in tickets:
        ticket.booking = booking
    # What is written with the booking's id, in one round trip.
    statements_run(
        instances_insert_statement(tickets),
        rows_insert_statement(
            SeatClaim,
            ["showtime", "seat", "booking", "expires_at"],
            ((showtime.pk, pk, booking.pk, booking.expires_at) for pk in seat_ids),
        ),
        seat_changes_statement(showtime.pk, seat_ids),
    )
    return booking, tickets, seat_ids

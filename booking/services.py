"""Every write of the booking app: holds, confirmation, cancellation, check-in, expiry.

Locks are always taken in the order `booking.locks` describes (showtime shared, then bookings,
then seats with their claims), so two requests never wait on each other in a circle. The unique
key on (showtime, seat) of the claims stays the last word for anything that skips the services.
No e-mail and no outside call happens while these locks are held: e-mails go out on commit.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.db import constraint_name
from core.emails import email_send_on_commit
from core.exceptions import ResourceBusy
from screening import locks as schedule_locks
from screening.models import Seat, Showtime, ShowtimeStatus

from . import hooks, locks
from .exceptions import (
    AlreadyCheckedIn,
    BookingNotCancellable,
    BookingNotConfirmed,
    BookingNotPayable,
    CancellationWindowClosed,
    HoldExpired,
    PromotionInvalid,
    SeatsUnavailable,
    ShowtimeNotBookable,
    TicketNotFound,
)
from .models import Booking, BookingStatus, SeatClaim, Ticket, TicketTypeCode
from .pricing import price_list, totals

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
REFERENCE_LENGTH = 8


@dataclass(frozen=True)
class SeatRequest:
    seat_id: int
    ticket_type: str = TicketTypeCode.ADULT


# Helpers


def _is_live(seat: Seat, now: datetime) -> bool:
    """Whether a seat from `locks.seats_lock` is taken by its claim."""
    return seat.claim_id is not None and SeatClaim.takes_seat(seat.claim_expires_at, now)


def _labels(seats) -> str:
    return ", ".join(sorted(seat.label for seat in seats))


# Holds


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
        previous.claims.all().delete()
        _booking_cancel(previous, now, by=user, reason="Replaced by a new booking.")


def _booking_cancel(booking: Booking, now: datetime, *, by: User | None, reason: str) -> None:
    """Record the cancellation of a locked booking (its claims are the caller's to delete)."""
    booking.status = BookingStatus.CANCELLED
    booking.pending = None
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancellation_reason = reason
    booking.save(
        update_fields=["status", "pending", "cancelled_at", "cancelled_by", "cancellation_reason"]
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


def booking_create(
    *, user: User, showtime_id: int, seats: list[SeatRequest], promo_code: str | None = None
) -> Booking:
    """Hold seats for `BOOKING_HOLD_SECONDS`; returns the priced PENDING booking.

    Returns the booking with its showtime (movie, hall, cinema) and tickets (seats) loaded.
    One short transaction: share-lock the showtime, release the customer's previous hold for it,
    lock the seats and their claims in primary-key order, re-check the claims under the lock
    (expired holds are deleted, live ones refused), then write the booking, its tickets and the
    claims. Raises SeatsUnavailable (409), ShowtimeNotBookable, PromotionInvalid and
    ValidationError (400), ResourceBusy (409, retry).
    """
    prices = price_list()
    _seat_requests_check(seats, set(prices.multipliers))
    if promo_code:
        raise PromotionInvalid(f"Unknown promo code {promo_code!r}.")
    seat_ids = sorted(request.seat_id for request in seats)
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            showtime = locks.showtime_lock_shared(showtime_id)
            if showtime is None:
                raise ValidationError({"showtime": ["No such showtime."]})
            _showtime_bookable_check(showtime, now)
            _pending_release(user, showtime, now)
            locked = locks.seats_lock(showtime.pk, seat_ids)
            foreign = [
                pk for pk in seat_ids if pk not in locked or locked[pk].hall_id != showtime.hall_id
            ]
            if foreign:
                raise ValidationError(
                    {"seats": [f"Seat {pk} is not in this showtime's hall." for pk in foreign]}
                )
            taken = [seat for seat in locked.values() if _is_live(seat, now)]
            if taken:
                raise SeatsUnavailable(
                    f"{'Seat' if len(taken) == 1 else 'Seats'} {_labels(taken)} "
                    f"{'is' if len(taken) == 1 else 'are'} already taken.",
                    details={"seats": sorted(seat.pk for seat in taken)},
                )
            expired = [seat.claim_id for seat in locked.values() if seat.claim_id is not None]
            if expired:
                SeatClaim.objects.filter(pk__in=expired).delete()

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
            amounts = totals([ticket.price for ticket in tickets])
            booking = Booking.objects.create(
                reference=_reference(),
                user=user,
                showtime=showtime,
                expires_at=now + timedelta(seconds=settings.BOOKING_HOLD_SECONDS),
                subtotal=amounts.subtotal,
                discount=amounts.discount,
                fees=amounts.fees,
                tax=amounts.tax,
                total=amounts.total,
                currency=settings.CURRENCY,
            )
            for ticket in tickets:
                ticket.booking = booking
            Ticket.objects.bulk_create(tickets)
            SeatClaim.objects.bulk_create(
                SeatClaim(
                    showtime=showtime, seat_id=pk, booking=booking, expires_at=booking.expires_at
                )
                for pk in seat_ids
            )
    except IntegrityError as exc:
        raise _integrity_error_explained(exc, seat_ids) from exc
    if tickets[0].pk is None:  # MySQL (unlike MariaDB) does not return the ids of a bulk insert
        tickets = list(booking.tickets.select_related("seat"))
    # Hand back what the caller renders, loaded: the tickets (as `prefetch_related` would).
    booking._prefetched_objects_cache = {"tickets": tickets}
    return booking


# Confirmation


def booking_payable_check(booking: Booking, now: datetime) -> dict[int, Seat]:
    """Whether a locked booking can be paid - and so confirmed - now; returns its seats, locked.

    A hold that has expired can still be paid while none of its seats has been taken since.
    Raises BookingNotPayable (a cancelled booking; a showtime cancelled or started) and
    HoldExpired (410: its hold ran out and some of its seats are someone else's now).
    """
    if booking.status not in (BookingStatus.PENDING, BookingStatus.EXPIRED):
        raise BookingNotPayable("This booking has been cancelled.")
    showtime = Showtime.objects.get(pk=booking.showtime_id)
    if showtime.status != ShowtimeStatus.SCHEDULED or showtime.starts_at <= now:
        raise BookingNotPayable("This showtime has been cancelled or has started.")
    seat_ids = sorted(booking.tickets.values_list("seat_id", flat=True))
    locked = locks.seats_lock(booking.showtime_id, seat_ids)
    lost = [
        seat
        for seat in locked.values()
        if seat.claim_booking_id != booking.pk and _is_live(seat, now)
    ]
    if lost:
        raise HoldExpired(
            f"The hold expired and {_labels(lost)} {'has' if len(lost) == 1 else 'have'} been "
            "taken since.",
            details={"seats": sorted(seat.pk for seat in lost)},
        )
    return locked


def booking_confirm(*, booking_id: int) -> Booking:
    """Turn a hold into sold tickets, each with an unguessable code (a free booking; payments
    confirms a paid one inside its own transaction with `booking_confirm_locked`). Idempotent.
    Raises what `booking_payable_check` raises."""
    with transaction.atomic(durable=True):
        return booking_confirm_locked(locks.booking_lock(booking_id), timezone.now())


def booking_confirm_locked(booking: Booking, now: datetime) -> Booking:
    """Confirm a booking locked by `locks.booking_lock`, within the caller's transaction: seats
    the hold lost to expiry (still free) are claimed again. Raises what `booking_payable_check`
    raises."""
    if booking.status == BookingStatus.CONFIRMED:
        return booking
    locked = booking_payable_check(booking, now)
    # Sell what this booking still holds; claim again what it lost to expiry (still free).
    SeatClaim.objects.filter(booking=booking).update(expires_at=None)
    reclaim = [seat for seat in locked.values() if seat.claim_booking_id != booking.pk]
    SeatClaim.objects.filter(pk__in=[seat.claim_id for seat in reclaim if seat.claim_id]).delete()
    SeatClaim.objects.bulk_create(
        SeatClaim(showtime_id=booking.showtime_id, seat=seat, booking=booking) for seat in reclaim
    )
    tickets = list(booking.tickets.all())
    for ticket in tickets:
        ticket.code = secrets.token_urlsafe(16)
    Ticket.objects.bulk_update(tickets, ["code"])
    booking.status = BookingStatus.CONFIRMED
    booking.pending = None
    booking.confirmed_at = now
    booking.save(update_fields=["status", "pending", "confirmed_at"])
    _email(booking, "booking/email/confirmed")
    return booking


# Cancellation


def _cancellable_by_customer_check(booking: Booking, now: datetime) -> None:
    cutoff = booking.showtime.starts_at - timedelta(minutes=settings.CANCELLATION_CUTOFF_MINUTES)
    if booking.status == BookingStatus.CONFIRMED and now >= cutoff:
        raise CancellationWindowClosed(
            f"Bookings can be cancelled until {settings.CANCELLATION_CUTOFF_MINUTES} minutes "
            "before the show; please contact the cinema."
        )


def booking_cancel(*, booking_id: int, by: User | None, reason: str = "") -> Booking:
    """Cancel a booking; its seats are free at once, and what was paid for it is refunded (the
    `on_bookings_cancelled` hooks, after commit). A pending hold can always be released; a
    confirmed booking, by its customer, only until `CANCELLATION_CUTOFF_MINUTES` before the show
    (staff and administrators - and the system, `by=None` - at any time). Raises
    BookingNotCancellable, CancellationWindowClosed.
    """
    now = timezone.now()
    with transaction.atomic(durable=True):
        booking = locks.booking_lock(booking_id)
        if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
            raise BookingNotCancellable()
        if by is not None and not by.is_staff:
            _cancellable_by_customer_check(booking, now)
        was_confirmed = booking.status == BookingStatus.CONFIRMED
        booking.claims.all().delete()
        if not reason:
            by_customer = by is not None and by.pk == booking.user_id
            reason = "Cancelled by the customer." if by_customer else "Cancelled by the cinema."
        _booking_cancel(booking, now, by=by, reason=reason)
        if was_confirmed:
            _email(booking, "booking/email/cancelled")
    hooks.bookings_cancelled(booking_ids=[booking.pk], by=by, reason=reason)
    return booking


def showtime_cancel(*, showtime_id: int, by: User, reason: str = "") -> Showtime:
    """Cancel a showtime and every booking of it; customers with tickets are e-mailed, and what
    they paid is refunded (the `on_bookings_cancelled` hooks, after commit).

    Takes the showtime's exclusive lock first: bookings in flight finish before, new ones see the
    cancellation. Raises ShowtimeNotBookable when it is already cancelled.
    """
    now = timezone.now()
    reason = reason or "The showtime was cancelled."
    with transaction.atomic(durable=True):
        showtime = schedule_locks.showtime_lock(showtime_id)
        if showtime.status == ShowtimeStatus.CANCELLED:
            raise ShowtimeNotBookable("This showtime is already cancelled.")
        showtime.status = ShowtimeStatus.CANCELLED
        showtime.save(update_fields=["status"])
        live = Booking.objects.filter(
            showtime=showtime, status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED]
        )
        bookings = locks.bookings_lock(list(live.values_list("pk", flat=True)))
        SeatClaim.objects.filter(showtime=showtime).delete()
        for booking in bookings:
            was_confirmed = booking.status == BookingStatus.CONFIRMED
            _booking_cancel(booking, now, by=by, reason=reason)
            if was_confirmed:
                _email(booking, "booking/email/showtime_cancelled")
    hooks.bookings_cancelled(booking_ids=[b.pk for b in bookings], by=by, reason=reason)
    return showtime


# Check-in


def ticket_check_in(*, code: str, by: User) -> Ticket:
    """Mark a ticket used at the door. Locks its booking (its showtime shared first), then the
    ticket. Raises TicketNotFound (404), BookingNotConfirmed (400), AlreadyCheckedIn (409)."""
    found = Ticket.objects.filter(code=code).values_list("pk", "booking_id").first()
    if found is None:
        raise TicketNotFound()
    ticket_id, booking_id = found
    with transaction.atomic(durable=True):
        booking = locks.booking_lock(booking_id)
        ticket = locks.ticket_lock(ticket_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise BookingNotConfirmed(f"Booking {booking.reference} is {booking.status.lower()}.")
        if ticket.checked_in_at is not None:
            raise AlreadyCheckedIn(
                f"This ticket was checked in at {ticket.checked_in_at:%H:%M}.",
                details={"checked_in_at": ticket.checked_in_at},
            )
        ticket.checked_in_at = timezone.now()
        ticket.checked_in_by = by
        ticket.save(update_fields=["checked_in_at", "checked_in_by"])
    return ticket


# Expiry


def bookings_expire(*, batch_size: int = 500) -> int:
    """Mark pending bookings whose hold has run out EXPIRED and delete their claims.

    Not needed for correctness (an expired hold is already free to everyone); it keeps the tables
    tidy. Safe on several hosts at once: rows another run (or a payment) has locked are skipped.
    Locks each batch's showtimes (shared) before its bookings, as every service does.
    """
    expired = 0
    while True:
        now = timezone.now()
        with transaction.atomic(durable=True):
            candidates = list(
                Booking.objects.filter(status=BookingStatus.PENDING, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "showtime_id")[:batch_size]
            )
            if not candidates:
                return expired
            locks.showtimes_lock_shared(sorted({showtime_id for _, showtime_id in candidates}))
            ids = [
                booking.pk
                for booking in locks.bookings_lock([pk for pk, _ in candidates], skip_locked=True)
                if booking.status == BookingStatus.PENDING and booking.expires_at <= now
            ]
            if not ids:
                return expired  # all of them held by someone else (another run, a payment)
            SeatClaim.objects.filter(booking_id__in=ids, expires_at__lte=now).delete()
            expired += Booking.objects.filter(pk__in=ids).update(
                status=BookingStatus.EXPIRED, pending=None, cancellation_reason="The hold expired."
            )


def _email(booking: Booking, template: str) -> None:
    email_send_on_commit(
        to=[booking.user.email],
        template=template,
        context={
            "booking": booking,
            "user": booking.user,
            "showtime": booking.showtime,
            "tickets": list(booking.tickets.select_related("seat")),
        },
    )

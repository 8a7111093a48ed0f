"""The seats of a new hold, chosen or checked under `booking_create`'s locks: the seat rules of
booking/seat_rules.py applied to the rows' state read under the lock (booking/locks.py, step 4).

- Seats the customer chose: every seat of their rows is locked with its claim, so the
  single-seat-gap rule reads each row as it is; wheelchair spaces and companion seats are checked
  against the hold-back. Refusals: SingleSeatGap, SeatReservedForAccessibility (400).
- Best available (`SeatPick`): the choice is made on a snapshot, the rows of the chosen seats are
  locked, and the choice is made again within them under the lock; two requests at once get two
  different blocks. When the rows lost their best seats meanwhile (the second choice is worse:
  it leaves a gap, or splits a group the first kept together), the transaction starts again
  with a fresh snapshot (`stale_choices_retried`); the last attempt locks the whole hall, so a
  request is refused only when too few seats are left (SeatsUnavailable, 409, with the count).
- Staff and administrators may override both rules (`rules_override`); what they overrode is
  recorded on the booking. Anyone else asking is refused (RulesOverrideForbidden, 403).
"""

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.models import User
from core.exceptions import ResourceBusy
from screening.models import Seat, Showtime

from .. import locks
from ..exceptions import (
    RulesOverrideForbidden,
    SeatReservedForAccessibility,
    SeatsUnavailable,
    SingleSeatGap,
)
from ..models import SeatClaim, TicketTypeCode
from ..seat_rules import (
    HallPlan,
    Pick,
    accessibility_refused,
    best_choice,
    gap_refusal,
    open_count,
)
from ..selectors import hall_plan, held_back_until, seats_taken
from .common import seat_labels, seat_taken

# Snapshots in a row whose seats went before they could be locked; the last one locks the hall.
PICK_ATTEMPTS = 4


@dataclass(frozen=True)
class SeatRequest:
    seat_id: int
    ticket_type: str = TicketTypeCode.ADULT


@dataclass(frozen=True)
class SeatPick:
    """Best available: `quantity` seats chosen by the server, optionally only of `seat_type`, or
    (`accessible`) a wheelchair space with its companion seats. `ticket_types` maps ticket type
    codes to how many of the seats get them; the rest are ADULT."""

    quantity: int
    seat_type: str | None = None
    accessible: bool = False
    ticket_types: dict[str, int] = field(default_factory=dict)

    @property
    def rules_pick(self) -> Pick:
        return Pick(self.quantity, self.seat_type, self.accessible)


@dataclass
class Held:
    """What `seats_hold_lock` hands back: the booking's seats (locked, by id), the requests for
    them, and the rules staff overrode for it (codes, empty when none)."""

    seats: dict[int, Seat]
    requests: list[SeatRequest]
    overridden: list[str]


class StaleChoice(Exception):
    """Best available's rows lost their best seats between the snapshot and the lock."""


# Whether this is the last attempt of `stale_choices_retried`: outside it, every call is.
_last_attempt: ContextVar[bool] = ContextVar("seat_pick_last_attempt", default=True)


def stale_choices_retried(service: Callable) -> Callable:
    """Run the service again - a new transaction, nothing held - when best available's seats
    went between its snapshot and its lock (StaleChoice); at most `PICK_ATTEMPTS` times, the
    last of which locks the whole hall and so never goes stale."""

    @wraps(service)
    def wrapper(*args, **kwargs):
        for attempt in range(1, PICK_ATTEMPTS + 1):
            token = _last_attempt.set(attempt == PICK_ATTEMPTS)
            try:
                return service(*args, **kwargs)
            except StaleChoice:
                continue
            finally:
                _last_attempt.reset(token)
        raise AssertionError("the last attempt locks the whole hall and cannot go stale")

    return wrapper


def seat_choice_check(
    *, user: User, seats: list | None, pick: SeatPick | None, rules_override: bool, active_types
) -> None:
    """What can be checked before any lock: seats or a quantity (not both), the pick's shape, and
    who may override the seat rules. Raises ValidationError (400), RulesOverrideForbidden (403)."""
    if rules_override and not user.is_staff:
        raise RulesOverrideForbidden()
    if pick is None:
        return
    if seats:
        raise ValidationError({"quantity": ["Give either seats or a quantity, not both."]})
    if not 1 <= pick.quantity <= settings.BOOKING_MAX_SEATS:
        raise ValidationError(
            {"quantity": [f"Choose from 1 to {settings.BOOKING_MAX_SEATS} seats per booking."]}
        )
    if pick.accessible and pick.seat_type:
        raise ValidationError(
            {"seat_type": ["An accessible pick is a wheelchair space: leave seat_type out."]}
        )
    unknown = sorted(set(pick.ticket_types) - set(active_types))
    if unknown:
        raise ValidationError(
            {"ticket_types": [f"Ticket type {code} is not on sale." for code in unknown]}
        )
    if sum(pick.ticket_types.values()) > pick.quantity:
        raise ValidationError(
            {"ticket_types": [f"The ticket types add up to more than {pick.quantity} seats."]}
        )


def seats_hold_lock(
    *,
    showtime: Showtime,
    seats: list | None,
    pick: SeatPick | None,
    rules_override: bool,
    now: datetime,
) -> Held:
    """Lock and check the seats of a new hold, in the caller's transaction, after the showtime's
    lock and the release of the customer's previous hold: the customer's `seats`, or those best
    available chooses for `pick`. Expired claims on them are deleted.

    Raises ValidationError (a seat not in the hall), SingleSeatGap and
    SeatReservedForAccessibility (400, unless `rules_override`), SeatsUnavailable (409), and
    StaleChoice (to `stale_choices_retried`).
    """
    plan = hall_plan(showtime.hall_id, showtime.hall.seats_version)
    held_back = held_back_until(showtime.starts_at, now) is not None
    if pick is None:
        return _chosen_lock(showtime, plan, seats, held_back, rules_override, now)
    locked, seat_ids = _pick_lock(showtime, plan, pick, held_back and not rules_override, now)
    codes = [code for code, count in pick.ticket_types.items() for _ in range(count)]
    codes += [TicketTypeCode.ADULT] * (pick.quantity - len(codes))
    overridden = []
    if held_back and rules_override and accessibility_refused(plan, seat_ids):
        overridden.append(SeatReservedForAccessibility.code)
    _expired_claims_delete(locked, seat_ids)
    return Held(
        {pk: locked[pk] for pk in seat_ids},
        [SeatRequest(pk, code) for pk, code in zip(seat_ids, codes, strict=True)],
        overridden,
    )


def _chosen_lock(
    showtime: Showtime,
    plan: HallPlan,
    seats: list,
    held_back: bool,
    rules_override: bool,
    now: datetime,
) -> Held:
    seat_ids = sorted(request.seat_id for request in seats)
    rows = {plan.seats[pk].row for pk in seat_ids if pk in plan.seats}
    if not settings.SEAT_GAP_RULE:
        rows = set()  # no row to read: the seats alone
    locked = locks.seat_rows_lock(
        showtime.pk, seat_ids, ([seat.id for seat in plan.rows[r]] for r in sorted(rows))
    )
    foreign = [
        pk
        for pk in seat_ids
        if pk not in locked or locked[pk].hall_id != showtime.hall_id or pk not in plan.seats
    ]
    if foreign:
        raise ValidationError(
            {"seats": [f"Seat {pk} is not in this showtime's hall." for pk in foreign]}
        )
    taken = [locked[pk] for pk in seat_ids if seat_taken(locked[pk], now)]
    if taken:
        raise SeatsUnavailable(
            f"{'Seat' if len(taken) == 1 else 'Seats'} {seat_labels(taken)} "
            f"{'is' if len(taken) == 1 else 'are'} already taken.",
            details=_retry_guidance(plan, locked, seat_ids, taken, rows, held_back, now),
        )
    overridden = []
    refused = accessibility_refused(plan, seat_ids) if held_back else []
    if refused and not rules_override:
        raise SeatReservedForAccessibility(
            f"{seat_labels(refused)}: companion seats are sold with their wheelchair space until "
            f"{settings.ACCESSIBLE_RELEASE_MINUTES} minutes before the show.",
            details={"seats": [seat.id for seat in refused]},
        )
    if refused:
        overridden.append(SeatReservedForAccessibility.code)
    if rows:
        row_taken = {pk for pk, seat in locked.items() if seat_taken(seat, now)}
        refusal = gap_refusal(
            plan,
            row_taken,
            seat_ids,
            is_open=lambda seat: not (held_back and seat.accessible_space),
            fixed=[pk for pk in seat_ids if held_back and plan.seats[pk].accessible_space],
        )
        if refusal is not None and _gap_rule_applies(showtime.pk, plan.capacity, now):
            if not rules_override:
                suggestion = [plan.seats[pk] for pk in refusal.suggestion]
                raise SingleSeatGap(
                    f"Seat {refusal.seat.label} would be left on its own; holding "
                    f"{seat_labels(suggestion)} instead would leave no seat alone.",
                    details={"seat": refusal.seat.id, "suggestion": list(refusal.suggestion)},
                )
            overridden.append(SingleSeatGap.code)
    _expired_claims_delete(locked, seat_ids)
    return Held({pk: locked[pk] for pk in seat_ids}, list(seats), overridden)


def _pick_lock(
    showtime: Showtime, plan: HallPlan, pick: SeatPick, held_back: bool, now: datetime
) -> tuple[dict[int, Seat], list[int]]:
    """Best available's seats, locked: chosen on a snapshot, then again within the locked rows
    (all of them on the last attempt)."""
    wanted = pick.rules_pick
    taken = seats_taken(showtime.pk, now)
    choice = best_choice(plan, taken, wanted, held_back=held_back)
    if choice is None:
        raise _unavailable(plan, taken, pick, held_back)
    last = _last_attempt.get()
    rows = set(range(len(plan.rows))) if last else set(choice.rows)
    locked = locks.seat_rows_lock(
        showtime.pk, (), ([seat.id for seat in plan.rows[r]] for r in sorted(rows))
    )
    fresh = {pk for pk in taken if pk not in locked}
    fresh |= {pk for pk, seat in locked.items() if seat_taken(seat, now)}
    final = best_choice(plan, fresh, wanted, held_back=held_back, rows=rows)
    if last and final is None:
        raise _unavailable(plan, fresh, pick, held_back)
    if final is None or (not last and final.grade > choice.grade):
        raise StaleChoice()
    if any(pk not in locked for pk in final.seat_ids):
        raise ResourceBusy("The hall's layout has just changed; please try again.")
    return locked, list(final.seat_ids)


def _retry_guidance(plan, locked, seat_ids, taken, rows, held_back: bool, now) -> dict:
    """What a refused customer needs to retry once instead of reloading the map: the seats
    taken, those of theirs still free, and the best block of as many seats in the same rows
    (read under the rows' locks) - when there is one."""
    taken_ids = {seat.pk for seat in taken}
    details = {
        "seats": sorted(taken_ids),
        "free": [pk for pk in seat_ids if pk not in taken_ids],
    }
    if rows:
        occupied = [pk for pk, seat in locked.items() if seat_taken(seat, now)]
        choice = best_choice(
            plan, occupied, Pick(len(seat_ids)), held_back=held_back, rows=frozenset(rows)
        )
        if choice is not None:
            details["suggestion"] = list(choice.seat_ids)
    return details


def _unavailable(plan: HallPlan, taken, pick: SeatPick, held_back: bool) -> SeatsUnavailable:
    available = open_count(plan, taken, pick.rules_pick, held_back=held_back)
    if pick.accessible:
        message = (
            "No wheelchair space is left for this showtime."
            if not available
            else f"No wheelchair space has {pick.quantity} seats free around it."
        )
    else:
        kind = f"{pick.seat_type} seats" if pick.seat_type else "seats"
        message = f"Only {available} {kind} are left." if available else f"No {kind} are left."
    return SeatsUnavailable(message, details={"available": available, "quantity": pick.quantity})


def _gap_rule_applies(showtime_id: int, capacity: int, now: datetime) -> bool:
    """The single-seat-gap rule holds until the showtime is more than
    `SEAT_GAP_RULE_UNTIL_PERCENT` sold (held or sold seats; counted only when a hold would
    make a gap)."""
    taken = SeatClaim.objects.live(now).filter(showtime_id=showtime_id).count()
    return 100 * taken <= settings.SEAT_GAP_RULE_UNTIL_PERCENT * capacity


def _expired_claims_delete(locked: dict[int, Seat], seat_ids) -> None:
    """The claims still on the booking's seats are expired holds (live ones were refused)."""
    expired = [locked[pk].claim_id for pk in seat_ids if locked[pk].claim_id is not None]
    if expired:
        SeatClaim.objects.filter(pk__in=expired).delete()

"""Promo codes in bookings: booking prices the tickets and asks promotions (below it) whether a
code applies and what it takes off; promotions counts and records the uses.

A hold takes a use: `promotion_lock` in the lock order (after the showtime, before bookings and
seats), then `discount_reserve` checks every rule and limit under that lock once the tickets are
priced, and the reservation is recorded with the booking (`Reservation.record`), all in the
hold's transaction. A use counts from then on; when the hold lapses it stops counting by itself
(like a seat's claim: no job needed). Paying confirms it (`redemption_payable_check`,
`redemption_confirm`), taking it again under the promotion's lock if the hold had lapsed - or
answering 410 when the last use has gone to someone else meanwhile. Cancelling, replacing or
expiring a booking gives it back (`redemptions_release`).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from accounts.models import User
from promotions import locks as promotion_locks
from promotions import services as promotion_services
from promotions.exceptions import PromotionError, PromotionInvalid
from promotions.models import Promotion, code_normalize
from promotions.selectors import redemption_counts

from ..exceptions import HoldExpired
from ..models import Booking, Ticket
from ..pricing import ZERO


@dataclass(frozen=True)
class Reservation:
    """A use of a promotion checked under its lock, to be recorded with its booking."""

    promotion: Promotion | None = None
    amount: Decimal = ZERO

    @property
    def code(self) -> str:
        return self.promotion.code if self.promotion else ""

    def record(self, booking: Booking) -> None:
        """Record the use for a booking just written (its discount: this amount, after
        `pricing.totals`), until the booking's hold expires."""
        if self.promotion is not None:
            promotion_services.redemption_hold(
                promotion=self.promotion,
                booking_id=booking.pk,
                user_id=booking.user_id,
                amount=booking.discount,
                expires_at=booking.expires_at,
            )


NO_DISCOUNT = Reservation()


def promotion_lock(code: str | None) -> Promotion | None:
    """The promotion of a promo code, locked (step 3 of `booking.locks`); None without a code.
    Raises PromotionInvalid for an unknown code."""
    if not code:
        return None
    promotion = promotion_locks.promotion_lock_by_code(code)
    if promotion is None:
        raise PromotionInvalid(f"There is no promo code {code_normalize(code)}.")
    return promotion


def first_booking(user_id: int, *, exclude_booking_id: int | None = None) -> bool:
    """Whether a customer has never had a booking confirmed (cancelled ones included)."""
    confirmed = Booking.objects.filter(user_id=user_id, confirmed_at__isnull=False)
    if exclude_booking_id is not None:
        confirmed = confirmed.exclude(pk=exclude_booking_id)
    return not confirmed.exists()


def discount_check(
    promotion: Promotion,
    *,
    user_id: int,
    movie_id: int | None,
    tickets: list[tuple[str, Decimal]] | None,
    now: datetime,
    discount: Decimal | None = None,
    exclude_booking_id: int | None = None,
) -> Decimal | None:
    """Every rule and limit of a promotion for this customer, movie and tickets (type, price);
    returns the discount (None without tickets). Exact under the promotion's lock, an estimate
    without it (`/promotions/validate/`). `discount`: the amount to check the budget with, when it
    was fixed before (a booking's). Raises the PromotionError subclasses (400)."""
    is_first = (
        first_booking(user_id, exclude_booking_id=exclude_booking_id)
        if promotion.first_booking_only
        else True
    )
    amount = promotion_services.promotion_terms_check(
        promotion, movie_id=movie_id, tickets=tickets, first_booking=is_first, now=now
    )
    promotion_services.promotion_uses_check(
        promotion, user_id=user_id, discount=discount if discount is not None else amount, now=now
    )
    return amount


def discount_reserve(
    promotion: Promotion | None, *, user: User, movie_id: int, tickets: list[Ticket], now: datetime
) -> Reservation:
    """The discount a new hold gets, checked under the promotion's lock (`promotion_lock`), read
    after the customer's previous hold of the showtime was released. Raises PromotionError."""
    if promotion is None:
        return NO_DISCOUNT
    amount = discount_check(
        promotion,
        user_id=user.pk,
        movie_id=movie_id,
        tickets=[(ticket.ticket_type, ticket.price) for ticket in tickets],
        now=now,
    )
    return Reservation(promotion, amount)


def redemption_payable_check(booking: Booking, now: datetime) -> None:
    """Whether a locked booking's discount still stands for paying it now. It does while its
    use counts (a live hold). A hold that lapsed gets it again only if the promotion would let it
    be held now - its lock is held (`locks.booking_lock`). Raises HoldExpired (410) when the code
    has been used up (or has ended) since: nothing is charged, or the charge is refunded."""
    if booking.promotion_id is None or redemption_counts(booking.pk, now):
        return
    promotion = Promotion.objects.get(pk=booking.promotion_id)
    tickets = list(booking.tickets.values_list("ticket_type", "price"))
    try:
        discount_check(
            promotion,
            user_id=booking.user_id,
            movie_id=booking.showtime.movie_id,
            tickets=tickets,
            now=now,
            discount=booking.discount,
            exclude_booking_id=booking.pk,
        )
    except PromotionError as exc:
        raise HoldExpired(
            f"The hold expired, and promo code {promotion.code} can no longer be used for it: "
            f"{exc.message}",
            details={"promo_code": promotion.code, "reason": exc.code},
        ) from exc


def redemption_confirm(booking: Booking) -> None:
    """The booking is being confirmed: its use is spent (after `redemption_payable_check`)."""
    if booking.promotion_id is not None:
        promotion_services.redemption_confirm(booking_id=booking.pk)


def redemptions_release(booking_ids: list[int]) -> None:
    """Give back the uses of locked bookings being cancelled, replaced or expired."""
    if booking_ids:
        promotion_services.redemptions_release(booking_ids=booking_ids)

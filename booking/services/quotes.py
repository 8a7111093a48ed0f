"""What a promo code would do, before anything is held: `POST /promotions/validate/`."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from promotions.exceptions import PromotionInvalid
from promotions.models import Promotion, code_normalize
from screening.models import Seat, Showtime

from ..pricing import Totals, price_list, totals
from .discounts import discount_check
from .holds import SeatRequest, _seat_requests_check


@dataclass(frozen=True)
class Quote:
    """What a promo code would do: its promotion, and for seats, the prices with the discount."""

    promotion: Promotion
    totals: Totals | None = None

    @property
    def discount(self) -> Decimal | None:
        return self.totals.discount if self.totals else None


def promotion_quote(
    *,
    user: User,
    code: str,
    showtime_id: int | None = None,
    seats: list[SeatRequest] | None = None,
) -> Quote:
    """What a promo code would do for this customer now - for a showtime's movie, and for seats,
    the discount and the prices a hold would get. The checks of a hold, without its locks: an
    estimate (the hold checks again under the promotion's lock). Raises the PromotionError
    subclasses and ValidationError (400: the showtime, the seats)."""
    now = timezone.now()
    promotion = Promotion.objects.filter(code=code_normalize(code)).first()
    if promotion is None:
        raise PromotionInvalid(f"There is no promo code {code_normalize(code)}.")
    if seats is not None and showtime_id is None:
        raise ValidationError({"showtime": ["Give the showtime of these seats."]})
    movie_id = lines = prices = None
    if showtime_id is not None:
        showtime = (
            Showtime.objects.filter(pk=showtime_id)
            .values_list("movie_id", "hall_id", "base_price")
            .first()
        )
        if showtime is None:
            raise ValidationError({"showtime": ["No such showtime."]})
        movie_id, hall_id, base_price = showtime
        if seats is not None:
            prices = price_list()
            _seat_requests_check(seats, set(prices.multipliers))
            seat_types = dict(
                Seat.objects.filter(pk__in=[r.seat_id for r in seats], hall_id=hall_id).values_list(
                    "pk", "seat_type"
                )
            )
            foreign = sorted(r.seat_id for r in seats if r.seat_id not in seat_types)
            if foreign:
                raise ValidationError(
                    {"seats": [f"Seat {pk} is not in this showtime's hall." for pk in foreign]}
                )
            lines = [
                (
                    r.ticket_type,
                    prices.ticket_price(base_price, r.ticket_type, seat_types[r.seat_id]),
                )
                for r in seats
            ]
    amount = discount_check(promotion, user_id=user.pk, movie_id=movie_id, tickets=lines, now=now)
    if lines is None:
        return Quote(promotion)
    return Quote(promotion, totals([price for _, price in lines], amount))

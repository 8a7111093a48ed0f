"""Reads of the promotions app: a promotion's uses, and promotions as the administrators list
them."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Promotion, Redemption

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Usage:
    uses: int  # confirmed bookings and live holds
    discount_total: Decimal  # what those uses take off together
    uses_by_user: int  # of which the customer's


def promotion_usage(promotion_id: int, *, user_id: int | None, now: datetime) -> Usage:
    """What counts against a promotion's limits now (one query). Under the promotion's lock this
    is the count a new use is checked against; without it, an estimate."""
    totals = (
        Redemption.objects.counting(now)
        .filter(promotion_id=promotion_id)
        .aggregate(
            uses=Count("pk"),
            discount_total=Sum("amount"),
            uses_by_user=Count("pk", filter=Q(user_id=user_id)),
        )
    )
    return Usage(totals["uses"], totals["discount_total"] or ZERO, totals["uses_by_user"])


def redemption_counts(booking_id: int, now: datetime) -> bool:
    """Whether a booking's use still counts: confirmed, or held by a hold that has not expired."""
    return Redemption.objects.counting(now).filter(booking_id=booking_id).exists()


def promotion_list() -> QuerySet[Promotion]:
    """Promotions with their uses so far (`uses`, `discount_total`: confirmed bookings and live
    holds) and their movies, in three queries for any page (count, page, movies)."""
    counting = (
        Redemption.objects.counting(timezone.now())
        .filter(promotion=OuterRef("pk"))
        .order_by()
        .values("promotion")
    )
    return Promotion.objects.annotate(
        uses=Coalesce(
            Subquery(counting.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
            0,
        ),
        discount_total=Coalesce(
            Subquery(
                counting.annotate(total=Sum("amount")).values("total"),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            ),
            ZERO,
            output_field=DecimalField(max_digits=12, decimal_places=2),
        ),
    ).prefetch_related("movies")

"""Prices, computed by the server only: base price x ticket-type multiplier + seat surcharge per
ticket; then discount, a fee per ticket and tax on the whole (settings `BOOKING_FEE`, `TAX_RATE`)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection

from .models import SeatSurcharge, TicketType, TicketTypeCode

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MULTIPLIER_PLACES = Decimal("0.001")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceList:
    multipliers: dict[str, Decimal]  # active ticket types only
    surcharges: dict[str, Decimal]

    def ticket_price(self, base_price: Decimal, ticket_type: str, seat_type: str) -> Decimal:
        return money(base_price * self.multipliers[ticket_type]) + self.surcharges.get(
            seat_type, ZERO
        )

    def adult_price(self, base_price: Decimal, seat_type: str) -> Decimal | None:
        if TicketTypeCode.ADULT not in self.multipliers:
            return None
        return self.ticket_price(base_price, TicketTypeCode.ADULT, seat_type)


def price_list() -> PriceList:
    """The current price rules: both small tables in one query.

    Plain SQL: every seat map and every booking reads this, and the ORM's query building would
    cost more than the database's answer.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'ticket', code, multiplier FROM {TicketType._meta.db_table} WHERE active "  # noqa: S608
            f"UNION ALL SELECT 'seat', seat_type, amount FROM {SeatSurcharge._meta.db_table}"
        )
        rows = cursor.fetchall()
    multipliers, surcharges = {}, {}
    for table, key, amount in rows:
        # A union gives both columns one decimal type: put each back to its own scale.
        if table == "ticket":
            multipliers[key] = Decimal(str(amount)).quantize(MULTIPLIER_PLACES)
        else:
            surcharges[key] = money(Decimal(str(amount)))
    return PriceList(multipliers=multipliers, surcharges=surcharges)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    fees: Decimal
    tax: Decimal
    total: Decimal


def totals(ticket_prices: list[Decimal], discount: Decimal = ZERO) -> Totals:
    subtotal = sum(ticket_prices, ZERO)
    discount = min(money(discount), subtotal)
    fees = money(settings.BOOKING_FEE * len(ticket_prices))
    tax = money((subtotal - discount + fees) * settings.TAX_RATE)
    return Totals(subtotal, discount, fees, tax, subtotal - discount + fees + tax)

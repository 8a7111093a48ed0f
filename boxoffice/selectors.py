"""Reads of the box office's pages."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from booking.models import TicketTypeCode
from booking.pricing import Totals, price_list, totals
from booking.services import SeatRequest
from screening.models import Seat, Showtime


@dataclass(frozen=True)
class QuoteLine:
    seat: str
    ticket_type: str
    price: Decimal


@dataclass(frozen=True)
class Quote:
    lines: list[QuoteLine]
    totals: Totals
    tendered: Decimal | None
    change: Decimal | None  # None without cash, negative when short

    @property
    def short(self) -> Decimal | None:
        """How much cash is missing, if any."""
        return -self.change if self.change is not None and self.change < 0 else None


def sale_quote(showtime: Showtime, seats: list[SeatRequest], tendered: Decimal | None) -> Quote:
    """What the seats would cost now - the price list every booking uses - before the sale
    is made (the sale prices them again under its locks). Raises ValidationError for seats not
    in the hall or a ticket type not on sale."""
    prices = price_list()
    found = {
        seat.pk: seat
        for seat in Seat.objects.filter(
            hall_id=showtime.hall_id, pk__in=[request.seat_id for request in seats]
        )
    }
    if len(found) != len(seats):
        raise ValidationError("Some of these seats are not in this showtime's hall.")
    lines = []
    for request in seats:
        if request.ticket_type not in prices.multipliers:
            raise ValidationError(f"Ticket type {request.ticket_type} is not on sale.")
        seat = found[request.seat_id]
        lines.append(
            QuoteLine(
                seat.label,
                TicketTypeCode(request.ticket_type).label,
                prices.ticket_price(showtime.base_price, request.ticket_type, seat.seat_type),
            )
        )
    amounts = totals([line.price for line in lines])
    change = None if tendered is None else tendered - amounts.total
    return Quote(lines, amounts, tendered, change)

"""Seat maps as pictures for the admin: the seats of a hall laid out in rows and columns, aisles
as gaps - from the same seat documents the API gives a client to draw (`id, row, number, type,
position {x, y}`, and a showtime's `status`)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from .models import Seat


@dataclass(frozen=True)
class GridRow:
    label: str
    cells: list[dict | None]  # a seat, or None for an aisle or the space beside a short row


def seat_document(seat: Seat) -> dict:
    """A seat as the API's `/halls/{id}/seats/` gives it."""
    return {
        "id": seat.pk,
        "row": seat.row,
        "number": seat.number,
        "type": seat.seat_type,
        "position": {"x": seat.x, "y": seat.y},
    }


def seat_grid(seats: Iterable[dict]) -> list[GridRow]:
    """Rows in order from the screen; each seat in the column of its `x`, shorter rows centred."""
    rows: dict[int, tuple[str, dict[int, dict]]] = {}
    for seat in seats:
        position = seat["position"]
        rows.setdefault(position["y"], (seat["row"], {}))[1][position["x"]] = seat
    width = max((max(cells) + 1 for _, cells in rows.values()), default=0)
    grid = []
    for _, (label, cells) in sorted(rows.items()):
        shift = (width - (max(cells) + 1)) // 2
        grid.append(GridRow(label, [cells.get(x - shift) for x in range(width)]))
    return grid


def seat_map_html(
    seats: Iterable[dict], *, statuses: bool = False, selectable: bool = False, chosen=()
) -> SafeString:
    """The picture: `statuses` colours a showtime's available / held / sold seats; `selectable`
    makes each available seat a checkbox named `seats` (those in `chosen` ticked)."""
    return render_to_string(
        "screening/seat_map.html",
        {
            "grid": seat_grid(seats),
            "statuses": statuses,
            "selectable": selectable,
            "chosen": {int(pk) for pk in chosen},
        },
    )

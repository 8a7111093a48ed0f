"""Hall layouts: validation, and the seats a layout describes.

    {"rows": [{"label": "A", "seats": 12, "type": "STANDARD", "aisles_after": [4, 8]}, ...]}

Rows are listed from the screen backwards. `aisles_after: [4]` puts a gap after seat 4.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .models import SeatType

MAX_ROWS = 60
MAX_SEATS_PER_ROW = 100
ROW_LABEL = re.compile(r"^[A-Z0-9]{1,3}$")
ROW_KEYS = {"label", "seats", "type", "aisles_after"}


@dataclass(frozen=True)
class Row:
    label: str
    seats: int
    seat_type: str
    aisles_after: tuple[int, ...]


@dataclass(frozen=True)
class SeatSpec:
    row: str
    number: int
    seat_type: str
    x: int
    y: int


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _label(data) -> str | None:
    label = data.get("label") if isinstance(data, dict) else None
    if isinstance(label, str) and ROW_LABEL.match(label.strip().upper()):
        return label.strip().upper()
    return None


def _row_parse(index: int, data, errors: list[str]) -> Row | None:
    where = f"Row {index + 1}"
    if not isinstance(data, dict):
        errors.append(f"{where}: expected an object with label, seats, type and aisles_after.")
        return None
    count = len(errors)
    unknown = sorted(set(data) - ROW_KEYS)
    if unknown:
        errors.append(f"{where}: unknown field(s) {', '.join(unknown)}.")
    label = _label(data)
    if label is None:
        errors.append(f"{where}: label must be 1 to 3 letters or digits.")
    else:
        where = f"Row {label}"
    seats = data.get("seats")
    if not _is_int(seats) or not 1 <= seats <= MAX_SEATS_PER_ROW:
        errors.append(f"{where}: seats must be a whole number from 1 to {MAX_SEATS_PER_ROW}.")
    seat_type = data.get("type", SeatType.STANDARD)
    if seat_type not in SeatType.values:
        errors.append(f"{where}: type must be one of {', '.join(SeatType.values)}.")
    aisles = data.get("aisles_after", [])
    if not isinstance(aisles, list) or not all(_is_int(a) for a in aisles):
        errors.append(f"{where}: aisles_after must be a list of seat numbers.")
    elif _is_int(seats) and any(not 1 <= a < seats for a in aisles):
        errors.append(f"{where}: aisles_after must name seats from 1 to {seats - 1}.")
    elif len(set(aisles)) != len(aisles):
        errors.append(f"{where}: aisles_after repeats a seat.")
    if len(errors) > count:
        return None
    return Row(label, seats, seat_type, tuple(sorted(aisles)))


def layout_parse(data) -> list[Row]:
    """The rows of a valid layout. Raises ValidationError({"layout": [every problem found]})."""
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValidationError({"layout": ['Expected {"rows": [...]}.']})
    raw_rows = data["rows"]
    errors: list[str] = []
    if not 1 <= len(raw_rows) <= MAX_ROWS:
        errors.append(f"A hall has from 1 to {MAX_ROWS} rows; this layout has {len(raw_rows)}.")
    if set(data) - {"rows"}:
        errors.append(f"Unknown field(s) {', '.join(sorted(set(data) - {'rows'}))}.")
    rows = [_row_parse(index, row, errors) for index, row in enumerate(raw_rows[: MAX_ROWS + 1])]
    labels = [_label(row) for row in raw_rows if _label(row)]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        errors.append(f"Row labels must be unique; repeated: {', '.join(duplicates)}.")
    if errors:
        raise ValidationError({"layout": errors})
    return rows


def layout_as_json(rows: list[Row]) -> dict:
    """The normalised layout that is stored with the hall and shown by the API."""
    return {
        "rows": [
            {
                "label": row.label,
                "seats": row.seats,
                "type": row.seat_type,
                "aisles_after": list(row.aisles_after),
            }
            for row in rows
        ]
    }


def layout_seats(rows: list[Row]) -> list[SeatSpec]:
    """Every seat, numbered from 1 in each row, with a drawing position that leaves aisle gaps."""
    seats = []
    for y, row in enumerate(rows):
        for number in range(1, row.seats + 1):
            gaps = sum(1 for aisle in row.aisles_after if aisle < number)
            seats.append(SeatSpec(row.label, number, row.seat_type, number - 1 + gaps, y))
    return seats

"""Hall layouts: validation, and the seats a layout describes.

    {"rows": [{"label": "A", "seats": 12, "type": "STANDARD", "aisles_after": [4, 8]},
              ...,
              {"label": "H", "seats": 12, "aisles_after": [4, 8],
               "wheelchair": [1, 12], "companions": [{"seat": 2, "pair": 1},
                                                     {"seat": 11, "pair": 12}]}],
     "ideal_spot": {"across": 50, "back": 67}}

Rows are listed from the screen backwards. `aisles_after: [4]` puts a gap after seat 4. A row's
`type` is that of its chairs (STANDARD, VIP or ACCESSIBLE: a chair that is easy to reach);
`wheelchair` lists its wheelchair spaces, and `companions` its companion seats, each paired with
one of the row's wheelchair spaces. `ideal_spot` (optional) is where best available aims: percent
of the hall's width from the left, and of its depth from the screen (default 50 and 67: the
centre, two thirds back).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .models import SeatType

MAX_ROWS = 60
MAX_SEATS_PER_ROW = 100
ROW_LABEL = re.compile(r"^[A-Z0-9]{1,3}$")
ROW_KEYS = {"label", "seats", "type", "aisles_after", "wheelchair", "companions"}
ROW_TYPES = (SeatType.STANDARD, SeatType.VIP, SeatType.ACCESSIBLE)
IDEAL_SPOT_KEYS = {"across", "back"}


@dataclass(frozen=True)
class Row:
    label: str
    seats: int
    seat_type: str
    aisles_after: tuple[int, ...]
    wheelchair: tuple[int, ...] = ()
    companions: tuple[tuple[int, int], ...] = ()  # (companion seat, its wheelchair space)


@dataclass(frozen=True)
class SeatSpec:
    row: str
    number: int
    seat_type: str
    x: int
    y: int
    pair: int | None = None  # a companion's wheelchair space: its number in the same row


@dataclass(frozen=True)
class IdealSpot:
    """Where best available aims, in percent: across the hall from the left, back from the
    screen."""

    across: int = 50
    back: int = 67


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
    if seat_type not in ROW_TYPES:
        errors.append(
            f"{where}: type must be one of {', '.join(ROW_TYPES)} "
            "(wheelchair spaces and companion seats are listed in wheelchair and companions)."
        )
    aisles = data.get("aisles_after", [])
    if not isinstance(aisles, list) or not all(_is_int(a) for a in aisles):
        errors.append(f"{where}: aisles_after must be a list of seat numbers.")
    elif _is_int(seats) and any(not 1 <= a < seats for a in aisles):
        errors.append(f"{where}: aisles_after must name seats from 1 to {seats - 1}.")
    elif len(set(aisles)) != len(aisles):
        errors.append(f"{where}: aisles_after repeats a seat.")
    wheelchair, companions = _accessible_parse(where, data, seats, errors)
    if len(errors) > count:
        return None
    return Row(label, seats, seat_type, tuple(sorted(aisles)), wheelchair, companions)


def _accessible_parse(
    where: str, data: dict, seats, errors: list[str]
) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """A row's wheelchair spaces (seat numbers) and companion seats (seat, wheelchair space)."""
    in_row = _is_int(seats)
    wheelchair = data.get("wheelchair", [])
    if not isinstance(wheelchair, list) or not all(_is_int(n) for n in wheelchair):
        errors.append(f"{where}: wheelchair must be a list of seat numbers.")
        return (), ()
    if in_row and any(not 1 <= n <= seats for n in wheelchair):
        errors.append(f"{where}: wheelchair must name seats from 1 to {seats}.")
    if len(set(wheelchair)) != len(wheelchair):
        errors.append(f"{where}: wheelchair repeats a seat.")
    raw = data.get("companions", [])
    if not isinstance(raw, list) or not all(
        isinstance(c, dict)
        and set(c) == {"seat", "pair"}
        and _is_int(c["seat"])
        and _is_int(c["pair"])
        for c in raw
    ):
        errors.append(
            f'{where}: companions must be a list of {{"seat": number, "pair": number}} objects.'
        )
        return tuple(sorted(wheelchair)), ()
    companions = [(c["seat"], c["pair"]) for c in raw]
    seen = [seat for seat, _ in companions]
    if in_row and any(not 1 <= seat <= seats for seat in seen):
        errors.append(f"{where}: companions must name seats from 1 to {seats}.")
    if len(set(seen)) != len(seen):
        errors.append(f"{where}: companions repeats a seat.")
    if set(seen) & set(wheelchair):
        errors.append(f"{where}: a seat cannot be both a wheelchair space and a companion seat.")
    if any(pair not in wheelchair for _, pair in companions):
        errors.append(f"{where}: each companion's pair must be one of the row's wheelchair spaces.")
    return tuple(sorted(wheelchair)), tuple(sorted(companions))


def _ideal_spot_parse(data, errors: list[str]) -> IdealSpot | None:
    if "ideal_spot" not in data:
        return None
    spot = data["ideal_spot"]
    if (
        not isinstance(spot, dict)
        or set(spot) - IDEAL_SPOT_KEYS
        or not all(_is_int(v) and 0 <= v <= 100 for v in spot.values())
    ):
        errors.append(
            'ideal_spot must be {"across": percent, "back": percent}, each from 0 to 100.'
        )
        return None
    return IdealSpot(**spot)


def layout_parse(data) -> list[Row]:
    """The rows of a valid layout. Raises ValidationError({"layout": [every problem found]})."""
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValidationError({"layout": ['Expected {"rows": [...]}.']})
    raw_rows = data["rows"]
    errors: list[str] = []
    if not 1 <= len(raw_rows) <= MAX_ROWS:
        errors.append(f"A hall has from 1 to {MAX_ROWS} rows; this layout has {len(raw_rows)}.")
    if set(data) - {"rows", "ideal_spot"}:
        unknown = ", ".join(sorted(set(data) - {"rows", "ideal_spot"}))
        errors.append(f"Unknown field(s) {unknown}.")
    _ideal_spot_parse(data, errors)
    rows = [_row_parse(index, row, errors) for index, row in enumerate(raw_rows[: MAX_ROWS + 1])]
    labels = [_label(row) for row in raw_rows if _label(row)]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        errors.append(f"Row labels must be unique; repeated: {', '.join(duplicates)}.")
    if errors:
        raise ValidationError({"layout": errors})
    return rows


def layout_ideal_spot(data) -> IdealSpot | None:
    """The ideal spot a valid layout names, or None when it names none (the default applies)."""
    return _ideal_spot_parse(data, [])


def _row_as_json(row: Row) -> dict:
    data = {
        "label": row.label,
        "seats": row.seats,
        "type": row.seat_type,
        "aisles_after": list(row.aisles_after),
    }
    if row.wheelchair:
        data["wheelchair"] = list(row.wheelchair)
    if row.companions:
        data["companions"] = [{"seat": seat, "pair": pair} for seat, pair in row.companions]
    return data


def layout_as_json(rows: list[Row], ideal_spot: IdealSpot | None = None) -> dict:
    """The normalised layout that is stored with the hall and shown by the API."""
    layout: dict = {"rows": [_row_as_json(row) for row in rows]}
    if ideal_spot is not None:
        layout["ideal_spot"] = {"across": ideal_spot.across, "back": ideal_spot.back}
    return layout


def layout_seats(rows: list[Row]) -> list[SeatSpec]:
    """Every seat, numbered from 1 in each row, with a drawing position that leaves aisle gaps."""
    seats = []
    for y, row in enumerate(rows):
        companions = dict(row.companions)
        for number in range(1, row.seats + 1):
            gaps = sum(1 for aisle in row.aisles_after if aisle < number)
            seat_type = row.seat_type
            if number in row.wheelchair:
                seat_type = SeatType.WHEELCHAIR
            elif number in companions:
                seat_type = SeatType.COMPANION
            seats.append(
                SeatSpec(row.label, number, seat_type, number - 1 + gaps, y, companions.get(number))
            )
    return seats

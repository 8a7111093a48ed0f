"""Charts drawn on the server as SVG, inline in the admin's report page: no script, no asset
from elsewhere. Each element carries a <title>, which the browser shows on hover."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 860, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36
BLUE, LIGHT, RED, GRID, TEXT = "#417690", "#9dbccb", "#ba2121", "#e4e4e4", "#666"
# Past this many showtimes, the occupancy chart shows each day's average instead of dots.
MAX_DOTS = 1500


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    title: str


@dataclass(frozen=True)
class Dot:
    at: datetime
    percent: Decimal
    title: str


def _svg(body: list[str], height: int = HEIGHT, label: str = "") -> SafeString:
    return mark_safe(  # noqa: S308 - every text inside went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" font-family="sans-serif" font-size="11">'
        + "".join(body)
        + "</svg>"
    )


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _ticks(low: Decimal, high: Decimal) -> list[Decimal]:
    """Round steps (1, 2 or 5 times a power of ten) from below `low` to above `high`, at most
    six of them."""
    span = max(high - low, Decimal(1))
    step = next(
        Decimal(m) * Decimal(10) ** p
        for p in range(-2, 13)
        for m in (1, 2, 5)
        if span / (Decimal(m) * Decimal(10) ** p) <= 5
    )
    value = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    ticks = []
    while value < high + step:
        ticks.append(value)
        value += step
    return ticks


def columns(bars: Sequence[Bar], *, label: str, money: bool = True) -> SafeString:
    """Vertical bars along the x axis (one per day): above zero in blue, below it in red."""
    if not bars:
        return _svg([_empty()], label=label)
    low = min(Decimal(0), *(bar.value for bar in bars))
    high = max(Decimal(0), *(bar.value for bar in bars))
    ticks = _ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: Decimal) -> float:
        return TOP + float((high - value) / (high - low or 1)) * plot_h

    body = []
    for tick in ticks:
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'fill="{TEXT}">{escape(_money(tick) if money else tick)}</text>'
        )
    slot = plot_w / len(bars)
    width = max(slot * 0.8, 1)
    every = max(1, round(len(bars) / 12))
    for index, bar in enumerate(bars):
        x = LEFT + index * slot + (slot - width) / 2
        top, bottom = y(max(bar.value, Decimal(0))), y(min(bar.value, Decimal(0)))
        colour = BLUE if bar.value >= 0 else RED
        body.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{width:.1f}" '
            f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}">'
            f"<title>{escape(bar.title)}</title></rect>"
        )
        if index % every == 0:
            body.append(
                f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                f'fill="{TEXT}">{escape(bar.label)}</text>'
            )
    body.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(Decimal(0)):.1f}" '
        f'y2="{y(Decimal(0)):.1f}" stroke="{TEXT}"/>'
    )
    return _svg(body, label=label)


def rows(bars: Sequence[Bar], *, label: str) -> SafeString:
    """Horizontal bars, one per row, longest first as given (top movies)."""
    if not bars:
        return _svg([_empty()], label=label)
    row_h, label_w = 24, 220
    height = TOP + row_h * len(bars) + 8
    high = max((bar.value for bar in bars), default=Decimal(0)) or Decimal(1)
    plot_w = WIDTH - label_w - RIGHT - 90
    body = []
    for index, bar in enumerate(bars):
        y = TOP + index * row_h
        length = max(float(max(bar.value, Decimal(0)) / high) * plot_w, 0.5)
        name = bar.label if len(bar.label) <= 32 else bar.label[:31] + "…"
        body.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row_h - 8}" '
            f'fill="{BLUE}"><title>{escape(bar.title)}</title></rect>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 15}" fill="{TEXT}">'
            f"{escape(_money(bar.value))}</text>"
        )
    return _svg(body, height=height, label=label)


def dots(points: Sequence[Dot], first: date, last: date, *, label: str) -> SafeString:
    """Occupancy of each showtime: a dot at its start (x) and its percentage sold (y)."""
    if not points:
        return _svg([_empty()], label=label)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    start = min(point.at for point in points)
    end = max(point.at for point in points)
    span = max((end - start).total_seconds(), 1)
    body = []
    for tick in (0, 25, 50, 75, 100):
        y = TOP + (100 - tick) / 100 * plot_h
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">{tick} %</text>'
        )
    for point in points:
        x = LEFT + (point.at - start).total_seconds() / span * plot_w
        y = TOP + float(100 - min(point.percent, Decimal(100))) / 100 * plot_h
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BLUE}" fill-opacity="0.7">'
            f"<title>{escape(point.title)}</title></circle>"
        )
    body.append(
        f'<text x="{LEFT}" y="{HEIGHT - 8}" fill="{TEXT}">{escape(first.isoformat())}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" fill="{TEXT}">'
        f"{escape(last.isoformat())}</text>"
    )
    return _svg(body, label=label)


def _empty() -> str:
    return (
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{TEXT}">'
        "Nothing in this period.</text>"
    )

"""The report as CSV, for a spreadsheet: UTF-8 with a byte order mark (so that Excel reads the
accents right), comma-separated, CRLF line ends, amounts as plain decimals ("12.50"), and text
that a spreadsheet would take for a formula (=, +, -, @ first) quoted with an apostrophe.

The whole report is one file of sections - a title line, a header, the rows, a blank line - the
totals first; `breakdown` makes a file of that one table alone, header and rows.
"""

import csv
import io

from .selectors import BREAKDOWNS, Figures, Report, Row

FIGURES = [
    "gross",
    "discounts",
    "refunds",
    "net",
    "currency",
    "tickets_sold",
    "bookings",
    "seats",
    "occupancy_percent",
]
KEYS = {
    "by_movie": ["movie", "title"],
    "by_showtime": ["showtime", "starts_at", "movie", "title", "cinema", "hall", "status"],
    "by_cinema": ["cinema", "name", "timezone"],
    "by_day": ["date"],
    "by_ticket_type": ["ticket_type", "label"],
    "by_payment_method": ["payment_method", "label"],
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def report_csv(report: Report, breakdown: str | None = None) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    if breakdown is not None:
        _table(writer, report, breakdown)
        return out.getvalue()
    writer.writerow(["report", "from", "to", "cinema", "movie", "currency"])
    writer.writerow(
        [
            "sales",
            report.period.first.isoformat(),
            report.period.last.isoformat(),
            report.cinema_id or "all",
            report.movie_id or "all",
            report.currency,
        ]
    )
    writer.writerow([])
    writer.writerow(["total"])
    writer.writerow(FIGURES)
    writer.writerow(_figures(report.total, report.currency))
    for name in BREAKDOWNS:
        writer.writerow([])
        writer.writerow([name])
        _table(writer, report, name)
    return out.getvalue()


def filename(report: Report, breakdown: str | None = None) -> str:
    parts = ["cinema-report", report.period.first.isoformat(), report.period.last.isoformat()]
    if report.cinema_id:
        parts.append(f"cinema-{report.cinema_id}")
    if report.movie_id:
        parts.append(f"movie-{report.movie_id}")
    if breakdown:
        parts.append(breakdown.replace("_", "-"))
    return "_".join(parts) + ".csv"


def _table(writer, report: Report, name: str) -> None:
    keys = KEYS[name]
    writer.writerow([*keys, *FIGURES])
    rows: list[Row] = getattr(report, name)
    for row in rows:
        writer.writerow(
            [*(_cell(row.key[key]) for key in keys), *_figures(row.figures, report.currency)]
        )


def _figures(figures: Figures, currency: str) -> list:
    percent = figures.occupancy.percent
    return [
        f"{figures.gross:.2f}",
        f"{figures.discounts:.2f}",
        f"{figures.refunds:.2f}",
        f"{figures.net:.2f}",
        currency,
        figures.tickets_sold,
        figures.bookings,
        figures.seats,
        "" if percent is None else f"{percent:.2f}",
    ]


def _cell(value) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text

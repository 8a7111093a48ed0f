"""Every figure of a known month (reports/tests/month.py), and how they reconcile."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from payments.models import Payment, Refund, RefundStatus
from reports.facts import CAPTURED
from reports.selectors import Figures, Report, stats_for_period

from .month import MARCH, known_month

pytestmark = pytest.mark.django_db


def D(value: str) -> Decimal:
    return Decimal(value)


def figures(f: Figures) -> tuple:
    """(gross, discounts, refunds, net, tickets sold, bookings, seats)."""
    return (f.gross, f.discounts, f.refunds, f.net, f.tickets_sold, f.bookings, f.seats)


def rows(report: Report, breakdown: str, key: str) -> dict:
    return {row.key[key]: figures(row.figures) for row in getattr(report, breakdown)}


@pytest.fixture
def month():
    return known_month()


@pytest.fixture
def report(month):
    return stats_for_period(period=MARCH)


def test_the_totals(report):
    assert figures(report.total) == (D("164.00"), D("16.50"), D("46.50"), D("101.00"), 12, 7, 16)
    assert report.total.occupancy.fraction == D("0.7500")
    assert report.total.occupancy.percent == D("75.00")
    assert report.currency == "USD"


def test_net_is_the_payments_ledger_of_the_same_local_days(month, report):
    """Captured payments less succeeded refunds, each on its own cinema's local day: computed
    here from the rows, without the report's queries."""

    def local_day(moment, booking):
        return moment.astimezone(ZoneInfo(booking.showtime.hall.cinema.timezone)).date()

    captured = sum(
        (
            p.amount
            for p in Payment.objects.filter(status__in=CAPTURED).select_related(
                "booking__showtime__hall__cinema"
            )
            if MARCH.first <= local_day(p.created_at, p.booking) <= MARCH.last
        ),
        Decimal("0.00"),
    )
    refunded = sum(
        (
            r.amount
            for r in Refund.objects.filter(status=RefundStatus.SUCCEEDED).select_related(
                "payment__booking__showtime__hall__cinema"
            )
            if MARCH.first <= local_day(r.created_at, r.payment.booking) <= MARCH.last
        ),
        Decimal("0.00"),
    )
    assert (captured, refunded) == (D("147.50"), D("46.50"))
    total = report.total
    assert total.gross - total.discounts - total.refunds == total.net == captured - refunded


def test_every_breakdown_adds_up_to_the_totals(report):
    for breakdown in ("by_movie", "by_showtime", "by_cinema", "by_day"):
        summed = Figures()
        for row in getattr(report, breakdown):
            summed.add(row.figures)
        assert figures(summed) == figures(report.total), breakdown
    for breakdown in ("by_ticket_type", "by_payment_method"):
        summed = Figures()
        for row in getattr(report, breakdown):
            summed.add(row.figures)
        assert (
            summed.gross,
            summed.discounts,
            summed.refunds,
            summed.net,
            summed.tickets_sold,
        ) == (
            report.total.gross,
            report.total.discounts,
            report.total.refunds,
            report.total.net,
            report.total.tickets_sold,
        ), breakdown
        assert all(row.figures.seats == report.total.seats for row in getattr(report, breakdown))
    for breakdown in ("by_movie", "by_showtime", "by_cinema", "by_day", "by_ticket_type"):
        for row in getattr(report, breakdown):
            f = row.figures
            assert f.gross - f.discounts - f.refunds == f.net, (breakdown, row.key)


def test_by_day_in_each_cinemas_local_days(report):
    days = {day: f for day, f in rows(report, "by_day", "date").items() if any(f)}
    assert days == {
        # Before the period's showtimes: a refund of February's show, on New York's day.
        date(2026, 3, 2): (D("0.00"), D("0.00"), D("5.00"), D("-5.00"), 0, 0, 0),
        date(2026, 3, 5): (D("20.00"), D("0.00"), D("0.00"), D("20.00"), 0, 0, 0),
        date(2026, 3, 6): (D("13.00"), D("0.00"), D("0.00"), D("13.00"), 0, 0, 0),
        date(2026, 3, 7): (D("0.00"), D("0.00"), D("13.00"), D("-13.00"), 0, 0, 0),
        # A booking a promotion made free: a discount, no money.
        date(2026, 3, 8): (D("11.50"), D("11.50"), D("0.00"), D("0.00"), 0, 0, 0),
        # 23:59:30 in Berlin.
        date(2026, 3, 9): (D("20.00"), D("5.00"), D("0.00"), D("15.00"), 0, 0, 0),
        # 00:00:30 in Berlin; and the showtime S1 of that day.
        date(2026, 3, 10): (D("8.00"), D("0.00"), D("0.00"), D("8.00"), 6, 4, 8),
        date(2026, 3, 12): (D("20.00"), D("0.00"), D("0.00"), D("20.00"), 0, 0, 0),
        # 23:59 in New York (already the 15th in UTC).
        date(2026, 3, 14): (D("28.50"), D("0.00"), D("0.00"), D("28.50"), 0, 0, 0),
        # Cash and a card at the counter; S2 at 20:00 New York (the 16th in UTC).
        date(2026, 3, 15): (D("33.00"), D("0.00"), D("0.00"), D("33.00"), 6, 3, 8),
        date(2026, 3, 16): (D("0.00"), D("0.00"), D("8.50"), D("-8.50"), 0, 0, 0),
        # S3 cancelled: its money goes back.
        date(2026, 3, 18): (D("0.00"), D("0.00"), D("20.00"), D("-20.00"), 0, 0, 0),
        # A sale in March for a show in April.
        date(2026, 3, 28): (D("10.00"), D("0.00"), D("0.00"), D("10.00"), 0, 0, 0),
    }
    assert [row.key["date"] for row in report.by_day] == MARCH.days


def test_by_showtime(month, report):
    s = {name: showtime.pk for name, showtime in month.showtimes.items()}
    assert rows(report, "by_showtime", "showtime") == {
        s["S1"]: (D("72.50"), D("16.50"), D("13.00"), D("43.00"), 6, 4, 8),
        s["S2"]: (D("61.50"), D("0.00"), D("8.50"), D("53.00"), 6, 3, 8),
        # Cancelled: no seats offered, none sold, its money back.
        s["S3"]: (D("20.00"), D("0.00"), D("20.00"), D("0.00"), 0, 0, 0),
        # Outside the period, with money of the period.
        s["S4"]: (D("10.00"), D("0.00"), D("0.00"), D("10.00"), 0, 0, 0),
        s["S5"]: (D("0.00"), D("0.00"), D("5.00"), D("-5.00"), 0, 0, 0),
    }
    by_id = {row.key["showtime"]: row.key for row in report.by_showtime}
    assert by_id[s["S3"]]["status"] == "cancelled"
    assert by_id[s["S2"]]["title"] == "Movie Two"
    assert [row.key["showtime"] for row in report.by_showtime] == [
        s["S5"],
        s["S1"],
        s["S2"],
        s["S3"],
        s["S4"],
    ]


def test_by_movie_and_by_cinema(month, report):
    assert rows(report, "by_movie", "title") == {
        "Movie One": (D("92.50"), D("16.50"), D("38.00"), D("38.00"), 6, 4, 8),
        "Movie Two": (D("71.50"), D("0.00"), D("8.50"), D("63.00"), 6, 3, 8),
    }
    assert [row.key["title"] for row in report.by_movie] == ["Movie Two", "Movie One"]  # by net
    assert rows(report, "by_cinema", "name") == {
        "North": (D("102.50"), D("16.50"), D("33.00"), D("53.00"), 6, 4, 8),
        "South": (D("61.50"), D("0.00"), D("13.50"), D("48.00"), 6, 3, 8),
    }


def test_by_payment_method(report):
    assert rows(report, "by_payment_method", "payment_method") == {
        "CARD": (D("119.50"), D("5.00"), D("46.50"), D("68.00"), 8, 4, 16),
        "CARD_PRESENT": (D("10.00"), D("0.00"), D("0.00"), D("10.00"), 1, 1, 16),
        "CASH": (D("23.00"), D("0.00"), D("0.00"), D("23.00"), 2, 1, 16),
        "FREE": (D("11.50"), D("11.50"), D("0.00"), D("0.00"), 1, 1, 16),
    }


def test_by_ticket_type_shares_money_by_price_to_the_cent(report):
    """b (child 7.00 + adult 13.00, 5.00 off, 15.00 paid): the child's share is 7/20. d's 8.50
    refund over adult, student, adult (10.00, 8.50, 10.00) is 5.9649... and 2.5350...: rounded
    down to 5.96 and 2.53, the cent left goes to the larger remainder (the student's)."""
    assert rows(report, "by_ticket_type", "ticket_type") == {
        "ADULT": (D("119.00"), D("3.25"), D("43.96"), D("71.79"), 7, 4, 16),
        "CHILD": (D("17.00"), D("1.75"), D("0.00"), D("15.25"), 2, 2, 16),
        "SENIOR": (D("8.00"), D("0.00"), D("0.00"), D("8.00"), 1, 1, 16),
        "STUDENT": (D("20.00"), D("11.50"), D("2.54"), D("5.96"), 2, 2, 16),
    }


def test_one_cinema_one_movie(month):
    north = stats_for_period(period=MARCH, cinema_id=month.north.pk)
    assert figures(north.total) == (D("102.50"), D("16.50"), D("33.00"), D("53.00"), 6, 4, 8)
    assert [row.key["name"] for row in north.by_cinema] == ["North"]
    two = stats_for_period(period=MARCH, movie_id=month.movie_two.pk)
    assert figures(two.total) == (D("71.50"), D("0.00"), D("8.50"), D("63.00"), 6, 3, 8)
    both = stats_for_period(period=MARCH, cinema_id=month.south.pk, movie_id=month.movie_two.pk)
    assert figures(both.total) == (D("61.50"), D("0.00"), D("8.50"), D("53.00"), 6, 3, 8)


def test_a_single_day_and_the_edges_of_midnight(month):
    """9 March: b paid at 23:59:30 in Berlin. 10 March: c at 00:00:30, and showtime S1."""
    ninth = stats_for_period(period=type(MARCH)(date(2026, 3, 9), date(2026, 3, 9)))
    assert figures(ninth.total) == (D("20.00"), D("5.00"), D("0.00"), D("15.00"), 0, 0, 0)
    tenth = stats_for_period(period=type(MARCH)(date(2026, 3, 10), date(2026, 3, 10)))
    assert figures(tenth.total) == (D("8.00"), D("0.00"), D("0.00"), D("8.00"), 6, 4, 8)


def test_an_unknown_cinema_has_nothing(month):
    report = stats_for_period(period=MARCH, cinema_id=999999)
    assert figures(report.total) == (D("0.00"), D("0.00"), D("0.00"), D("0.00"), 0, 0, 0)
    assert report.by_cinema == []
    assert report.total.occupancy.fraction is None

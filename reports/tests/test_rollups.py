"""The rollups: a report from them (and the showtimes changed since, live) is the report computed
from the records alone, whatever happens between refreshes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking import services as booking_services
from booking.models import TicketTypeCode
from payments import services as payment_services
from payments.models import Payment
from reports.api.serializers import report_data
from reports.facts import KINDS
from reports.models import TYPE_COLUMNS, RollupState, ShowtimeMoney, ShowtimeSeats
from reports.periods import Period
from reports.selectors import stats_for_period
from reports.services import LEASE, report_rollups_refresh

from .month import MARCH, at, known_month

pytestmark = pytest.mark.django_db

YEAR = Period(MARCH.first - timedelta(days=200), MARCH.last + timedelta(days=100))


@pytest.fixture
def month():
    return known_month()


def live(**query) -> dict:
    """The report from the records alone: as if the rollups had never been refreshed."""
    state = RollupState.objects.filter(pk=1).first()
    refreshed_at = state.refreshed_at if state else None
    RollupState.objects.filter(pk=1).update(refreshed_at=None)
    try:
        return report_data(stats_for_period(**query))
    finally:
        RollupState.objects.filter(pk=1).update(refreshed_at=refreshed_at)


def rolled(**query) -> dict:
    return report_data(stats_for_period(**query))


def queries(month) -> list[dict]:
    return [
        {"period": MARCH},
        {"period": YEAR},
        {"period": Period(MARCH.first, MARCH.first + timedelta(days=9))},
        {"period": MARCH, "cinema_id": month.south.pk},
        {"period": MARCH, "movie_id": month.movie_one.pk},
    ]


def test_every_ticket_type_has_its_columns():
    assert set(TYPE_COLUMNS) == set(TicketTypeCode.values)
    money = {field.name for field in ShowtimeMoney._meta.get_fields()}
    seats = {field.name for field in ShowtimeSeats._meta.get_fields()}
    for column in TYPE_COLUMNS.values():
        assert {f"{kind}_{column}" for kind in KINDS} <= money
        assert {f"{column}_tickets", f"{column}_bookings"} <= seats


def test_the_report_from_the_rollups_is_the_report(month):
    expected = [live(**query) for query in queries(month)]
    result = report_rollups_refresh()
    assert (result.rebuilt, result.showtimes) == (True, 5)
    assert ShowtimeMoney.objects.exists()
    assert ShowtimeSeats.objects.exists()
    assert [rolled(**query) for query in queries(month)] == expected
    assert rolled(period=MARCH)["revenue"]["net"] == "101.00"


def test_what_changes_after_a_refresh_is_read_live(month):
    report_rollups_refresh()
    # A full refund of a March sale (S1 loses two tickets); a cancellation whose transaction
    # wrote its time just before the refresh but committed after it (within the margin: S2
    # loses three); S4 cancelled.
    payment_services.payment_refund(
        payment_id=Payment.objects.get(booking=month.bookings["a"]).pk, reason="Changed mind"
    )
    with at(RollupState.objects.get().refreshed_at - timedelta(minutes=1)):
        booking_services.booking_cancel(booking_id=month.bookings["d"].pk, by=None)
    booking_services.showtime_cancel(showtime_id=month.showtimes["S4"].pk, by=None)

    for query in queries(month):
        assert rolled(**query) == live(**query), query
    march = rolled(period=MARCH)
    assert (march["tickets_sold"], march["revenue"]["net"]) == (7, "101.00")
    # Refunds count on the day they are made: these days, not in March.
    today = timezone.localdate()
    days = Period(today - timedelta(days=1), today + timedelta(days=1))
    assert Decimal(rolled(period=days)["revenue"]["refunds"]) == Decimal("50.00")

    result = report_rollups_refresh()
    assert (result.rebuilt, result.showtimes) == (False, 3)  # S1, S2 and S4
    for query in queries(month):
        assert rolled(**query) == live(**query), query


def test_a_cinema_whose_time_zone_changed_is_read_live(month):
    report_rollups_refresh()
    month.north.timezone = "Asia/Tokyo"
    month.north.save()
    for query in queries(month):
        assert rolled(**query) == live(**query), query
    report_rollups_refresh()
    assert RollupState.objects.get().zones[str(month.north.pk)] == "Asia/Tokyo"
    for query in queries(month):
        assert rolled(**query) == live(**query), query


def test_a_rebuild_reads_live_meanwhile_and_ends_the_same(month):
    report_rollups_refresh()
    expected = [rolled(**query) for query in queries(month)]
    result = report_rollups_refresh(rebuild=True, batch_size=2)
    assert (result.rebuilt, result.showtimes) == (True, 5)
    assert [rolled(**query) for query in queries(month)] == expected


def test_one_refresh_at_a_time(month):
    report_rollups_refresh()
    RollupState.objects.filter(pk=1).update(lease_until=timezone.now() + LEASE)
    assert report_rollups_refresh().skipped
    RollupState.objects.filter(pk=1).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert not report_rollups_refresh().skipped
    assert RollupState.objects.get().lease_until is None


def test_a_failed_refresh_gives_the_lease_back(month, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("reports.services.money_rows", broken)
    with pytest.raises(RuntimeError):
        report_rollups_refresh()
    assert RollupState.objects.get().lease_until is None
    assert RollupState.objects.get().refreshed_at is None


def test_the_command(month, capsys):
    call_command("refresh_reports")
    assert "Rollups rebuilt: 5 showtimes." in capsys.readouterr().out
    call_command("refresh_reports")
    assert "Rollups refreshed: 0 showtimes." in capsys.readouterr().out


@pytest.mark.parametrize("period", [Period(MARCH.first, MARCH.first), MARCH, YEAR])
def test_a_constant_number_of_queries_from_the_rollups(month, period, django_assert_num_queries):
    report_rollups_refresh()
    booking_services.booking_cancel(booking_id=month.bookings["c"].pk, by=None)  # S1 changed
    # The cinemas; the state; the showtimes changed since; the rollups: money by showtime and
    # method, money by day, seats by showtime, seats by method; then live for S1: money,
    # shares, seats; and the showtimes.
    with django_assert_num_queries(11):
        stats_for_period(period=period)

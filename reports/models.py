"""Rollups: the report's figures per showtime, kept so that a year's report need not read a
year of payments, refunds, bookings and tickets row by row.

They are derived data, written only by `services.report_rollups_refresh` (cron) from the same
queries that compute the report live, and never trusted blindly: a report reads the rollups of
the showtimes that have not changed since the last refresh, and computes the others live (see
`selectors.stats_for_period`). Plain ids, no foreign keys: nothing to check or lock in the apps'
tables when they are written, and a showtime's rows go when it is refreshed.
"""

from decimal import Decimal

from django.db import models

from booking.models import TicketTypeCode

# The ticket types each row splits its figures by, as columns (sums in SQL). A ticket type
# added to `TicketTypeCode` needs its columns here; reports/tests/test_rollups.py says so.
TYPE_COLUMNS = {code: code.lower() for code in TicketTypeCode.values}
# Shares of money by ticket type are kept in these units of the currency: exact enough that
# rounding them to cents is the same as rounding the exact shares, but for ties closer than it.
SHARE_UNIT = Decimal("1E-10")


class RollupState(models.Model):
    """One row: how far the rollups go, and who is refreshing them."""

    # Every rollup row reflects the records as they were at this moment or later.
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # The time zone of each cinema when its local days were computed: a cinema whose time zone
    # changed since is computed live until the next refresh redoes its showtimes.
    zones = models.JSONField(default=dict, blank=True)
    # A refresh in progress holds this lease (renewed as it goes), so that two never overlap.
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Rollups as of {self.refreshed_at}"


class ShowtimeMoney(models.Model):
    """The money of one showtime that moved on one local day (its cinema's) with one payment
    method, in cents: charged, discounts, refunds; and each one's shares by ticket type, in
    units of `SHARE_UNIT` (integers sum fast, and exactly)."""

    pk = models.CompositePrimaryKey("day", "showtime_id", "method")
    day = models.DateField()
    showtime_id = models.BigIntegerField()
    method = models.CharField(max_length=12)
    cinema_id = models.BigIntegerField()
    movie_id = models.BigIntegerField()
    charged = models.BigIntegerField()
    discounts = models.BigIntegerField()
    refunds = models.BigIntegerField()
    charged_adult = models.BigIntegerField()
    charged_child = models.BigIntegerField()
    charged_senior = models.BigIntegerField()
    charged_student = models.BigIntegerField()
    discounts_adult = models.BigIntegerField()
    discounts_child = models.BigIntegerField()
    discounts_senior = models.BigIntegerField()
    discounts_student = models.BigIntegerField()
    refunds_adult = models.BigIntegerField()
    refunds_child = models.BigIntegerField()
    refunds_senior = models.BigIntegerField()
    refunds_student = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["showtime_id"], name="reports_money_showtime_idx")]

    def __str__(self) -> str:
        return f"{self.day} showtime {self.showtime_id} {self.method}"


class ShowtimeSeats(models.Model):
    """The tickets sold for one showtime (on its local day) with one payment method, and the
    bookings they are in; in all and by ticket type."""

    pk = models.CompositePrimaryKey("day", "showtime_id", "method")
    day = models.DateField()
    showtime_id = models.BigIntegerField()
    method = models.CharField(max_length=12)
    cinema_id = models.BigIntegerField()
    movie_id = models.BigIntegerField()
    tickets = models.PositiveIntegerField()
    bookings = models.PositiveIntegerField()
    adult_tickets = models.PositiveIntegerField()
    adult_bookings = models.PositiveIntegerField()
    child_tickets = models.PositiveIntegerField()
    child_bookings = models.PositiveIntegerField()
    senior_tickets = models.PositiveIntegerField()
    senior_bookings = models.PositiveIntegerField()
    student_tickets = models.PositiveIntegerField()
    student_bookings = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["showtime_id"], name="reports_seats_showtime_idx")]

    def __str__(self) -> str:
        return f"{self.day} showtime {self.showtime_id} {self.method} {self.tickets}"

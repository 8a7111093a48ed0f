"""Refreshes racing on real MariaDB connections: threads released together by a barrier."""

import pytest

from booking.tests.factories import BookingFactory
from core.testing import run_concurrently, slowed
from reports.models import RollupState, ShowtimeSeats
from reports.services import report_rollups_refresh

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_refreshes_at_once_one_does_the_work():
    """The lease is taken under the state row's lock: without it both threads would read "no
    lease" in the window the pause widens, and both refresh."""
    BookingFactory(confirmed=True)
    RollupState.objects.create(pk=1)

    with slowed("reports.locks.rollup_state_lock", 0.3):
        results = run_concurrently(lambda _: report_rollups_refresh(), 2)

    assert sorted(result.skipped for result in results) == [False, True], results
    assert ShowtimeSeats.objects.count() == 1
    assert RollupState.objects.get().lease_until is None

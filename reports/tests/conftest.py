import pytest


# The known month books seats chosen for the figures they make, not for the single-seat-gap rule
# (booking/tests/test_seat_selection.py tests that rule).
@pytest.fixture(autouse=True)
def _no_gap_rule(settings):
    settings.SEAT_GAP_RULE = False

"""Throttles of the booking API beyond the defaults (anon, user, scoped: settings/drf.py)."""

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import UserRateThrottle


class PromoCodeThrottle(UserRateThrottle):
    """Promo codes tried, per customer: THROTTLE_PROMO_CODE (`none` switches it off).

    Codes are words people choose (SUMMER25), and a wrong one says so: without a limit of its
    own, a script could try a dictionary of them at the user throttle's pace, through
    `POST /promotions/validate/` or through holds. Staff at the counter are not counted: they
    type what the customer shows them. Checked by `promo_code_try` where a code is tried, not
    among a view's throttles: after the body is parsed and validated (a bad body is a 400 as
    before), and for a hold within its Idempotency-Key's action (a replay tries nothing).
    """

    scope = "promo_code"

    def get_rate(self) -> str | None:
        rate = settings.THROTTLE_PROMO_CODE
        return None if rate.strip().lower() in ("", "none", "off") else rate


def promo_code_try(request, view) -> None:
    """Count one promo code tried by the request's user; raises Throttled (429, `Retry-After`)
    past the limit."""
    if request.user.is_staff:
        return
    throttle = PromoCodeThrottle()
    if not throttle.allow_request(request, view):
        raise Throttled(wait=throttle.wait())

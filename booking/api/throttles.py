"""Throttles of the booking API beyond the defaults (anon, user, scoped: settings/drf.py)."""

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class PromoCodeThrottle(UserRateThrottle):
    """Promo codes tried, per customer: THROTTLE_PROMO_CODE (`none` switches it off).

    Codes are words people choose (SUMMER25), and a wrong one says so: without a limit of its
    own, a script could try a dictionary of them at the user throttle's pace, through
    `POST /promotions/validate/` or through holds. Counted: every validation, and a hold only
    when it carries a `promo_code` (nobody else is slowed down). Staff at the counter are not
    counted: they type what the customer shows them.
    """

    scope = "promo_code"

    def get_rate(self) -> str | None:
        rate = settings.THROTTLE_PROMO_CODE
        return None if rate.strip().lower() in ("", "none", "off") else rate

    def allow_request(self, request, view) -> bool:
        if request.user.is_staff or not _tries_a_code(request, view):
            return True
        return super().allow_request(request, view)


def _tries_a_code(request, view) -> bool:
    if getattr(view, "promo_code_always", False):
        return True
    data = request.data  # parsed once: the view reads the same
    return isinstance(data, dict) and bool(data.get("promo_code"))

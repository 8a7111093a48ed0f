"""Failed-login limits, with django-axes (its settings: cinema_project/settings/lockout.py).

Axes records every failure in its AccessAttempt table (a row per account, address and user agent)
and refuses the pair (account, client address) after LOGIN_FAILURE_LIMIT failures within
LOGIN_LOCKOUT_MINUTES. On top of it, the failures of one account from all addresses together are
held against LOGIN_ACCOUNT_FAILURE_LIMIT. Accounts are counted by their normalized e-mail address,
also addresses that no account has: a lockout tells nothing about which accounts exist.
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import toggleable
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from core.views import api_error, is_api

from .exceptions import AccountLocked
from .models import User, UserManager

ACCOUNT_LOCKED = (
    "Too many failed logins for this account; try again later, or reset the password by e-mail."
)


# Checks and records, for accounts.services.user_login


def login_allowed_check(*, request: HttpRequest, email: str) -> None:
    """Raise AccountLocked when this account is locked from this address, or from everywhere."""
    if not AxesProxyHandler.is_allowed(request, {"username": email}):
        raise AccountLocked(retry_after=_retry_after(_pair_attempts(request, email)))
    attempts = _account_attempts(email)
    if _failures(attempts) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
        raise AccountLocked(ACCOUNT_LOCKED, retry_after=_retry_after(attempts))


def login_failure_record(*, request: HttpRequest, email: str) -> None:
    """Count a failed login (axes listens to Django's signal). Raises AccountLocked when this
    failure is the one that locks the account."""
    user_login_failed.send(sender=__name__, credentials={"username": email}, request=request)
    login_allowed_check(request=request, email=email)


def login_success_record(*, request: HttpRequest, user: User) -> None:
    """Django's signal of a login: Django sets `last_login`, axes forgets this pair's failures."""
    user_logged_in.send(sender=user.__class__, request=request, user=user)


def lockout_reset(*, email: str) -> None:
    """Forget the account's failures from every address (a password reset proved ownership)."""
    AxesProxyHandler.reset_attempts(username=UserManager.normalize_email(email))


# Hooks that the settings name


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the API's and the admin's logins count against one key."""
    username = (credentials or {}).get("username")
    return UserManager.normalize_email(username) if username else None


def client_ip(request: HttpRequest) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address DRF's throttles see (REMOTE_ADDR, or the right entry
    of X-Forwarded-For behind NUM_PROXIES proxies)."""
    return BaseThrottle().get_ident(request)


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE, for AxesMiddleware: a locked-out login answers 429 with Retry-After,
    in the error envelope under /api/ and as a line of text on the admin's login page."""
    username = login_username(request, credentials)
    retry_after = _retry_after(_pair_attempts(request, username or ""))
    headers = {"Retry-After": str(retry_after)}
    if is_api(request):
        return api_error(429, AccountLocked.code, AccountLocked.message, headers=headers)
    return HttpResponse(
        AccountLocked.message, status=429, content_type="text/plain; charset=utf-8", headers=headers
    )


class LockoutBackend(AxesStandaloneBackend):
    """First of AUTHENTICATION_BACKENDS (the admin's login): axes refuses a locked pair before the
    password is checked; this refuses an account locked from everywhere as well."""

    @toggleable
    def authenticate(self, request: HttpRequest, username=None, password=None, **kwargs):
        super().authenticate(request, username, password, **kwargs)
        if username and _failures(_account_attempts(username)) >= (
            settings.LOGIN_ACCOUNT_FAILURE_LIMIT
        ):
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied(ACCOUNT_LOCKED)


# Reading axes' records


def _account_attempts(email: str) -> QuerySet:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        username=UserManager.normalize_email(email), attempt_time__gte=since
    )


def _pair_attempts(request: HttpRequest, email: str) -> QuerySet:
    AxesProxyHandler.update_request(request)
    return _account_attempts(email).filter(ip_address=request.axes_ip_address)


def _failures(attempts: QuerySet) -> int:
    return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


def _retry_after(attempts: QuerySet) -> int:
    """Seconds until the latest of these failures is older than the lockout window."""
    cool_off = settings.AXES_COOLOFF_TIME
    latest = attempts.aggregate(latest=Max("attempt_time"))["latest"]
    if latest is None:
        return math.ceil(cool_off.total_seconds())
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))

"""Views outside the versioned API: health probes and the JSON fallbacks for `/api/`."""

import copy
import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import JsonResponse
from django.shortcuts import render
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from .exceptions import ServiceUnavailable, error_body

logger = logging.getLogger(__name__)


@require_GET
def home(request):
    """`/`: what this is, and where to go (the API docs, the admin, the health probe)."""
    return render(request, "core/home.html")


@require_GET
def healthz(request):
    """Liveness: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Readiness: the database answers `SELECT 1` within DB_READY_TIMEOUT seconds, else 503."""
    try:
        database_ping(timeout=settings.DB_READY_TIMEOUT)
    except DatabaseError as exc:
        logger.warning("Readiness check: database unavailable: %r", exc)
        return api_error(
            ServiceUnavailable.status_code,
            ServiceUnavailable.code,
            "The database is unavailable.",
            headers={"Retry-After": str(ServiceUnavailable.retry_after)},
        )
    return JsonResponse({"status": "ok"})


def database_ping(*, timeout: int, alias: str = DEFAULT_DB_ALIAS) -> None:
    """`SELECT 1` on a connection of its own, closed afterwards, with `timeout` seconds for each
    step (connect, send, read). Raises DatabaseError.

    Not the thread's usual connection: that one waits up to DB_READ_TIMEOUT for an answer, and a
    probe must answer before the load balancer gives up on it, also when the server accepts
    connections and then says nothing.
    """
    usual = connections[alias]
    settings_dict = copy.deepcopy(usual.settings_dict)
    if usual.vendor == "mysql":
        settings_dict["OPTIONS"].update(
            connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout
        )
    probe = usual.__class__(settings_dict, alias=alias)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        probe.close()


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def api_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    return JsonResponse(
        error_body(code, message),
        status=status,
        headers=headers,
        json_dumps_params={"separators": (",", ":")},  # as DRF renders it
    )


def invalid_host() -> JsonResponse:
    return api_error(400, "invalid_host", "This site does not answer to the host in the request.")


@csrf_exempt  # any method: a POST to an unknown path is a 404, not a CSRF failure
def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that no route matches (also with DEBUG, where handler404 is bypassed)."""
    return api_error(404, "not_found", "No such endpoint.")


def bad_request(request, exception, *args, **kwargs):
    """handler400: a request Django refuses outside a view (a SuspiciousOperation, an unknown Host
    header read before ApiErrorMiddleware could); JSON under /api/."""
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        return invalid_host()
    return api_error(400, "bad_request", "The request is malformed.")


def permission_denied(request, exception, *args, **kwargs):
    """handler403: JSON under /api/ (DRF views answer their own 403s)."""
    if is_api(request):
        return api_error(403, "permission_denied", "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the API authenticates with bearer tokens and its views are exempt, but a
    plain view under /api/ that is not must still answer JSON."""
    if is_api(request):
        return api_error(403, "csrf_failed", "CSRF verification failed.")
    return csrf.csrf_failure(request, reason)


def server_error(request, *args, **kwargs):
    """handler500: a JSON envelope under /api/, Django's plain page elsewhere."""
    if is_api(request):
        return api_error(500, "server_error", "An unexpected error occurred.")
    return defaults.server_error(request)

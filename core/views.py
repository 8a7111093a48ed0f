"""Views outside the versioned API: health probes and the JSON fallbacks for `/api/`."""

import copy
import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from .exceptions import ServiceUnavailable, error_body

logger = logging.getLogger(__name__)


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
        return JsonResponse(
            error_body(ServiceUnavailable.code, "The database is unavailable."),
            status=ServiceUnavailable.status_code,
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


def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that no route matches (also with DEBUG, where handler404 is bypassed)."""
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)


def server_error(request, *args, **kwargs):
    """handler500: a JSON envelope under /api/, Django's plain page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "An unexpected error occurred."), status=500)
    return defaults.server_error(request)

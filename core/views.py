"""Views outside the versioned API: health probes and the JSON fallbacks for `/api/`."""

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.http import require_GET

from .exceptions import error_body

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """Liveness: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Readiness: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Readiness check: database unreachable")
        return JsonResponse(
            error_body("database_unavailable", "The database is unreachable."), status=503
        )
    return JsonResponse({"status": "ok"})


def api_not_found(request, *args, **kwargs):
    """Any path under /api/ that no route matches (also with DEBUG, where handler404 is bypassed)."""
    return JsonResponse(error_body("not_found", "No such endpoint."), status=404)


def server_error(request, *args, **kwargs):
    """handler500: a JSON envelope under /api/, Django's plain page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "An unexpected error occurred."), status=500)
    return defaults.server_error(request)

import logging
import time

from django.db import DatabaseError
from rest_framework.renderers import JSONRenderer

from .exceptions import ApplicationError, exception_handler

logger = logging.getLogger("cinema.request")


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


class RequestLogMiddleware:
    """One line per request: method, path, status, duration and the user id (or `-`).

    Outermost middleware, so the duration covers the whole stack. DRF sets the authenticated user
    on the underlying Django request, so JWT users are visible here after the view ran.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        logger.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            user_id,
        )
        return response


class ApiErrorMiddleware:
    """The error envelope for what escapes views under /api/ that are not DRF's.

    DRF views go through `core.exceptions.exception_handler` already. A plain Django view (a
    file download, a fallback) that hits an unavailable database or raises a domain error gets
    the same answer here: 503 `service_unavailable`, 409 `resource_busy`, ... with Retry-After.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api(request) or not isinstance(exception, ApplicationError | DatabaseError):
            return None
        response = exception_handler(exception, {"request": request, "view": None})
        response.accepted_renderer = JSONRenderer()
        response.accepted_media_type = JSONRenderer.media_type
        response.renderer_context = {}
        return response.render()

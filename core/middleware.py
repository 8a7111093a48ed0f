import logging
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError
from rest_framework.renderers import JSONRenderer

from .exceptions import ApplicationError, dependency_unavailable, exception_handler
from .views import api_error, invalid_host, is_api

logger = logging.getLogger("cinema.request")
host_logger = logging.getLogger("django.security.DisallowedHost")


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
    """Requests under /api/ that Django would answer with an HTML page or a 500, answered in the
    error envelope instead, before any other work:

    - an unknown `Host` header: 400 `invalid_host` (Django's DisallowedHost);
    - a body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 `request_too_large` (Django checks the limit
      only where `request.body` is read, and answers that with a 400 or a 500);

    and what escapes a plain Django view (DRF views have `core.exceptions.exception_handler`):
    an unavailable database, a lock wait, a domain error get the same answer as from DRF.
    Sits after CorsMiddleware, so that a browser can read these answers, and before
    SecurityMiddleware, whose HTTPS redirect reads the host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request):
            try:
                request.get_host()
            except DisallowedHost as exc:
                host_logger.warning("%s", exc)
                return invalid_host()
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and _content_length(request) > limit:
                return api_error(
                    413,
                    "request_too_large",
                    f"The request body is larger than the limit of {limit} bytes.",
                )
        return self.get_response(request)

    def process_exception(self, request, exception):
        known = isinstance(exception, ApplicationError | DatabaseError)
        if not is_api(request) or not (known or dependency_unavailable(exception)):
            return None
        response = exception_handler(exception, {"request": request, "view": None})
        response.accepted_renderer = JSONRenderer()
        response.accepted_media_type = JSONRenderer.media_type
        response.renderer_context = {}
        return response.render()


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0

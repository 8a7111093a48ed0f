import logging
import time

logger = logging.getLogger("cinema.request")


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

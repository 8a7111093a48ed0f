"""The seat map's pollers, answered before the framework: thousands poll one map when a premiere
goes on sale, and most of them only to hear that nothing changed.

`SeatMapPollMiddleware` sits right after CorsMiddleware (so its answers carry CORS headers like
any other) and answers `GET|HEAD /api/v1/showtimes/<id>/seats/`, with no query string or only
`?since=<version>`, itself: one indexed read (`seat_map_state`), then 304 when `If-None-Match`
is the current ETag, else the document from the per-process cache (`seat_map_body`) or the seats
changed since the version (`seat_map_changes`). Its answers are those `SeatMapView` gives
through the whole stack, byte for byte: the view's headers, DRF's (`Allow`, `Vary`), and those
the middlewares below add to an answer (security headers, the CSP, `Content-Length`), learned
once from the middlewares themselves. Anything else - another query, an Accept header DRF would
negotiate, a version the map never had (410), other methods, an unknown showtime, a request the
stack below would refuse or redirect, any error - goes down the stack as before.

`SeatMapPollApp`, below, answers the commonest of these requests - a current copy's 304 - in
front of Django altogether.
"""

import logging
import re
import threading
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import DatabaseError, connection
from django.dispatch import receiver
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from rest_framework.renderers import JSONRenderer

from .api.seat_maps import SeatMapView, seat_map_headers
from .selectors import seat_map_body, seat_map_changes, seat_map_state

logger = logging.getLogger(__name__)

# `booking.api.urls`' route of SeatMapView (a test holds the two together). ASCII digits only,
# like the `int` path converter.
SEAT_MAP_PATH = re.compile(r"/api/v1/showtimes/([0-9]+)/seats/\Z")

# The middlewares that may follow this one, by what they do to a plain GET of the seat map:
# None - nothing (their checks that would answer instead are made here, and a request that
# would fail one goes down the stack); "headers" - they add headers to its answer, which this
# middleware learns from them. With any other middleware after it, it stands aside.
FOLLOWERS = {
    # An unknown Host, a body over the limit: checked here.
    "core.middleware.ApiErrorMiddleware": None,
    # The HTTPS redirect: checked here; the headers.
    "django.middleware.security.SecurityMiddleware": "headers",
    "whitenoise.middleware.WhiteNoiseMiddleware": None,  # static files only
    "django.contrib.sessions.middleware.SessionMiddleware": None,  # no session read
    # PREPEND_WWW, DISALLOWED_USER_AGENTS: checked here; Content-Length.
    "django.middleware.common.CommonMiddleware": "headers",
    "django.middleware.csrf.CsrfViewMiddleware": None,  # a safe method, no token read
    "django.contrib.auth.middleware.AuthenticationMiddleware": None,  # a lazy user, not read
    "django.contrib.messages.middleware.MessageMiddleware": None,
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "headers",
    "csp.middleware.CSPMiddleware": "headers",
    "axes.middleware.AxesMiddleware": None,  # sign-ins only
}


class SeatMapPollMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        following = settings.MIDDLEWARE[settings.MIDDLEWARE.index(_NAME) + 1 :]
        unknown = [name for name in following if name not in FOLLOWERS]
        if unknown:
            raise MiddlewareNotUsed(f"The seat map's fast path is off: {', '.join(unknown)}")
        self.finishers = [
            import_string(name) for name in reversed(following) if FOLLOWERS[name] == "headers"
        ]
        # The headers DRF adds to every answer of the view (`APIView.finalize_response`).
        view = SeatMapView()
        view.setup(None)
        self.view_headers = view.default_response_headers

    def __call__(self, request):
        match = SEAT_MAP_PATH.match(request.path_info)
        if match is None or request.META.get(READ_FAILED_KEY):
            return self.get_response(request)
        since = SINCE_QUERY.match(request.META.get("QUERY_STRING", ""))
        if since is None or not plain_request(request, query=True):
            return self.get_response(request)
        try:
            response = self._answer(request, int(match[1]), since[1])
        except DatabaseError:
            # The stack below meets the same trouble and answers it (503 and the rest): with
            # the connection checked again, as Django does before a request's first query.
            connection.health_check_done = False
            response = None
        except Exception:
            logger.exception("The seat map's fast path failed; the view answers instead.")
            response = None
        return self.get_response(request) if response is None else response

    def _answer(self, request, showtime_id: int, since: str | None):
        # Persistent connections are checked with a round trip (`ping`) before each request's
        # first query (CONN_HEALTH_CHECKS): on this path, one of its two round trips. Skipped:
        # if the server has closed the connection meanwhile, the read fails instead of the
        # ping, and the stack below checks and reconnects (`__call__`).
        connection.health_check_done = True
        state = request.META.get(STATE_KEY) or seat_map_state(showtime_id)
        if state is None:
            return None  # the view's 404
        headers = seat_map_headers(state)
        current = request.META.get("HTTP_IF_NONE_MATCH") == state.etag
        # The view answers a current copy's GET before DRF (`SeatMapView.dispatch`); anything
        # else passes through DRF, which negotiates and adds its headers.
        through_drf = not current or since is not None or request.method == "HEAD"
        if through_drf and not accepts_json(request.META):
            return None  # DRF negotiates (406 for an Accept it cannot serve)
        if current:
            response = HttpResponseNotModified(headers=headers)
        elif since is None:
            body = seat_map_body(state)
            response = HttpResponse(body, content_type="application/json", headers=headers)
        else:
            changes = seat_map_changes(state, int(since))
            if changes is None:
                return None  # the view's 410
            # What the view's `Response(changes)` renders to, by the same renderer, its headers
            # in the same order (a DRF response has its Content-Type first).
            response = HttpResponse(_CHANGES_RENDERER.render(changes), "application/json")
            for name, value in headers.items():
                response[name] = value
        if through_drf:
            for name, value in self.view_headers.items():
                if name == "Vary":
                    patch_vary_headers(response, [value])
                else:
                    response[name] = value
        for name, value in self._finishing_headers(request):
            response[name] = value if name != "Content-Length" else str(len(response.content))
        return response

    def _finishing_headers(self, request) -> tuple[tuple[str, str], ...]:
        """What the middlewares below add to the view's answer, in their order: learned from
        them, once per settings and scheme (HSTS is for HTTPS only)."""
        secure = request.is_secure()
        headers = _learned.get(secure)
        if headers is None:
            probe = HttpResponse(content_type="application/json")
            before = set(probe.headers)
            for finisher in self.finishers:
                probe = finisher(_unused).process_response(request, probe)
            headers = tuple((k, v) for k, v in probe.headers.items() if k not in before)
            with _learned_lock:
                _learned[secure] = headers
        return headers


def plain_request(request, *, query: bool = False) -> bool:
    """A request the stack below would hand to the view as it is: no query (unless `query`: the
    caller has checked it), no body, an allowed host, nothing to redirect."""
    meta = request.META
    if request.method not in ("GET", "HEAD") or (meta.get("QUERY_STRING") and not query):
        return False
    if meta.get("CONTENT_LENGTH", "0") not in ("", "0"):
        return False
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return False
    if settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS:
        return False
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


# The queries the middleware answers: none, or a version to follow from (`?since=`, as digits
# the view accepts; a number too long for the database is the view's to refuse).
SINCE_QUERY = re.compile(r"\A(?:since=([0-9]{1,18}))?\Z")
_CHANGES_RENDERER = JSONRenderer()
# Accept values for which DRF's negotiation picks its JSON renderer with no parameter (such as
# `indent`) that would change the bytes.
_JSON_RANGES = frozenset({"*/*", "application/*", "application/json"})


def accepts_json(meta) -> bool:
    """Whether the view would answer in plain JSON: no Accept header, or one naming JSON or
    anything, without parameters. Anything else the view negotiates (a 406, or other bytes)."""
    accept = meta.get("HTTP_ACCEPT", "")
    if not accept:
        return True
    if ";" in accept:
        return False
    return any(item.strip() in _JSON_RANGES for item in accept.split(","))


def _unused(request):
    raise AssertionError("Only the middlewares' process_response is called.")


_NAME = f"{SeatMapPollMiddleware.__module__}.{SeatMapPollMiddleware.__qualname__}"
_learned: dict[bool, tuple[tuple[str, str], ...]] = {}
_learned_lock = threading.Lock()


@receiver(setting_changed)
def _forget_learned_headers(**kwargs) -> None:
    with _learned_lock:
        _learned.clear()


# Where the WSGI layer leaves the state it read for the middleware (not a header: no client
# can set it).
STATE_KEY = "cinema.seat_map_state"
READ_FAILED_KEY = "cinema.seat_map_read_failed"
request_logger = logging.getLogger("cinema.request")


class SeatMapPollApp:
    """WSGI, around Django's application (cinema_project/wsgi.py): a poller whose copy is current
    answered before Django, with the 304 the whole stack gives it.

    The most frequent request of a premiere is a browser asking whether the map it has is still
    current. Through Django it costs as much as the rest of the stack (the request's signals and
    objects, every middleware) plus the one indexed read that answers it; here, the read and
    little else. Taken: `GET` of the seat map with `If-None-Match`, no query string, no `Origin`
    (CORS answers depend on it: the stack gives those), and what `plain_request` lets through.
    Answered here only when the tag is current, with the status and headers the stack sent for
    the first such request this process saw (learned per scheme: HSTS is for HTTPS only), the
    ETag set to the state's. Anything else - a tag that is not current, an unknown showtime, a
    database error, a request the stack would refuse - goes to Django as before (with the state
    read here, so a changed map costs no second read). One log line per answer, as
    `core.middleware.RequestLogMiddleware` writes.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_IF_NONE_MATCH" not in environ
            or "HTTP_ORIGIN" in environ
            or environ.get("QUERY_STRING")
        ):
            return self.application(environ, start_response)
        match = SEAT_MAP_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.application(environ, start_response)
        started = time.perf_counter()
        request = WSGIRequest(dict(environ))  # it rewrites its environ: Django's is left as sent
        if not plain_request(request):
            return self.application(environ, start_response)
        secure = request.is_secure()
        headers = _not_modified_headers.get(secure)
        if headers is None:
            return self.application(environ, _learning(start_response, secure))
        state = _state_read(environ, match[1])
        if state is None or environ["HTTP_IF_NONE_MATCH"] != state.etag:
            if state is not None:
                environ[STATE_KEY] = state
            return self.application(environ, start_response)
        start_response(
            "304 Not Modified",
            [(name, state.etag if value is None else value) for name, value in headers],
        )
        request_logger.info(
            "%s %s %s %.1fms user=-",
            request.method,
            request.path,
            304,
            (time.perf_counter() - started) * 1000,
        )
        return []


def _state_read(environ, digits: str):
    """The map's state, or None (no such showtime, or the database failed: the stack answers).

    The connection is handled as Django's request signals would, before and after (closed when
    too old - `CONN_MAX_AGE` - or broken), less the health check's ping: a connection the server
    closed fails the read, and the stack checks and reconnects. After a failed read the
    middleware does not read again (`READ_FAILED_KEY`): a hung database costs the poll one
    timeout more than the stack alone, not two."""
    try:
        showtime_id = int(digits)
    except ValueError:  # more digits than Python converts: no such showtime, the stack's 404
        return None
    try:
        connection.close_if_unusable_or_obsolete()
        connection.health_check_done = True
        state = seat_map_state(showtime_id)
    except DatabaseError:
        connection.health_check_done = False
        environ[READ_FAILED_KEY] = True
        return None
    except Exception:
        logger.exception("The seat map's poll layer failed; the stack answers instead.")
        return None
    connection.close_if_unusable_or_obsolete()
    return state


def _learning(start_response, secure: bool):
    """`start_response`, remembering the headers of a 304 the stack gives (the ETag's value left
    out: each answer has its own)."""

    def learn(status, headers, exc_info=None):
        if status.startswith("304 ") and not any(n.lower() == "set-cookie" for n, _ in headers):
            _not_modified_headers[secure] = tuple(
                (name, None if name.lower() == "etag" else value) for name, value in headers
            )
        return start_response(status, headers, exc_info)

    return learn


_not_modified_headers: dict[bool, tuple[tuple[str, str | None], ...]] = {}


@receiver(setting_changed)
def _forget_not_modified_headers(**kwargs) -> None:
    _not_modified_headers.clear()

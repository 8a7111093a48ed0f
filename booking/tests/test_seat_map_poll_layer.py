"""The seat map's pollers whose copy is current, answered in front of Django (booking.middleware
`SeatMapPollApp`, the WSGI application gunicorn serves): the 304 the whole stack gives, after one
read, and everything else left to the stack as before.

On real connections (`transaction=True`): the layer handles the connection as Django's request
signals do, which a test's transaction would not survive."""

import logging
from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import middleware
from booking.middleware import STATE_KEY, SeatMapPollApp
from booking.selectors import seat_map_cache_clear
from core.testing import server_closes_connection, wsgi_call, wsgi_environ
from screening.tests.factories import ShowtimeFactory

pytestmark = pytest.mark.django_db(transaction=True)


class Django:
    """Django's WSGI application, its calls counted (and the environ each saw)."""

    def __init__(self):
        self.handler, self.calls = WSGIHandler(), []

    def __call__(self, environ, start_response):
        self.calls.append(dict(environ))  # as it came, before Django rewrites it
        return self.handler(environ, start_response)


@pytest.fixture
def django():
    middleware._not_modified_headers.clear()
    seat_map_cache_clear()
    return Django()


@pytest.fixture
def layer(django):
    return SeatMapPollApp(django)


@pytest.fixture
def showtime():
    return ShowtimeFactory()


def call(application, path, *, method="GET", query="", scheme="http", **headers):
    """One request through a WSGI application: (status, headers, body)."""
    environ = wsgi_environ(method, path, query=query, scheme=scheme, **headers)
    return wsgi_call(application, environ)


def url(showtime) -> str:
    return f"/api/v1/showtimes/{showtime.pk}/seats/"


def etag_of(application, showtime) -> str:
    status, headers, _ = call(application, url(showtime))
    assert status.startswith("200 ")
    return dict(headers)["ETag"]


def test_a_current_copy_is_answered_in_front_of_django_with_the_stacks_304(layer, django, showtime):
    etag = etag_of(layer, showtime)
    learned = call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # the stack answers
    assert len(django.calls) == 2

    with CaptureQueriesContext(connection) as queries:
        answer = call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)

    assert len(django.calls) == 2  # not through Django
    assert len(queries) == 1
    assert answer == learned
    status, headers, body = answer
    assert status == "304 Not Modified"
    assert body == b""
    assert dict(headers)["ETag"] == etag
    assert {"Cache-Control", "Content-Security-Policy", "X-Frame-Options", "Vary"} <= set(
        dict(headers)
    )


def test_a_changed_map_goes_to_the_stack_with_the_state_read_once(layer, django, showtime):
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned
    call(layer, url(showtime))  # the document rendered and cached

    with CaptureQueriesContext(connection) as queries:
        status, headers, body = call(layer, url(showtime), HTTP_IF_NONE_MATCH='"an old copy"')

    assert status.startswith("200 ")
    assert body.startswith(b"{")
    assert django.calls[-1][STATE_KEY].etag == dict(headers)["ETag"] == etag
    assert len(queries) == 1  # the layer's read, used by the stack: no second one


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        ({"method": "HEAD"}, "304"),
        ({"HTTP_ORIGIN": "https://app.example.com"}, "304"),
        ({"query": "since=0"}, "304"),
        ({"HTTP_HOST": "elsewhere.example.com"}, "400"),
        ({"CONTENT_LENGTH": "10"}, "304"),
    ],
    ids=["HEAD", "cross-origin", "a query", "an unknown host", "a body"],
)
def test_what_the_layer_does_not_take_goes_to_the_stack(layer, django, showtime, request_, status):
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned
    calls = len(django.calls)

    answer = call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag, **request_)

    assert len(django.calls) == calls + 1
    assert answer[0].startswith(status)


def test_an_unknown_showtime_is_the_stacks_404(layer, django, showtime):
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned

    status, _, body = call(layer, "/api/v1/showtimes/999999/seats/", HTTP_IF_NONE_MATCH=etag)

    assert status.startswith("404 ")
    assert b"not_found" in body
    assert len(django.calls) == 3


def test_a_database_error_leaves_the_answer_to_the_stack(layer, django, showtime):
    """A connection the server closed fails the layer's read (it skips the health check's ping):
    the stack checks the connection again, and the view answers - the middleware does not try
    the read a second time (a hung server would cost the poll another timeout)."""
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned

    server_closes_connection()
    reading = mock.patch.object(middleware, "seat_map_state", wraps=middleware.seat_map_state)
    ping = mock.patch.object(connection, "is_usable", wraps=connection.is_usable)
    with reading as reads, ping as pinged:
        status, _, _ = call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)

    assert status == "304 Not Modified"  # from the view
    assert len(django.calls) == 3
    assert reads.call_count == 1
    assert pinged.call_count == 1


def test_a_showtime_id_too_long_for_a_number_is_the_stacks_404(layer, django, showtime):
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned

    status, _, _ = call(layer, f"/api/v1/showtimes/{'1' * 5000}/seats/", HTTP_IF_NONE_MATCH=etag)

    assert status.startswith("404 ")


def test_the_connection_is_closed_after_the_read_when_it_should_be(layer, django, showtime):
    """As Django's request_finished would: with CONN_MAX_AGE=0 no connection outlives a poll."""
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned
    with mock.patch.dict(connection.settings_dict, {"CONN_MAX_AGE": 0}):
        connection.close()  # opened again by the read, to be closed after it
        assert call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)[0] == "304 Not Modified"
        assert connection.connection is None


def test_the_environ_django_gets_is_the_one_sent(layer, django, showtime):
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned

    call(layer, url(showtime), HTTP_IF_NONE_MATCH='"old"', SCRIPT_NAME="/caf\xc3\xa9")

    assert django.calls[-1]["SCRIPT_NAME"] == "/caf\xc3\xa9"


def test_https_answers_are_learned_apart(layer, django, showtime):
    """HSTS is sent over HTTPS only: an answer learned over plain HTTP is not one for HTTPS."""
    etag = etag_of(layer, showtime)
    plain = call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)
    calls = len(django.calls)

    secure = call(layer, url(showtime), scheme="https", HTTP_IF_NONE_MATCH=etag)
    assert len(django.calls) == calls + 1  # learned from the stack
    assert call(layer, url(showtime), scheme="https", HTTP_IF_NONE_MATCH=etag) == secure
    assert len(django.calls) == calls + 1
    assert "Strict-Transport-Security" in dict(secure[1])
    assert "Strict-Transport-Security" not in dict(plain[1])


def test_changed_settings_are_learned_again(layer, django, showtime, settings):
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    calls = len(django.calls)

    _, headers, _ = call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)

    assert len(django.calls) == calls + 1
    assert dict(headers)["X-Frame-Options"] == "SAMEORIGIN"


def test_each_answer_is_logged_as_the_stack_logs_it(layer, showtime, caplog):
    etag = etag_of(layer, showtime)
    call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)  # learned
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="cinema.request"):
        call(layer, url(showtime), HTTP_IF_NONE_MATCH=etag)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "cinema.request"]
    assert line.startswith(f"GET {url(showtime)} 304 ")
    assert line.endswith("ms user=-")


def test_gunicorn_serves_the_layer():
    from cinema_project import wsgi

    assert isinstance(wsgi.application, SeatMapPollApp)

"""Helpers for tests of every app."""

import asyncio
import contextlib
import io
import os
import pkgutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from functools import wraps
from typing import Any
from unittest import mock

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def run_concurrently(worker: Callable[[int], Any], count: int, *, timeout: float = 60) -> list:
    """Run `worker(i)` in `count` threads released together by a barrier; return their results.

    Each thread has its own database connection (Django's are per thread), closed when it ends.
    A worker that raises yields its exception in place of a result. Use with
    `pytest.mark.django_db(transaction=True)` so the threads see each other's commits.
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout)
            results[index] = worker(index)
        except BaseException as exc:  # handed back to the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"workers still running after {timeout} s")
    return results


def slowed(target: str, seconds: float = 0.05):
    """Patch `target` (a dotted path) so it pauses after returning.

    Widens a check-then-write window that real threads would otherwise rarely hit, so a race test
    fails when the lock that should close that window is missing.
    """
    function = pkgutil.resolve_name(target)

    @wraps(function)
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        time.sleep(seconds)
        return result

    return mock.patch(target, wrapper)


def client_for(user) -> APIClient:
    """An API client sending `user`'s access token; anonymous for None."""
    client = APIClient()
    if user is not None:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


ROLES = ("anonymous", "customer", "other_customer", "staff", "admin")


def matrix_cell(
    users: dict, role: str, method: str, path, body, expected: dict[str, int], *, subject, **extra
):
    """One cell of an authorization matrix: `role` sends the row's request and gets its status.

    `path` (and `body`, when callable) are functions of `subject`, the object the row is about;
    `expected` maps each of ROLES to the status it gets.
    """
    assert set(expected) == set(ROLES), expected
    body = body(subject) if callable(body) else body
    response = getattr(client_for(users[role]), method)(path(subject), body, **extra)
    assert response.status_code == expected[role], response.content
    return response


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word: a hung database
    or mail server. Yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for connection in accepted:
            connection.close()


def python_in_subprocess(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python <args>` in the project's root with `cinema_project.settings` and only the variables
    `env` gives: no env file, none of the caller's own settings (a developer's CACHE_URL...)."""
    system = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args],
        env={
            **system,
            "DJANGO_SETTINGS_MODULE": "cinema_project.settings",
            "ENV_FILE": "/nonexistent",
            **env,
        },
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Print `expression` (of `settings`) as the settings come out of `env`."""
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return python_in_subprocess(["-c", code], env)


class SmtpServer:
    """A real SMTP server in the test process (aiosmtpd) on a free port of 127.0.0.1, that can
    be stopped (connections refused), hung (connections accepted, never answered) and started
    again on the same port. `messages` holds what it accepted, as `email.message.Message`s."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[Message] = []
        self.refused: set[str] = set()  # recipients it answers 550 for
        # While set, a message's data is read and never answered (the sender hangs mid-send).
        self.stalled = False
        self.stalled_sessions = 0
        self._controller = None
        self._hung: socket.socket | None = None

    def start(self) -> "SmtpServer":
        self.stop()
        server = self

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address, options):
                if address in server.refused:
                    return "550 No such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):
                if server.stalled:
                    server.stalled_sessions += 1
                    await asyncio.sleep(3600)
                server.messages.append(message_from_bytes(envelope.content))
                return "250 Message accepted"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._hung is not None:
            self._hung.close()
            self._hung = None

    def hang(self) -> None:
        """Accept connections (the kernel does, into the backlog) and never say a word."""
        self.stop()
        self._hung = socket.create_server(("127.0.0.1", self.port), backlog=16)

    def to(self, address: str) -> list[Message]:
        return [message for message in self.messages if message["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], Any], *, timeout: float = 30, interval: float = 0.05):
    """Poll until `condition()` is truthy (a worker in another thread or process got there);
    its value, or TimeoutError. A bound on waiting, not a measurement."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not true after {timeout} s: {condition}")
        time.sleep(interval)


def server_closes_connection(alias: str = DEFAULT_DB_ALIAS) -> None:
    """The database server closes this thread's connection (as a restart or `wait_timeout`
    would): its next query fails as a dead connection's does (MySQL only)."""
    victim = connections[alias]
    with victim.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        (server_id,) = cursor.fetchone()
    killer = connections.create_connection(alias)
    try:
        with killer.cursor() as cursor:
            cursor.execute("KILL CONNECTION %s", [server_id])
    finally:
        killer.close()


def answer_codes(responses) -> Counter:
    """How many answers of each kind a race gave: a status, or (status, error code) for an
    error; a worker's exception counts as a failure of its own."""
    result: Counter = Counter()
    for response in responses:
        if isinstance(response, BaseException):
            result[repr(response)] += 1
        elif response.status_code >= 400:
            result[(response.status_code, response.json()["error"]["code"])] += 1
        else:
            result[response.status_code] += 1
    return result


def wsgi_environ(method: str, path: str, *, query: str = "", scheme: str = "http", **extra) -> dict:
    """The environ a WSGI server (gunicorn) makes for one request to this machine; `extra`: CGI
    variables as they are named there (`HTTP_IF_NONE_MATCH`, `CONTENT_TYPE`, ...)."""
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "443" if scheme == "https" else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": scheme,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **extra,
    }


def wsgi_call(application, environ: dict, body: bytes = b"") -> tuple[str, list, bytes]:
    """One request through a WSGI application, as a server makes it (the environ may be used
    again): the answer's status, headers (as given to `start_response`) and body."""
    started = []

    def start_response(status, headers, exc_info=None):
        started.append((status, headers))

    environ = {**environ, "wsgi.input": io.BytesIO(body)}
    if body:
        environ["CONTENT_LENGTH"] = str(len(body))
    answer = application(environ, start_response)
    try:
        content = b"".join(answer)
    finally:
        getattr(answer, "close", lambda: None)()
    ((status, headers),) = started
    return status, headers, content

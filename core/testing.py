"""Helpers for tests of every app."""

import pkgutil
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from unittest import mock

from django.db import connections
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

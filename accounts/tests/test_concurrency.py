"""Races on real MariaDB connections: threads released together by a barrier."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import password_reset_tokens, uid_encode
from core.testing import run_concurrently

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_one_refresh_token_rotates_once():
    UserFactory(email="cara@example.com")
    tokens = APIClient().post(
        "/api/v1/auth/login/", {"email": "cara@example.com", "password": PASSWORD}
    )
    refresh = tokens.json()["refresh"]

    responses = run_concurrently(
        lambda _: APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}), THREADS
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * (THREADS - 1)


def test_one_address_registers_once():
    def register(i):
        return APIClient().post(
            "/api/v1/auth/register/",
            {
                # The same address in different cases.
                "email": "Cara@Example.com".swapcase() if i % 2 else "cara@example.COM",
                "password": PASSWORD,
                "first_name": "Cara",
                "last_name": "Xu",
            },
        )

    responses = run_concurrently(register, THREADS)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [400] * (THREADS - 1), [r.content for r in responses]
    assert User.objects.count() == 1


def test_one_reset_link_is_used_once():
    user = UserFactory(email="cara@example.com")
    params = {"uid": uid_encode(user.pk), "token": password_reset_tokens.make_token(user)}

    responses = run_concurrently(
        lambda i: APIClient().post(
            "/api/v1/auth/password/reset/confirm/",
            {**params, "new_password": f"Fresh-Popcorn-{i:03d}"},
        ),
        THREADS,
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (THREADS - 1)
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    user.refresh_from_db()
    assert user.check_password(f"Fresh-Popcorn-{winner:03d}")

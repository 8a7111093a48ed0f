"""Races on real MariaDB connections: threads released together by a barrier."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from accounts.tokens import password_reset_tokens, uid_encode
from core.testing import client_for, run_concurrently, slowed

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
REFRESH = "/api/v1/auth/token/refresh/"


def test_one_refresh_token_rotates_once():
    UserFactory(email="cara@example.com")
    tokens = APIClient().post(
        "/api/v1/auth/login/", {"email": "cara@example.com", "password": PASSWORD}
    )
    refresh = tokens.json()["refresh"]

    responses = run_concurrently(
        lambda _: APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}), THREADS
    )

    # One rotation: the others, within the grace period, get the pair it issued.
    assert [r.status_code for r in responses] == [200] * THREADS
    assert len({r.json()["refresh"] for r in responses}) == 1
    assert OutstandingToken.objects.count() == 2  # the login's and its successor


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


def test_a_replayed_refresh_token_leaves_no_token_of_its_login_alive_whatever_the_order():
    """The thief replays a used refresh token while the customer rotates its successor (their
    rotation's window widened): whichever goes first, no token of that login survives."""
    UserFactory(email="cara@example.com")
    client = APIClient()
    used = client.post("/api/v1/auth/login/", {"email": "cara@example.com", "password": PASSWORD})
    used = used.json()["refresh"]
    successor = client.post(REFRESH, {"refresh": used}).json()["refresh"]
    BlacklistedToken.objects.filter(token__jti=RefreshToken(used, verify=False)["jti"]).update(
        blacklisted_at=timezone.now() - timedelta(minutes=1)
    )

    with slowed("accounts.services._token_user", 0.3):
        replay, rotation = run_concurrently(
            lambda i: APIClient().post(REFRESH, {"refresh": (used, successor)[i]}), 2
        )

    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "refresh_token_reused"
    if rotation.status_code == 200:  # rotated first: its new token was revoked with the family
        rotated = rotation.json()["refresh"]
        assert client.post(REFRESH, {"refresh": rotated}).status_code == 401
    else:
        assert rotation.json()["error"]["code"] == "token_not_valid"
    assert client.post(REFRESH, {"refresh": successor}).status_code == 401


def test_two_customers_logging_out_at_once_do_not_deadlock():
    """Each logout locks its own token, then its login's: found through the family's index,
    never by a locking scan that would also wait on - and deadlock with - the other's."""
    users = [UserFactory(email="cara@example.com"), UserFactory(email="dan@example.com")]
    tokens = [
        APIClient()
        .post("/api/v1/auth/login/", {"email": user.email, "password": PASSWORD})
        .json()["refresh"]
        for user in users
    ]

    with slowed("accounts.locks.refresh_token_lock", 0.5):
        responses = run_concurrently(
            lambda i: client_for(users[i]).post("/api/v1/auth/logout/", {"refresh": tokens[i]}),
            2,
        )

    assert [response.status_code for response in responses] == [204, 204]

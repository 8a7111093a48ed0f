"""Access tokens validated once per process: the signature is not checked again for the same
bytes, but the expiry is checked on every use, and the user (active, password unchanged) read."""

from datetime import timedelta
from unittest import mock

import pytest
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken

from accounts import authentication
from accounts.models import AccountState
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ME = "/api/v1/users/me/"


def _get(api_client, token):
    return api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_is_decoded_once(api_client, monkeypatch):
    token = str(AccessToken.for_user(UserFactory()))
    decoded, decode = [], TokenBackend.decode

    def counted(backend, *args, **kwargs):
        decoded.append(args[0])
        return decode(backend, *args, **kwargs)

    monkeypatch.setattr(TokenBackend, "decode", counted)
    assert _get(api_client, token).status_code == 200
    assert _get(api_client, token).status_code == 200
    assert len(decoded) == 1


def test_a_remembered_token_still_expires(api_client):
    token = str(AccessToken.for_user(UserFactory()))
    assert _get(api_client, token).status_code == 200
    later = authentication.aware_utcnow() + timedelta(days=1)
    with mock.patch.object(authentication, "aware_utcnow", return_value=later):
        expired = _get(api_client, token)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "token_not_valid"
    assert token.encode() not in authentication._validated


def test_a_remembered_token_is_revoked_by_a_password_change(api_client):
    user = UserFactory()
    token = str(AccessToken.for_user(user))
    assert _get(api_client, token).status_code == 200
    user.set_password("another-Passw0rd!")
    user.save()
    revoked = _get(api_client, token)
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "password_changed"


def test_a_remembered_token_of_a_suspended_account_is_refused(api_client):
    user = UserFactory()
    token = str(AccessToken.for_user(user))
    assert _get(api_client, token).status_code == 200
    user.state = AccountState.SUSPENDED
    user.save()
    assert _get(api_client, token).status_code in (401, 403)


def test_another_signature_is_checked_afresh(api_client):
    token = str(AccessToken.for_user(UserFactory()))
    assert _get(api_client, token).status_code == 200
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert _get(api_client, forged).status_code == 401


def test_the_memory_is_bounded(api_client, monkeypatch):
    monkeypatch.setattr(authentication, "VALIDATED_TOKENS_KEPT", 2)
    monkeypatch.setattr(authentication, "_validated", {})
    tokens = [str(AccessToken.for_user(UserFactory())) for _ in range(3)]
    for token in tokens:
        assert _get(api_client, token).status_code == 200
    assert list(authentication._validated) == [tokens[1].encode(), tokens[2].encode()]

from datetime import datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import services
from accounts.models import AccountState, RefreshTokenLink, User
from accounts.tokens import PasswordResetTokens, uid_encode
from core.testing import client_for

from .factories import PASSWORD, UserFactory
from .helpers import last_link_to

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
VERIFY = "/api/v1/auth/verify-email/"
RESEND = "/api/v1/auth/verify-email/resend/"
LOGIN = "/api/v1/auth/login/"
REFRESH = "/api/v1/auth/token/refresh/"
TOKEN_VERIFY = "/api/v1/auth/token/verify/"
LOGOUT = "/api/v1/auth/logout/"
RESET = "/api/v1/auth/password/reset/"
RESET_CONFIRM = "/api/v1/auth/password/reset/confirm/"
CHANGE = "/api/v1/auth/password/change/"
EXISTS = "/api/v1/auth/email-exists/"
ME = "/api/v1/users/me/"

NEW_PASSWORD = "Matinee-Balcony-42"


def register_payload(**overrides):
    return {
        "email": "Cara@X.com",
        "password": PASSWORD,
        "first_name": "Cara",
        "last_name": "Xu",
        **overrides,
    }


def login(api_client, email, password=PASSWORD):
    return api_client.post(LOGIN, {"email": email, "password": password})


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()


# Registration and verification


def test_register_creates_unverified_account_and_sends_a_working_link(
    api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(REGISTER, register_payload(promotions_opt_in=True))

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "cara@x.com"
    assert body["state"] == "unverified"
    assert body["role"] == "CUSTOMER"
    assert body["promotions_opt_in"] is True
    assert "password" not in body
    assert_error(login(api_client, "cara@x.com"), 403, "email_not_verified")

    (message,) = mail.outbox
    assert message.subject == "Confirm your e-mail address"
    path, params = last_link_to("cara@x.com")
    assert path == "/verify-email"

    verified = api_client.post(VERIFY, params)
    assert verified.status_code == 200
    assert verified.json()["state"] == "active"
    assert verified.json()["email_verified"] is True
    assert login(api_client, "CARA@x.com").status_code == 200


def test_verification_link_works_once(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, register_payload())
    _, params = last_link_to("cara@x.com")
    assert api_client.post(VERIFY, params).status_code == 200
    assert_error(api_client.post(VERIFY, params), 400, "invalid_token")


@pytest.mark.parametrize(
    "params",
    [
        {"uid": "MQ", "token": "abc-123"},
        {"uid": "not-base64!", "token": "abc-123"},
        {"uid": uid_encode(999999), "token": "abc-123"},
    ],
)
def test_verify_rejects_wrong_tokens(api_client, params):
    assert_error(api_client.post(VERIFY, params), 400, "invalid_token")


def test_verification_link_expires(api_client, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, register_payload())
    _, params = last_link_to("cara@x.com")
    later = datetime.now() + timedelta(seconds=settings.EMAIL_VERIFICATION_LINK_SECONDS + 5)
    with mock.patch("accounts.tokens.EmailVerificationTokens._now", return_value=later):
        assert_error(api_client.post(VERIFY, params), 400, "invalid_token")
    assert User.objects.get().state == AccountState.UNVERIFIED


def test_verification_does_not_undo_a_suspension(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, register_payload())
    _, params = last_link_to("cara@x.com")
    User.objects.update(state=AccountState.SUSPENDED)
    assert_error(api_client.post(VERIFY, params), 400, "invalid_token")
    assert User.objects.get().state == AccountState.SUSPENDED


def test_resend_sends_a_new_link_only_to_unverified_accounts(
    api_client, django_capture_on_commit_callbacks
):
    UserFactory(email="done@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(REGISTER, register_payload())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for email in ["CARA@x.com", "done@example.com", "nobody@example.com"]:
            response = api_client.post(RESEND, {"email": email})
            assert response.status_code == 202
    assert [m.to for m in mail.outbox] == [["cara@x.com"]]
    _, params = last_link_to("cara@x.com")
    assert api_client.post(VERIFY, params).status_code == 200


def test_email_is_case_insensitive_and_unique(api_client, customer):
    response = api_client.post(REGISTER, register_payload(email="CARA@Example.COM"))
    assert_error(response, 400, "validation_error")
    assert "email" in response.json()["error"]["details"]
    assert User.objects.filter(email__iexact="cara@example.com").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (register_payload(password="short"), "password"),
        (register_payload(password="12345678901"), "password"),
        (register_payload(password="password123"), "password"),
        (register_payload(password="caraxu-cara@x.com"), "password"),
        (register_payload(email="not-an-email"), "email"),
        (register_payload(phone="call me"), "phone"),
        (register_payload(first_name=""), "first_name"),
        (register_payload(promotions_opt_in="perhaps"), "promotions_opt_in"),
        ({"email": "a@b.co"}, "password"),
        ({**register_payload(), "first_name": None}, "first_name"),
        ({**register_payload(), "email": ["a@b.co"]}, "email"),
    ],
)
def test_register_rejects_bad_input(api_client, payload, field):
    response = api_client.post(REGISTER, payload)
    assert_error(response, 400, "validation_error")
    assert field in response.json()["error"]["details"]
    assert not User.objects.exists()
    assert not mail.outbox


def test_malformed_json_and_wrong_shapes_are_400(api_client):
    bad_json = api_client.post(REGISTER, "{bad", content_type="application/json")
    assert_error(bad_json, 400, "parse_error")
    a_list = api_client.post(REGISTER, [1, 2], format="json")
    assert_error(a_list, 400, "validation_error")
    form = api_client.post(REGISTER, "email=a", content_type="application/x-www-form-urlencoded")
    assert_error(form, 415, "unsupported_media_type")


def test_email_exists(api_client, customer):
    assert api_client.get(EXISTS, {"email": "CARA@example.com"}).json() == {"exists": True}
    assert api_client.get(EXISTS, {"email": "x@example.com"}).json() == {"exists": False}
    assert_error(api_client.get(EXISTS), 400, "validation_error")
    assert_error(api_client.get(EXISTS, {"email": "nope"}), 400, "validation_error")


# Login and tokens


def test_login_returns_tokens_and_profile(api_client, customer):
    response = login(api_client, "  CARA@example.com ")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["email"] == "cara@example.com"
    customer.refresh_from_db()
    assert customer.last_login is not None

    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.json()["id"] == customer.pk


def test_login_errors(api_client, customer):
    UserFactory(email="new@example.com", unverified=True)
    UserFactory(email="gone@example.com", suspended=True)
    assert_error(login(api_client, "cara@example.com", "wrong"), 401, "invalid_credentials")
    assert_error(login(api_client, "nobody@example.com"), 401, "invalid_credentials")
    assert_error(login(api_client, "new@example.com"), 403, "email_not_verified")
    assert_error(login(api_client, "gone@example.com"), 403, "account_suspended")
    # The state is told only to someone who knows the password.
    assert_error(login(api_client, "gone@example.com", "wrong"), 401, "invalid_credentials")
    assert_error(api_client.post(LOGIN, {"email": "cara@example.com"}), 400, "validation_error")


def test_login_ignores_a_stale_token_in_the_header(api_client, customer):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer expired.garbage.token")
    assert login(api_client, "cara@example.com").status_code == 200


def test_refresh_rotates_and_the_old_token_stops_working(api_client, customer, settings):
    tokens = login(api_client, "cara@example.com").json()
    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != tokens["refresh"]

    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 0  # presented again later: a stolen copy
    assert_error(
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}), 401, "refresh_token_reused"
    )
    assert_error(
        api_client.post(REFRESH, {"refresh": rotated.json()["refresh"]}), 401, "token_not_valid"
    )


def used_long_ago(refresh: str) -> None:
    """As if the refresh token had been rotated (or logged out) a minute ago."""
    jti = RefreshToken(refresh, verify=False)["jti"]
    BlacklistedToken.objects.filter(token__jti=jti).update(
        blacklisted_at=timezone.now() - timedelta(seconds=60)
    )


def test_a_used_refresh_token_presented_again_revokes_its_login_everywhere(
    api_client, customer, caplog
):
    """Its rotated successor (the thief's, or the customer's) stops working; another login of
    the same customer (another device) does not."""
    stolen = login(api_client, "cara@example.com").json()["refresh"]
    other_device = login(api_client, "cara@example.com").json()["refresh"]
    successor = api_client.post(REFRESH, {"refresh": stolen}).json()["refresh"]
    successor = api_client.post(REFRESH, {"refresh": successor}).json()["refresh"]
    used_long_ago(stolen)

    response = api_client.post(REFRESH, {"refresh": stolen})

    assert_error(response, 401, "refresh_token_reused")
    assert "1 token(s) of its login revoked" in caplog.text
    assert stolen not in caplog.text
    assert successor not in caplog.text
    assert_error(api_client.post(REFRESH, {"refresh": successor}), 401, "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": other_device}).status_code == 200


def test_a_used_refresh_token_presented_again_at_once_gets_the_same_new_pair(api_client, customer):
    """Two tabs refreshing with one token, or a retry whose answer was lost: within the grace
    period the answer is the pair the rotation issued - one refresh token for both - while it
    is unused. Once it is used, the old token is refused."""
    tokens = login(api_client, "cara@example.com").json()
    first = api_client.post(REFRESH, {"refresh": tokens["refresh"]}).json()

    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert again.status_code == 200
    assert again.json()["refresh"] == first["refresh"]
    assert AccessToken(again.json()["access"])["user_id"] == str(customer.pk)
    assert api_client.post(REFRESH, {"refresh": first["refresh"]}).status_code == 200
    assert_error(api_client.post(REFRESH, {"refresh": tokens["refresh"]}), 401, "token_not_valid")


def test_a_thief_who_rotates_first_shares_the_new_token_and_is_found_out_next(api_client, customer):
    """The thief rotates just before the customer's app does: the customer gets the same new
    token, and whichever of them is second to use it again gives the copy away."""
    stolen = login(api_client, "cara@example.com").json()["refresh"]
    thiefs = api_client.post(REFRESH, {"refresh": stolen}).json()["refresh"]
    customers = api_client.post(REFRESH, {"refresh": stolen}).json()["refresh"]
    assert customers == thiefs
    api_client.post(REFRESH, {"refresh": thiefs})  # the thief rotates again
    used_long_ago(customers)

    assert_error(api_client.post(REFRESH, {"refresh": customers}), 401, "refresh_token_reused")
    assert not OutstandingToken.objects.filter(blacklistedtoken__isnull=True).exists()


def test_a_logged_out_refresh_token_presented_later_revokes_what_was_rotated_from_it(
    api_client, customer
):
    """The thief rotated a copy; the customer's app, later, refreshes with the old token."""
    tokens = login(api_client, "cara@example.com").json()
    thiefs = api_client.post(REFRESH, {"refresh": tokens["refresh"]}).json()["refresh"]
    used_long_ago(tokens["refresh"])

    assert_error(
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}), 401, "refresh_token_reused"
    )
    assert_error(api_client.post(REFRESH, {"refresh": thiefs}), 401, "token_not_valid")


def test_logging_out_with_a_copy_the_thief_rotated_logs_the_thief_out(api_client, customer):
    stolen = login(api_client, "cara@example.com").json()["refresh"]
    thiefs = api_client.post(REFRESH, {"refresh": stolen}).json()["refresh"]

    assert client_for(customer).post(LOGOUT, {"refresh": stolen}).status_code == 204

    assert_error(api_client.post(REFRESH, {"refresh": thiefs}), 401, "token_not_valid")


def test_a_used_refresh_token_presented_after_its_expiry_still_revokes_its_login(
    api_client, customer
):
    """Rotation gives each token a new lifetime: a copy replayed after its own expiry still
    gives the thief's live successor away."""
    tokens = login(api_client, "cara@example.com").json()
    thiefs = api_client.post(REFRESH, {"refresh": tokens["refresh"]}).json()["refresh"]
    used_long_ago(tokens["refresh"])
    expired = RefreshToken(tokens["refresh"], verify=False)  # the same token (jti), expired
    expired.set_exp(lifetime=-timedelta(seconds=1))

    assert_error(api_client.post(REFRESH, {"refresh": str(expired)}), 401, "refresh_token_reused")
    assert_error(api_client.post(REFRESH, {"refresh": thiefs}), 401, "token_not_valid")


def test_a_token_of_a_login_that_ended_presented_later_is_only_refused(
    api_client, customer, caplog
):
    """Logged out in one tab; another tab, later, refreshes with the token it still holds:
    nothing is left to revoke - no alarm, the usual 401."""
    tokens = login(api_client, "cara@example.com").json()
    assert client_for(customer).post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 204
    used_long_ago(tokens["refresh"])

    assert_error(api_client.post(REFRESH, {"refresh": tokens["refresh"]}), 401, "token_not_valid")
    assert "WARNING" not in caplog.text


def test_a_refresh_token_issued_before_logins_were_recorded_starts_its_own(api_client, customer):
    old = RefreshToken.for_user(customer)  # no link: issued before this version
    successor = api_client.post(REFRESH, {"refresh": str(old)}).json()["refresh"]
    assert (
        RefreshTokenLink.objects.get(token__jti=RefreshToken(successor)["jti"]).family
        == (old["jti"])
    )
    used_long_ago(str(old))

    assert_error(api_client.post(REFRESH, {"refresh": str(old)}), 401, "refresh_token_reused")
    assert_error(api_client.post(REFRESH, {"refresh": successor}), 401, "token_not_valid")


def test_a_replay_costs_the_same_however_many_logins_the_user_has(api_client, customer):
    """The login's tokens are found by their family (an index), not by reading every live
    token of the user."""
    counts = []
    for other_logins in (1, 20):
        for _ in range(other_logins):
            services._tokens_for(customer)
        stolen = services._tokens_for(customer)["refresh"]
        api_client.post(REFRESH, {"refresh": stolen})
        used_long_ago(stolen)
        with CaptureQueriesContext(connection) as queries:
            response = api_client.post(REFRESH, {"refresh": stolen})
        assert_error(response, 401, "refresh_token_reused")
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_refresh_errors(api_client, customer):
    assert_error(api_client.post(REFRESH, {"refresh": "junk"}), 401, "token_not_valid")
    access = str(RefreshToken.for_user(customer).access_token)
    assert_error(api_client.post(REFRESH, {"refresh": access}), 401, "token_not_valid")
    assert_error(api_client.post(REFRESH, {}), 400, "validation_error")

    expired = RefreshToken.for_user(customer)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    assert_error(api_client.post(REFRESH, {"refresh": str(expired)}), 401, "token_not_valid")

    refresh = str(RefreshToken.for_user(customer))
    customer.state = AccountState.SUSPENDED
    customer.save()
    assert_error(api_client.post(REFRESH, {"refresh": refresh}), 403, "account_suspended")


def test_token_verify(api_client, customer):
    tokens = login(api_client, "cara@example.com").json()
    assert api_client.post(TOKEN_VERIFY, {"token": tokens["access"]}).status_code == 200
    assert_error(api_client.post(TOKEN_VERIFY, {"token": "junk"}), 401, "token_not_valid")

    expired = AccessToken.for_user(customer)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    assert_error(api_client.post(TOKEN_VERIFY, {"token": str(expired)}), 401, "token_not_valid")


def test_token_verify_says_nothing_of_refresh_tokens(api_client, customer):
    """Used or not, a refresh token is refused: the holder of a stolen copy must not learn when
    the customer rotates it (and present it within the grace period, unnoticed)."""
    tokens = login(api_client, "cara@example.com").json()
    unused = api_client.post(TOKEN_VERIFY, {"token": tokens["refresh"]})
    api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    used = api_client.post(TOKEN_VERIFY, {"token": tokens["refresh"]})

    assert_error(unused, 401, "token_not_valid")
    assert used.json() == unused.json()


def test_expired_access_token_is_401(api_client, customer):
    expired = AccessToken.for_user(customer)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    response = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {expired}")
    assert_error(response, 401, "token_not_valid")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_access_token_answers_our_own_code_and_message(api_client, customer):
    expired = AccessToken.for_user(customer)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    gone = UserFactory(email="gone@example.com")
    of_a_deleted_user = str(AccessToken.for_user(gone))
    gone.delete()
    of_an_unverified_user = str(AccessToken.for_user(UserFactory(unverified=True)))
    for token in [
        "junk",
        "a.b.c",
        str(expired),
        str(RefreshToken.for_user(customer)),  # a refresh token is no access token
        of_a_deleted_user,
        of_an_unverified_user,
    ]:
        response = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 401, token
        assert response.json() == {
            "error": {
                "code": "token_not_valid",
                "message": "The access token is invalid or expired.",
            }
        }
        assert response["WWW-Authenticate"].startswith("Bearer")

    response = api_client.get(ME, HTTP_AUTHORIZATION="Bearer two parts")
    assert_error(response, 401, "bad_authorization_header")
    assert "Bearer <access token>" in response.json()["error"]["message"]


def test_logout_blacklists_that_refresh_token_only(api_client, customer):
    first = login(api_client, "cara@example.com").json()
    second = login(api_client, "cara@example.com").json()
    client = client_for(customer)

    assert client.post(LOGOUT, {"refresh": first["refresh"]}).status_code == 204
    assert_error(api_client.post(REFRESH, {"refresh": first["refresh"]}), 401, "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": second["refresh"]}).status_code == 200
    assert_error(client.post(LOGOUT, {"refresh": first["refresh"]}), 400, "invalid_token")


def test_logout_refuses_someone_elses_token(customer, other_customer):
    theirs = str(RefreshToken.for_user(other_customer))
    assert_error(client_for(customer).post(LOGOUT, {"refresh": theirs}), 400, "invalid_token")
    assert client_for(other_customer).post(LOGOUT, {"refresh": theirs}).status_code == 204


def test_suspension_stops_existing_tokens_at_once(api_client, customer, admin):
    tokens = login(api_client, "cara@example.com").json()
    header = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access']}"}
    assert api_client.get(ME, **header).status_code == 200

    response = client_for(admin).patch(
        f"/api/v1/admin/users/{customer.pk}/", {"state": "suspended"}
    )
    assert response.status_code == 200

    assert_error(api_client.get(ME, **header), 403, "account_suspended")
    assert_error(api_client.post(REFRESH, {"refresh": tokens["refresh"]}), 403, "account_suspended")
    assert_error(api_client.post(TOKEN_VERIFY, {"token": tokens["access"]}), 401, "token_not_valid")


# Passwords


def test_password_reset_link_sets_a_new_password_once(
    api_client, customer, django_capture_on_commit_callbacks
):
    old_tokens = login(api_client, "cara@example.com").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(RESET, {"email": "Cara@Example.com"})
    assert response.status_code == 202
    path, params = last_link_to("cara@example.com")
    assert path == "/reset-password"

    confirm = api_client.post(RESET_CONFIRM, {**params, "new_password": NEW_PASSWORD})
    assert confirm.status_code == 200
    assert login(api_client, "cara@example.com", NEW_PASSWORD).status_code == 200
    assert_error(login(api_client, "cara@example.com"), 401, "invalid_credentials")

    again = api_client.post(RESET_CONFIRM, {**params, "new_password": "Another-Pass-77"})
    assert_error(again, 400, "invalid_token")
    # Tokens issued before the reset stop working.
    stale = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {old_tokens['access']}")
    assert stale.status_code == 401
    assert_error(
        api_client.post(REFRESH, {"refresh": old_tokens["refresh"]}), 401, "token_not_valid"
    )


def test_password_reset_answers_the_same_for_unknown_and_suspended(
    api_client, django_capture_on_commit_callbacks
):
    UserFactory(email="gone@example.com", suspended=True)
    with django_capture_on_commit_callbacks(execute=True):
        unknown = api_client.post(RESET, {"email": "nobody@example.com"})
        suspended = api_client.post(RESET, {"email": "gone@example.com"})
    assert unknown.status_code == suspended.status_code == 202
    assert unknown.json() == suspended.json()
    assert not mail.outbox


def test_password_reset_errors(api_client, customer, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(RESET, {"email": "cara@example.com"})
    _, params = last_link_to("cara@example.com")

    weak = api_client.post(RESET_CONFIRM, {**params, "new_password": "123"})
    assert_error(weak, 400, "validation_error")
    assert "new_password" in weak.json()["error"]["details"]

    wrong = api_client.post(RESET_CONFIRM, {**params, "token": "x-y", "new_password": NEW_PASSWORD})
    assert_error(wrong, 400, "invalid_token")

    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_LINK_SECONDS + 5)
    with mock.patch.object(PasswordResetTokens, "_now", return_value=later):
        expired = api_client.post(RESET_CONFIRM, {**params, "new_password": NEW_PASSWORD})
    assert_error(expired, 400, "invalid_token")
    assert_error(api_client.post(RESET, {"email": "nope"}), 400, "validation_error")
    # The link still works within its lifetime: the failures above changed nothing.
    assert (
        api_client.post(RESET_CONFIRM, {**params, "new_password": NEW_PASSWORD}).status_code == 200
    )


def test_password_reset_verifies_an_unverified_address(
    api_client, django_capture_on_commit_callbacks
):
    UserFactory(email="new@example.com", unverified=True)
    with django_capture_on_commit_callbacks(execute=True):
        api_client.post(RESET, {"email": "new@example.com"})
    _, params = last_link_to("new@example.com")
    api_client.post(RESET_CONFIRM, {**params, "new_password": NEW_PASSWORD})
    assert login(api_client, "new@example.com", NEW_PASSWORD).status_code == 200


def test_password_change(api_client, customer):
    old = login(api_client, "cara@example.com").json()
    client = client_for(customer)

    wrong = client.post(CHANGE, {"old_password": "nope", "new_password": NEW_PASSWORD})
    assert_error(wrong, 400, "validation_error")
    assert "old_password" in wrong.json()["error"]["details"]
    weak = client.post(CHANGE, {"old_password": PASSWORD, "new_password": "abc"})
    assert_error(weak, 400, "validation_error")
    assert "new_password" in weak.json()["error"]["details"]

    changed = client.post(CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    fresh = changed.json()
    assert api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {fresh['access']}").status_code == 200
    assert api_client.post(REFRESH, {"refresh": fresh["refresh"]}).status_code == 200
    # Every token issued before the change is revoked.
    stale = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert_error(stale, 401, "password_changed")
    assert stale.json()["error"]["message"] == (
        "The password has changed since this token was issued; log in again."
    )
    assert_error(api_client.post(REFRESH, {"refresh": old["refresh"]}), 401, "token_not_valid")
    assert login(api_client, "cara@example.com", NEW_PASSWORD).status_code == 200


# Throttling


def test_auth_endpoints_are_throttled(api_client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    for _ in range(3):
        assert login(api_client, "x@example.com").status_code == 401
    # One bucket for login, register, reset and email-exists.
    response = api_client.get(EXISTS, {"email": "x@example.com"})
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


# Headers


def test_answers_with_tokens_are_never_stored(api_client, customer):
    def assert_no_store(response):
        assert "no-store" in response["Cache-Control"], response

    tokens = login(api_client, "cara@example.com").json()
    assert_no_store(login(api_client, "cara@example.com"))
    assert_no_store(login(api_client, "cara@example.com", "wrong"))
    assert_no_store(api_client.post(REFRESH, {"refresh": tokens["refresh"]}))
    assert_no_store(api_client.post(REFRESH, {"refresh": "junk"}))
    change = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_no_store(client_for(customer).post(CHANGE, change))


def test_a_new_password_ends_every_login_and_a_later_replay_raises_no_alarm(
    api_client, customer, caplog
):
    other_device = login(api_client, "cara@example.com").json()["refresh"]
    tokens = login(api_client, "cara@example.com").json()
    api_client.post(REFRESH, {"refresh": other_device})
    used_long_ago(other_device)
    client = client_for(customer)
    changed = client.post(CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200

    assert not OutstandingToken.objects.filter(
        blacklistedtoken__isnull=True, jti=RefreshToken(tokens["refresh"], verify=False)["jti"]
    ).exists()
    assert_error(api_client.post(REFRESH, {"refresh": other_device}), 401, "token_not_valid")
    assert "WARNING" not in caplog.text
    assert api_client.post(REFRESH, {"refresh": changed.json()["refresh"]}).status_code == 200


def test_expired_refresh_tokens_are_forgotten_a_lifetime_after_their_expiry(customer):
    """Until then, a used copy presented late is still caught
    (`test_a_used_refresh_token_presented_after_its_expiry_still_revokes_its_login`)."""
    recent, old = (services._tokens_for(customer)["refresh"] for _ in range(2))
    OutstandingToken.objects.filter(jti=RefreshToken(old)["jti"]).update(
        expires_at=timezone.now() - timedelta(days=8)
    )
    OutstandingToken.objects.filter(jti=RefreshToken(recent)["jti"]).update(
        expires_at=timezone.now() - timedelta(days=6)
    )

    out = StringIO()
    call_command("purge_refresh_tokens", stdout=out)

    assert out.getvalue() == "1 expired refresh token(s) forgotten.\n"

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [
        RefreshToken(recent, verify=False)["jti"]
    ]
    assert RefreshTokenLink.objects.count() == 1

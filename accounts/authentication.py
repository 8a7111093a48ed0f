import threading

from django.db import connection
from rest_framework import exceptions
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from core.db import RowLoader

from .exceptions import AccountSuspended
from .models import AccountState, User


class AccessTokenNotValid(exceptions.AuthenticationFailed):
    """Our words for every way an access token fails (simplejwt's name token classes and list
    their messages). 401, with WWW-Authenticate."""

    default_detail = "The access token is invalid or expired."
    default_code = "token_not_valid"


class AccessTokenRevoked(exceptions.AuthenticationFailed):
    default_detail = "The password has changed since this token was issued; log in again."
    default_code = "password_changed"


class BadAuthorizationHeader(exceptions.AuthenticationFailed):
    default_detail = "The Authorization header must be `Bearer <access token>`."
    default_code = "bad_authorization_header"


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication (the user is read on every request, so suspension and password
    changes take effect at once), answering a suspended account's tokens as at login, and every
    other failure with our own code and message."""

    def get_raw_token(self, header: bytes) -> bytes | None:
        try:
            return super().get_raw_token(header)
        except AuthenticationFailed as exc:
            raise BadAuthorizationHeader() from exc

    def get_validated_token(self, raw_token: bytes):
        """simplejwt's validation, remembered per process for the token's lifetime: checking the
        signature again (PyJWT walks the token character by character in Python) costs a tenth
        of a booking's CPU and can only give the same answer for the same bytes. The expiry is
        checked again on every use; the user (active, password unchanged) is read every time."""
        token = _validated.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
            except TokenError as exc:
                _validated.pop(raw_token, None)
                raise AccessTokenNotValid() from exc
            return token
        try:
            token = super().get_validated_token(raw_token)
        except AuthenticationFailed as exc:
            raise AccessTokenNotValid() from exc
        with _validated_lock:  # the threads of a process share it: one evicts at a time
            if len(_validated) >= VALIDATED_TOKENS_KEPT:
                _validated.pop(next(iter(_validated)), None)  # the oldest: a dict keeps its order
            _validated[raw_token] = token
        return token

    def get_user(self, validated_token) -> User:
        try:
            return self._user(validated_token)
        except AuthenticationFailed as exc:
            code = exc.detail.get("code")
            if code == "user_inactive":
                user_id = validated_token.get("user_id")
                if User.objects.filter(pk=user_id, state=AccountState.SUSPENDED).exists():
                    raise AccountSuspended() from exc
            if code == "password_changed":
                raise AccessTokenRevoked() from exc
            # No user id in the token, a deleted or an unverified user.
            raise AccessTokenNotValid() from exc

    def _user(self, validated_token) -> User:
        """simplejwt's `get_user` (its checks: a user id, the user exists and is active, the
        password unchanged), with the user read by plain SQL: every authenticated request reads
        one, and the ORM's query building costs more than the database's answer."""
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            return super().get_user(validated_token)  # its own error for a token without one
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {_USER.columns} FROM {User._meta.db_table} u WHERE u.id = %s",  # noqa: S608
                [user_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        user = _USER.load(row)
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has changed.", code="password_changed")
        return user


_USER = RowLoader(User, alias="u")
# Access tokens validated in this process (raw token -> token), oldest first.
VALIDATED_TOKENS_KEPT = 4096
_validated: dict[bytes, object] = {}
_validated_lock = threading.Lock()

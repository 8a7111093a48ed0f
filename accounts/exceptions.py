from rest_framework import status

from core.exceptions import ApplicationError


class InvalidCredentials(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "invalid_credentials"
    message = "E-mail or password is incorrect."


class EmailNotVerified(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "email_not_verified"
    message = "Verify your e-mail address before logging in."


class AccountSuspended(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "account_suspended"
    message = "This account is suspended."


class InvalidToken(ApplicationError):
    """A link token (e-mail verification, password reset) that is wrong, used or expired."""

    code = "invalid_token"
    message = "This link is invalid or has expired."


class TokenNotValid(ApplicationError):
    """An access or refresh token that is malformed, expired, revoked, or whose user is gone."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "token_not_valid"
    message = "The token is invalid, expired or revoked."


class RefreshTokenReused(ApplicationError):
    """A rotated refresh token presented again after the grace period: a copy of it is in
    someone else's hands, so every token of that login was revoked (the user's other logins
    stay)."""

    status_code = status.HTTP_401_UNAUTHORIZED
    code = "refresh_token_reused"
    message = (
        "This refresh token was used before: a copy of it is in other hands, so this login has "
        "been ended wherever it was used. Log in again."
    )


class AccountLocked(ApplicationError):
    """Too many failed logins (accounts.lockout); `retry_after` says when to try again."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "account_locked"
    message = "Too many failed logins for this account from your address; try again later."

    def __init__(self, message: str | None = None, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

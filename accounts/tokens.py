"""One-time tokens for the links we e-mail, and the uid that travels with them.

Django's generator hashes user state into the token, so a token stops working once it has done its
job: the password hash changes on reset, the account state changes on verification. The token of
an unsubscribe link is the exception: a signed user id that works for good (`unsubscribe_token`).
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode


class _LinkTokenGenerator(PasswordResetTokenGenerator):
    """Django's generator with a lifetime of its own (Django's setting is only the upper bound)."""

    lifetime_setting: str

    def check_token(self, user, token) -> bool:
        if not super().check_token(user, token):
            return False
        issued_at = base36_to_int(token.partition("-")[0])
        return self._num_seconds(self._now()) - issued_at <= getattr(
            settings, self.lifetime_setting
        )


class PasswordResetTokens(_LinkTokenGenerator):
    lifetime_setting = "PASSWORD_RESET_LINK_SECONDS"


class EmailVerificationTokens(_LinkTokenGenerator):
    key_salt = "accounts.tokens.EmailVerificationTokens"
    lifetime_setting = "EMAIL_VERIFICATION_LINK_SECONDS"

    def _make_hash_value(self, user, timestamp) -> str:
        return f"{user.pk}{user.email}{user.state}{timestamp}"


password_reset_tokens = PasswordResetTokens()
email_verification_tokens = EmailVerificationTokens()


def uid_encode(pk: int) -> str:
    return urlsafe_base64_encode(force_bytes(pk))


def uid_decode(uid: str) -> int | None:
    try:
        return int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError):
        return None


UNSUBSCRIBE_SALT = "accounts.tokens.unsubscribe"


def unsubscribe_token(user) -> str:
    """The token of a promotional e-mail's unsubscribe link: the user's id, signed (with
    SECRET_KEY). It does not expire - an old e-mail's link keeps working - and it can do nothing
    but switch `promotions_opt_in` off."""
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT, compress=False)


def unsubscribe_user_id(token: str) -> int | None:
    """The user id an unsubscribe token was signed for; None for a forged or mangled one."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None

"""djangorestframework-simplejwt: access and refresh tokens."""

from datetime import timedelta

from .environment import env

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a hash of the password hash: changing the password revokes them all.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# A rotated refresh token presented again after this many seconds is taken for a stolen copy:
# every token of its login is revoked. Sooner, it is two tabs or a retry racing the rotation: it
# gets the pair the rotation issued.
JWT_REFRESH_REUSE_GRACE_SECONDS = env.int("JWT_REFRESH_REUSE_GRACE_SECONDS", default=10)

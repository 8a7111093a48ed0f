from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from .exceptions import AccountSuspended
from .models import AccountState, User


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's authentication (the user is read on every request, so suspension and password
    changes take effect at once), answering a suspended account's tokens as at login."""

    def get_user(self, validated_token) -> User:
        try:
            return super().get_user(validated_token)
        except AuthenticationFailed as exc:
            if exc.detail.get("code") == "user_inactive":
                user_id = validated_token.get("user_id")
                if User.objects.filter(pk=user_id, state=AccountState.SUSPENDED).exists():
                    raise AccountSuspended() from exc
            raise

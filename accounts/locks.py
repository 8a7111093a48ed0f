"""The accounts app's row locks, each refusing to run outside a transaction, taken in this order:
the user, then their refresh tokens (primary-key order)."""

from django.db.models import Q
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from core.db import transaction_required

from .models import User


def user_lock(user_id: int | None) -> None:
    """The user's row (if there is one): what serialises the rotations and revocations of their
    refresh tokens."""
    transaction_required()
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))


def refresh_token_lock(jti: str) -> OutstandingToken | None:
    """The outstanding (issued) refresh token with this jti, locked; None if we never issued it."""
    transaction_required()
    return OutstandingToken.objects.select_for_update().filter(jti=jti).first()


def family_tokens_lock(family: str, now) -> list[OutstandingToken]:
    """The live (neither expired nor used) refresh tokens of a login's family, locked; with the
    family's first token when it was issued before families were recorded (it has no link)."""
    transaction_required()
    return list(
        OutstandingToken.objects.select_for_update()
        .filter(Q(link__family=family) | Q(jti=family, link__isnull=True))
        .filter(expires_at__gt=now, blacklistedtoken__isnull=True)
        .order_by("pk")
    )

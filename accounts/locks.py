"""The accounts app's row locks, each refusing to run outside a transaction, taken in this order:
the user, then their refresh tokens (the one presented first, then the others in primary-key
order: the user's lock, held by every service that rotates or revokes them, serialises them)."""

from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from core.db import transaction_required

from .models import RefreshTokenLink, User


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
    family's first token when it was issued before families were recorded (it has no link).
    Found through the family's index first, then locked by primary key: a locking read with the
    two conditions in one would scan - and wait on - every user's tokens."""
    transaction_required()
    ids = set(RefreshTokenLink.objects.filter(family=family).values_list("token_id", flat=True))
    ids.update(OutstandingToken.objects.filter(jti=family).values_list("pk", flat=True))
    return _live_locked(now, pk__in=ids) if ids else []


def user_tokens_lock(user_id: int, now) -> list[OutstandingToken]:
    """The user's live refresh tokens, locked (after the user's row)."""
    transaction_required()
    return _live_locked(now, user_id=user_id)


def _live_locked(now, **lookup) -> list[OutstandingToken]:
    """Refresh tokens neither expired nor used, locked in primary-key order."""
    return list(
        OutstandingToken.objects.select_for_update()
        .filter(**lookup, expires_at__gt=now, blacklistedtoken__isnull=True)
        .order_by("pk")
    )

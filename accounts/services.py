"""Every write of the accounts app: registration, verification, login and tokens, passwords,
profile, and the administrators' account management."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from core.emails import email_send_on_commit

from . import locks
from .exceptions import (
    AccountSuspended,
    EmailNotVerified,
    InvalidCredentials,
    InvalidToken,
    RefreshTokenReused,
    TokenNotValid,
)
from .lockout import (
    lockout_reset,
    login_allowed_check,
    login_failure_record,
    login_success_record,
)
from .models import AccountState, RefreshTokenLink, Role, User, UserManager
from .tokens import (
    email_verification_tokens,
    password_reset_tokens,
    uid_decode,
    uid_encode,
    unsubscribe_user_id,
)

logger = logging.getLogger(__name__)

EMAIL_TAKEN = "An account with this e-mail address already exists."

# Fields a user may change on their own profile; administrators may also change `role`.
PROFILE_FIELDS = ("first_name", "last_name", "phone", "promotions_opt_in")


def password_validate(password: str, user: User, *, field: str) -> None:
    """Django's password validators, with the messages under `field`."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _user_insert(user: User, password: str) -> User:
    """Validate and save a new user; a taken e-mail is a validation error, also under a race."""
    user.email = UserManager.normalize_email(user.email)
    user.full_clean(exclude=["password"], validate_unique=False)
    if User.objects.filter(email=user.email).exists():
        raise ValidationError({"email": [EMAIL_TAKEN]})
    password_validate(password, user, field="password")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # Another registration for the same address committed between our check and our insert.
        raise ValidationError({"email": [EMAIL_TAKEN]}) from exc
    return user


def _link(path: str, user: User, token: str) -> str:
    return f"{settings.FRONTEND_URL}/{path}?uid={uid_encode(user.pk)}&token={token}"


def _user_for_uid(uid: str) -> User:
    user = User.objects.filter(pk=uid_decode(uid)).first()
    if user is None:
        raise InvalidToken()
    return user


# Registration and e-mail verification


def user_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    phone: str = "",
    promotions_opt_in: bool = False,
) -> User:
    """Create an unverified customer and e-mail them a verification link (after commit)."""
    with transaction.atomic():
        user = _user_insert(
            User(
                email=email,
                first_name=first_name,
                last_name=last_name,
                phone=phone,
                promotions_opt_in=promotions_opt_in,
            ),
            password,
        )
        verification_email_send(user=user)
    return user


def verification_email_send(*, user: User) -> None:
    link = _link("verify-email", user, email_verification_tokens.make_token(user))
    email_send_on_commit(
        to=[user.email],
        template="accounts/email/verify_email",
        context={"user": user, "link": link},
        sensitive=True,
    )


def verification_email_resend(*, email: str) -> None:
    """Send a new link if an unverified account has this address; silent otherwise."""
    user = User.objects.filter(
        email=UserManager.normalize_email(email), state=AccountState.UNVERIFIED
    ).first()
    if user is not None:
        verification_email_send(user=user)


def user_verify_email(*, uid: str, token: str) -> User:
    """Activate an unverified account. The state change makes the token unusable a second time.

    The update is conditional on the state, so it cannot undo a suspension that raced with it.
    """
    user = _user_for_uid(uid)
    if not email_verification_tokens.check_token(user, token):
        raise InvalidToken()
    now = timezone.now()
    updated = User.objects.filter(pk=user.pk, state=AccountState.UNVERIFIED).update(
        state=AccountState.ACTIVE, email_verified_at=now
    )
    if not updated:
        raise InvalidToken()
    user.refresh_from_db()
    return user


# Login and tokens


def _pair(refresh: RefreshToken) -> dict[str, str]:
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _tokens_for(user: User, *, rotated: OutstandingToken | None = None) -> dict[str, str]:
    """A new pair. Its refresh token starts a family - a login - or, replacing `rotated`, joins
    that one's (a token issued before families were recorded starts its own)."""
    refresh = RefreshToken.for_user(user)
    issued = OutstandingToken.objects.get(jti=refresh[jwt_settings.JTI_CLAIM])
    if rotated is None:
        RefreshTokenLink.objects.create(token=issued, family=issued.jti)
        return _pair(refresh)
    link = _place(rotated)
    RefreshTokenLink.objects.create(token=issued, family=link.family)
    link.successor = issued
    link.save()
    return _pair(refresh)


def user_login(*, email: str, password: str, request: HttpRequest) -> tuple[User, dict[str, str]]:
    """Check credentials, then the account state. Returns the user and a token pair.

    The state is revealed only to someone who knows the password; an unknown address costs a
    password hash too, so response times do not tell which addresses exist.

    Failed logins are limited (accounts.lockout): an account locked from this client's address,
    or from everywhere, raises AccountLocked before its password is checked, and so does the
    failure that locks it. `request` is the HTTP request (django-axes reads the client's address
    from it and flags a lockout on it).
    """
    login_allowed_check(request=request, email=email)
    user = User.objects.filter(email=UserManager.normalize_email(email)).first()
    if user is None:
        User().set_password(password)
    if user is None or not user.check_password(password):
        login_failure_record(request=request, email=email)
        raise InvalidCredentials()
    if user.state == AccountState.UNVERIFIED:
        raise EmailNotVerified()
    if user.state == AccountState.SUSPENDED:
        raise AccountSuspended()
    login_success_record(request=request, user=user)
    return user, _tokens_for(user)


def _token_user(token: Token) -> User:
    """The active user a JWT belongs to. Raises for a deleted or suspended user and for a token
    issued before the user's last password change."""
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is not None and user.state == AccountState.SUSPENDED:
        raise AccountSuspended()
    revoke_claim = token.get(jwt_settings.REVOKE_TOKEN_CLAIM)
    if user is None or not user.is_active or revoke_claim != get_md5_hash_password(user.password):
        raise TokenNotValid()
    return user


class _PresentedRefreshToken(RefreshToken):
    """A refresh token checked as simplejwt checks it (signature, type) but for its blacklist
    and expiry, which `token_refresh` and `user_logout` weigh themselves: a used token presented
    again is a replay whatever its age. `expired` says whether it has expired."""

    expired = False

    def check_blacklist(self) -> None:
        pass

    def check_exp(self, claim: str = "exp", current_time=None) -> None:
        try:
            super().check_exp(claim, current_time)
        except TokenError:
            self.expired = True


def _presented(raw: str) -> _PresentedRefreshToken:
    """A refresh token we signed (expired or not). Raises TokenNotValid."""
    try:
        return _PresentedRefreshToken(raw)
    except ExpiredTokenError:
        pass  # PyJWT's own expiry check, made after the signature's: this one is ours
    except TokenError as exc:
        raise TokenNotValid() from exc
    try:
        token = _PresentedRefreshToken(raw, verify=False)
        token.verify()
    except TokenError as exc:
        raise TokenNotValid() from exc
    token.expired = True
    return token


def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: blacklist it and issue a new pair of the same login (family).

    Locks the user's row, then the token's outstanding row: requests racing with one refresh
    token rotate it once, and a revocation of the family sees every token rotated before it.

    A token used before is a replay. Within `JWT_REFRESH_REUSE_GRACE_SECONDS` of its use it is
    two tabs or a retry: the answer is the pair its rotation issued (the same refresh token)
    while that one is unused. Later - or expired meanwhile - a copy of it is in other hands (RFC
    9700, refresh token rotation): every live token of its family is revoked, the thief's and
    the customer's alike, and RefreshTokenReused raised. Nothing left to revoke (the login ended
    already): TokenNotValid.
    """
    token = _presented(refresh)
    now = timezone.now()
    with transaction.atomic():
        locks.user_lock(token.get(jwt_settings.USER_ID_CLAIM))
        outstanding = locks.refresh_token_lock(token[jwt_settings.JTI_CLAIM])
        if outstanding is None:
            raise TokenNotValid()
        used_at = (
            BlacklistedToken.objects.filter(token=outstanding)
            .values_list("blacklisted_at", flat=True)
            .first()
        )
        if used_at is None:
            if token.expired:
                raise TokenNotValid()
            user = _token_user(token)
            BlacklistedToken.objects.create(token=outstanding)
            return _tokens_for(user, rotated=outstanding)
        grace = timedelta(seconds=settings.JWT_REFRESH_REUSE_GRACE_SECONDS)
        if used_at > now - grace:
            return _successor_pair(outstanding, now)
        revoked = _login_revoke(outstanding, now)
    if not revoked:
        logger.info("A used refresh token was presented again; its login had ended already")
        raise TokenNotValid()
    logger.warning(
        "A used refresh token was presented again: user %s, %s token(s) of its login revoked",
        outstanding.user_id,
        revoked,
    )
    raise RefreshTokenReused()


def _successor_pair(outstanding: OutstandingToken, now) -> dict[str, str]:
    """The pair a token's rotation issued, again: its refresh token if still unused, with a new
    access token. Raises TokenNotValid (no such token, or used, expired or revoked since)."""
    successor = _place(outstanding).successor
    if (
        successor is None
        or successor.expires_at <= now
        or BlacklistedToken.objects.filter(token=successor).exists()
    ):
        raise TokenNotValid()
    refresh = RefreshToken(successor.token, verify=False)
    _token_user(refresh)  # suspended, or its password changed, since
    return _pair(refresh)


def refresh_tokens_purge() -> int:
    """Forget refresh tokens expired for longer than a token lives (`JWT_REFRESH_DAYS`), with
    their links and blacklist entries; how many. Until then a used copy presented after its
    expiry is still a replay that revokes its login (simplejwt's `flushexpiredtokens`, which
    forgets them at expiry, would end that: use this, daily, instead)."""
    lifetime = jwt_settings.REFRESH_TOKEN_LIFETIME
    _, by_model = OutstandingToken.objects.filter(expires_at__lt=timezone.now() - lifetime).delete()
    return by_model.get(OutstandingToken._meta.label, 0)


def _logins_end(user_id: int) -> None:
    """Revoke every live refresh token of the user (under their lock): a new password ends every
    login. The password hash in the tokens voids them already; revoked, a later replay of one
    is no alarm (its login ended)."""
    _revoke(locks.user_tokens_lock(user_id, timezone.now()))


def _login_revoke(outstanding: OutstandingToken, now) -> int:
    """Blacklist the live refresh tokens of the login `outstanding` belongs to (under the user's
    lock: none is being rotated meanwhile); how many."""
    return _revoke(locks.family_tokens_lock(_place(outstanding).family, now))


def _place(outstanding: OutstandingToken) -> RefreshTokenLink:
    """An issued refresh token's place in its login; for one issued before logins were recorded,
    a new (unsaved) link: it starts its own."""
    link = RefreshTokenLink.objects.select_related("successor").filter(token=outstanding).first()
    return link or RefreshTokenLink(token=outstanding, family=outstanding.jti)


def _revoke(tokens: list[OutstandingToken]) -> int:
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in tokens], ignore_conflicts=True
    )
    return len(tokens)


def token_verify(*, token: str) -> None:
    """Raise `TokenNotValid` unless the access token would be accepted now. Refresh tokens are
    not verified here: telling whether one has been used would let the holder of a stolen copy
    learn when the customer rotates it, and present it within the grace period unnoticed."""
    try:
        parsed = AccessToken(token)
    except TokenError as exc:
        raise TokenNotValid() from exc
    jti = parsed.get(jwt_settings.JTI_CLAIM)
    if BlacklistedToken.objects.filter(token__jti=jti).exists():
        raise TokenNotValid()
    try:
        _token_user(parsed)
    except AccountSuspended as exc:
        raise TokenNotValid() from exc


def user_logout(*, user: User, refresh: str) -> None:
    """End one login: revoke every live token of the refresh token's family - also when this
    token was rotated already (a copy in other hands may have rotated it: its successors go too)
    or has expired. The user's other logins stay. Raises InvalidToken (not the user's, or the
    login ended already)."""
    invalid = "The refresh token is invalid, expired or already revoked."
    try:
        token = _presented(refresh)
    except TokenNotValid as exc:
        raise InvalidToken(invalid) from exc
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidToken(invalid)
    with transaction.atomic():
        locks.user_lock(user.pk)
        outstanding = locks.refresh_token_lock(token[jwt_settings.JTI_CLAIM])
        if outstanding is None:
            raise InvalidToken(invalid)
        revoked = _login_revoke(outstanding, timezone.now())
    if not revoked:
        raise InvalidToken(invalid)


# Passwords


def password_change(*, user: User, old_password: str, new_password: str) -> dict[str, str]:
    """Change the password. Every token issued before stops working (the tokens carry a hash of
    the password hash); the returned pair keeps this session logged in."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is incorrect."]})
    password_validate(new_password, user, field="new_password")
    with transaction.atomic():
        locks.user_lock(user.pk)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _logins_end(user.pk)
        return _tokens_for(user)


def password_reset_request(*, email: str) -> None:
    """E-mail a one-time reset link if a non-suspended account has this address; silent otherwise."""
    user = (
        User.objects.filter(email=UserManager.normalize_email(email))
        .exclude(state=AccountState.SUSPENDED)
        .first()
    )
    if user is None:
        return
    link = _link("reset-password", user, password_reset_tokens.make_token(user))
    email_send_on_commit(
        to=[user.email],
        template="accounts/email/password_reset",
        context={"user": user, "link": link, "hours": settings.PASSWORD_RESET_LINK_SECONDS // 3600},
        sensitive=True,
    )


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset link. The new password hash voids the link and every token.

    Following the link proves the address belongs to the user, so an unverified account becomes
    active, and a locked account (too many failed logins) is unlocked.
    """
    user = _user_for_uid(uid)
    if user.state == AccountState.SUSPENDED or not password_reset_tokens.check_token(user, token):
        raise InvalidToken()
    password_validate(new_password, user, field="new_password")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        # Re-check under the lock: a second use of the same link waits here and then fails.
        if not password_reset_tokens.check_token(user, token):
            raise InvalidToken()
        user.set_password(new_password)
        fields = ["password"]
        if user.state == AccountState.UNVERIFIED:
            user.state = AccountState.ACTIVE
            user.email_verified_at = timezone.now()
            fields += ["state", "email_verified_at"]
        user.save(update_fields=fields)
        _logins_end(user.pk)
        lockout_reset(email=user.email)
    return user


# Profile


def user_update(*, user: User, data: dict, by: User | None = None) -> User:
    """Change profile fields. `role` only by an administrator, and never their own."""
    allowed = PROFILE_FIELDS + (("role",) if by is not None and by.is_admin else ())
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            {field: ["This field cannot be changed."] for field in sorted(unknown)}
        )
    if "role" in data and data["role"] != user.role and by is not None and by.pk == user.pk:
        raise ValidationError({"role": ["You cannot change your own role."]})
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"], validate_unique=False)
    user.save(update_fields=list(data))
    return user


def user_unsubscribe(*, token: str) -> User:
    """Switch promotional e-mail off for the user an unsubscribe link was signed for, without a
    login; the same link works again (and changes nothing). Raises InvalidToken."""
    user = User.objects.filter(pk=unsubscribe_user_id(token)).first()
    if user is None:
        raise InvalidToken("This unsubscribe link is invalid.")
    User.objects.filter(pk=user.pk).update(promotions_opt_in=False)
    user.promotions_opt_in = False
    return user


# Administration


def user_create(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    role: str = Role.CUSTOMER,
    phone: str = "",
) -> User:
    """An account made by an administrator: active at once, no verification e-mail."""
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        role=role,
        state=AccountState.ACTIVE,
        email_verified_at=timezone.now(),
    )
    return _user_insert(user, password)


def user_suspend(*, user: User, by: User) -> User:
    """Suspend an account: login is refused and its existing tokens stop working at once."""
    if user.pk == by.pk:
        raise ValidationError({"state": ["You cannot suspend your own account."]})
    User.objects.filter(pk=user.pk).update(state=AccountState.SUSPENDED)
    user.refresh_from_db()
    return user


def user_reactivate(*, user: User) -> User:
    """Lift a suspension. An address that was never verified goes back to unverified."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.state == AccountState.SUSPENDED:
            user.state = AccountState.ACTIVE if user.email_verified_at else AccountState.UNVERIFIED
            user.save(update_fields=["state"])
    return user


def user_admin_update(*, user: User, data: dict, by: User) -> User:
    """An administrator's change to an account - profile, role, suspension - as one write."""
    data = dict(data)
    state = data.pop("state", None)
    with transaction.atomic():
        if data:
            user = user_update(user=user, data=data, by=by)
        if state == AccountState.SUSPENDED:
            user = user_suspend(user=user, by=by)
        elif state == AccountState.ACTIVE:
            user = user_reactivate(user=user)
    return user

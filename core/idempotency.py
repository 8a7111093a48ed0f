"""`Idempotency-Key`: a retry with the same key and body gets the first answer; the work is done
once, also when the retries race each other.

Two ways to hold a key while the work runs:

- `idempotent` (locked): the key's row is committed first, then locked for the whole request, so
  duplicates wait on that lock and replay the stored answer. For work done inside one database
  transaction (holding seats).
- `idempotent_leased`: the key is leased for a while instead of locked, so the work may call out
  of the process (a payment provider) with no row lock held. A duplicate arriving meanwhile gets
  409 `request_in_progress`; after it, the stored answer. A lease left by a crashed attempt runs
  out and the key can be tried again.

Request bodies are compared by a keyed hash (HMAC with SECRET_KEY): a body may hold a card number,
and a plain hash of one could be brute-forced.
"""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework import status

from .exceptions import ApplicationError, error_body
from .models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
LEASE = timedelta(seconds=60)
HEADER = "Idempotency-Key"


class IdempotencyKeyReused(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used with a different request body."


class RequestInProgress(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "request_in_progress"
    message = "A request with this Idempotency-Key is still being processed."
    retry_after = 1


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return salted_hmac("core.idempotency", canonical, algorithm="sha256").hexdigest()


def key_from_header(value: str | None, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ValidationError({HEADER: ["This header is required."]})
        return None
    if len(value) > 255:
        raise ValidationError({HEADER: ["At most 255 characters."]})
    return value


def _as_json(body: Any) -> Any:
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def _expired_forget(lookup: dict) -> bool:
    """Forget the key if it has outlived its lifetime; whether it did."""
    deleted, _ = IdempotencyKey.objects.filter(
        **lookup, created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    return bool(deleted)


def idempotent(
    *, user, scope: str, key: str | None, payload: Any, action: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run `action` (returning status and body) once per key; returns (status, body, replayed).

    Without a key, just runs it. `action` runs inside the transaction that holds the key's lock,
    so its writes and the stored answer commit together. Only successful answers are stored: a
    failed attempt changed nothing, and the same request may be tried again.
    """
    if key is None:
        return (*action(), False)
    digest = request_hash(payload)
    lookup = {"user": user, "scope": scope, "key": key}
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(**lookup, request_hash=digest)
    except IntegrityError:
        # Someone holds this key (we queue on its lock below), or it is an expired one.
        if _expired_forget(lookup):
            return idempotent(user=user, scope=scope, key=key, payload=payload, action=action)
    with transaction.atomic():
        record = IdempotencyKey.objects.select_for_update().get(**lookup)
        if record.request_hash != digest:
            raise IdempotencyKeyReused()
        if record.response_status is not None:
            return record.response_status, record.response_body, True
        status_code, body = action()
        record.response_status = status_code
        record.response_body = _as_json(body)
        record.save(update_fields=["response_status", "response_body"])
    return status_code, body, False


def idempotent_leased(
    *, user, scope: str, key: str, payload: Any, action: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run `action` once per key with no transaction or lock held around it.

    The first answer is stored and replayed - also a domain error (a declined card stays declined
    for this key) - except transient ones (those with Retry-After) and unexpected failures, after
    which the key is free to be tried again at once.
    """
    digest = request_hash(payload)
    lookup = {"user": user, "scope": scope, "key": key}
    _expired_forget(lookup)
    now = timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                **lookup, request_hash=digest, locked_until=now + LEASE
            )
    except IntegrityError:
        record = IdempotencyKey.objects.get(**lookup)
        if record.request_hash != digest:
            raise IdempotencyKeyReused() from None
        if record.response_status is not None:
            return record.response_status, record.response_body, True
        # Someone holds the lease. Take it over only if it has run out (a crashed attempt).
        lease_free = Q(locked_until=None) | Q(locked_until__lt=now)
        taken = IdempotencyKey.objects.filter(
            lease_free, pk=record.pk, response_status=None
        ).update(locked_until=now + LEASE)
        if not taken:
            raise RequestInProgress() from None
    keep = IdempotencyKey.objects.filter(pk=record.pk)
    try:
        status_code, body = action()
    except ApplicationError as exc:
        if exc.retry_after:
            keep.update(locked_until=None)
            raise
        status_code, body = exc.status_code, error_body(exc.code, exc.message, exc.details)
    except BaseException:
        keep.update(locked_until=None)
        raise
    keep.update(response_status=status_code, response_body=_as_json(body), locked_until=None)
    return status_code, body, False


def replay_headers(replayed: bool) -> dict[str, str] | None:
    """Tells a client that this is the stored answer to an earlier request."""
    return {"Idempotent-Replayed": "true"} if replayed else None


def idempotency_keys_purge() -> int:
    """Delete keys older than their lifetime (they are ignored already); for cron."""
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    return deleted

"""`Idempotency-Key`: a retry with the same key and body gets the first answer; the work is done
once, also when the retries race each other.

The key's row is committed first (so a concurrent duplicate sees it at once), then locked for the
whole request: duplicates wait on that lock and replay the stored answer. If the first attempt
failed or died, its row has no answer, and whoever holds the lock next does the work.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status

from .exceptions import ApplicationError
from .models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
HEADER = "Idempotency-Key"


class IdempotencyKeyReused(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used with a different request body."


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_from_header(value: str | None, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ValidationError({HEADER: ["This header is required."]})
        return None
    if len(value) > 255:
        raise ValidationError({HEADER: ["At most 255 characters."]})
    return value


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
    IdempotencyKey.objects.filter(**lookup, created_at__lt=timezone.now() - KEY_LIFETIME).delete()
    try:
        with transaction.atomic():
            IdempotencyKey.objects.create(**lookup, request_hash=digest)
    except IntegrityError:
        pass  # someone already holds this key: we queue on its lock below
    with transaction.atomic():
        record = IdempotencyKey.objects.select_for_update().get(**lookup)
        if record.request_hash != digest:
            raise IdempotencyKeyReused()
        if record.response_status is not None:
            return record.response_status, record.response_body, True
        status_code, body = action()
        record.response_status = status_code
        record.response_body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        record.save(update_fields=["response_status", "response_body"])
    return status_code, body, False


def idempotency_keys_purge() -> int:
    """Delete keys older than their lifetime (they are ignored already); for cron."""
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    return deleted

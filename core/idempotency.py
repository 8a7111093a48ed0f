"""`Idempotency-Key`: a retry with the same key and body gets the first answer; the work is done
once, also when the retries race each other.

The key is leased, never locked across the work: its row is inserted (or taken over) by one
statement that commits on its own, the work runs with no transaction open - so the service's own
`transaction.atomic(durable=True)` is the whole lock scope, with or without the header - and the
answer is stored after the work has committed. A duplicate that arrives meanwhile waits a moment
for that answer (`WAIT`), then gets 409 `request_in_progress`. A lease left by a crashed attempt
runs out (`LEASE`) and the next request with the key takes it over, told that it `resumed` one:
the work may have been done, and the action finds out before doing it again.

`replay_errors` says whether a domain error is an answer too (a declined card stays declined for
its key) or leaves the key free for another try (seats taken: the same request may succeed
later). Transient errors (those with Retry-After) and unexpected failures always free the key.

Request bodies are compared by a keyed hash (HMAC with SECRET_KEY): a body may hold a card number,
and a plain hash of one could be brute-forced.
"""

import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework import status

from .db import instances_insert
from .exceptions import ApplicationError, error_body
from .models import IdempotencyKey

KEY_LIFETIME = timedelta(hours=24)
LEASE = timedelta(seconds=60)
# How long a duplicate waits for the first request's answer before 409 `request_in_progress`.
WAIT = timedelta(seconds=3)
POLL_SECONDS = 0.05
HEADER = "Idempotency-Key"
MAX_LENGTH = 255
# The header's schema in the OpenAPI document ("" counts as no key: it is not a key).
HEADER_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH}


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
    if len(value) > MAX_LENGTH:
        raise ValidationError({HEADER: [f"At most {MAX_LENGTH} characters."]})
    return value


def _expired_forget(lookup: dict) -> bool:
    """Forget the key if it has outlived its lifetime; whether it did."""
    deleted, _ = IdempotencyKey.objects.filter(
        **lookup, created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    return bool(deleted)


def idempotent(
    *,
    user,
    scope: str,
    key: str | None,
    payload: Any,
    action: Callable[[bool], tuple[int, Any]],
    replay_errors: bool,
) -> tuple[int, Any, bool]:
    """Run `action(resumed)` (returning status and body) once per key; returns (status, body,
    replayed). Without a key, just runs it. No transaction is open around `action`: called
    inside one, it raises TransactionManagementError (the lease would not commit on its own, and
    a duplicate would wait on the key's row lock instead of for the stored answer)."""
    if any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        # Django's own test (a TestCase's blocks are flagged so) for `atomic(durable=True)`.
        raise TransactionManagementError("idempotent() must not run inside a transaction.")
    if key is None:
        return (*action(False), False)
    digest = request_hash(payload)
    lookup = {"user": user, "scope": scope, "key": key}
    record, resumed, replay = _lease(lookup, digest)
    if replay is not None:
        return replay
    try:
        status_code, body = action(resumed)
    except ApplicationError as exc:
        if exc.retry_after or not replay_errors:
            _lease_release(record.pk)
            raise
        status_code, body = exc.status_code, error_body(exc.code, exc.message, exc.details)
    except BaseException:
        _lease_release(record.pk)
        raise
    _answer_store(record.pk, status_code, body)
    return status_code, body, False


def _lease_release(pk: int) -> None:
    """End the lease without an answer: the key is free for another try."""
    IdempotencyKey.objects.filter(pk=pk).update(locked_until=None)


def _answer_store(pk: int, status_code: int, body: Any) -> None:
    """Store the answer to replay and end the lease. Plain SQL, every request with a key stores
    one: the body is serialised once, to the text the JSON field would write (the field cannot
    encode decimals or dates itself, and its update had to serialise the body twice)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {IdempotencyKey._meta.db_table} SET response_status = %s, "  # noqa: S608
            "response_body = %s, locked_until = NULL WHERE id = %s",
            [status_code, json.dumps(body, cls=DjangoJSONEncoder), pk],
        )


def _lease(lookup: dict, digest: str):
    """Lease the key: (record, resumed, None), or (None, False, the stored answer to replay).

    Waits up to `WAIT` while another request holds the lease. Raises IdempotencyKeyReused,
    RequestInProgress.
    """
    deadline = time.monotonic() + WAIT.total_seconds()
    while True:
        now = timezone.now()
        record = IdempotencyKey(**lookup, request_hash=digest, locked_until=now + LEASE)
        try:
            # One plain INSERT (`instances_insert`; nothing listens to the model's signals),
            # committed on its own: every request with a key makes one, and `create()` costs
            # more than the row; a transaction around it, two round trips more.
            instances_insert([record])
            return record, False, None
        except IntegrityError:
            if _expired_forget(lookup):
                continue  # an earlier use of the key outlived its lifetime: start afresh
            record = IdempotencyKey.objects.filter(**lookup).first()
        if record is None:
            continue  # forgotten in between (it had expired): insert it again
        if record.request_hash != digest:
            raise IdempotencyKeyReused()
        if record.response_status is not None:
            return None, False, (record.response_status, record.response_body, True)
        lease_free = Q(locked_until=None) | Q(locked_until__lt=now)
        if IdempotencyKey.objects.filter(lease_free, pk=record.pk, response_status=None).update(
            locked_until=now + LEASE
        ):
            # A lease that ran out belonged to an attempt that died mid-way; a released one
            # (None) to a failure that changed nothing.
            return record, record.locked_until is not None, None
        if time.monotonic() >= deadline:
            raise RequestInProgress()
        time.sleep(POLL_SECONDS)


def replay_headers(replayed: bool) -> dict[str, str] | None:
    """Tells a client that this is the stored answer to an earlier request."""
    return {"Idempotent-Replayed": "true"} if replayed else None


def idempotency_keys_purge() -> int:
    """Delete keys older than their lifetime (they are ignored already); for cron."""
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - KEY_LIFETIME
    ).delete()
    return deleted

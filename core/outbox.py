"""Delivering the outbox (`core.emails` writes it): one task per message, enqueued after commit.

A message is claimed before it is sent - one conditional UPDATE that only one worker wins (QUEUED
and due, or SENDING with a claim that ran out) - so several workers on several hosts never send
it twice, and no row lock is held while the mail server is talked to. A failed attempt puts it
back with an exponential backoff; after `EMAIL_MAX_ATTEMPTS` (or a permanent refusal) it is
FAILED, and the admin's "send again" queues it anew. A worker killed mid-send leaves its claim
to run out (`EMAIL_SEND_LEASE_SECONDS`); the sweep then hands the message to another worker.

A mail written to be rendered when it is sent (`core.emails.email_queue_on_commit`) is rendered
by the worker that holds its claim, from the database, and stored on its row - subject, bodies,
files - in one transaction, under the claim, before the mail server is talked to: whatever
happens next, every later attempt (and "send again") sends what was stored.

With a broker (`CELERY_BROKER_URL`) the tasks run on Celery workers; without one they run
in-process after commit, and what failed waits for `manage.py send_queued_mail` (cron).
"""

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.image import MIMEImage
from functools import partial
from io import BytesIO

import segno
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .email_content import email_content_render
from .models import OutboundEmail, OutboundEmailAttachment

logger = logging.getLogger(__name__)
# What a sensitive mail's body becomes after its last attempt.
ERASED = "(erased after its last attempt: it held a one-time link)"

Status = OutboundEmail.Status
MAX_BACKOFF = timedelta(hours=1)
# A message still queued this long after it fell due has lost its task (the broker restarted).
SWEEP_GRACE = timedelta(minutes=2)


@dataclass(frozen=True)
class Delivery:
    """What one attempt came to; `retry_in` (seconds) when the message should be tried again."""

    status: str
    retry_in: int | None = None


def email_timeout() -> float:
    """Seconds any one step of talking to the mail server may take (Django's default: forever)."""
    return getattr(settings, "EMAIL_TIMEOUT", None) or 10


# The Celery task that delivers one message (`core.tasks.email_deliver`), registered by
# `CoreConfig.ready()`: the task module imports this one, never the other way round.
_delivery_task = None


def email_delivery_task_register(task) -> None:
    global _delivery_task
    _delivery_task = task


def email_delivery_enqueue(message_id: int) -> None:
    """Hand a message to a worker (without a broker: deliver it now, in-process). A broker that
    does not answer is logged, never raised: the message stays queued for the sweep."""
    if _delivery_task is None:
        raise RuntimeError("No e-mail delivery task is registered (core.apps.CoreConfig.ready).")
    try:
        _delivery_task.delay(message_id)
    except Exception:
        logger.exception("E-mail %s not enqueued; the outbox sweep will retry it", message_id)


def _due(now: datetime) -> Q:
    return Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )


def _claim(message_id: int, now: datetime) -> str | None:
    """Claim a due message for this worker: the token that proves it, or None (someone else has
    it, or it is not due, or it is done). The claim counts as an attempt."""
    token = secrets.token_hex(16)
    won = OutboundEmail.objects.filter(_due(now), pk=message_id).update(
        status=Status.SENDING,
        claim=token,
        claimed_until=now + timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return token if won else None


class OutboxMessage(EmailMultiAlternatives):
    """Text and HTML alternatives with the HTML's inline images beside them (multipart/related),
    and attachments around both (multipart/mixed)."""

    def __init__(self, *args, inline_images=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.inline_images:
            return msg
        related = SafeMIMEMultipart(
            _subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET
        )
        related.attach(msg)
        for content_id, filename, content, mimetype in self.inline_images:
            image = MIMEImage(content, _subtype=mimetype.split("/", 1)[1])
            image.add_header("Content-ID", f"<{content_id}>")
            image.add_header("Content-Disposition", "inline", filename=filename)
            related.attach(image)
        return related


def qr_png(text: str) -> bytes:
    buffer = BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=5, border=4)
    return buffer.getvalue()


def email_message_build(
    email: OutboundEmail, files: list[OutboundEmailAttachment]
) -> OutboxMessage:
    """The e-mail a stored message stands for, with its attachment rows `files` (QR codes drawn
    now)."""
    message = OutboxMessage(
        subject=email.subject,
        body=email.body_text,
        to=email.to,
        headers={"Message-ID": email.message_id},
    )
    message.attach_alternative(email.body_html, "text/html")
    for file in files:
        content = qr_png(file.qr_text) if file.qr_text else bytes(file.content)
        if file.content_id:
            message.inline_images.append((file.content_id, file.filename, content, file.mimetype))
        else:
            message.attach(file.filename, content, file.mimetype)
    return message


def _permanent(exc: Exception) -> bool:
    """The server refused the message itself (5xx): trying again would change nothing."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


def _backoff(attempts: int) -> int:
    seconds = settings.EMAIL_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return int(min(seconds, MAX_BACKOFF.total_seconds()))


def email_message_send(*, message_id: int) -> Delivery:
    """One attempt at sending a message: claim it, send it (no transaction or lock is open), and
    record the outcome under the claim. Errors of the mail server are recorded, never raised."""
    now = timezone.now()
    token = _claim(message_id, now)
    if token is None:
        return _unclaimed(message_id, now)
    email = OutboundEmail.objects.get(pk=message_id)
    mine = OutboundEmail.objects.filter(pk=message_id, claim=token)
    try:
        if email.rendered_at is None:
            files = _rendered_store(email, token)
        else:
            files = list(email.attachments.all())
        message = email_message_build(email, files)
        message.connection = get_connection(timeout=email_timeout())
        message.send()
    except ClaimLost:
        return _unclaimed(message_id, timezone.now())
    except EmailWithdrawn as exc:
        mine.update(status=Status.WITHDRAWN, claim="", claimed_until=None, last_error=str(exc))
        logger.info("E-mail %s withdrawn (%s): %s", message_id, email.template, exc)
        return Delivery(Status.WITHDRAWN)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if _permanent(exc) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            mine.update(
                status=Status.FAILED,
                claim="",
                claimed_until=None,
                last_error=error,
                **_erased(email),
            )
            logger.error(
                "E-mail %s failed after %s attempt(s): %s", message_id, email.attempts, error
            )
            return Delivery(Status.FAILED)
        delay = _backoff(email.attempts)
        mine.update(
            status=Status.QUEUED,
            claim="",
            claimed_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            last_error=error,
        )
        logger.warning(
            "E-mail %s not sent (attempt %s), next try in %s s: %s",
            message_id,
            email.attempts,
            delay,
            error,
        )
        return Delivery(Status.QUEUED, retry_in=delay)
    mine.update(
        status=Status.SENT, claim="", claimed_until=None, sent_at=timezone.now(), **_erased(email)
    )
    logger.info("E-mail %s sent (%s)", message_id, email.template)
    return Delivery(Status.SENT)


def _erased(email: OutboundEmail) -> dict:
    """A one-time secret leaves the outbox with the mail's last attempt (sent, or failed for
    good): nobody reads it in the admin later."""
    return {"body_text": ERASED, "body_html": ERASED} if email.sensitive else {}


class ClaimLost(Exception):
    """This worker's claim ran out, and another worker has the message now."""


class EmailWithdrawn(Exception):
    """Raised by a renderer (`core.emails.email_renderer`): what the mail would say is no longer
    true - a booking's confirmation, the booking cancelled before the mail's turn came. The
    message is not sent (WITHDRAWN, the reason kept as its last error). Checked when the mail is
    rendered, at its first attempt."""


def attachments_store(email: OutboundEmail, files) -> list[OutboundEmailAttachment]:
    """Store a message's files (`core.email_content.EmailFile`s) as its attachment rows."""
    return OutboundEmailAttachment.objects.bulk_create(
        OutboundEmailAttachment(
            email=email,
            filename=file.filename,
            mimetype=file.mimetype,
            content=file.content,
            content_id=file.content_id,
            qr_text=file.qr_text,
        )
        for file in files
    )


def _rendered_store(email: OutboundEmail, token: str) -> list[OutboundEmailAttachment]:
    """Render a mail written to be rendered when sent, and store it on its row - subject, bodies,
    files, `rendered_at` - in one transaction, under this worker's claim; returns its files. A
    render that fails is a failed attempt like any (retried, then FAILED; the error recorded).
    Raises ClaimLost when the claim ran out meanwhile (the message is another worker's now)."""
    subject, text, html, files = email_content_render(email)
    now = timezone.now()
    with transaction.atomic():
        stored = OutboundEmail.objects.filter(pk=email.pk, claim=token, rendered_at=None).update(
            subject=subject, body_text=text, body_html=html, rendered_at=now
        )
        if not stored:
            raise ClaimLost()
        rows = attachments_store(email, files)
    email.subject, email.body_text, email.body_html, email.rendered_at = subject, text, html, now
    return rows


def _unclaimed(message_id: int, now: datetime) -> Delivery:
    """Why a message could not be claimed: done, someone else's, or not due yet (a retry that
    arrived early: try again when it is due)."""
    row = OutboundEmail.objects.filter(pk=message_id).values("status", "next_attempt_at").first()
    if row is None:
        return Delivery("MISSING")
    if row["status"] == Status.QUEUED and row["next_attempt_at"] > now:
        wait = (row["next_attempt_at"] - now).total_seconds()
        return Delivery(Status.QUEUED, retry_in=max(int(wait) + 1, 1))
    return Delivery(row["status"])


def email_messages_send_due(*, limit: int = 1000) -> dict[str, int]:
    """Send every message that is due, in this process (`manage.py send_queued_mail`, cron):
    the queued ones whose time has come and those whose worker died mid-send. Safe beside
    workers and other runs: each message is claimed before it is sent."""
    now = timezone.now()
    ids = list(
        OutboundEmail.objects.filter(_due(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {Status.SENT: 0, Status.QUEUED: 0, Status.FAILED: 0, Status.WITHDRAWN: 0}
    for pk in ids:
        status = email_message_send(message_id=pk).status
        counts[status] = counts.get(status, 0) + 1
    return counts


def email_outbox_sweep(*, limit: int = 1000) -> int:
    """Enqueue again the messages whose task was lost: queued and overdue by more than
    `SWEEP_GRACE` (the broker restarted), or claimed by a worker that died. A duplicate task is
    harmless: only one of them wins the claim. For Celery beat."""
    now = timezone.now()
    lost = Q(status=Status.QUEUED, next_attempt_at__lt=now - SWEEP_GRACE) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )
    ids = list(
        OutboundEmail.objects.filter(lost).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        email_delivery_enqueue(pk)
    return len(ids)


def email_messages_requeue(*, message_ids: list[int]) -> int:
    """Send messages again (the admin's action): failed ones, or sent ones a customer lost.
    A message being sent right now is left alone, and so is a sensitive one (its body is erased
    once sent or failed: the customer asks for a new link). Returns how many were queued."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        queued = OutboundEmail.objects.filter(pk__in=message_ids, sensitive=False).exclude(
            status=Status.SENDING
        )
        ids = list(queued.values_list("pk", flat=True))
        queued.filter(pk__in=ids).update(
            status=Status.QUEUED, attempts=0, next_attempt_at=now, last_error=""
        )
        for pk in ids:
            transaction.on_commit(partial(email_delivery_enqueue, pk), robust=True)
    return len(ids)


def email_outbox_purge() -> int:
    """Delete sent messages older than `EMAIL_OUTBOX_RETENTION_DAYS` (their links are stale and
    their content personal), and withdrawn ones written as long ago."""
    cutoff = timezone.now() - timedelta(days=settings.EMAIL_OUTBOX_RETENTION_DAYS)
    done = Q(status=Status.SENT, sent_at__lt=cutoff) | Q(
        status=Status.WITHDRAWN, created_at__lt=cutoff
    )
    deleted, _ = OutboundEmail.objects.filter(done).delete()
    return deleted

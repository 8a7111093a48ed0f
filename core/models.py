from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an `Idempotency-Key`, kept for 24 hours.

    Keys belong to a user and a scope (`booking_create`, `booking_pay:42`), so one client's key
    never collides with another's, nor one endpoint's with another's.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    # Leased keys (work done outside a transaction): who holds the key, until when.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class OutboundEmail(models.Model):
    """An e-mail in the outbox: written in the transaction of the change that causes it, then
    delivered by a worker (`core.outbox`). Rendered when written (`core.emails.
    email_send_on_commit`), or - a mail made of what the database holds, such as a booking's
    confirmation - by the worker on its first attempt (`renderer`, `render_params`): its subject,
    bodies and files are stored then (`rendered_at`), and every later attempt sends those.

    QUEUED -> SENDING (claimed by one worker until `claimed_until`) -> SENT; back to QUEUED with
    a later `next_attempt_at` after a failed attempt; FAILED after `EMAIL_MAX_ATTEMPTS`.
    """

    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        SENDING = "SENDING", "Sending"
        SENT = "SENT", "Sent"
        FAILED = "FAILED", "Failed"
        # Not sent: what it said was no longer true when it was rendered (a booking's
        # confirmation, the booking cancelled before its turn came).
        WITHDRAWN = "WITHDRAWN", "Withdrawn"

    to = models.JSONField(help_text="The recipients' addresses.")
    template = models.CharField(max_length=100, help_text="What kind of mail this is.")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField()
    sensitive = models.BooleanField(
        default=False,
        help_text="It holds a one-time secret (a sign-in link): its body is never shown in the "
        "admin, and is erased once sent.",
    )
    # A mail rendered when it is sent: the registered renderer (`core.emails.email_renderer`)
    # that makes its context and files from the database, and what it is given (ids).
    renderer = models.CharField(max_length=50, blank=True)
    render_params = models.JSONField(default=dict, blank=True)
    # When subject, bodies and files were rendered; NULL: not yet (the first attempt does it).
    rendered_at = models.DateTimeField(null=True, blank=True)
    # The same Message-ID on every attempt: a mail client shows a rare second delivery once.
    message_id = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # While SENDING: the worker that claimed it, and until when its claim holds.
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbound e-mail"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["QUEUED", "SENDING", "SENT", "FAILED", "WITHDRAWN"]),
                name="outbound_email_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject or self.template} -> {', '.join(self.to)}"


class OutboundEmailAttachment(models.Model):
    """A file sent with an outbox e-mail: an attachment, or an image the HTML part shows inline
    (`content_id` set, referred to as `cid:<content_id>`)."""

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()
    content_id = models.CharField(max_length=100, blank=True)
    # A PNG QR code of this text, drawn when the mail is sent (`content` is empty then).
    qr_text = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename

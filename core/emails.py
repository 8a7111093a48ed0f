"""Templated e-mail through the outbox: a row written in the caller's transaction, delivered by a
worker once that transaction has committed (`core.outbox`).

A rolled-back transaction leaves no mail; a committed one never loses its mail, whatever the mail
server does meanwhile. Two ways to write one:

- `email_send_on_commit`: rendered here, so it says what was true when it was written (a link
  with a token only this request knows, a cancellation's "we are refunding").
- `email_queue_on_commit`: the row says what to send - the template, a renderer registered with
  `email_renderer` and its parameters (ids) - and the worker renders it from the database on its
  first attempt, storing subject, bodies and files on the row (`core.outbox`): a retry or the
  admin's "send again" sends the same mail. For mails written while rows are locked on a hot
  path (a booking's confirmation): the change's transaction pays for one insert, not for the
  templates, the QR codes' payloads or the calendar file.
"""

import secrets
import string
from collections.abc import Iterable
from functools import partial

from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.utils import timezone

from .db import instances_insert
from .email_content import (
    EmailContent,
    EmailFile,
    email_render,
    email_renderer,
    email_renderer_known,
)
from .models import OutboundEmail
from .outbox import attachments_store, email_delivery_enqueue

# What the writers of mail use, from where it is defined (`core.email_content`).
__all__ = [
    "EmailContent",
    "EmailFile",
    "email_queue_on_commit",
    "email_renderer",
    "email_send_on_commit",
]


def _message_id() -> str:
    """Letters only: no digits that could be mistaken for card data in a scan of the tables."""
    local = "".join(secrets.choice(string.ascii_lowercase) for _ in range(32))
    return f"<{local}@{DNS_NAME}>"


def email_send_on_commit(
    *,
    to: Iterable[str],
    template: str,
    context: dict,
    attachments: Iterable[EmailFile] = (),
    sensitive: bool = False,
) -> OutboundEmail:
    """Write the mail to the outbox, in the caller's transaction; a worker sends it after commit.

    Renders `<template>_subject.txt`, `<template>.txt` and `<template>.html` now. Called outside a
    transaction, the mail is written at once (one transaction for it and its files). A
    `sensitive` mail holds a one-time secret: the admin never shows its body, and the body is
    erased once sent (it cannot be sent again).
    """
    subject, text, html = email_render(template, context)
    with transaction.atomic():
        email = OutboundEmail.objects.create(
            to=list(to),
            template=template,
            subject=subject[:300],
            body_text=text,
            body_html=html,
            sensitive=sensitive,
            rendered_at=timezone.now(),
            message_id=_message_id(),
            next_attempt_at=timezone.now(),
        )
        attachments_store(email, attachments)
    transaction.on_commit(partial(email_delivery_enqueue, email.pk), robust=True)
    return email


def email_queue_on_commit(
    *, to: Iterable[str], template: str, renderer: str, params: dict
) -> OutboundEmail:
    """Write a mail to the outbox, in the caller's transaction, to be rendered when it is sent:
    `renderer(template, **params)` (registered with `email_renderer`; `params` as JSON) makes its
    context and files from the database then. One insert, nothing rendered now.

    The mail says what is true when it is first sent - for a mail sent right after its change
    commits, what the change wrote. Called outside a transaction, the row is written at once.
    Not for a mail holding a one-time secret: that one is written with
    `email_send_on_commit(sensitive=True)`.
    """
    if not email_renderer_known(renderer):
        raise LookupError(f"No e-mail renderer {renderer!r} is registered.")
    email = OutboundEmail(
        to=list(to),
        template=template,
        subject="",
        body_text="",
        body_html="",
        renderer=renderer,
        render_params=params,
        message_id=_message_id(),
        next_attempt_at=timezone.now(),
    )
    # One plain INSERT (nothing listens to the model's signals): every payment writes one while
    # it holds the booking's locks, and `create()` costs more in building its query than the row.
    instances_insert([email])
    transaction.on_commit(partial(email_delivery_enqueue, email.pk), robust=True)
    return email

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

import re
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .db import instances_insert
from .models import OutboundEmail
from .outbox import attachments_store, email_delivery_enqueue

_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class EmailFile:
    """A file sent with a mail. With `content_id`, an image the HTML part shows inline
    (`<img src="cid:{content_id}">`); `qr_text` makes it a PNG QR code of that text, drawn when
    the mail is sent (drawing is slow, and the mail is usually written while rows are locked)."""

    filename: str
    mimetype: str
    content: bytes = b""
    content_id: str = ""
    qr_text: str = ""

    @classmethod
    def qr_code(cls, *, content_id: str, text: str) -> "EmailFile":
        return cls(f"{content_id}.png", "image/png", content_id=content_id, qr_text=text)


@dataclass(frozen=True)
class EmailContent:
    """What a renderer makes of the database for a mail: its templates' context and its files."""

    context: dict
    attachments: list[EmailFile] = field(default_factory=list)


# renderer(template, **params) -> EmailContent, by name (see `email_renderer`).
Renderer = Callable[..., EmailContent]
_renderers: dict[str, Renderer] = {}


def email_renderer(name: str, renderer: Renderer) -> None:
    """Register how mails written with `email_queue_on_commit(renderer=name)` are rendered: apps
    above core register theirs in their `AppConfig.ready()` (core never imports them), so that
    every process that sends mail - a web worker without a broker, a Celery worker - has them."""
    _renderers[name] = renderer


def email_context(context: dict) -> dict:
    """What every mail's templates may use, besides their own context."""
    return {
        "frontend_url": settings.FRONTEND_URL,
        "chain_name": settings.CINEMA_CHAIN_NAME,
        **context,
    }


def email_render(template: str, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML of `<template>_subject.txt`, `<template>.txt`, `<template>.html`,
    each body with the footer every mail carries (the chain's name)."""
    context = email_context(context)
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context).rstrip() + "\n"
    text += render_to_string("core/email/footer.txt", context)
    html = render_to_string(f"{template}.html", context)
    footer = render_to_string("core/email/footer.html", context)
    if _BODY_END.search(html):
        html = _BODY_END.sub(lambda _: f"{footer}</body>", html, count=1)
    else:
        html = render_to_string(
            "core/email/layout.html", {**context, "content": html, "footer": footer}
        )
    return subject, text, html


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
    """
    if renderer not in _renderers:
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


def email_content_render(email: OutboundEmail) -> tuple[str, str, str, list[EmailFile]]:
    """Subject, text, HTML and files of a mail written with `email_queue_on_commit`, from the
    database as it is now. Raises LookupError for a renderer this process does not know."""
    renderer = _renderers.get(email.renderer)
    if renderer is None:
        raise LookupError(f"No e-mail renderer {email.renderer!r} is registered.")
    content = renderer(email.template, **email.render_params)
    subject, text, html = email_render(email.template, content.context)
    return subject[:300], text, html, list(content.attachments)

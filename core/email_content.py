"""What a mail says: its files, the renderers registered to make a mail from the database, and
the templates' rendering with what every mail carries. Both sides of the outbox use it: the
writing side (`core.emails`) and the delivery (`core.outbox`, which renders the mails written to
be rendered when sent)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string

from .models import OutboundEmail

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


def email_renderer_known(name: str) -> bool:
    return name in _renderers


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


def email_content_render(email: OutboundEmail) -> tuple[str, str, str, list[EmailFile]]:
    """Subject, text, HTML and files of a mail written with `email_queue_on_commit`, from the
    database as it is now. Raises LookupError for a renderer this process does not know."""
    renderer = _renderers.get(email.renderer)
    if renderer is None:
        raise LookupError(f"No e-mail renderer {email.renderer!r} is registered.")
    content = renderer(email.template, **email.render_params)
    subject, text, html = email_render(email.template, content.context)
    return subject[:300], text, html, list(content.attachments)

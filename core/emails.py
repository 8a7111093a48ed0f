"""Templated e-mail, sent only once the surrounding transaction has committed."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def email_send_on_commit(*, to: Iterable[str], template: str, context: dict) -> None:
    """Render `<template>_subject.txt`, `<template>.txt` and `<template>.html`, send after commit.

    A rolled-back transaction sends nothing. A mail server failure is logged (`robust`), never
    raised into the request that already committed its work.
    """
    recipients = list(to)
    context = {"frontend_url": settings.FRONTEND_URL, **context}

    def send():
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{template}.txt", context),
            to=recipients,
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.send()

    transaction.on_commit(send, robust=True)

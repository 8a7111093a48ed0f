"""Celery beat's job of the accounts app (the schedule is in settings/celery.py)."""

from celery import shared_task

from .services import refresh_tokens_purge


@shared_task(ignore_result=True)
def purge_refresh_tokens() -> int:
    return refresh_tokens_purge()

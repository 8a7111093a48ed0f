"""Celery beat's jobs of the booking app (the schedule is in settings/celery.py);
`manage.py release_expired_holds` does the same from cron."""

from celery import shared_task

from core.idempotency import idempotency_keys_purge

from .services import bookings_expire


@shared_task(ignore_result=True)
def release_expired_holds() -> dict[str, int]:
    """Record lapsed holds as EXPIRED and purge idempotency keys older than their lifetime."""
    return {"expired": bookings_expire(), "keys_purged": idempotency_keys_purge()}

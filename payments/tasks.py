"""Celery beat's jobs of the payments app (the schedule is in settings/celery.py);
`manage.py reconcile_payments` does the same from cron."""

from celery import shared_task

from .services import payments_reconcile_all


@shared_task(ignore_result=True)
def reconcile_payments() -> dict[str, int]:
    return payments_reconcile_all()

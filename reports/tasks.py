"""Celery beat's job of the reports app (the schedule is in settings/celery.py);
`manage.py refresh_reports` does the same from cron."""

from celery import shared_task

from .services import report_rollups_refresh


@shared_task(ignore_result=True)
def refresh_reports() -> dict[str, int | bool]:
    """The rollups brought up to date. On every beat of every deployment at once if need be:
    the refresh's lease lets one run, the others return at once (`skipped`)."""
    result = report_rollups_refresh()
    return {"showtimes": result.showtimes, "skipped": result.skipped}

"""Celery beat's jobs: each is a registered task doing what its cron command does."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from booking.models import Booking, BookingStatus
from booking.tasks import release_expired_holds
from booking.tests.factories import BookingFactory
from cinema_project.celery import app
from core.models import IdempotencyKey
from payments.tasks import reconcile_payments
from reports.models import RollupState
from reports.tasks import refresh_reports

pytestmark = pytest.mark.django_db


def test_every_scheduled_job_is_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "booking.tasks.release_expired_holds",
        "payments.tasks.reconcile_payments",
        "reports.tasks.refresh_reports",
        "core.tasks.outbox_sweep",
        "core.tasks.outbox_purge",
        "accounts.tasks.purge_refresh_tokens",
    }
    assert scheduled <= set(app.tasks)


def test_release_expired_holds_expires_holds_and_purges_old_keys(customer):
    booking = BookingFactory(user=customer)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    old = IdempotencyKey.objects.create(user=customer, scope="s", key="k", request_hash="h")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))

    assert release_expired_holds.delay().get() == {"expired": 1, "keys_purged": 1}
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED


def test_reconcile_payments_runs_the_reconciliation():
    assert reconcile_payments.delay().get() == {
        "examined": 0,
        "refunds_retried": 0,
        "unconfirmed_refunded": 0,
        "provider_refunds_applied": 0,
    }


def test_refresh_reports_brings_the_rollups_up_to_date(customer):
    BookingFactory(user=customer)

    assert refresh_reports.delay().get() == {"showtimes": 1, "skipped": False}
    assert RollupState.objects.get().refreshed_at is not None
    assert refresh_reports.delay().get() == {"showtimes": 0, "skipped": False}

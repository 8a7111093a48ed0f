"""Celery: the broker, how tasks are acknowledged, and Celery beat's schedule."""

from .environment import env

# e.g. redis://127.0.0.1:6379/1. Empty: no worker, tasks run in-process after the commit that
# queued them (a laptop, `make run`); what fails waits for `manage.py send_queued_mail` (cron).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it has run, and given to another worker if its worker dies: the
# outbox's claims make a second run harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that enqueues while the broker is down gives up quickly (the outbox sweep enqueues
# the message later) instead of hanging.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    # A retry waits up to an hour in the broker; it must not be handed out again before that.
    "visibility_timeout": 2 * 60 * 60,
    # Several deployments (or test runs) sharing one Redis keep apart with a prefix each.
    "global_keyprefix": env("CELERY_REDIS_KEY_PREFIX", default=""),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TIMEZONE = "UTC"

CELERY_BEAT_SCHEDULE = {
    "release-expired-holds": {
        "task": "booking.tasks.release_expired_holds",
        "schedule": env.int("RELEASE_EXPIRED_HOLDS_SECONDS", default=60),
    },
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_payments",
        "schedule": env.int("RECONCILE_PAYMENTS_SECONDS", default=300),
    },
    "refresh-reports": {
        "task": "reports.tasks.refresh_reports",
        "schedule": env.int("REFRESH_REPORTS_SECONDS", default=300),
    },
    "outbox-sweep": {
        "task": "core.tasks.outbox_sweep",
        "schedule": env.int("OUTBOX_SWEEP_SECONDS", default=60),
    },
    "outbox-purge": {"task": "core.tasks.outbox_purge", "schedule": 24 * 60 * 60},
    "refresh-tokens-purge": {
        "task": "accounts.tasks.purge_refresh_tokens",
        "schedule": 24 * 60 * 60,
    },
}

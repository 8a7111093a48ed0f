"""The Celery app: e-mail delivery from the outbox and the periodic jobs (Celery beat).

    celery -A cinema_project worker --beat --loglevel=INFO

runs a worker with the scheduler in one process (one host). In production run workers on as many
hosts as you like and exactly one beat: see README.md. Settings: settings/celery.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema_project.settings")

app = Celery("cinema_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

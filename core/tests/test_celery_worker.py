"""A real Celery worker against the real Redis: mails go from the outbox through the broker."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from cinema_project.celery import app
from core.emails import email_send_on_commit
from core.models import OutboundEmail
from core.outbox import email_message_send, email_outbox_sweep
from core.testing import free_port, wait_for

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


@contextmanager
def enqueueing_to_redis(broker_url: str = BROKER_URL):
    """The app enqueues to Redis (not in-process), under a key prefix of its own, so test runs
    sharing the Redis never take each other's tasks. Yields the prefix."""
    prefix = f"test-{uuid.uuid4().hex}:"
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "task_always_eager", "broker_transport_options")
    }
    app.conf.update(
        broker_url=broker_url,
        task_always_eager=False,
        broker_transport_options={**saved["broker_transport_options"], "global_keyprefix": prefix},
    )
    _connections_forget()  # connections are made with the settings above
    try:
        yield prefix
    finally:
        app.pool.force_close_all()
        _connections_forget()
        app.conf.update(saved)
        _keys_delete(broker_url, prefix)


def _keys_delete(broker_url: str, prefix: str) -> None:
    """What the run left in Redis (queues, bindings, unacknowledged tasks of a killed worker)."""
    with contextlib.suppress(redis.RedisError), redis.Redis.from_url(broker_url) as client:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)


def _connections_forget() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_worker():
    """A worker thread of this process consuming from Redis."""
    with enqueueing_to_redis(), start_worker(app, pool="solo", perform_ping_check=False) as worker:
        yield worker


def queue_mail() -> OutboundEmail:
    with transaction.atomic():
        return email_send_on_commit(
            to=["cara@x.com"],
            template="accounts/email/verify_email",
            context={"user": User(first_name="Cara"), "link": "https://app.example.com/x"},
        )


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_mail_through_redis(smtp_server, celery_worker):
    threads = []

    def send(**kwargs):
        threads.append(threading.get_ident())
        return email_message_send(**kwargs)

    with mock.patch("core.tasks.email_message_send", send):
        email = queue_mail()
        wait_for(lambda: smtp_server.to("cara@x.com"), timeout=30)
    assert threads
    assert threading.get_ident() not in threads  # the worker's thread sent it, not this one
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(smtp_server.messages) == 1


def worker_process(prefix: str, smtp_port: int, lease_seconds: int) -> subprocess.Popen:
    """`celery -A cinema_project worker` in a process of its own, on the test database, sending
    to the test's SMTP server."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cinema_project.settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "DATABASE_URL": f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 3306}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_REDIS_KEY_PREFIX": prefix,
        "EMAIL_SEND_LEASE_SECONDS": str(lease_seconds),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "celery", "-A", "cinema_project", "worker", "--pool=solo"]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_the_mail_is_still_delivered_once(smtp_server):
    """A worker dies while the mail server has the message half-sent: its claim runs out, the
    sweep hands the message to another worker, and the mail arrives once."""
    smtp_server.stalled = True
    with enqueueing_to_redis() as prefix:
        worker = worker_process(prefix, smtp_server.port, lease_seconds=3)
        try:
            email = queue_mail()
            wait_for(lambda: smtp_server.stalled_sessions, timeout=60)  # mid-send
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(30)
        email.refresh_from_db()
        assert (email.status, email.attempts) == (OutboundEmail.Status.SENDING, 1)

        smtp_server.stalled = False
        wait_for(lambda: email.__class__.objects.get(pk=email.pk).claimed_until < timezone.now())
        with start_worker(app, pool="solo", perform_ping_check=False):
            assert email_outbox_sweep() == 1
            wait_for(lambda: smtp_server.to("cara@x.com"), timeout=30)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.SENT, 2)
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_loses_nothing(smtp_server, caplog):
    """The commit's enqueue fails (logged, the request goes on); the sweep sends it later."""
    with enqueueing_to_redis(f"redis://127.0.0.1:{free_port()}/0"):
        email = queue_mail()
    assert "not enqueued" in caplog.text
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundEmail.Status.QUEUED, 0)

    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert email_outbox_sweep() == 1  # the broker is back (here: tasks run in-process)
    assert len(smtp_server.messages) == 1

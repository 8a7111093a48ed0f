"""Celery tasks of the outbox (`core.outbox`): delivering one message, the sweep for messages
whose task was lost, and the purge of old sent ones. The schedule is in settings/celery.py."""

from celery import shared_task

from .outbox import email_message_send, email_outbox_purge, email_outbox_sweep


@shared_task(bind=True, ignore_result=True)
def email_deliver(self, message_id: int) -> str:
    """Send one message; a failed attempt is retried with exponential backoff (the message's row
    says when). Run in-process (no broker), a failure waits for `send_queued_mail` instead."""
    delivery = email_message_send(message_id=message_id)
    if delivery.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=delivery.retry_in, max_retries=None)
    return delivery.status


@shared_task(ignore_result=True)
def outbox_sweep() -> int:
    return email_outbox_sweep()


@shared_task(ignore_result=True)
def outbox_purge() -> int:
    return email_outbox_purge()

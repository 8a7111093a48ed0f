from django.core.management.base import BaseCommand

from core.outbox import email_messages_send_due


class Command(BaseCommand):
    help = (
        "Send the e-mails of the outbox that are due: those whose last attempt failed and whose "
        "backoff has passed, and those whose worker died mid-send. For cron when no Celery "
        "worker runs (e.g. every minute); safe beside workers and on several hosts."
    )

    def handle(self, *args, **options):
        counts = email_messages_send_due()
        self.stdout.write(
            f"{counts['SENT']} sent, {counts['QUEUED']} to be retried, {counts['FAILED']} failed, "
            f"{counts['WITHDRAWN']} withdrawn."
        )

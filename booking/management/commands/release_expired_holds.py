from django.core.management.base import BaseCommand

from booking.services import bookings_expire
from core.idempotency import idempotency_keys_purge


class Command(BaseCommand):
    help = (
        "Mark pending bookings whose hold has run out EXPIRED and free their claims; purge "
        "idempotency keys older than 24 h. Expired holds are free to others already: this only "
        "tidies up. Safe to run from cron on several hosts at once."
    )

    def handle(self, *args, **options):
        expired = bookings_expire()
        purged = idempotency_keys_purge()
        self.stdout.write(f"{expired} booking(s) expired, {purged} idempotency key(s) purged.")

from django.core.management.base import BaseCommand

from accounts.services import refresh_tokens_purge


class Command(BaseCommand):
    help = (
        "Forget refresh tokens expired for longer than a token lives (JWT_REFRESH_DAYS). Run it "
        "daily from cron (beat does without it); not simplejwt's flushexpiredtokens, which "
        "forgets them at expiry and with them the replays of late copies."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{refresh_tokens_purge()} expired refresh token(s) forgotten.")

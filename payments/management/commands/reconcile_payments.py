from django.core.management.base import BaseCommand

from payments.services import payments_reconcile_all


class Command(BaseCommand):
    help = (
        "Settle payments whose outcome the provider did not report (or whose process died "
        "mid-charge), retry refunds the provider failed, and refund payments for bookings that "
        "were never confirmed, and record refunds the provider made that we did not. Run it from "
        "cron, e.g. every five minutes."
    )

    def handle(self, *args, **options):
        counts = payments_reconcile_all()
        self.stdout.write(
            f"{counts['examined']} payment(s) examined, {counts['refunds_retried']} refund(s) "
            f"retried, {counts['unconfirmed_refunded']} unconfirmed payment(s) refunded, "
            f"{counts['provider_refunds_applied']} payment(s) brought up to the provider's refunds."
        )

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        from booking import hooks

        from .selectors import payment_summaries
        from .services import payments_refund_for_cancelled_bookings

        # Payments sits above booking: it plugs into booking here, booking never imports it.
        hooks.on_bookings_cancelled(payments_refund_for_cancelled_bookings)
        hooks.payment_summaries_provide(payment_summaries)

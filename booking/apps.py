from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking"

    def ready(self):
        from core.emails import email_renderer
        from promotions import hooks as promotion_hooks
        from screening import selectors as screening_selectors

        from .models import TicketTypeCode
        from .selectors import seats_taken_subquery
        from .services.common import RENDERER, booking_email_content

        # Screening lists `seats_available`; what takes a seat is booking's rule.
        screening_selectors.seats_taken_provide(seats_taken_subquery)
        # A promotion may be limited to ticket types, which are booking's.
        promotion_hooks.ticket_types_provide(lambda: list(TicketTypeCode.values))
        # The confirmation is rendered when it is sent, in whichever process sends it.
        email_renderer(RENDERER, booking_email_content)

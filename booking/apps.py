from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking"

    def ready(self):
        from screening import selectors as screening_selectors

        from .selectors import seats_taken_subquery

        # Screening lists `seats_available`; what takes a seat is booking's rule.
        screening_selectors.seats_taken_provide(seats_taken_subquery)

import factory

from accounts.tests.factories import UserFactory
from booking import services
from booking.models import Booking
from screening.tests.factories import ShowtimeFactory


class BookingFactory(factory.django.DjangoModelFactory):
    """A real hold made by `booking_create` (seats default to the hall's first one); with
    `confirmed=True`, sold by `booking_confirm`."""

    class Meta:
        model = Booking

    user = factory.SubFactory(UserFactory)
    showtime = factory.SubFactory(ShowtimeFactory)
    seats = None
    confirmed = False

    @classmethod
    def _create(cls, model_class, user, showtime, seats=None, confirmed=False, ticket_type="ADULT"):
        seat_ids = seats or [
            showtime.hall.seats.order_by("pk").values_list("pk", flat=True).first()
        ]
        booking = services.booking_create(
            user=user,
            showtime_id=showtime.pk,
            seats=[services.SeatRequest(seat_id, ticket_type) for seat_id in seat_ids],
        )
        if confirmed:
            booking = services.booking_confirm(booking_id=booking.pk)
        return booking

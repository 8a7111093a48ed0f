from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from booking import services as booking_services
from booking.models import Booking
from boxoffice import services
from payments.models import PaymentMethod
from screening.tests.factories import ShowtimeFactory


class CounterSaleFactory(factory.django.DjangoModelFactory):
    """A booking sold at the counter by `counter_sale_create` (the hall's first seats, cash)."""

    class Meta:
        model = Booking

    sold_by = factory.SubFactory(UserFactory, staff=True)
    showtime = factory.SubFactory(ShowtimeFactory)

    @classmethod
    def _create(
        cls,
        model_class,
        sold_by,
        showtime,
        seats=1,
        method=PaymentMethod.CASH,
        tendered=Decimal("100.00"),
        customer_email="",
    ):
        seat_ids = showtime.hall.seats.order_by("pk").values_list("pk", flat=True)[:seats]
        return services.counter_sale_create(
            by=sold_by,
            showtime_id=showtime.pk,
            seats=[booking_services.SeatRequest(pk) for pk in seat_ids],
            method=method,
            tendered=tendered if method == PaymentMethod.CASH else None,
            customer_email=customer_email,
        ).booking

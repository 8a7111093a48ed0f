from datetime import timedelta
from decimal import Decimal

import factory
from django.conf import settings
from django.utils import timezone

from catalog.tests.factories import MovieFactory
from screening import services
from screening.models import Cinema, Hall, Showtime, ShowtimeStatus

SMALL_LAYOUT = {
    "rows": [
        {"label": "A", "seats": 4, "type": "STANDARD", "aisles_after": [2]},
        {"label": "B", "seats": 4, "type": "VIP"},
    ]
}


def layout_of(rows: int, seats: int, seat_type: str = "STANDARD") -> dict:
    labels = [chr(ord("A") + i) if i < 26 else f"A{chr(ord('A') + i - 26)}" for i in range(rows)]
    return {"rows": [{"label": label, "seats": seats, "type": seat_type} for label in labels]}


class CinemaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cinema

    name = factory.Sequence(lambda n: f"Cinema {n}")
    address = "1 Main Street"
    city = "Springfield"
    timezone = "UTC"


class HallFactory(factory.django.DjangoModelFactory):
    """A hall with its seats, made by the service (as the API and the admin make them)."""

    class Meta:
        model = Hall

    cinema = factory.SubFactory(CinemaFactory)
    name = factory.Sequence(lambda n: f"Hall {n}")
    layout = SMALL_LAYOUT

    @classmethod
    def _create(cls, model_class, cinema, name, layout):
        return services.hall_create(cinema=cinema, name=name, layout=layout)


def _ends_at(showtime) -> timezone.datetime:
    minutes = showtime.movie.duration_minutes + settings.SHOWTIME_CLEANING_MINUTES
    return showtime.starts_at + timedelta(minutes=minutes)


class ShowtimeFactory(factory.django.DjangoModelFactory):
    """Saved directly (no overlap check), so tests can also build the past and odd states."""

    class Meta:
        model = Showtime

    movie = factory.SubFactory(MovieFactory)
    hall = factory.SubFactory(HallFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(_ends_at)
    base_price = Decimal("10.00")
    language = "English"

    class Params:
        past = factory.Trait(
            starts_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
        )
        cancelled = factory.Trait(status=ShowtimeStatus.CANCELLED)

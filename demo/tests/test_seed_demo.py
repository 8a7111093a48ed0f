from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.models import Role, User
from booking.models import Booking, BookingStatus, Ticket
from catalog.models import Movie
from payments.models import Payment, PaymentStatus, Refund
from screening.models import Hall, Seat, Showtime
from screening.selectors import showtimes_overlapping

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in (User, Movie, Hall, Seat, Showtime)}


def test_seed_demo_loads_everything_once(settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    assert first["Movie"] == 12
    assert first["Hall"] == 6
    assert Showtime.objects.count() >= 6 * 4 * 6  # a week, minus today's past slots
    assert set(User.objects.values_list("role", flat=True)) == {
        Role.ADMIN,
        Role.STAFF,
        Role.CUSTOMER,
    }
    assert "customer@cinema.local" in out.getvalue()
    # Different layouts, with VIP and accessible seats.
    assert len(set(Hall.objects.values_list("capacity", flat=True))) == 3
    assert set(Seat.objects.values_list("seat_type", flat=True)) == {
        "STANDARD",
        "VIP",
        "ACCESSIBLE",
    }
    for showtime in Showtime.objects.all():
        assert not showtimes_overlapping(
            hall_id=showtime.hall_id,
            starts_at=showtime.starts_at,
            ends_at=showtime.ends_at,
            exclude_id=showtime.pk,
        ).exists()
    # Demo accounts can log in.
    user = User.objects.get(email="customer@cinema.local")
    assert user.is_active
    assert user.check_password("Demo-Customer-2026")

    # A day of sales: paid, held, cancelled and refunded, partly refunded, checked in.
    statuses = set(Booking.objects.values_list("status", flat=True))
    assert statuses >= {BookingStatus.CONFIRMED, BookingStatus.PENDING, BookingStatus.CANCELLED}
    assert Refund.objects.filter(amount=Decimal("5.00")).exists()
    assert Payment.objects.filter(status=PaymentStatus.REFUNDED).exists()
    assert Ticket.objects.exclude(checked_in_at=None).exists()
    first["Booking"] = Booking.objects.count()

    call_command("seed_demo", stdout=StringIO())
    first_again = counts()
    first_again["Booking"] = Booking.objects.count()
    assert first_again == first
    by_movie = Movie.objects.annotate(n=Count("showtimes"))
    assert by_movie.filter(n=0).count() == 3  # the three not yet released


def test_seed_demo_refuses_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=False"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()

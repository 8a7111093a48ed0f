"""A known month - March 2026 - of two cinemas in different time zones, made the way the apps
make it: holds, payments and refunds through their services at set times; promotions, cash and
counter card sales written as those features will write them (a booking's `discount` and
`promo_code`; a Payment with method CASH or CARD_PRESENT and status SUCCEEDED).

North is in Europe/Berlin (UTC+1 all month: summer time starts on 29 March), South in
America/New_York (UTC-5 until 8 March, UTC-4 after). Each hall has 8 seats: A1-A4 standard,
B1-B4 VIP (+3.00). Base price 10.00: ADULT 10.00, CHILD 7.00, SENIOR 8.00, STUDENT 8.50.

What happens (times UTC; the local day in brackets):
 S1  North, Movie One,  10 Mar 19:00 Berlin                      (in the period)
 S2  South, Movie Two,  15 Mar 20:00 New York = 16 Mar 00:00 UTC  (in the period)
 S3  North, Movie One,  20 Mar 19:00 Berlin, cancelled 18 Mar     (in the period, no seats)
 S4  North, Movie Two,   2 Apr 19:00 Berlin                      (after the period)
 S5  South, Movie One,  27 Feb 20:00 New York                    (before the period)

 a  S1 A1 A2 adult            card   05 Mar 12:00          20.00           [N 05]
 b  S1 A3 child, B1 adult     card   09 Mar 22:59:30       15.00, promo -5.00
                                     = 23:59:30 Berlin, just before midnight [N 09]
 c  S1 A4 senior              card   09 Mar 23:00:30        8.00
                                     = 00:00:30 Berlin, just after midnight  [N 10]
 d  S2 A1 adult, A2 student, A3 adult  card  15 Mar 03:59   28.50 = 23:59 New York [S 14];
                                     8.50 refunded 16 Mar 12:00          [S 16]
 e  S2 A4 adult, B1 adult     cash   15 Mar 23:30          23.00           [S 15]
 f  S2 B2 child               card at the counter 15 Mar 23:45  10.00     [S 15]
 g  S3 A1 A2 adult            card   12 Mar 10:00          20.00           [N 12];
                                     S3 cancelled 18 Mar 09:00: 20.00 back [N 18]
 h  S1 B2 adult               card   06 Mar 10:00          13.00           [N 06];
                                     refunded in full 07 Mar 10:00: booking cancelled [N 07]
 i  S4 A1 adult               card   28 Mar 10:00          10.00           [N 28]
 j  S5 A1 adult               card   20 Feb 15:00          10.00 (February);
                                     5.00 refunded 02 Mar 15:00          [S 02]
 k  S1 B3 student (VIP)       free   08 Mar 10:00: promo -11.50, nothing paid [N 08]
 l  S1 B4 adult               a hold never paid
 m  S2 B3 adult               a declined card; the hold expires
"""

from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

from accounts.tests.factories import UserFactory
from booking import services as booking_services
from booking.models import Booking
from catalog.tests.factories import MovieFactory
from payments import services as payment_services
from payments.cards import CardDetails
from payments.exceptions import PaymentDeclined
from payments.models import Payment, PaymentMethod, PaymentStatus
from payments.tests.helpers import DECLINED, card
from reports.periods import Period
from screening.tests.factories import CinemaFactory, HallFactory, ShowtimeFactory

MARCH = Period(datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date())


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@contextmanager
def at(moment: datetime):
    """The clock of every service (and of `auto_now` fields) reads `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@dataclass
class Month:
    north: object
    south: object
    movie_one: object
    movie_two: object
    showtimes: dict
    bookings: dict


def _seats(showtime, *labels):
    seats = {seat.label: seat.pk for seat in showtime.hall.seats.all()}
    return [seats[label] for label in labels]


def _hold(user, showtime, *seats, when, discount=None):
    """A hold of `seats` ((label, ticket type) pairs); `discount` as promotions will write it."""
    ids = _seats(showtime, *(label for label, _ in seats))
    with at(when):
        booking = booking_services.booking_create(
            user=user,
            showtime_id=showtime.pk,
            seats=[
                booking_services.SeatRequest(seat, kind)
                for seat, (_, kind) in zip(ids, seats, strict=True)
            ],
        )
    if discount is not None:
        Booking.objects.filter(pk=booking.pk).update(
            discount=discount, total=booking.subtotal - discount, promo_code="SPRING"
        )
        booking.refresh_from_db()
    return booking


def _pay_online(booking, *, when, number="4242424242424242"):
    with at(when):
        return payment_services.booking_pay(
            user=booking.user, booking_id=booking.pk, card=CardDetails(**card(number=number))
        )


def _sell_at_counter(booking, method, *, when):
    """What the box office will write: the booking confirmed and a captured payment."""
    with at(when):
        booking = booking_services.booking_confirm(booking_id=booking.pk)
        Payment.objects.create(
            booking=booking,
            user=booking.user,
            amount=booking.total,
            currency=booking.currency,
            status=PaymentStatus.SUCCEEDED,
            method=method,
            in_flight=None,
            provider="box_office",
        )
    return booking


def _refund(booking, *, when, amount=None):
    payment = Payment.objects.get(booking=booking, status__in=["SUCCEEDED", "PARTIALLY_REFUNDED"])
    with at(when):
        payment_services.payment_refund(payment_id=payment.pk, amount=amount, reason="Refund")


def known_month() -> Month:
    north = CinemaFactory(name="North", timezone="Europe/Berlin")
    south = CinemaFactory(name="South", timezone="America/New_York")
    north_hall = HallFactory(cinema=north, name="N1")
    south_hall = HallFactory(cinema=south, name="S1")
    one = MovieFactory(title="Movie One", duration_minutes=100)
    two = MovieFactory(title="Movie Two", duration_minutes=100)
    with at(utc(2026, 2, 1)):
        showtimes = {
            "S1": ShowtimeFactory(movie=one, hall=north_hall, starts_at=utc(2026, 3, 10, 18)),
            "S2": ShowtimeFactory(movie=two, hall=south_hall, starts_at=utc(2026, 3, 16, 0)),
            "S3": ShowtimeFactory(movie=one, hall=north_hall, starts_at=utc(2026, 3, 20, 18)),
            "S4": ShowtimeFactory(movie=two, hall=north_hall, starts_at=utc(2026, 4, 2, 17)),
            "S5": ShowtimeFactory(movie=one, hall=south_hall, starts_at=utc(2026, 2, 28, 1)),
        }
    s = showtimes
    customer = UserFactory(email="month@example.com")
    walk_in = UserFactory(email="counter@example.com")
    staff = UserFactory(staff=True, email="staff.month@example.com")
    admin = UserFactory(admin=True, email="admin.month@example.com")
    b = {}

    b["j"] = _hold(customer, s["S5"], ("A1", "ADULT"), when=utc(2026, 2, 20, 14, 58))
    _pay_online(b["j"], when=utc(2026, 2, 20, 15))
    _refund(b["j"], when=utc(2026, 3, 2, 15), amount=Decimal("5.00"))

    b["a"] = _hold(
        customer, s["S1"], ("A1", "ADULT"), ("A2", "ADULT"), when=utc(2026, 3, 5, 11, 58)
    )
    _pay_online(b["a"], when=utc(2026, 3, 5, 12))

    b["h"] = _hold(customer, s["S1"], ("B2", "ADULT"), when=utc(2026, 3, 6, 9, 58))
    _pay_online(b["h"], when=utc(2026, 3, 6, 10))
    _refund(b["h"], when=utc(2026, 3, 7, 10))

    b["k"] = _hold(
        customer, s["S1"], ("B3", "STUDENT"), when=utc(2026, 3, 8, 9, 58), discount=Decimal("11.50")
    )
    with at(utc(2026, 3, 8, 10)):
        payment_services.booking_pay(user=customer, booking_id=b["k"].pk)

    b["b"] = _hold(
        customer,
        s["S1"],
        ("A3", "CHILD"),
        ("B1", "ADULT"),
        when=utc(2026, 3, 9, 22, 58),
        discount=Decimal("5.00"),
    )
    _pay_online(b["b"], when=utc(2026, 3, 9, 22, 59, 30))

    b["c"] = _hold(customer, s["S1"], ("A4", "SENIOR"), when=utc(2026, 3, 9, 23))
    _pay_online(b["c"], when=utc(2026, 3, 9, 23, 0, 30))

    b["g"] = _hold(
        customer, s["S3"], ("A1", "ADULT"), ("A2", "ADULT"), when=utc(2026, 3, 12, 9, 58)
    )
    _pay_online(b["g"], when=utc(2026, 3, 12, 10))

    b["d"] = _hold(
        customer,
        s["S2"],
        ("A1", "ADULT"),
        ("A2", "STUDENT"),
        ("A3", "ADULT"),
        when=utc(2026, 3, 15, 3, 57),
    )
    _pay_online(b["d"], when=utc(2026, 3, 15, 3, 59))

    b["m"] = _hold(walk_in, s["S2"], ("B3", "ADULT"), when=utc(2026, 3, 15, 10))
    with suppress(PaymentDeclined):
        _pay_online(b["m"], when=utc(2026, 3, 15, 10, 1), number=DECLINED)

    b["e"] = _hold(
        walk_in, s["S2"], ("A4", "ADULT"), ("B1", "ADULT"), when=utc(2026, 3, 15, 23, 29)
    )
    _sell_at_counter(b["e"], PaymentMethod.CASH, when=utc(2026, 3, 15, 23, 30))
    b["f"] = _hold(walk_in, s["S2"], ("B2", "CHILD"), when=utc(2026, 3, 15, 23, 44))
    _sell_at_counter(b["f"], PaymentMethod.CARD_PRESENT, when=utc(2026, 3, 15, 23, 45))

    _refund(b["d"], when=utc(2026, 3, 16, 12), amount=Decimal("8.50"))

    with at(utc(2026, 3, 18, 9)):
        booking_services.showtime_cancel(showtime_id=s["S3"].pk, by=staff)

    b["i"] = _hold(customer, s["S4"], ("A1", "ADULT"), when=utc(2026, 3, 28, 9, 58))
    _pay_online(b["i"], when=utc(2026, 3, 28, 10))

    b["l"] = _hold(admin, s["S1"], ("B4", "ADULT"), when=utc(2026, 3, 9, 12))
    for booking in b.values():
        booking.refresh_from_db()
    return Month(north, south, one, two, showtimes, b)

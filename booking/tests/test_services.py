"""The booking rules, through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from booking import services
from booking.exceptions import (
    AlreadyCheckedIn,
    BookingNotConfirmed,
    BookingNotPayable,
    CancellationWindowClosed,
    HoldExpired,
    SeatsUnavailable,
    ShowtimeNotBookable,
    TicketNotFound,
)
from booking.models import Booking, BookingStatus, SeatClaim, Ticket, TicketType
from booking.services import SeatRequest
from screening import services as screening_services
from screening.exceptions import HallHasBookings
from screening.models import Seat, ShowtimeStatus
from screening.tests.factories import HallFactory, ShowtimeFactory

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def showtime():
    """A showtime in a hall with row A (4 standard seats) and row B (4 VIP seats)."""
    return ShowtimeFactory(base_price=Decimal("10.00"))


def seat(showtime, label: str) -> Seat:
    return showtime.hall.seats.get(row=label[0], number=int(label[1:]))


def book(user, showtime, *labels, ticket_type="ADULT"):
    return services.booking_create(
        user=user,
        showtime_id=showtime.pk,
        seats=[SeatRequest(seat(showtime, label).pk, ticket_type) for label in labels],
    )


def expire(booking):
    past = timezone.now() - timedelta(seconds=1)
    Booking.objects.filter(pk=booking.pk).update(expires_at=past)
    SeatClaim.objects.filter(booking=booking).update(expires_at=past)


def test_prices_are_computed_by_the_server(showtime, customer, settings):
    settings.BOOKING_FEE = Decimal("1.50")
    settings.TAX_RATE = Decimal("0.07")
    adult_vip = book(customer, showtime, "B1")
    assert [t.price for t in adult_vip.tickets.all()] == [Decimal("13.00")]  # 10.00 + VIP 3.00

    child = book(UserFactory(), showtime, "A1", "A2", ticket_type="CHILD")
    assert [t.price for t in child.tickets.all()] == [Decimal("7.00"), Decimal("7.00")]
    assert child.subtotal == Decimal("14.00")
    assert child.fees == Decimal("3.00")
    assert child.tax == Decimal("1.19")  # 7 % of 17.00
    assert child.total == Decimal("18.19")
    assert child.currency == "USD"


def test_a_ticket_keeps_the_price_it_was_sold_at(showtime, customer):
    booking = BookingFactory(user=customer, showtime=showtime, confirmed=True)
    TicketType.objects.filter(code="ADULT").update(multiplier=Decimal("2"))
    showtime.base_price = Decimal("99.00")
    showtime.save()
    assert booking.tickets.get().price == Decimal("10.00")


def test_a_seat_can_be_held_once(showtime, customer, other_customer):
    book(customer, showtime, "A1", "A2")
    with pytest.raises(SeatsUnavailable) as caught:
        book(other_customer, showtime, "A2", "A3")
    assert caught.value.details["seats"] == [seat(showtime, "A2").pk]
    assert "A2" in caught.value.message
    assert not Booking.objects.filter(user=other_customer).exists()
    assert not SeatClaim.objects.filter(seat=seat(showtime, "A3")).exists()


def test_an_expired_hold_is_free_at_once(showtime, customer, other_customer):
    first = book(customer, showtime, "A1")
    expire(first)
    second = book(other_customer, showtime, "A1")
    assert SeatClaim.objects.get(seat=seat(showtime, "A1")).booking == second
    assert Booking.objects.get(pk=first.pk).effective_status == BookingStatus.EXPIRED


def test_a_lapsed_hold_not_yet_swept_is_released_by_the_next_one(showtime, customer, settings):
    """Still the customer's pending booking for the showtime (the expiry job has not run), though
    no longer a live hold: the next hold releases it, and it counts against no limit."""
    settings.BOOKING_MAX_LIVE_HOLDS = 1
    first = book(customer, showtime, "A1")
    expire(first)
    second = book(customer, showtime, "A1")
    first.refresh_from_db()
    assert (first.status, first.pending) == (BookingStatus.CANCELLED, None)
    assert SeatClaim.objects.get(seat=seat(showtime, "A1")).booking == second


def test_a_new_booking_releases_the_customers_previous_hold(showtime, customer, other_customer):
    first = book(customer, showtime, "A1", "A2")
    second = book(customer, showtime, "A3")
    first.refresh_from_db()
    assert first.status == BookingStatus.CANCELLED
    assert first.cancellation_reason == "Replaced by a new booking."
    assert second.status == BookingStatus.PENDING
    assert book(other_customer, showtime, "A1", "A2")
    # The replaced booking can no longer be paid.
    with pytest.raises(BookingNotPayable):
        services.booking_confirm(booking_id=first.pk)


def test_database_refuses_a_second_claim_whatever_writes_it(showtime, customer):
    booking = book(customer, showtime, "A1")
    with pytest.raises(IntegrityError):
        SeatClaim.objects.create(showtime=showtime, seat=seat(showtime, "A1"), booking=booking)


def test_confirmation_sells_the_seats_with_unique_codes(
    showtime, customer, django_capture_on_commit_callbacks
):
    booking = book(customer, showtime, "A1", "B1")
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = services.booking_confirm(booking_id=booking.pk)
    assert confirmed.status == BookingStatus.CONFIRMED
    codes = [t.code for t in confirmed.tickets.all()]
    assert len(set(codes)) == 2
    assert all(len(code) >= 20 for code in codes)
    assert SeatClaim.objects.filter(booking=booking, expires_at=None).count() == 2
    # Confirming again changes nothing.
    assert [t.code for t in services.booking_confirm(booking_id=booking.pk).tickets.all()] == codes
    (message,) = mail.outbox
    assert booking.reference in message.subject
    assert all(code in message.body for code in codes)


def test_an_expired_hold_confirms_while_its_seats_are_free(showtime, customer):
    booking = book(customer, showtime, "A1")
    expire(booking)
    assert services.booking_confirm(booking_id=booking.pk).status == BookingStatus.CONFIRMED


def test_an_expired_hold_marked_by_cron_confirms_while_its_seats_are_free(showtime, customer):
    booking = book(customer, showtime, "A1")
    expire(booking)
    assert services.bookings_expire() == 1
    assert not SeatClaim.objects.exists()
    assert services.booking_confirm(booking_id=booking.pk).status == BookingStatus.CONFIRMED
    assert SeatClaim.objects.get().expires_at is None


def test_an_expired_hold_whose_seats_were_taken_is_gone(showtime, customer, other_customer):
    booking = book(customer, showtime, "A1", "A2")
    expire(booking)
    book(other_customer, showtime, "A2")
    with pytest.raises(HoldExpired) as caught:
        services.booking_confirm(booking_id=booking.pk)
    assert caught.value.details["seats"] == [seat(showtime, "A2").pk]
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING


def test_bookings_expire_only_touches_expired_holds(showtime, customer, other_customer):
    live = book(customer, showtime, "A1")
    stale = book(other_customer, showtime, "A2")
    sold = BookingFactory(showtime=showtime, seats=[seat(showtime, "A3").pk], confirmed=True)
    expire(stale)
    assert services.bookings_expire() == 1
    assert services.bookings_expire() == 0
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {
        live.pk: BookingStatus.PENDING,
        stale.pk: BookingStatus.EXPIRED,
        sold.pk: BookingStatus.CONFIRMED,
    }
    assert set(SeatClaim.objects.values_list("booking_id", flat=True)) == {live.pk, sold.pk}


@pytest.mark.parametrize("showtime_state", ["cancelled", "started"])
def test_no_holds_for_cancelled_or_started_showtimes(customer, showtime_state):
    showtime = ShowtimeFactory(**{"cancelled" if showtime_state == "cancelled" else "past": True})
    with pytest.raises(ShowtimeNotBookable):
        book(customer, showtime, "A1")


def test_customers_cancel_until_the_cutoff_staff_at_any_time(customer, staff, settings):
    settings.CANCELLATION_CUTOFF_MINUTES = 60
    soon = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=59))
    later = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=61))
    too_late = BookingFactory(user=customer, showtime=soon, confirmed=True)
    in_time = BookingFactory(user=customer, showtime=later, confirmed=True)

    with pytest.raises(CancellationWindowClosed):
        services.booking_cancel(booking_id=too_late.pk, by=customer)
    assert (
        services.booking_cancel(booking_id=in_time.pk, by=customer).status
        == BookingStatus.CANCELLED
    )
    assert (
        services.booking_cancel(booking_id=too_late.pk, by=staff).status == BookingStatus.CANCELLED
    )
    assert not SeatClaim.objects.exists()


def test_a_pending_hold_can_always_be_released(customer):
    soon = ShowtimeFactory(starts_at=timezone.now() + timedelta(minutes=5))
    hold = BookingFactory(user=customer, showtime=soon)
    assert (
        services.booking_cancel(booking_id=hold.pk, by=customer).status == BookingStatus.CANCELLED
    )


def test_cancelling_a_showtime_cancels_every_booking(
    showtime, customer, other_customer, staff, django_capture_on_commit_callbacks
):
    sold = BookingFactory(user=customer, showtime=showtime, confirmed=True)
    held = book(other_customer, showtime, "A2")
    with django_capture_on_commit_callbacks(execute=True):
        services.showtime_cancel(showtime_id=showtime.pk, by=staff)
    showtime.refresh_from_db()
    assert showtime.status == ShowtimeStatus.CANCELLED
    for booking in (sold, held):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
    assert not SeatClaim.objects.exists()
    # Only customers with tickets are told; the tickets stay as history.
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert Ticket.objects.filter(booking=sold).exists()
    with pytest.raises(ShowtimeNotBookable):
        services.showtime_cancel(showtime_id=showtime.pk, by=staff)


def test_check_in(showtime, customer, staff):
    booking = BookingFactory(user=customer, showtime=showtime, confirmed=True)
    code = booking.tickets.get().code
    ticket = services.ticket_check_in(code=code, by=staff)
    assert ticket.checked_in_at is not None
    assert ticket.checked_in_by == staff
    with pytest.raises(AlreadyCheckedIn):
        services.ticket_check_in(code=code, by=staff)
    with pytest.raises(TicketNotFound):
        services.ticket_check_in(code="nope", by=staff)

    cancelled = BookingFactory(showtime=showtime, seats=[seat(showtime, "A2").pk], confirmed=True)
    services.booking_cancel(booking_id=cancelled.pk, by=staff)
    with pytest.raises(BookingNotConfirmed):
        services.ticket_check_in(code=cancelled.tickets.get().code, by=staff)


def test_a_hall_layout_is_fixed_once_booked(customer):
    hall = HallFactory()
    BookingFactory(user=customer, showtime=ShowtimeFactory(hall=hall))
    with pytest.raises(HallHasBookings):
        screening_services.hall_update(hall=hall, layout={"rows": [{"label": "A", "seats": 2}]})

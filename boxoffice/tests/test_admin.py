"""The box office in the admin: the board, seat maps, the counter sale, printing, the door, and
the pages that cancel, refund and suspend - through the services, behind Django's permissions."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.core import mail
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import services as booking_services
from booking.models import Booking, BookingStatus, SeatClaim, Ticket
from boxoffice.tests.factories import CounterSaleFactory
from payments.models import Payment, PaymentMethod, PaymentStatus
from screening.models import ShowtimeStatus
from screening.tests.factories import CinemaFactory, HallFactory, ShowtimeFactory

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"


@pytest.fixture
def cinema():
    return CinemaFactory(name="Downtown", timezone=ZONE)


@pytest.fixture
def hall(cinema):
    return HallFactory(cinema=cinema, name="Hall 1")  # A1-A4 (aisle after 2), B1-B4 VIP


def local_tomorrow_at(hours: int, minutes: int = 0) -> datetime:
    """Tomorrow at this time on New York's clock: still to come, and on one local day."""
    zone = ZoneInfo(ZONE)
    tomorrow = timezone.now().astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(hours, minutes), tzinfo=zone)


@pytest.fixture
def showtime(hall):
    return ShowtimeFactory(hall=hall, starts_at=timezone.now() + timedelta(hours=2))


@pytest.fixture
def staff_site(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def admin_site(client, admin):
    client.force_login(admin)
    return client


def seat_id(showtime, label: str) -> int:
    return next(s.pk for s in showtime.hall.seats.all() if s.label == label)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# The site


def test_no_admin_drills_down_datetimes_in_sql(admin_site, hall):
    """The site shows a cinema's local time; Django's date hierarchy over a DateTimeField would
    convert zones in SQL, which MySQL cannot without its time zone tables (a 500)."""
    for model, model_admin in admin.site._registry.items():
        if model_admin.date_hierarchy:
            field = model._meta.get_field(model_admin.date_hierarchy.split("__")[0])
            assert not isinstance(field, models.DateTimeField), model_admin
    admin_site.get("/admin/", {"cinema": hall.cinema_id})  # New York's clock from now on
    AccessAttempt.objects.create(
        username="x", ip_address="127.0.0.1", user_agent="t", failures_since_start=1
    )
    assert admin_site.get("/admin/axes/accessattempt/").status_code == 200
    assert admin_site.get("/admin/booking/booking/").status_code == 200


# The board


def test_the_board_is_the_first_page_with_the_days_seats(staff_site, hall, customer):
    zone = ZoneInfo(ZONE)
    today = timezone.now().astimezone(zone).date()
    first = ShowtimeFactory(hall=hall, starts_at=datetime.combine(today, time(0, 5), tzinfo=zone))
    late = ShowtimeFactory(hall=hall, starts_at=datetime.combine(today, time(23, 50), tzinfo=zone))
    ShowtimeFactory(
        hall=hall, starts_at=datetime.combine(today, time(23, 50), tzinfo=zone) + timedelta(hours=1)
    )  # tomorrow

    response = staff_site.get("/admin/")
    assert response.status_code == 200
    board = response.context["board"]
    assert [s.pk for s in board["showtimes"]] == [first.pk, late.pk]
    page = response.content.decode()
    assert "Downtown · Today," in page
    assert "00:05" in page
    assert "23:50" in page
    assert f"times in {ZONE}" in page
    assert f"/admin/screening/showtime/{late.pk}/change/" in page


def test_the_board_counts_sold_held_free_in_constant_queries(
    staff_site, hall, customer, django_assert_max_num_queries
):
    show = ShowtimeFactory(hall=hall, starts_at=local_tomorrow_at(20, 0))
    tomorrow = {"day": show.starts_at.astimezone(ZoneInfo(ZONE)).date().isoformat()}
    staff_site.get("/admin/", tomorrow)  # caches warm (content types, the session's cinema)
    with CaptureQueriesContext(connection) as one_showtime:
        staff_site.get("/admin/", tomorrow)
    CounterSaleFactory(showtime=show, seats=3)
    booking_services.booking_create(
        user=customer,
        showtime_id=show.pk,
        seats=[booking_services.SeatRequest(seat_id(show, "B4"))],
    )
    for minutes in (5, 10, 15):
        ShowtimeFactory(
            hall=HallFactory(cinema=hall.cinema), starts_at=local_tomorrow_at(21, minutes)
        )

    with django_assert_max_num_queries(len(one_showtime)):
        response = staff_site.get("/admin/", tomorrow)
    assert len(one_showtime) <= 8
    rows = response.context["board"]["showtimes"]
    assert len(rows) == 4
    assert (rows[0].sold, rows[0].held, rows[0].free, rows[0].occupancy) == (3, 1, 4, 38)
    assert 'aria-label="38% sold"' in response.content.decode()


def test_other_cinemas_and_days_are_a_click_away(staff_site, hall):
    london = CinemaFactory(name="Riverside", timezone="Europe/London")
    response = staff_site.get("/admin/", {"cinema": london.pk})
    assert response.context["board"]["cinema"] == london
    assert "times in Europe/London" in response.content.decode()
    # Remembered: the next page is on London's clock too.
    assert staff_site.get("/admin/").context["board"]["cinema"] == london
    day = staff_site.get("/admin/", {"cinema": london.pk, "day": "2027-01-05"})
    assert day.context["board"]["day"].isoformat() == "2027-01-05"
    for bad in ("nonsense", "9999-12-31", "0001-01-01"):
        assert staff_site.get("/admin/", {"day": bad}).status_code == 200


def test_customers_and_strangers_never_reach_the_admin(client, customer):
    assert client.get("/admin/").status_code == 302
    client.force_login(customer)
    assert client.get("/admin/").status_code == 302  # to the login page


# Seat maps


def test_the_showtime_page_draws_sold_held_and_free_seats(staff_site, showtime, customer):
    CounterSaleFactory(showtime=showtime, seats=1)
    booking_services.booking_create(
        user=customer,
        showtime_id=showtime.pk,
        seats=[booking_services.SeatRequest(seat_id(showtime, "B1"))],
    )
    page = staff_site.get(f"/admin/screening/showtime/{showtime.pk}/change/").content.decode()
    assert "Seats: 1 sold, 1 held, 6 available" in page
    assert page.count("status-sold") == 1 + 1  # and the legend's
    assert page.count("status-held") == 1 + 1
    assert ">Sell tickets<" in page
    assert ">Cancel showtime<" in page


# The counter sale


def sale_form(showtime, labels, **extra) -> dict:
    return {
        "seats": [seat_id(showtime, label) for label in labels],
        "child": "0",
        "senior": "0",
        "student": "0",
        "customer_email": "",
        "method": "CASH",
        "tendered": "50.00",
        **extra,
    }


def test_sell_for_cash_at_the_counter_then_print(staff_site, staff, showtime):
    url = f"/admin/screening/showtime/{showtime.pk}/sell/"
    page = staff_site.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="checkbox" name="seats"') == 8

    quote = staff_site.post(url, sale_form(showtime, ["A1", "B1"], child="1", _quote="1"))
    assert quote.status_code == 200
    assert quote.context["quote"].totals.total == Decimal("20.00")  # 7.00 child + 13.00 VIP
    assert quote.context["quote"].change == Decimal("30.00")
    assert not Booking.objects.exists()  # a price, not a hold

    sold = staff_site.post(url, sale_form(showtime, ["A1", "B1"], child="1", _sell="1"))
    booking = Booking.objects.get()
    assert sold.status_code == 302
    assert sold["Location"] == f"/admin/booking/booking/{booking.pk}/receipt/"
    assert (booking.status, booking.sold_by, booking.total) == (
        BookingStatus.CONFIRMED,
        staff,
        Decimal("20.00"),
    )
    assert sorted(t.ticket_type for t in booking.tickets.all()) == ["ADULT", "CHILD"]

    receipt = staff_site.get(sold["Location"])
    assert receipt.context["change"] == Decimal("30.00")
    assert "Change: 30.00 USD" in receipt.content.decode()
    assert any("Sold 2 ticket(s)" in m for m in messages_of(receipt))

    printed = staff_site.get(f"/admin/booking/booking/{booking.pk}/print/").content.decode()
    for ticket in booking.tickets.all():
        assert ticket.code in printed
    assert printed.count('class="segno"><title>') == 2
    assert "style=" not in printed  # the CSP allows no inline styles


def test_a_refused_sale_says_why_and_keeps_the_choice(staff_site, showtime):
    url = f"/admin/screening/showtime/{showtime.pk}/sell/"
    CounterSaleFactory(showtime=showtime, seats=1)  # A1
    taken = staff_site.post(url, sale_form(showtime, ["A1", "A2"], _sell="1"))
    assert taken.status_code == 200
    assert messages_of(taken) == ["Seat A1 is already taken."]
    short = staff_site.post(url, sale_form(showtime, ["A2"], tendered="5.00", _sell="1"))
    assert messages_of(short) == ["Less than the total of 10.00 USD."]
    assert f'value="{seat_id(showtime, "A2")}" checked' in short.content.decode()
    nothing = staff_site.post(url, sale_form(showtime, [], _sell="1"))
    assert "Pick at least one seat" in nothing.content.decode()
    too_many = staff_site.post(url, sale_form(showtime, ["A2"], child="2", _sell="1"))
    assert "2 reduced tickets for 1 seat(s)." in too_many.content.decode()
    assert Booking.objects.count() == 1


def test_card_on_the_terminal_at_the_counter(staff_site, showtime):
    url = f"/admin/screening/showtime/{showtime.pk}/sell/"
    response = staff_site.post(
        url, sale_form(showtime, ["A3"], method="CARD_PRESENT", tendered="", _sell="1")
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.method, payment.status) == (PaymentMethod.CARD_PRESENT, PaymentStatus.SUCCEEDED)


def test_add_booking_leads_to_the_board(staff_site):
    response = staff_site.get("/admin/booking/booking/add/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


# The door


def test_the_door_says_yes_then_already_in_local_time(staff_site, showtime):
    booking = CounterSaleFactory(showtime=showtime, seats=1)
    code = booking.tickets.get().code
    page = staff_site.get("/admin/booking/ticket/door/")
    assert "autofocus" in page.content.decode()

    first = staff_site.post("/admin/booking/ticket/door/", {"code": f"  {code}\n"})
    assert first.context["result"]["ok"] is True
    body = first.content.decode()
    assert "Valid - come in" in body
    assert "Row A, seat 1" in body
    assert 'class="panel ok"' in body
    ticket = Ticket.objects.get(code=code)
    local = ticket.checked_in_at.astimezone(ZoneInfo(ZONE))

    again = staff_site.post("/admin/booking/ticket/door/", {"code": code})
    result = again.context["result"]
    assert (result["ok"], result["verdict"]) == (False, "Already checked in")
    assert f"checked in at {local:%H:%M on %d %b} {local.tzname()}" in result["message"]
    assert 'class="panel refused"' in again.content.decode()

    unknown = staff_site.post("/admin/booking/ticket/door/", {"code": "nope"})
    assert unknown.context["result"]["verdict"] == "Unknown ticket"
    empty = staff_site.post("/admin/booking/ticket/door/", {"code": " "})
    assert empty.context["result"]["verdict"] == "No code"
    huge = staff_site.post("/admin/booking/ticket/door/", {"code": "x" * 5000})
    assert huge.status_code == 200


def test_the_door_refuses_a_cancelled_booking(staff_site, showtime):
    booking = CounterSaleFactory(showtime=showtime, seats=1)
    booking_services.booking_cancel(booking_id=booking.pk, by=None)
    response = staff_site.post("/admin/booking/ticket/door/", {"code": booking.tickets.get().code})
    assert response.context["result"]["verdict"] == "Refused"
    assert "cancelled" in response.context["result"]["message"]


# Safe actions


def test_staff_cancel_a_showtime_with_a_reason_after_a_confirmation(
    staff_site, showtime, customer, django_capture_on_commit_callbacks
):
    sold = CounterSaleFactory(showtime=showtime, seats=2, customer_email=customer.email)
    url = f"/admin/screening/showtime/{showtime.pk}/cancel/"
    page = staff_site.get(url).content.decode()
    assert "cancels 1 booking(s) - 2 sold ticket(s)" in page

    assert staff_site.post(url, {"reason": ""}).status_code == 200  # a reason is required
    with django_capture_on_commit_callbacks(execute=True):
        done = staff_site.post(url, {"reason": "The projector has failed."}, follow=True)
    assert any("1 booking(s) cancelled, 2 ticket(s) refunded" in m for m in messages_of(done))
    showtime.refresh_from_db()
    assert showtime.status == ShowtimeStatus.CANCELLED
    sold.refresh_from_db()
    assert (sold.status, sold.cancellation_reason) == (
        BookingStatus.CANCELLED,
        "The projector has failed.",
    )
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert any("The projector has failed." in m.body for m in mail.outbox)
    again = staff_site.get(url, follow=True)
    assert messages_of(again) == ["This showtime is cancelled already."]


def test_cancel_a_booking_after_a_confirmation(staff_site, showtime):
    booking = CounterSaleFactory(showtime=showtime, seats=1)
    url = f"/admin/booking/booking/{booking.pk}/cancel/"
    assert "Cancel this booking?" in staff_site.get(url).content.decode()
    done = staff_site.post(url, {"reason": "Changed their mind."}, follow=True)
    assert any(f"Cancelled {booking.reference}" in m for m in messages_of(done))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert not SeatClaim.objects.exists()
    refused = staff_site.post(url, {"reason": ""}, follow=True)
    assert messages_of(refused) == [
        f"{booking.reference}: This booking is already cancelled or expired."
    ]


def test_the_bulk_cancel_asks_first(staff_site, showtime):
    booking = CounterSaleFactory(showtime=showtime, seats=1)
    ask = staff_site.post(
        "/admin/booking/booking/", {"action": "cancel", "_selected_action": [booking.pk]}
    )
    assert ask.status_code == 200
    assert "Cancel this booking?" in ask.content.decode()
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    staff_site.post(
        "/admin/booking/booking/",
        {"action": "cancel", "_selected_action": [booking.pk], "confirmed": "yes", "reason": ""},
    )
    assert Booking.objects.get().status == BookingStatus.CANCELLED


def test_administrators_refund_part_then_all_and_the_booking_is_cancelled(admin_site, showtime):
    booking = CounterSaleFactory(showtime=showtime, seats=2)
    payment = Payment.objects.get()
    url = f"/admin/payments/payment/{payment.pk}/refund/"
    assert "Hand the money back in cash" in admin_site.get(url).content.decode()
    part = admin_site.post(url, {"amount": "5.00", "reason": "Sound issues"}, follow=True)
    assert messages_of(part) == [f"Payment {payment.pk}: refunded 5.00 USD in cash."]
    too_much = admin_site.post(url, {"amount": "99.00"}, follow=True)
    assert messages_of(too_much) == [f"Payment {payment.pk}: At most 15.00 USD can be refunded."]
    rest = admin_site.post(url, {"amount": ""}, follow=True)
    assert messages_of(rest) == [
        f"Payment {payment.pk}: refunded 15.00 USD in cash. The booking is cancelled: its "
        "seats are free."
    ]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    page = admin_site.get(f"/admin/booking/booking/{booking.pk}/change/").content.decode()
    assert "Cash, at the counter" in page
    assert "Sound issues" in page
    assert '<div class="readonly">Cancelled</div>' in page


def test_staff_never_see_a_refund_they_cannot_make(staff_site, showtime):
    booking = CounterSaleFactory(showtime=showtime, seats=1)
    payment = Payment.objects.get()
    listing = staff_site.get("/admin/payments/payment/")
    assert listing.context["action_form"] is None  # no action staff may run
    assert (
        ">Refund<"
        not in staff_site.get(f"/admin/payments/payment/{payment.pk}/change/").content.decode()
    )
    assert (
        ">Refund<"
        not in staff_site.get(f"/admin/booking/booking/{booking.pk}/change/").content.decode()
    )
    assert staff_site.get(f"/admin/payments/payment/{payment.pk}/refund/").status_code == 403
    staff_site.post(
        "/admin/payments/payment/",
        {"action": "refund", "_selected_action": [payment.pk], "confirmed": "yes"},
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


# Booking and user pages


def test_a_booking_page_shows_payments_tickets_and_no_internal_fields(admin_site, showtime):
    booking = CounterSaleFactory(showtime=showtime, seats=2)
    page = admin_site.get(f"/admin/booking/booking/{booking.pk}/change/").content.decode()
    assert "Payments" in page
    assert "Cash, at the counter" in page
    assert ">Refund<" in page
    for ticket in booking.tickets.all():
        assert ticket.code in page
    assert "Pending" not in page
    assert "Sold at the box office" in page
    assert ">Print tickets<" in page


def test_a_lapsed_hold_shows_expired_before_any_cron(staff_site, showtime, customer):
    hold = booking_services.booking_create(
        user=customer,
        showtime_id=showtime.pk,
        seats=[booking_services.SeatRequest(seat_id(showtime, "A1"))],
    )
    Booking.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = staff_site.get(f"/admin/booking/booking/{hold.pk}/change/").content.decode()
    assert re.search(r"Status:</label>\s*<div class=\"readonly\">Expired</div>", page)
    listing = staff_site.get("/admin/booking/booking/", {"status": "EXPIRED"})
    assert [b.pk for b in listing.context["cl"].result_list] == [hold.pk]
    assert (
        staff_site.get("/admin/booking/booking/", {"status": "PENDING"}).context["cl"].result_count
        == 0
    )


def test_a_user_page_links_to_their_bookings_and_suspends(admin_site, customer, showtime):
    CounterSaleFactory(showtime=showtime, seats=1, customer_email=customer.email)
    page = admin_site.get(f"/admin/accounts/user/{customer.pk}/change/").content.decode()
    assert f'/admin/booking/booking/?user={customer.pk}">1 booking(s)</a>' in page
    assert ">Suspend<" in page
    listing = admin_site.get("/admin/booking/booking/", {"user": customer.pk})
    assert listing.context["cl"].result_count == 1

    suspended = admin_site.post(f"/admin/accounts/user/{customer.pk}/suspend/", follow=True)
    assert messages_of(suspended) == [f"{customer} is suspended: logins and tokens stop now."]
    customer.refresh_from_db()
    assert customer.state == "suspended"
    page = admin_site.get(f"/admin/accounts/user/{customer.pk}/change/").content.decode()
    assert ">Reactivate<" in page
    admin_site.post(f"/admin/accounts/user/{customer.pk}/reactivate/")
    customer.refresh_from_db()
    assert customer.state == "active"

"""Counter sales: one booking confirmed at once, through the booking and payment services."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from booking import services as booking_services
from booking.exceptions import SeatsUnavailable, ShowtimeNotBookable
from booking.models import Booking, BookingStatus, SeatClaim
from boxoffice import services
from payments import services as payments_services
from payments.exceptions import PaymentDeclined, PaymentGatewayUnavailable
from payments.gateways.base import Charge, GatewayError
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment, PaymentEvent, PaymentMethod, PaymentStatus, RefundStatus
from screening.tests.factories import ShowtimeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def showtime():
    return ShowtimeFactory(base_price=Decimal("10.00"))  # row A standard, row B VIP (+3.00)


def seats(showtime, *labels: str) -> dict[str, int]:
    found = {f"{s.row}{s.number}": s.pk for s in showtime.hall.seats.all()}
    return {label: found[label] for label in labels}


def sell(staff, showtime, labels, method=PaymentMethod.CASH, tendered="50.00", **extra):
    ids = seats(showtime, *labels)
    return services.counter_sale_create(
        by=staff,
        showtime_id=showtime.pk,
        seats=[
            booking_services.SeatRequest(ids[label], extra.pop(f"type_{label}", "ADULT"))
            for label in labels
        ],
        method=method,
        tendered=Decimal(tendered) if tendered is not None else None,
        **extra,
    )


def test_a_cash_sale_is_one_confirmed_booking_with_its_payment_and_change(staff, showtime):
    sale = sell(staff, showtime, ["A1", "B1"], type_A1="CHILD", tendered="20.00")

    booking = Booking.objects.get()
    assert sale.booking.pk == booking.pk
    assert (booking.status, booking.pending, booking.sold_by, booking.user) == (
        BookingStatus.CONFIRMED,
        None,
        staff,
        staff,
    )
    # The price list of every booking: CHILD 70 %, VIP + 3.00.
    assert sorted(t.price for t in booking.tickets.all()) == [Decimal("7.00"), Decimal("13.00")]
    assert booking.total == Decimal("20.00")
    assert all(t.code for t in booking.tickets.all())
    assert list(SeatClaim.objects.values_list("expires_at", flat=True)) == [None, None]
    payment = Payment.objects.get()
    assert (payment.method, payment.status, payment.amount, payment.in_flight) == (
        PaymentMethod.CASH,
        PaymentStatus.SUCCEEDED,
        Decimal("20.00"),
        None,
    )
    assert sale.change == Decimal("0.00")
    created = payment.events.get(kind=PaymentEvent.Kind.CREATED)
    assert (created.data["tendered"], created.data["change"]) == ("20.00", "0.00")
    assert mail.outbox == []  # a walk-in without an address: nobody is written to


def test_a_walk_in_without_an_address_is_written_to_by_nobody(
    staff, showtime, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sell(staff, showtime, ["A1"])
    assert mail.outbox == []
    assert callbacks == []


def test_too_little_cash_sells_nothing(staff, showtime):
    with pytest.raises(ValidationError) as raised:
        sell(staff, showtime, ["A1", "A2"], tendered="19.99")
    assert raised.value.message_dict == {"tendered": ["Less than the total of 20.00 USD."]}
    assert not Booking.objects.exists()
    assert not SeatClaim.objects.exists()
    assert not Payment.objects.exists()


def test_a_taken_seat_or_a_cancelled_showtime_is_refused_as_online(staff, customer, showtime):
    booking_services.booking_create(
        user=customer,
        showtime_id=showtime.pk,
        seats=[booking_services.SeatRequest(seats(showtime, "A1")["A1"])],
    )
    with pytest.raises(SeatsUnavailable, match="Seat A1 is already taken"):
        sell(staff, showtime, ["A1", "A2"])
    cancelled = ShowtimeFactory(cancelled=True)
    with pytest.raises(ShowtimeNotBookable):
        sell(staff, cancelled, ["A1"])
    assert Booking.objects.count() == 1


def test_sales_by_one_staff_account_never_cancel_each_other_or_a_customers_hold(
    staff, customer, showtime
):
    hold = booking_services.booking_create(
        user=customer,
        showtime_id=showtime.pk,
        seats=[booking_services.SeatRequest(seats(showtime, "B4")["B4"])],
    )
    first = sell(staff, showtime, ["A1"])
    second = sell(staff, showtime, ["A2"], method=PaymentMethod.CARD_PRESENT, tendered=None)
    third = sell(staff, showtime, ["A3"], customer_email=customer.email)

    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {
        hold.pk: BookingStatus.PENDING,
        first.booking.pk: BookingStatus.CONFIRMED,
        second.booking.pk: BookingStatus.CONFIRMED,
        third.booking.pk: BookingStatus.CONFIRMED,
    }
    assert SeatClaim.objects.count() == 4


def test_a_known_customer_gets_the_booking_and_the_tickets_by_mail(
    staff, customer, showtime, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sale = sell(staff, showtime, ["A1"], customer_email="  CARA@example.com ")
    assert (sale.booking.user, sale.booking.sold_by) == (customer, staff)
    assert Payment.objects.get().user == customer
    (message,) = mail.outbox
    assert message.to == ["cara@example.com"]
    assert "Hello Cara" in message.body


def test_an_unknown_address_gets_the_tickets_and_no_account(
    staff, showtime, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sale = sell(staff, showtime, ["A1"], customer_email="walk.in@example.com")
    assert (sale.booking.user, sale.booking.customer_email) == (staff, "walk.in@example.com")
    (message,) = mail.outbox
    assert message.to == ["walk.in@example.com"]
    assert sale.booking.tickets.get().code in message.body


@pytest.mark.django_db(transaction=True)
def test_a_card_on_the_terminal_is_charged_with_no_transaction_open(staff, showtime):
    seen = []
    original = SandboxGateway.charge_present

    def charge_present(self, **kwargs):
        seen.append(connection.in_atomic_block)
        return original(self, **kwargs)

    with mock.patch.object(SandboxGateway, "charge_present", charge_present):
        sale = sell(staff, showtime, ["A1", "A2"], method=PaymentMethod.CARD_PRESENT, tendered=None)

    assert seen == [False]
    assert sale.booking.status == BookingStatus.CONFIRMED
    assert sale.change is None
    payment = Payment.objects.get()
    assert (payment.method, payment.status, payment.provider) == (
        PaymentMethod.CARD_PRESENT,
        PaymentStatus.SUCCEEDED,
        "sandbox",
    )
    assert payment.provider_reference.startswith("ch_sbx_")


def test_a_declined_card_frees_the_seats_at_once(staff, showtime):
    declined = Charge(
        "ch_x", succeeded=False, amount=Decimal("20.00"), decline_code="card_declined"
    )
    with (
        mock.patch.object(SandboxGateway, "charge_present", return_value=declined),
        pytest.raises(PaymentDeclined),
    ):
        sell(staff, showtime, ["A1", "A2"], method=PaymentMethod.CARD_PRESENT, tendered=None)

    booking = Booking.objects.get()
    assert booking.status == BookingStatus.CANCELLED
    assert not SeatClaim.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert sell(staff, showtime, ["A1", "A2"]).booking.status == BookingStatus.CONFIRMED


def test_a_silent_terminal_leaves_the_payment_to_reconciliation(staff, showtime):
    with (
        mock.patch.object(SandboxGateway, "charge_present", side_effect=GatewayError("timeout")),
        pytest.raises(PaymentGatewayUnavailable),
    ):
        sell(staff, showtime, ["A1"], method=PaymentMethod.CARD_PRESENT, tendered=None)
    payment = Payment.objects.get()
    assert (payment.status, payment.needs_reconciliation) == (PaymentStatus.PENDING, True)
    assert Booking.objects.get().status == BookingStatus.PENDING  # held until it is known


def test_cash_is_refunded_in_cash_without_asking_the_provider(staff, admin, showtime):
    sell(staff, showtime, ["A1", "A2"])
    payment = Payment.objects.get()
    with mock.patch.object(SandboxGateway, "refund") as provider_refund:
        payments_services.payment_refund(payment_id=payment.pk, amount=Decimal("5.00"), by=admin)
        refund = payments_services.payment_refund(payment_id=payment.pk, by=admin)
    provider_refund.assert_not_called()
    payment.refresh_from_db()
    assert (payment.status, payment.amount_refunded) == (PaymentStatus.REFUNDED, Decimal("20.00"))
    assert (refund.status, refund.provider_reference) == (RefundStatus.SUCCEEDED, "cash")
    # Refunded in full: the booking is cancelled and its seats are free.
    assert Booking.objects.get().status == BookingStatus.CANCELLED
    assert not SeatClaim.objects.exists()


def test_a_card_present_payment_is_refunded_through_the_provider(staff, admin, showtime):
    sell(staff, showtime, ["A1"], method=PaymentMethod.CARD_PRESENT, tendered=None)
    payment = Payment.objects.get()
    refund = payments_services.payment_refund(payment_id=payment.pk, by=admin)
    assert refund.provider_reference.startswith("re_sbx_")


def test_cash_needs_the_amount_tendered(staff, showtime):
    with pytest.raises(ValidationError, match="handed over"):
        sell(staff, showtime, ["A1"], tendered=None)
    with pytest.raises(ValidationError, match="Choose CASH or CARD_PRESENT"):
        sell(staff, showtime, ["A1"], method="CARD")
    assert not Booking.objects.exists()

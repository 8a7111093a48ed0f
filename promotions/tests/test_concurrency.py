"""Races on real MariaDB connections: threads released together by a barrier. A promo code's
limits hold whatever the order of events; each test checks what the database holds afterwards.

Each race widens its check-then-write window (`slowed` on the count of uses): without the
promotion's row lock, these tests fail.
"""

import threading
from collections import Counter
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from booking import services as booking_services
from booking.models import Booking
from core.testing import answer_codes as codes
from core.testing import client_for, run_concurrently, slowed
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment
from payments.tests.helpers import pay
from promotions import locks, services
from promotions.models import Redemption, RedemptionStatus
from screening.tests.factories import HallFactory, ShowtimeFactory, layout_of

from .factories import PromotionFactory
from .helpers import counting, hold, lapse, meeting_after

pytestmark = pytest.mark.django_db(transaction=True)


# These races are about a promotion's limits: customers book single seats side by side, which
# the single-seat-gap rule would refuse in ways that have nothing to do with the promotion.
@pytest.fixture(autouse=True)
def _no_gap_rule(settings):
    settings.SEAT_GAP_RULE = False


BOOKINGS = "/api/v1/bookings/"
COUNT = "promotions.services.promotion_usage"


def discounted_bookings(promotion) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM booking_booking WHERE promotion_id = %s AND discount > 0 "
            "AND status IN ('PENDING', 'CONFIRMED')",
            [promotion.pk],
        )
        return cursor.fetchone()[0]


def test_twenty_customers_for_a_code_with_two_uses_left_get_two_discounts():
    promotion = PromotionFactory(code="TWOLEFT", max_redemptions=3)
    booking_services.booking_confirm(
        booking_id=hold(UserFactory(), ShowtimeFactory(), "TWOLEFT").pk
    )
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 10)))
    seats = list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True))
    customers = [UserFactory() for _ in range(20)]

    def book(i):
        return client_for(customers[i]).post(
            BOOKINGS,
            {"showtime": showtime.pk, "seats": [{"seat": seats[i]}], "promo_code": "twoleft"},
        )

    with slowed(COUNT):
        responses = run_concurrently(book, 20)

    assert codes(responses) == {201: 2, (400, "promotion_exhausted"): 18}
    assert counting(promotion) == 3
    assert discounted_bookings(promotion) == 3

    # ... and both holds pay, with their discount.
    winners = [i for i, response in enumerate(responses) if response.status_code == 201]
    held = [Booking.objects.get(pk=responses[i].json()["id"]) for i in winners]
    paid = run_concurrently(
        lambda i: pay(client_for(customers[winners[i]]), held[i], key=f"pay-{i}"), 2
    )
    assert codes(paid) == {200: 2}
    assert {r.json()["payment"]["amount"] for r in paid} == {"9.00"}
    assert (
        Redemption.objects.filter(promotion=promotion, status=RedemptionStatus.CONFIRMED).count()
        == 3
    )


def test_twenty_lapsed_holds_paying_at_once_for_two_uses_left_get_two_discounts():
    """Paying takes a lapsed hold's use again, under the promotion's lock: two payments win it,
    the others are refunded and answered 410."""
    promotion = PromotionFactory(code="PAYRACE", max_redemptions=20)
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(2, 10)))
    seats = list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True))
    customers = [UserFactory() for _ in range(20)]
    bookings = [hold(customers[i], showtime, "PAYRACE", seats=[seats[i]]) for i in range(20)]
    for booking in bookings:
        lapse(booking)
    services.promotion_update(promotion_id=promotion.pk, data={"max_redemptions": 2})

    with slowed(COUNT):
        responses = run_concurrently(
            lambda i: pay(client_for(customers[i]), bookings[i], key=f"pay-{i}"), 20
        )

    assert codes(responses) == {200: 2, (410, "hold_expired"): 18}
    assert counting(promotion) == 2
    confirmed = Redemption.objects.filter(promotion=promotion, status=RedemptionStatus.CONFIRMED)
    assert confirmed.count() == 2
    assert {r.json()["payment"]["status"] for r in responses if r.status_code == 200} == {
        "SUCCEEDED"
    }


def test_one_customer_racing_themselves_past_a_per_user_limit_of_one():
    promotion = PromotionFactory(code="ONCE", per_user_limit=1)
    customer = UserFactory()
    showtimes = [ShowtimeFactory() for _ in range(10)]

    def book(i):
        seat = showtimes[i].hall.seats.order_by("pk").first().pk
        return client_for(customer).post(
            BOOKINGS, {"showtime": showtimes[i].pk, "seats": [{"seat": seat}], "promo_code": "ONCE"}
        )

    with slowed(COUNT):
        responses = run_concurrently(book, 10)

    assert codes(responses) == {201: 1, (400, "promotion_not_applicable"): 9}
    assert counting(promotion) == 1


def test_a_budget_of_30_with_discounts_of_7_makes_four_redemptions():
    promotion = PromotionFactory(
        code="POT", fixed=True, value=Decimal("7.00"), max_discount_total=Decimal("30.00")
    )
    showtime = ShowtimeFactory(hall=HallFactory(layout=layout_of(1, 10)))
    seats = list(showtime.hall.seats.order_by("pk").values_list("pk", flat=True))
    customers = [UserFactory() for _ in range(10)]

    def book(i):
        return client_for(customers[i]).post(
            BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": seats[i]}], "promo_code": "POT"}
        )

    with slowed(COUNT):
        responses = run_concurrently(book, 10)

    assert codes(responses) == {201: 4, (400, "promotion_exhausted"): 6}
    assert counting(promotion) == 4
    total = sum(Redemption.objects.filter(promotion=promotion).values_list("amount", flat=True))
    assert total == Decimal("28.00")


def test_a_lapsed_last_use_taken_while_its_first_holder_pays_is_never_given_twice():
    """The first customer's hold, with the code's only use, lapses while their card is being
    charged; then someone else books with the code. One of them gets the discount: the
    payer pays with it, or gets 410 (and the charge back). Both count the uses at once (they meet
    after counting), unless the promotion's lock keeps them apart."""
    promotion = PromotionFactory(code="LAST", max_redemptions=1)
    showtime = ShowtimeFactory()
    first_seat, other_seat = showtime.hall.seats.order_by("pk").values_list("pk", flat=True)[:2]
    payer, newcomer = UserFactory(), UserFactory()
    booking = hold(payer, showtime, "LAST", seats=[first_seat])
    charge, lapsed = SandboxGateway.charge, threading.Event()

    def charge_while_the_hold_lapses(self, **kwargs):
        lapse(booking)
        lapsed.set()
        return charge(self, **kwargs)

    def act(i):
        if i == 0:
            return pay(client_for(payer), booking, key="pay-last")
        lapsed.wait(10)
        return client_for(newcomer).post(
            BOOKINGS,
            {"showtime": showtime.pk, "seats": [{"seat": other_seat}], "promo_code": "LAST"},
        )

    with (
        mock.patch.object(SandboxGateway, "charge", charge_while_the_hold_lapses),
        meeting_after(COUNT),
    ):
        paid, booked = run_concurrently(act, 2)

    outcome = (codes([paid]), codes([booked]))
    assert outcome in [
        (Counter({200: 1}), Counter({(400, "promotion_exhausted"): 1})),
        (Counter({(410, "hold_expired"): 1}), Counter({201: 1})),
    ], outcome
    if paid.status_code == 200:
        assert paid.json()["payment"]["amount"] == "9.00"
    else:
        assert Payment.objects.get(booking=booking).status == "REFUNDED"
    assert counting(promotion) == 1
    confirmed = Redemption.objects.filter(promotion=promotion, status=RedemptionStatus.CONFIRMED)
    assert confirmed.count() == (paid.status_code == 200)


def test_giving_a_use_back_never_waits_for_its_promotions_lock():
    """Releases take no promotion lock, and InnoDB must not take one for them either: no index
    that begins with the promotion's foreign key holds a column a release changes."""
    promotion = PromotionFactory(code="FREE")
    booking = hold(UserFactory(), ShowtimeFactory(), "FREE")
    locked, released = threading.Event(), threading.Event()

    def act(i):
        if i == 0:
            with transaction.atomic():
                locks.promotion_lock(promotion.pk)
                locked.set()
                return released.wait(10)  # True: the release did not wait for this lock
        locked.wait(10)
        with transaction.atomic():
            services.redemptions_release(booking_ids=[booking.pk])
        released.set()
        return True

    assert run_concurrently(act, 2) == [True, True]
    assert Redemption.objects.get(booking_id=booking.pk).status == RedemptionStatus.RELEASED

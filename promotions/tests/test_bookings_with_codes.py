"""Promo codes in bookings, one request at a time: the discount and its rounding, every rule, and
the life of a use - held, lapsed, released, confirmed, given back."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booking import services as booking_services
from booking.exceptions import HoldExpired
from booking.models import Booking, BookingStatus
from catalog.tests.factories import MovieFactory
from payments.models import Payment
from payments.tests.helpers import pay
from promotions.exceptions import PromotionExhausted, PromotionInvalid, PromotionNotApplicable
from promotions.models import DiscountType, RedemptionStatus
from promotions.services import promotion_discount
from screening.tests.factories import ShowtimeFactory

from .factories import PromotionFactory
from .helpers import counting, hold, lapse, status_of

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"


@pytest.fixture
def showtime():
    return ShowtimeFactory(base_price=Decimal("10.00"))


def seats(showtime, *labels) -> list[dict]:
    return [
        {"seat": showtime.hall.seats.get(row=label[0], number=int(label[1:])).pk}
        for label in labels
    ]


def book(client, showtime, *labels, code=None, **extra):
    payload = {"showtime": showtime.pk, "seats": seats(showtime, *labels), **extra}
    if code is not None:
        payload["promo_code"] = code
    return client.post(BOOKINGS, payload)


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


# The discount and its rounding


@pytest.mark.parametrize(
    ("discount_type", "value", "tickets", "discount"),
    [
        # Half up to the cent, once for the booking: 15 % of 10.05 = 1.5075.
        ("PERCENT", "15", [("ADULT", "3.35")] * 3, "1.51"),
        ("PERCENT", "50", [("ADULT", "0.05")], "0.03"),  # 0.025: half up, not to even
        ("PERCENT", "12.5", [("ADULT", "10.10")], "1.26"),  # 1.2625
        ("PERCENT", "100", [("ADULT", "13.00"), ("CHILD", "7.00")], "20.00"),
        ("FIXED", "5.00", [("ADULT", "13.00")], "5.00"),
        ("FIXED", "50.00", [("ADULT", "13.00"), ("CHILD", "7.00")], "20.00"),  # never below 0
    ],
)
def test_the_discount_of_a_booking(discount_type, value, tickets, discount):
    promotion = PromotionFactory.build(discount_type=discount_type, value=Decimal(value))
    lines = [(ticket_type, Decimal(price)) for ticket_type, price in tickets]
    assert promotion_discount(promotion, lines) == Decimal(discount)


def test_a_code_limited_to_ticket_types_discounts_only_those_tickets():
    promotion = PromotionFactory.build(
        discount_type=DiscountType.PERCENT, value=Decimal("50"), ticket_types=["CHILD"]
    )
    lines = [("ADULT", Decimal("10.00")), ("CHILD", Decimal("7.00"))]
    assert promotion_discount(promotion, lines) == Decimal("3.50")
    fixed = PromotionFactory.build(
        discount_type=DiscountType.FIXED, value=Decimal("9.00"), ticket_types=["CHILD"]
    )
    assert promotion_discount(fixed, lines) == Decimal("7.00")


def test_a_booking_with_a_code_shows_it_and_discounts_before_fees_and_tax(
    customer_api, showtime, settings
):
    settings.BOOKING_FEE = Decimal("1.00")
    settings.TAX_RATE = Decimal("0.10")
    PromotionFactory(code="QUARTER", value=Decimal("25"), description="A quarter off")
    response = book(customer_api, showtime, "A1", "B1", code="quarter")
    assert response.status_code == 201, response.content
    booking = response.json()
    # 10.00 + 13.00 (VIP); 25 % = 5.75; fees 2.00; tax 10 % of 19.25 = 1.925 -> 1.93.
    assert [t["price"] for t in booking["tickets"]] == ["10.00", "13.00"]
    assert (booking["subtotal"], booking["discount"], booking["fees"], booking["tax"]) == (
        "23.00",
        "5.75",
        "2.00",
        "1.93",
    )
    assert booking["total"] == "21.18"
    assert (booking["promo_code"], booking["promotion_description"]) == (
        "QUARTER",
        "A quarter off",
    )
    again = customer_api.get(f"{BOOKINGS}{booking['id']}/").json()
    assert (again["promo_code"], again["promotion_description"], again["discount"]) == (
        "QUARTER",
        "A quarter off",
        "5.75",
    )
    assert status_of(Booking.objects.get(pk=booking["id"])) == RedemptionStatus.HELD


def test_a_booking_without_a_code_shows_none(customer_api, showtime):
    booking = book(customer_api, showtime, "A1").json()
    assert (booking["promo_code"], booking["promotion_description"], booking["discount"]) == (
        None,
        None,
        "0.00",
    )


def test_a_fixed_code_larger_than_the_total_makes_a_free_booking_paid_without_a_card(
    customer, customer_api, showtime
):
    PromotionFactory(code="GIFT", fixed=True, value=Decimal("50.00"))
    booking = book(customer_api, showtime, "A1", code="GIFT").json()
    assert (booking["discount"], booking["total"]) == ("10.00", "0.00")
    response = customer_api.post(
        f"{BOOKINGS}{booking['id']}/pay/", {}, HTTP_IDEMPOTENCY_KEY="free-1"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "CONFIRMED"
    assert status_of(Booking.objects.get(pk=booking["id"])) == RedemptionStatus.CONFIRMED


# Every rule


@pytest.mark.parametrize(
    ("promotion", "code", "message"),
    [
        ({"code": "OTHER"}, "promotion_invalid", "There is no promo code NOPE."),
        ({"code": "NOPE", "active": False}, "promotion_invalid", None),
        ({"code": "NOPE", "future": True}, "promotion_invalid", "can be used from"),
        ({"code": "NOPE", "expired": True}, "promotion_expired", "expired on"),
        ({"code": "NOPE", "min_total": Decimal("30.00")}, "promotion_not_applicable", "30.00"),
        ({"code": "NOPE", "ticket_types": ["CHILD"]}, "promotion_not_applicable", "child"),
    ],
)
def test_a_code_that_does_not_apply_is_400_and_holds_nothing(
    customer_api, showtime, promotion, code, message
):
    PromotionFactory(**promotion)
    err = error(book(customer_api, showtime, "A1", "A2", code="nope"), 400, code)
    if message:
        assert message in err["message"]
    assert not Booking.objects.exists()


def test_a_code_for_other_movies_is_not_applicable(customer_api, showtime):
    PromotionFactory(code="DUNE", movies=[MovieFactory()])
    err = error(book(customer_api, showtime, "A1", code="DUNE"), 400, "promotion_not_applicable")
    assert err["message"] == "This promo code is not valid for this movie."
    PromotionFactory(code="THIS", movies=[showtime.movie, MovieFactory()])
    assert book(customer_api, showtime, "A1", code="THIS").status_code == 201


def test_a_first_booking_code_is_for_customers_who_never_had_one_confirmed(
    customer, customer_api, other_customer, showtime
):
    PromotionFactory(code="WELCOME", first_booking_only=True)
    earlier = hold(customer, ShowtimeFactory())
    booking_services.booking_confirm(booking_id=earlier.pk)
    err = error(book(customer_api, showtime, "A1", code="WELCOME"), 400, "promotion_not_applicable")
    assert "first booking" in err["message"]
    welcome = hold(other_customer, showtime, "WELCOME")
    assert welcome.discount == Decimal("1.00")
    # ... and only once, also while that first booking is still a hold.
    with pytest.raises(PromotionNotApplicable, match="already used"):
        hold(other_customer, ShowtimeFactory(), "WELCOME")


def test_the_per_user_limit_counts_holds_too(customer, other_customer):
    PromotionFactory(code="TWICE", per_user_limit=2)
    hold(customer, ShowtimeFactory(), "TWICE")
    hold(customer, ShowtimeFactory(), "TWICE")
    with pytest.raises(PromotionNotApplicable, match="2 times"):
        hold(customer, ShowtimeFactory(), "TWICE")
    assert hold(other_customer, ShowtimeFactory(), "TWICE").promo_code == "TWICE"


def test_a_new_hold_of_the_same_showtime_replaces_the_old_one_and_its_use(customer, showtime):
    promotion = PromotionFactory(code="ONCE", per_user_limit=1)
    first = hold(customer, showtime, "ONCE", seats=[showtime.hall.seats.first().pk])
    second = hold(customer, showtime, "ONCE", seats=[showtime.hall.seats.last().pk])
    assert (status_of(first), status_of(second)) == (
        RedemptionStatus.RELEASED,
        RedemptionStatus.HELD,
    )
    assert counting(promotion) == 1


def test_uses_left_are_the_limit_minus_confirmed_minus_live_holds(customer, other_customer, staff):
    promotion = PromotionFactory(code="TWO", max_redemptions=2)
    confirmed = hold(customer, ShowtimeFactory(), "TWO")
    booking_services.booking_confirm(booking_id=confirmed.pk)
    held = hold(other_customer, ShowtimeFactory(), "TWO")
    with pytest.raises(PromotionExhausted, match="used up"):
        hold(staff, ShowtimeFactory(), "TWO")
    lapse(held)  # a lapsed hold stops counting at once: no job has to run first
    assert counting(promotion) == 1
    assert hold(staff, ShowtimeFactory(), "TWO").discount == Decimal("1.00")


def test_a_money_budget_refuses_a_discount_it_cannot_cover(customer, other_customer):
    PromotionFactory(code="BUDGET", fixed=True, value=Decimal("7.00"), max_discount_total=10)
    assert hold(customer, ShowtimeFactory(), "BUDGET").discount == Decimal("7.00")
    with pytest.raises(PromotionExhausted):
        hold(other_customer, ShowtimeFactory(), "BUDGET")  # 3.00 left


def test_pausing_a_code_refuses_it_at_once(customer, admin_api):
    promotion = PromotionFactory(code="PAUSE")
    admin_api.patch(f"/api/v1/promotions/{promotion.pk}/", {"active": False})
    with pytest.raises(PromotionInvalid):
        hold(customer, ShowtimeFactory(), "PAUSE")


# The life of a use


def test_cancelling_a_hold_gives_its_use_back(customer, customer_api):
    promotion = PromotionFactory(code="ONE", max_redemptions=1)
    booking = hold(customer, ShowtimeFactory(), "ONE")
    assert customer_api.post(f"{BOOKINGS}{booking.pk}/cancel/").status_code == 200
    assert status_of(booking) == RedemptionStatus.RELEASED
    assert counting(promotion) == 0


def test_paying_keeps_the_use_and_the_price(customer, customer_api):
    promotion = PromotionFactory(code="PAYME", max_redemptions=1)
    booking = hold(customer, ShowtimeFactory(), "PAYME")
    response = pay(customer_api, booking)
    assert response.status_code == 200, response.content
    assert response.json()["payment"]["amount"] == "9.00"
    assert response.json()["tickets"][0]["price"] == "10.00"  # tickets keep their prices
    assert status_of(booking) == RedemptionStatus.CONFIRMED
    assert counting(promotion) == 1


@pytest.mark.parametrize(
    ("restores", "after"), [(True, RedemptionStatus.RELEASED), (False, RedemptionStatus.FORFEITED)]
)
def test_cancelling_a_paid_booking_refunds_it_and_gives_the_use_back_if_the_code_says_so(
    customer, customer_api, restores, after
):
    promotion = PromotionFactory(code="PAID", max_redemptions=1, refund_restores_use=restores)
    booking = hold(customer, ShowtimeFactory(), "PAID")
    assert pay(customer_api, booking).status_code == 200
    cancelled = customer_api.post(f"{BOOKINGS}{booking.pk}/cancel/").json()
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["payment"]["status"] == "REFUNDED"
    assert status_of(booking) == after
    assert counting(promotion) == (0 if restores else 1)


def test_cancelling_a_showtime_gives_every_use_back(customer, other_customer, staff_api):
    promotion = PromotionFactory(code="SHOW")
    showtime = ShowtimeFactory()
    paid = hold(customer, showtime, "SHOW", seats=[showtime.hall.seats.first().pk])
    booking_services.booking_confirm(booking_id=paid.pk)
    held = hold(other_customer, showtime, "SHOW", seats=[showtime.hall.seats.last().pk])
    assert staff_api.post(f"/api/v1/showtimes/{showtime.pk}/cancel/").status_code == 200
    assert (status_of(paid), status_of(held)) == (RedemptionStatus.RELEASED,) * 2
    assert counting(promotion) == 0


def test_recording_expired_holds_releases_their_uses(customer):
    PromotionFactory(code="LATE")
    booking = hold(customer, ShowtimeFactory(), "LATE")
    lapse(booking)
    assert booking_services.bookings_expire() == 1
    assert status_of(booking) == RedemptionStatus.RELEASED


@pytest.mark.parametrize("recorded", [False, True])
def test_a_lapsed_hold_is_paid_with_its_discount_while_the_code_allows(
    customer, customer_api, recorded
):
    promotion = PromotionFactory(code="LAPSE", max_redemptions=1)
    booking = hold(customer, ShowtimeFactory(), "LAPSE")
    lapse(booking)
    if recorded:
        booking_services.bookings_expire()
    response = pay(customer_api, booking)
    assert response.status_code == 200, response.content
    assert (response.json()["discount"], response.json()["payment"]["amount"]) == ("1.00", "9.00")
    assert status_of(booking) == RedemptionStatus.CONFIRMED
    assert counting(promotion) == 1


def test_a_lapsed_hold_whose_last_use_went_to_someone_else_is_410_and_not_charged(
    customer, customer_api, other_customer
):
    promotion = PromotionFactory(code="LAST", max_redemptions=1)
    booking = hold(customer, ShowtimeFactory(), "LAST")
    lapse(booking)
    taker = hold(other_customer, ShowtimeFactory(), "LAST")
    err = error(pay(customer_api, booking), 410, "hold_expired")
    assert err["details"] == {"promo_code": "LAST", "reason": "promotion_exhausted"}
    assert "LAST" in err["message"]
    assert not Payment.objects.filter(booking_id=booking.pk).exists()
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.PENDING
    assert (status_of(booking), status_of(taker)) == (
        RedemptionStatus.HELD,
        RedemptionStatus.HELD,
    )
    assert counting(promotion) == 1
    with pytest.raises(HoldExpired):
        booking_services.booking_confirm(booking_id=booking.pk)


def test_a_lapsed_hold_of_a_code_that_has_ended_is_410(customer, customer_api):
    promotion = PromotionFactory(code="ENDS")
    booking = hold(customer, ShowtimeFactory(), "ENDS")
    lapse(booking)
    type(promotion).objects.filter(pk=promotion.pk).update(
        starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    err = error(pay(customer_api, booking), 410, "hold_expired")
    assert err["details"]["reason"] == "promotion_expired"


def test_a_live_hold_keeps_its_discount_even_if_the_code_is_paused_meanwhile(
    customer, customer_api
):
    promotion = PromotionFactory(code="KEEP")
    booking = hold(customer, ShowtimeFactory(), "KEEP")
    type(promotion).objects.filter(pk=promotion.pk).update(active=False)
    response = pay(customer_api, booking)
    assert response.status_code == 200, response.content
    assert response.json()["payment"]["amount"] == "9.00"

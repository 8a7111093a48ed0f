"""A box office's day in a real browser: Debian's Chromium, driven by Playwright, against a live
server. Staff open the board, sell two seats for cash, print the tickets and check one in at
the door; an administrator cancels a showtime and sees its bookings cancelled.

Screenshots of each step go to `artifacts/screenshots/` (git-ignored; CI keeps them).
Deselect with `-m "not browser"`. Without Chromium (`.ci/chromium` installs it) it is skipped.
"""

import os
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import PASSWORD, UserFactory
from booking import services as booking_services
from booking.models import Booking, BookingStatus, Ticket
from catalog.tests.factories import MovieFactory
from screening.models import ShowtimeStatus
from screening.tests.factories import CinemaFactory, HallFactory, ShowtimeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
# One zone per UTC offset from -11 to +13: the cinema is put where it is mid-morning now, so the
# day's showtimes are still to come on the board ("open the admin at 10:00").
ZONES = [
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Cape_Verde",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "Europe/Istanbul",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Auckland",
    "Pacific/Tongatapu",
]
LAYOUT = {
    "rows": [
        {"label": label, "seats": 12, "type": "STANDARD", "aisles_after": [3, 9]}
        for label in "ABCDE"
    ]
    + [{"label": "F", "seats": 12, "type": "VIP", "aisles_after": [3, 9]}]
    + [{"label": "G", "seats": 6, "type": "ACCESSIBLE"}]
}


def _morning_zone() -> ZoneInfo:
    now = timezone.now()
    return min(
        (ZoneInfo(name) for name in ZONES),
        key=lambda zone: abs(now.astimezone(zone).hour + now.astimezone(zone).minute / 60 - 10),
    )


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("No chromium on this machine (.ci/chromium installs it)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            yield launched
            launched.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def day():
    """A cinema's day: two showtimes still to come, some seats sold online already."""
    zone = _morning_zone()
    cinema = CinemaFactory(name="Riverside Cinema", timezone=zone.key, city="Springfield")
    hall = HallFactory(cinema=cinema, name="Hall 1", layout=LAYOUT)
    today = timezone.now().astimezone(zone).date()
    evening = datetime.combine(today, datetime.min.time(), tzinfo=zone) + timedelta(hours=19)
    matinee = max(
        timezone.now() + timedelta(hours=2),
        datetime.combine(today, datetime.min.time(), tzinfo=zone) + timedelta(hours=13),
    ).replace(minute=30, second=0, microsecond=0)
    first = ShowtimeFactory(
        hall=hall,
        movie=MovieFactory(title="The Last Lighthouse"),
        starts_at=matinee,
        base_price=Decimal("12.00"),
    )
    second = ShowtimeFactory(
        hall=HallFactory(cinema=cinema, name="Hall 2", layout=LAYOUT),
        movie=MovieFactory(title="Orbit of Ashes"),
        starts_at=evening,
        base_price=Decimal("14.00"),
    )
    customer = UserFactory(email="cara@example.com", first_name="Cara")
    seats = list(second.hall.seats.filter(row="C").order_by("number")[3:7])
    online = booking_services.booking_confirm(
        booking_id=booking_services.booking_create(
            user=customer,
            showtime_id=second.pk,
            seats=[booking_services.SeatRequest(seat.pk) for seat in seats],
        ).pk
    )
    held = list(first.hall.seats.filter(row="E").order_by("number")[3:5])
    booking_services.booking_create(
        user=UserFactory(),
        showtime_id=first.pk,
        seats=[booking_services.SeatRequest(seat.pk) for seat in held],
    )
    return {"zone": zone, "cinema": cinema, "first": first, "second": second, "online": online}


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_box_office_day(browser, live_server, day):
    base = live_server.url
    staff = UserFactory(staff=True, email="staff@cinema.local", first_name="Sam")
    UserFactory(admin=True, email="admin@cinema.local", first_name="Ada")
    first, second = day["first"], day["second"]
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()

    # Staff log in and land on today's board.
    _log_in(page, base, staff.email)
    board = page.locator(".board")
    assert "Riverside Cinema · Today," in board.locator("h2").inner_text()
    local_start = first.starts_at.astimezone(day["zone"]).strftime("%H:%M")
    first_row = board.locator("tr", has_text="The Last Lighthouse")
    assert local_start in first_row.inner_text()
    assert f"times in {day['zone'].key}" in page.inner_text("#site-name")
    _shot(page, "01-board")

    # Sell two seats for cash at the counter: pick them on the map, see the total, take payment.
    first_row.get_by_role("link", name="Sell").click()
    page.get_by_label("Seat D6").check()
    page.get_by_label("Seat D7").check()
    page.fill("#id_tendered", "30.00")
    page.click("input[name=_quote]")
    assert page.inner_text("#sale-total") == "24.00"
    assert page.inner_text("#sale-change") == "6.00"
    _shot(page, "02-sale-total")
    page.click("input[name=_sell]")
    assert "Change: 6.00 USD" in page.inner_text("#change-due")
    _shot(page, "03-receipt-change")
    sale = Booking.objects.get(sold_by=staff)
    assert sale.status == BookingStatus.CONFIRMED

    # The printable tickets open in a new tab: one QR code per ticket.
    with context.expect_page() as opened:
        page.click("#print-tickets")
    tickets = opened.value
    tickets.wait_for_load_state()
    assert tickets.locator("article.ticket").count() == 2
    assert tickets.locator("svg.segno").count() == 2
    code = tickets.locator(".code").first.inner_text()
    _shot(tickets, "04-printable-tickets")
    tickets.close()

    # The door: type (or scan) the code, Enter; the field is ready for the next one at once.
    page.goto(f"{base}/admin/")
    page.get_by_role("link", name="Door check-in").click()
    page.fill("#id_code", code)
    page.press("#id_code", "Enter")
    assert "Valid - come in" in page.inner_text(".panel.ok")
    assert page.evaluate("document.activeElement.id") == "id_code"
    _shot(page, "05-door-valid")
    page.fill("#id_code", code)
    page.press("#id_code", "Enter")
    assert "Already checked in" in page.inner_text(".panel.refused")
    _shot(page, "06-door-repeat")
    assert Ticket.objects.get(code=code).checked_in_by == staff

    # An administrator cancels the evening's showtime, with a reason for the customers.
    page.click("#logout-form button")
    _log_in(page, base, "admin@cinema.local")
    page.locator(".board tr", has_text="Orbit of Ashes").get_by_role(
        "link", name="Seat map"
    ).click()
    _shot(page, "07-showtime-seat-map")
    page.get_by_role("link", name="Cancel showtime").click()
    page.fill("#id_reason", "The projector has failed; we are sorry.")
    _shot(page, "08-cancel-confirmation")
    page.click("input[type=submit]")
    assert "1 booking(s) cancelled" in page.inner_text(".messagelist")
    _shot(page, "09-showtime-cancelled")

    page.goto(f"{base}/admin/booking/booking/?q={day['online'].reference}")
    assert "Cancelled" in page.locator("#result_list").inner_text()
    _shot(page, "10-bookings-cancelled")
    second.refresh_from_db()
    assert second.status == ShowtimeStatus.CANCELLED
    assert Booking.objects.get(pk=day["online"].pk).status == BookingStatus.CANCELLED
    context.close()

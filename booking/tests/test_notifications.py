"""What the customer gets: the confirmation with a QR code per ticket and a calendar entry, the
cancellation, refund and showtime-cancelled mails, the ticket page, the calendar file, re-sending,
and the signed QR payload at the door."""

import base64
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from booking import locks, services
from booking.models import Booking, Ticket
from booking.tickets import (
    ticket_payload,
    ticket_payload_verify,
    verification_key_text,
)
from core.models import OutboundEmail
from payments.models import Payment
from payments.tests.helpers import pay
from screening.tests.factories import CinemaFactory, HallFactory, ShowtimeFactory

from ..exceptions import InvalidTicket

pytestmark = pytest.mark.django_db


# These tests are about what the mails say; the seats they book are chosen for that, not for the
# single-seat-gap rule (booking/tests/test_seat_selection.py).
@pytest.fixture(autouse=True)
def _no_gap_rule(settings):
    settings.SEAT_GAP_RULE = False


BOOKINGS = "/api/v1/bookings/"


@pytest.fixture
def showtime():
    """Friday 5 June 2026, 19:30 in London (BST, UTC+1)."""
    cinema = CinemaFactory(
        name="Riverside Picturehouse",
        address="12 Thames Walk",
        city="London",
        timezone="Europe/London",
    )
    starts = datetime(2026, 6, 5, 19, 30, tzinfo=ZoneInfo("Europe/London"))
    return ShowtimeFactory(
        hall=HallFactory(cinema=cinema, name="Screen 2"),
        starts_at=starts,
        base_price=Decimal("10.00"),
        movie__title="The Long Night",
        movie__duration_minutes=120,
    )


@pytest.fixture(autouse=True)
def _before_the_show():
    """The show is in the future: these tests run 'now' a week before it."""
    now = datetime(2026, 5, 29, 12, 0, tzinfo=ZoneInfo("UTC"))
    with mock.patch("django.utils.timezone.now", return_value=now):
        yield


def seats(showtime, *labels) -> list[int]:
    return [showtime.hall.seats.get(row=label[0], number=int(label[1:])).pk for label in labels]


def paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks):
    response = customer_api.post(
        BOOKINGS,
        {
            "showtime": showtime.pk,
            "seats": [
                {"seat": seats(showtime, "A1")[0], "ticket_type": "CHILD"},
                {"seat": seats(showtime, "B2")[0]},
            ],
        },
    )
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(pk=response.json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        assert pay(customer_api, booking).status_code == 200
    booking.refresh_from_db()
    return booking


def parts(message):
    """The MIME parts of a sent mail by content type (inline images listed)."""
    parsed = message.message()
    found = {"images": []}
    for part in parsed.walk():
        kind = part.get_content_type()
        if kind == "image/png":
            found["images"].append(part)
        elif not part.is_multipart():
            found[kind] = part
    return found


def test_the_confirmation_has_all_a_customer_needs(
    customer, customer_api, showtime, settings, django_capture_on_commit_callbacks
):
    settings.CANCELLATION_CUTOFF_MINUTES = 60
    settings.CINEMA_CHAIN_NAME = "Riverside Cinemas"
    booking = paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == f"Your tickets for The Long Night - booking {booking.reference}"
    html = message.alternatives[0].content
    tickets = list(booking.tickets.order_by("seat__y", "seat__x"))
    for body in (message.body, html):
        assert "Riverside Picturehouse" in body
        assert "12 Thames Walk, London" in body
        assert "Screen 2" in body
        assert "Friday 5 June 2026, 19:30 BST (Europe/London)" in body
        assert "Friday 5 June 2026, 18:30 BST (Europe/London)" in body  # cancel until
        assert f"https://app.example.com/bookings/{booking.reference}" in body
        assert "Row A, seat 1" in body
        assert "Row B, seat 2" in body
        assert "Child" in body
        assert "7.00 USD" in body  # the child's price
        assert "13.00 USD" in body  # an adult in a VIP seat
        assert "Riverside Cinemas" in body  # the footer
        for ticket in tickets:
            assert ticket.code in body

    found = parts(message)
    assert found["text/plain"]
    assert found["text/html"]
    images = {image["Content-ID"].strip("<>"): image for image in found["images"]}
    assert set(images) == {f"ticket-{ticket.pk}" for ticket in tickets}
    for ticket in tickets:
        assert f'src="cid:ticket-{ticket.pk}"' in html
        assert images[f"ticket-{ticket.pk}"].get_payload(decode=True).startswith(b"\x89PNG")
    # What each QR code says is the ticket's signed payload, and it checks the ticket in.
    stored = OutboundEmail.objects.get().attachments.filter(content_id__startswith="ticket-")
    for attachment in stored:
        claim = ticket_payload_verify(attachment.qr_text)
        assert Ticket.objects.get(code=claim.code).showtime_id == claim.showtime_id == showtime.pk

    calendar = Calendar.from_ical(found["text/calendar"].get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    assert event["summary"] == "The Long Night (Riverside Picturehouse)"
    assert event["location"] == "Riverside Picturehouse, 12 Thames Walk, London"
    assert event.decoded("dtstart") == showtime.starts_at
    assert str(event.decoded("dtstart").tzinfo) == "Europe/London"
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=120)
    assert str(event["url"]) == f"https://app.example.com/bookings/{booking.reference}"
    assert calendar.walk("VTIMEZONE")  # the zone travels with it
    assert found["text/calendar"].get_filename() == f"booking-{booking.reference}.ics"


def test_the_confirmation_is_rendered_when_it_is_sent_not_while_paying(
    customer, customer_api, showtime, django_capture_on_commit_callbacks
):
    """The paying transaction writes one outbox row saying what to send; the worker renders it
    - text, HTML, QR codes, calendar entry - from the database when it sends it."""
    held = customer_api.post(
        BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": seats(showtime, "A1")[0]}]}
    ).json()
    with django_capture_on_commit_callbacks(execute=False) as delivery:
        assert pay(customer_api, Booking(pk=held["id"])).status_code == 200
    email = OutboundEmail.objects.get()
    assert (email.to, email.template) == ([customer.email], "booking/email/confirmed")
    assert (email.renderer, email.render_params) == ("booking", {"booking_id": held["id"]})
    assert (email.subject, email.body_html, email.rendered_at) == ("", "", None)
    assert not email.attachments.exists()

    for callback in delivery:  # the worker, after the commit
        callback()
    (message,) = mail.outbox
    assert message.subject == f"Your tickets for The Long Night - booking {held['reference']}"
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.subject == message.subject
    ticket = Ticket.objects.get(booking_id=held["id"])
    assert ticket.code in email.body_text
    stored = dict(email.attachments.values_list("filename", "qr_text"))
    assert stored == {
        f"ticket-{ticket.pk}.png": ticket_payload(ticket),
        f"booking-{held['reference']}.ics": "",
    }


def test_a_confirmation_whose_booking_was_cancelled_before_it_went_is_withdrawn(
    customer, customer_api, staff_api, showtime, django_capture_on_commit_callbacks
):
    """Paid, then cancelled before the worker's turn came: the customer hears of the
    cancellation, not of tickets that no longer admit anyone."""
    held = customer_api.post(
        BOOKINGS, {"showtime": showtime.pk, "seats": [{"seat": seats(showtime, "A1")[0]}]}
    ).json()
    with django_capture_on_commit_callbacks(execute=False) as confirmation:
        assert pay(customer_api, Booking(pk=held["id"])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        cancel = staff_api.post(f"{BOOKINGS}{held['id']}/cancel/", {"reason": "Screen closed"})
    assert cancel.status_code == 200, cancel.content

    for callback in confirmation:  # the confirmation's worker, late
        callback()

    assert [m.subject.split(" - ")[0] for m in mail.outbox] == [
        f"Booking {held['reference']} is cancelled",
        "Refund of 10.00 USD",
    ]
    email = OutboundEmail.objects.get(template="booking/email/confirmed")
    assert email.status == OutboundEmail.Status.WITHDRAWN
    assert email.last_error == f"Booking {held['reference']} is cancelled now."
    assert OutboundEmail.objects.exclude(pk=email.pk).filter(status="SENT").count() == 2


def flipped(signature: str) -> str:
    """The signature with one bit of its first byte changed (editing its base64 text could touch
    only the unused bits of the last character, and mean the same bytes)."""
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 1
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_the_qr_payload_is_signed_and_checked_at_the_door(customer, showtime, staff_api):
    booking = services.booking_confirm(
        booking_id=services.booking_create(
            user=customer,
            showtime_id=showtime.pk,
            seats=[services.SeatRequest(seats(showtime, "A1")[0])],
        ).pk
    )
    ticket = booking.tickets.get()
    payload = ticket_payload(ticket)
    version, code, showtime_id, signature = payload.split(".")
    assert (version, code, showtime_id) == ("CT1", ticket.code, str(showtime.pk))

    forged = [
        f"CT1.{code[:-1]}{'A' if code[-1] != 'A' else 'B'}.{showtime_id}.{signature}",  # code
        f"CT1.{code}.{int(showtime_id) + 1}.{signature}",  # another show
        f"CT1.{code}.{showtime_id}.{flipped(signature)}",  # signature
        f"CT1.{code}.{showtime_id}.{base64.urlsafe_b64encode(b'x' * 64).decode()}",
        f"CT2.{code}.{showtime_id}.{signature}",
        "CT1.a.b",
        "not.a.ticket.at-all!",
    ]
    for text in forged:
        with pytest.raises(InvalidTicket):
            ticket_payload_verify(text)
        response = staff_api.post("/api/v1/checkin/", {"code": text})
        assert response.status_code == 400, text
        assert response.json()["error"]["code"] == "invalid_ticket"

    response = staff_api.post("/api/v1/checkin/", {"code": payload})
    assert response.status_code == 200, response.content
    assert response.json()["code"] == ticket.code
    again = staff_api.post("/api/v1/checkin/", {"code": payload})
    assert again.json()["error"]["code"] == "already_checked_in"


def test_another_key_does_not_verify(customer, showtime, settings):
    booking = services.booking_confirm(
        booking_id=services.booking_create(
            user=customer,
            showtime_id=showtime.pk,
            seats=[services.SeatRequest(seats(showtime, "A1")[0])],
        ).pk
    )
    payload = ticket_payload(booking.tickets.get())
    derived = verification_key_text()
    settings.TICKET_SIGNING_KEY = base64.b64encode(b"k" * 32).decode()
    assert verification_key_text() != derived
    with pytest.raises(InvalidTicket):
        ticket_payload_verify(payload)
    assert ticket_payload_verify(ticket_payload(booking.tickets.get())).code


def test_cancellation_mail_has_the_reason_the_refund_and_the_local_time(
    customer, customer_api, staff_api, showtime, django_capture_on_commit_callbacks
):
    booking = paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(
            f"{BOOKINGS}{booking.pk}/cancel/", {"reason": "Screen 2 is closed for repairs"}
        )
    assert response.status_code == 200, response.content
    cancelled, refunded = mail.outbox
    assert cancelled.subject == f"Booking {booking.reference} is cancelled"
    for body in (cancelled.body, cancelled.alternatives[0].content):
        assert "Reason: Screen 2 is closed for repairs" in body
        assert "We are refunding" in body
        assert "20.00 USD" in body
        assert "card ending 4242" in body
        assert "Friday 5 June 2026, 19:30 BST (Europe/London)" in body
        assert "Friday 29 May 2026, 13:00 BST (Europe/London)" in body  # when it was cancelled
    assert refunded.subject == f"Refund of 20.00 USD - booking {booking.reference}"
    for body in (refunded.body, refunded.alternatives[0].content):
        assert "refunded <strong>20.00 USD</strong>" in body or "refunded 20.00 USD" in body
        assert "Reason: Screen 2 is closed for repairs" in body
        assert "That is all you paid (20.00 USD)" in body
        assert "Friday 5 June 2026, 19:30 BST (Europe/London)" in body


def test_an_administrators_partial_refund_is_mailed(
    customer, customer_api, admin_api, showtime, django_capture_on_commit_callbacks
):
    booking = paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    payment = Payment.objects.get(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            f"/api/v1/payments/{payment.pk}/refund/",
            {"amount": "5.00", "reason": "The sound failed for ten minutes"},
        )
    assert response.status_code == 200
    (message,) = mail.outbox
    assert message.to == [customer.email]
    assert message.subject == f"Refund of 5.00 USD - booking {booking.reference}"
    assert "Reason: The sound failed for ten minutes" in message.body
    assert "Refunded so far: 5.00 of 20.00 USD; your booking stays valid." in message.body
    assert "Refunded on Friday 29 May 2026, 13:00 BST (Europe/London)" in message.body


def test_showtime_cancelled_mail(
    customer, customer_api, staff_api, showtime, django_capture_on_commit_callbacks
):
    booking = paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff_api.post(f"/api/v1/showtimes/{showtime.pk}/cancel/", {"reason": "Projector failure"})
    cancelled = next(m for m in mail.outbox if m.subject.startswith("Cancelled:"))
    assert cancelled.subject == f"Cancelled: The Long Night - booking {booking.reference}"
    assert "Reason: Projector failure" in cancelled.body
    assert "We are refunding 20.00 USD to your card ending 4242" in cancelled.body
    assert "Friday 5 June 2026, 19:30 BST (Europe/London)" in cancelled.body
    assert any(m.subject.startswith("Refund of 20.00 USD") for m in mail.outbox)


def test_ticket_page_and_calendar_file(
    customer, customer_api, showtime, django_capture_on_commit_callbacks
):
    booking = paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks)
    page = customer_api.get(f"{BOOKINGS}{booking.pk}/tickets.html")
    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"
    html = page.content.decode()
    assert html.count("<svg") == 2
    assert "@media print" in html
    assert "Friday 5 June 2026, 19:30 BST (Europe/London)" in html
    for ticket in booking.tickets.all():
        assert ticket.code in html

    ics = customer_api.get(f"{BOOKINGS}{booking.pk}/calendar.ics")
    assert ics.status_code == 200
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics["Content-Disposition"] == f'attachment; filename="booking-{booking.reference}.ics"'
    (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert event.decoded("dtstart") == showtime.starts_at


def test_a_cancelled_bookings_page_shows_no_valid_codes(customer, showtime, customer_api):
    booking = services.booking_confirm(
        booking_id=services.booking_create(
            user=customer,
            showtime_id=showtime.pk,
            seats=[services.SeatRequest(seats(showtime, "A1")[0])],
        ).pk
    )
    code = booking.tickets.get().code
    services.booking_cancel(booking_id=booking.pk, by=customer)
    html = customer_api.get(f"{BOOKINGS}{booking.pk}/tickets.html").content.decode()
    assert "these tickets are not valid" in html
    assert code not in html
    assert "<svg" not in html


def test_resend_sends_the_confirmation_again_and_is_throttled(
    customer, customer_api, showtime, settings, django_capture_on_commit_callbacks
):
    settings.THROTTLE_RESEND = "2/hour"
    booking = paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert customer_api.post(f"{BOOKINGS}{booking.pk}/resend/").status_code == 202
    assert [m.subject for m in mail.outbox] == [mail.outbox[0].subject] * 2
    assert mail.outbox[0].subject.startswith("Your tickets for The Long Night")
    throttled = customer_api.post(f"{BOOKINGS}{booking.pk}/resend/")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert "Retry-After" in throttled


def test_resend_of_a_booking_without_tickets_is_400(customer, customer_api, showtime):
    held = services.booking_create(
        user=customer,
        showtime_id=showtime.pk,
        seats=[services.SeatRequest(seats(showtime, "A1")[0])],
    )
    response = customer_api.post(f"{BOOKINGS}{held.pk}/resend/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "booking_not_confirmed"
    assert not OutboundEmail.objects.exists()


def test_a_confirmation_rolled_back_with_its_payment_leaves_no_mail(customer, showtime):
    """The mail is a row of the confirming transaction: when that fails, there is no mail."""
    held = services.booking_create(
        user=customer,
        showtime_id=showtime.pk,
        seats=[services.SeatRequest(seats(showtime, "A1")[0])],
    )

    def confirm_then_fail():
        with transaction.atomic():
            services.booking_confirm_locked(locks.booking_lock(held.pk), timezone.now())
            assert OutboundEmail.objects.count() == 1
            raise RuntimeError("settling the payment failed")

    with pytest.raises(RuntimeError):
        confirm_then_fail()
    assert not OutboundEmail.objects.exists()


CHECK = """<script>window.addEventListener("load", () => {
  const images = [...document.images];
  const loaded = images.filter((image) => image.complete && image.naturalWidth > 0);
  document.body.insertAdjacentHTML("beforeend",
    `<div id="check">${loaded.length}/${images.length}</div>`);
});</script>"""


def as_a_mail_client_shows_it(message) -> str:
    """The HTML part with its `cid:` images inlined as data URIs."""
    parsed = message.message()
    html = next(p for p in parsed.walk() if p.get_content_type() == "text/html")
    html = html.get_payload(decode=True).decode()
    for part in parsed.walk():
        if part["Content-ID"]:
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            cid = part["Content-ID"].strip("<>")
            html = html.replace(f"cid:{cid}", f"data:{part.get_content_type()};base64,{data}")
    return html


def chromium(*args: str) -> str:
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    result = subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_the_confirmation_renders_with_its_qr_codes_in_chromium(
    customer, customer_api, showtime, django_capture_on_commit_callbacks
):
    """The HTML confirmation as a mail client shows it, in headless Chromium: every QR code
    loads, and (with zbarimg) each one scans to its ticket's signed payload. The page and a
    screenshot are left in `artifacts/` (git-ignored) for a person to look at. Skipped where
    Chromium is not installed (Debian: `apt-get install chromium`; zbar-tools for the scan)."""
    booking = paid_booking(customer, customer_api, showtime, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    folder = settings.BASE_DIR / "artifacts"
    folder.mkdir(exist_ok=True)
    page, checked = folder / "confirmation.html", folder / "confirmation-check.html"
    page.write_text(as_a_mail_client_shows_it(message))
    checked.write_text(page.read_text().replace("</body>", f"{CHECK}</body>"))

    dom = chromium("--virtual-time-budget=5000", "--dump-dom", checked.as_uri())
    assert re.search(r'<div id="check">2/2</div>', dom), dom[-300:]

    screenshot = folder / "confirmation.png"
    chromium("--window-size=720,1200", f"--screenshot={screenshot}", page.as_uri())
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    if shutil.which("zbarimg"):
        scanned = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(screenshot)],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        assert sorted(scanned) == sorted(ticket_payload(t) for t in booking.tickets.all())

"""What a customer holds of a booking: tickets whose QR codes carry a signed token, and a
calendar entry.

The QR payload is `CT1.<ticket code>.<showtime id>.<signature>`: an Ed25519 signature (base64url)
over the version, the code and the showtime. A door scanner verifies it offline with the public
key (`manage.py ticket_signing_key`) - it cannot make tickets, only check them - and
`POST /checkin/` accepts it as well as the plain code. The key is TICKET_SIGNING_KEY (base64 of a
32-byte seed), or one derived from SECRET_KEY when that is empty.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from io import BytesIO

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import dateformat
from icalendar import Calendar, Event, vText

from screening.models import SeatType

from . import hooks
from .exceptions import InvalidTicket
from .models import Booking, Ticket

VERSION = "CT1"
SEAT_TYPE_NAMES = {
    SeatType.STANDARD: "standard",
    SeatType.VIP: "VIP",
    SeatType.ACCESSIBLE: "accessible",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=4)
def _private_key(configured: str, secret_key: str) -> Ed25519PrivateKey:
    if configured:
        seed = base64.b64decode(configured)
    else:
        seed = hashlib.sha256(f"cinema.ticket-signing-key:{secret_key}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_key() -> Ed25519PrivateKey:
    return _private_key(settings.TICKET_SIGNING_KEY, settings.SECRET_KEY)


def verification_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def verification_key_text() -> str:
    """The public key, base64 of its 32 raw bytes: what door scanners are configured with."""
    return base64.b64encode(
        verification_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()


def _signed_part(code: str, showtime_id: int) -> bytes:
    return f"{VERSION}|{code}|{showtime_id}".encode()


def ticket_payload(ticket: Ticket) -> str:
    """The QR code's text of a sold ticket (it has a code once its booking is confirmed)."""
    signature = signing_key().sign(_signed_part(ticket.code, ticket.showtime_id))
    return f"{VERSION}.{ticket.code}.{ticket.showtime_id}.{_b64(signature)}"


def is_ticket_payload(text: str) -> bool:
    """Whether a scanned text is meant as a signed payload (ticket codes never hold a dot)."""
    return "." in text


@dataclass(frozen=True)
class TicketClaim:
    code: str
    showtime_id: int


def ticket_payload_verify(payload: str) -> TicketClaim:
    """The code and showtime a payload vouches for. Raises InvalidTicket (400) for anything
    forged, altered or malformed."""
    parts = payload.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[2].isdigit():
        raise InvalidTicket()
    _, code, showtime, signature = parts
    try:
        verification_key().verify(_unb64(signature), _signed_part(code, int(showtime)))
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise InvalidTicket() from exc
    return TicketClaim(code, int(showtime))


def qr_svg(text: str) -> str:
    """A QR code as an inline SVG element (for pages; mails get PNGs, see core.outbox.qr_png)."""
    buffer = BytesIO()
    segno.make(text, error="m", micro=False).save(
        buffer, kind="svg", scale=4, border=4, xmldecl=False, svgns=True, nl=False
    )
    return buffer.getvalue().decode()


def cancellation_deadline(booking: Booking) -> datetime:
    """Until when the customer may cancel (staff may later)."""
    return booking.showtime.starts_at - timedelta(minutes=settings.CANCELLATION_CUTOFF_MINUTES)


def booking_url(booking: Booking) -> str:
    return f"{settings.FRONTEND_URL}/bookings/{booking.reference}"


def booking_calendar(booking: Booking, tickets: list[Ticket]) -> bytes:
    """An iCalendar file with the show as one event, at the cinema, in its time zone."""
    showtime = booking.showtime
    cinema = showtime.hall.cinema
    zone = cinema.zone
    calendar = Calendar()
    calendar.add("prodid", f"-//{settings.CINEMA_CHAIN_NAME}//Tickets//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{booking.reference}@{settings.CINEMA_CHAIN_NAME.replace(' ', '-')}")
    event.add("dtstamp", booking.confirmed_at or booking.created_at)
    event.add("dtstart", showtime.starts_at.astimezone(zone))
    event.add("dtend", _movie_end(showtime).astimezone(zone))
    event.add("summary", f"{showtime.movie.title} ({cinema.name})")
    event["location"] = vText(f"{cinema.name}, {cinema.address}, {cinema.city}")
    seats = ", ".join(f"{t.seat.row}{t.seat.number}" for t in tickets)
    event.add(
        "description",
        f"Booking {booking.reference}, {showtime.hall.name}, seats {seats}.\n{booking_url(booking)}",
    )
    event.add("url", booking_url(booking))
    if booking.status == "CANCELLED":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def local_time_text(moment: datetime, zone) -> str:
    """`Friday 5 June 2026, 19:30 BST (Europe/London)`: a cinema's local time with its zone."""
    local = moment.astimezone(zone)
    return f"{dateformat.format(local, 'l j F Y, H:i')} {local.tzname()} ({zone.key})"


def booking_document_context(booking: Booking, tickets: list[Ticket]) -> dict:
    """What a booking's mails and ticket page show: where and when (the cinema's local time with
    its zone), each ticket, the payment and what is refunded or to be, the link to the booking.
    `booking` has its user and showtime (movie, hall, cinema) loaded; tickets their seats."""
    showtime = booking.showtime
    cinema = showtime.hall.cinema
    payment = hooks.payment_summaries([booking.pk]).get(booking.pk)
    refunded = refund_due = Decimal("0.00")
    if payment is not None and payment["status"] in ("SUCCEEDED", "PARTIALLY_REFUNDED"):
        refunded = Decimal(payment["amount_refunded"])
        refund_due = Decimal(payment["amount"]) - refunded
    elif payment is not None and payment["status"] == "REFUNDED":
        refunded = Decimal(payment["amount_refunded"])
    return {
        "booking": booking,
        "user": booking.user,
        "showtime": showtime,
        "movie": showtime.movie,
        "hall": showtime.hall,
        "cinema": cinema,
        "starts_local": local_time_text(showtime.starts_at, cinema.zone),
        "cancellation_deadline": local_time_text(cancellation_deadline(booking), cinema.zone),
        "cancelled_local": (
            local_time_text(booking.cancelled_at, cinema.zone) if booking.cancelled_at else ""
        ),
        "booking_url": booking_url(booking),
        "tickets": [
            {
                "id": ticket.pk,
                "row": ticket.seat.row,
                "number": ticket.seat.number,
                "seat_type": SEAT_TYPE_NAMES.get(ticket.seat.seat_type, ticket.seat.seat_type),
                "special_seat": ticket.seat.seat_type != SeatType.STANDARD,
                "ticket_type": ticket.get_ticket_type_display(),
                "price": ticket.price,
                "code": ticket.code,
                "qr_cid": f"ticket-{ticket.pk}",
            }
            for ticket in tickets
        ],
        "payment": payment,
        "refunded": refunded,
        "refund_due": refund_due,
        "reason": booking.cancellation_reason,
    }


def _movie_end(showtime) -> datetime:
    """When the film ends (the showtime's `ends_at` includes the cleaning buffer)."""
    return showtime.starts_at + timedelta(minutes=showtime.movie.duration_minutes)


def booking_tickets_html(booking: Booking) -> str:
    """A page of the booking's tickets made for printing: a QR code each (inline SVG)."""
    tickets = list(booking.tickets.select_related("seat").order_by("seat__y", "seat__x"))
    context = booking_document_context(booking, tickets)
    valid = booking.status == "CONFIRMED"
    by_id = {ticket.pk: ticket for ticket in tickets}
    for ticket in context["tickets"]:
        code_holder = by_id[ticket["id"]]
        ticket["qr_svg"] = qr_svg(ticket_payload(code_holder)) if valid else ""
        if not valid:
            ticket["code"] = None
    return render_to_string(
        "booking/tickets.html",
        {**context, "valid": valid, "chain_name": settings.CINEMA_CHAIN_NAME},
    )

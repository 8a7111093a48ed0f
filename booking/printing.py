"""Printing tickets: one QR code per ticket, for the door's scanner. It holds the ticket's signed
payload (`booking.tickets.ticket_payload`), which the door verifies at `POST /checkin/` (or a
scanner offline, with the public key)."""

import segno

from .models import Ticket
from .tickets import ticket_payload


def ticket_qr_svg(ticket: Ticket) -> str:
    """The ticket's QR code as an inline SVG element, sized by the page's CSS (no XML
    declaration, no inline styles), titled with the ticket's code."""
    return segno.make(ticket_payload(ticket), error="m").svg_inline(
        border=2, omitsize=True, title=ticket.code
    )

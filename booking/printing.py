"""Printing tickets: one QR code per ticket, for the door's scanner.

The QR code is drawn by this one function, so that what it encodes can change in one place (a
signed payload instead of the bare code, once check-in reads one).
"""

import segno

from .models import Ticket


def ticket_qr_svg(ticket: Ticket) -> str:
    """The ticket's QR code as an inline SVG element (no XML declaration, no inline styles)."""
    return segno.make(ticket.code, error="m").svg_inline(border=2, omitsize=True, title=ticket.code)

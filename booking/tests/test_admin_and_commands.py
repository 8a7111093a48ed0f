from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking.models import Booking, BookingStatus, SeatClaim, TicketType
from core.models import IdempotencyKey

from .factories import BookingFactory

pytestmark = pytest.mark.django_db


def test_release_expired_holds(customer):
    live = BookingFactory(user=customer)
    stale = BookingFactory()
    Booking.objects.filter(pk=stale.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    SeatClaim.objects.filter(booking=stale).update(expires_at=timezone.now() - timedelta(minutes=1))
    IdempotencyKey.objects.create(user=customer, scope="s", key="old", request_hash="x")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=2))

    out = StringIO()
    call_command("release_expired_holds", stdout=out)
    assert out.getvalue().strip() == "1 booking(s) expired, 1 idempotency key(s) purged."
    assert Booking.objects.get(pk=stale.pk).status == BookingStatus.EXPIRED
    assert Booking.objects.get(pk=live.pk).status == BookingStatus.PENDING
    assert list(SeatClaim.objects.values_list("booking_id", flat=True)) == [live.pk]


def test_staff_cancel_bookings_and_check_in_tickets_in_the_admin(client, staff):
    client.force_login(staff)
    booking = BookingFactory(confirmed=True)
    ticket = booking.tickets.get()
    assert client.get("/admin/booking/booking/").status_code == 200
    assert client.get(f"/admin/booking/booking/{booking.pk}/change/").status_code == 200

    client.post("/admin/booking/ticket/", {"action": "check_in", "_selected_action": [ticket.pk]})
    ticket.refresh_from_db()
    assert ticket.checked_in_by == staff

    client.post(
        "/admin/booking/booking/",
        {"action": "cancel", "_selected_action": [booking.pk], "confirmed": "yes", "reason": ""},
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert not SeatClaim.objects.exists()
    # Price rules: staff read them, administrators change them.
    assert client.get("/admin/booking/tickettype/").status_code == 200
    rule = TicketType.objects.get(code="CHILD")
    assert client.get(f"/admin/booking/tickettype/{rule.pk}/change/").status_code == 200
    assert (
        client.post(
            f"/admin/booking/tickettype/{rule.pk}/change/", {"multiplier": "0.1"}
        ).status_code
        == 403
    )


def test_admins_edit_price_rules(client, admin):
    client.force_login(admin)
    rule = TicketType.objects.get(code="CHILD")
    response = client.post(
        f"/admin/booking/tickettype/{rule.pk}/change/",
        {"code": "CHILD", "name": "Child", "multiplier": "0.500", "active": "on"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert str(rule.multiplier) == "0.500"

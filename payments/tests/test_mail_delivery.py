"""The issue's test: with the mail server stopped, a customer registers, asks for the link again,
books and pays - every request answers; once the server is back, all three mails arrive, once
each."""

import io
import re

import pytest
from django.core.management import call_command

from accounts.models import User
from core.models import OutboundEmail
from core.outbox import email_outbox_sweep
from core.testing import client_for
from screening.tests.factories import ShowtimeFactory

from .helpers import card

pytestmark = pytest.mark.django_db(transaction=True)


def test_mails_wait_for_a_stopped_server_and_then_arrive_once_each(
    api_client, smtp_server, settings
):
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0  # due again at once, for send_queued_mail
    showtime = ShowtimeFactory()
    smtp_server.stop()

    registered = api_client.post(
        "/api/v1/auth/register/",
        {
            "email": "cara@x.com",
            "password": "Matinee-Balcony-42",
            "first_name": "Cara",
            "last_name": "Xu",
        },
    )
    assert registered.status_code == 201, registered.content
    resend = api_client.post("/api/v1/auth/verify-email/resend/", {"email": "cara@x.com"})
    assert resend.status_code == 202
    # The customer follows the link of a mail the server has not taken yet (read from the outbox).
    link = OutboundEmail.objects.order_by("pk").last().body_text
    uid, token = re.search(r"verify-email\?uid=(\S+)&token=(\S+)", link).groups()
    assert (
        api_client.post("/api/v1/auth/verify-email/", {"uid": uid, "token": token}).status_code
        == 200
    )

    customer_api = client_for(User.objects.get(email="cara@x.com"))
    seat = showtime.hall.seats.order_by("pk").first()
    booked = customer_api.post(
        "/api/v1/bookings/", {"showtime": showtime.pk, "seats": [{"seat": seat.pk}]}
    )
    assert booked.status_code == 201
    paid = customer_api.post(
        f"/api/v1/bookings/{booked.json()['id']}/pay/", {"card": card()}, HTTP_IDEMPOTENCY_KEY="p1"
    )
    assert paid.status_code == 200, paid.content
    assert smtp_server.messages == []
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"QUEUED"}

    smtp_server.start()
    for _ in range(2):  # cron runs again: nothing is sent twice
        call_command("send_queued_mail", stdout=io.StringIO())
        email_outbox_sweep()
    subjects = sorted(message["Subject"] for message in smtp_server.to("cara@x.com"))
    assert subjects == [
        "Confirm your e-mail address",
        "Confirm your e-mail address",
        f"Your tickets for {showtime.movie.title} - booking {booked.json()['reference']}",
    ]
    assert len({message["Message-ID"] for message in smtp_server.messages}) == 3
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"SENT"}

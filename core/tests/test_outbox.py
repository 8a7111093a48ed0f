"""The outbox: mails written with the change that causes them, delivered by a worker that
retries, against a real SMTP server in the test process."""

import re
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.sites import site
from django.core import mail
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from core import email_content
from core.emails import (
    EmailContent,
    EmailFile,
    email_queue_on_commit,
    email_renderer,
    email_send_on_commit,
)
from core.models import OutboundEmail
from core.outbox import (
    EmailWithdrawn,
    _claim,
    email_message_send,
    email_messages_requeue,
    email_outbox_purge,
    email_outbox_sweep,
)
from core.testing import run_concurrently

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
Status = OutboundEmail.Status


def register(api_client, email="cara@x.com"):
    return api_client.post(
        REGISTER,
        {
            "email": email,
            "password": "Matinee-Balcony-42",
            "first_name": "Cara",
            "last_name": "Xu",
        },
    )


def queue_mail(to="cara@x.com") -> OutboundEmail:
    """A verification mail written in its own transaction (as a service writes it)."""
    with transaction.atomic():
        return email_send_on_commit(
            to=[to],
            template="accounts/email/verify_email",
            context={"user": User(first_name="Cara"), "link": "https://app.example.com/x"},
        )


def test_a_rolled_back_transaction_leaves_no_mail(django_capture_on_commit_callbacks):
    def change_that_fails():
        with transaction.atomic():
            queue_mail()
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []


def test_a_committed_mail_is_sent_with_text_html_and_the_chains_footer(
    django_capture_on_commit_callbacks, settings
):
    settings.CINEMA_CHAIN_NAME = "Odeon Park"
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_mail()
    (message,) = mail.outbox
    assert message.to == ["cara@x.com"]
    assert message.body.rstrip().endswith("Odeon Park")
    html = message.alternatives[0].content
    assert "Odeon Park" in html
    assert html.index("Odeon Park") < html.index("</body>")
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at is not None) == (Status.SENT, 1, True)
    assert message.extra_headers["Message-ID"] == email.message_id


def test_server_down_the_request_answers_and_the_mail_waits_then_goes_once(
    api_client, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0  # due again at once, for send_queued_mail
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client)
    assert response.status_code == 201
    email = OutboundEmail.objects.get()
    assert (email.status, email.attempts) == (Status.QUEUED, 1)
    assert "Connection refused" in email.last_error or "Errno" in email.last_error

    smtp_server.start()
    call_command("send_queued_mail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("send_queued_mail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    (message,) = smtp_server.to("cara@x.com")
    assert message["Subject"] == "Confirm your e-mail address"
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 2)


@pytest.mark.django_db(transaction=True)
def test_a_hung_server_does_not_hold_the_request(api_client, smtp_server, settings):
    """The mail server accepts the connection and never answers: the attempt gives up after
    EMAIL_TIMEOUT and the request answers; the mail is sent once the server is back."""
    settings.EMAIL_TIMEOUT = 1
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0
    smtp_server.hang()
    answers = []

    def request():
        try:
            answers.append(register(api_client).status_code)
        finally:
            connections.close_all()

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(60)  # a watchdog, not a measurement: without a timeout this waits forever
    assert not thread.is_alive(), "the request is still waiting for the mail server"
    assert answers == [201]
    email = OutboundEmail.objects.get()
    assert email.status == Status.QUEUED
    assert "timed out" in email.last_error

    smtp_server.start()
    call_command("send_queued_mail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(smtp_server.to("cara@x.com")) == 1


def test_retries_back_off_exponentially_and_then_fail(
    smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 30
    settings.EMAIL_MAX_ATTEMPTS = 3
    smtp_server.stop()
    email = queue_mail()
    waits = []
    for _ in range(3):
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        delivery = email_message_send(message_id=email.pk)
        email.refresh_from_db()
        waits.append(delivery.retry_in)
        if delivery.retry_in:
            assert email.next_attempt_at - before >= timedelta(seconds=delivery.retry_in)
    assert waits == [30, 60, None]
    assert (email.status, email.attempts) == (Status.FAILED, 3)
    assert email_message_send(message_id=email.pk).status == Status.FAILED  # nothing more

    smtp_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        assert email_messages_requeue(message_ids=[email.pk]) == 1  # the admin's "send again"
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 1)
    assert len(smtp_server.messages) == 1


def test_a_message_is_not_sent_before_it_is_due(smtp_server):
    email = queue_mail()
    later = timezone.now() + timedelta(seconds=90)
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.QUEUED, next_attempt_at=later)
    delivery = email_message_send(message_id=email.pk)
    assert delivery.status == Status.QUEUED
    assert 85 <= delivery.retry_in <= 91
    assert smtp_server.messages == []


def test_a_permanent_refusal_fails_at_once(smtp_server, settings):
    settings.EMAIL_MAX_ATTEMPTS = 8
    smtp_server.refused.add("gone@x.com")
    email = queue_mail(to="gone@x.com")
    email_message_send(message_id=email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.FAILED, 1)
    assert "SMTPRecipientsRefused" in email.last_error


def test_a_worker_killed_mid_send_leaves_the_mail_to_the_sweep(smtp_server):
    email = queue_mail()
    dead_claim = _claim(email.pk, timezone.now())  # a worker claimed it, then died
    assert dead_claim is not None
    assert email_outbox_sweep() == 0  # its claim still holds: nobody else sends it
    assert email_message_send(message_id=email.pk).status == Status.SENDING

    OutboundEmail.objects.filter(pk=email.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert email_outbox_sweep() == 1  # enqueued again: run in-process here (no broker)
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (Status.SENT, 2)
    assert email_outbox_sweep() == 0


def test_the_sweep_enqueues_messages_whose_task_was_lost(smtp_server):
    smtp_server.stop()
    email = queue_mail()  # written, but its task never ran (the broker lost it)
    assert email_outbox_sweep() == 0  # not overdue yet
    smtp_server.start()
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert email_outbox_sweep() == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_racing_workers_send_a_message_once(smtp_server):
    """Without the claim (a conditional UPDATE only one worker wins) every worker sends it."""
    email = queue_mail()
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.QUEUED, attempts=0)
    smtp_server.messages.clear()
    results = run_concurrently(lambda _: email_message_send(message_id=email.pk).status, 4)
    assert set(results) <= {"SENDING", "SENT"}, results  # the losers saw it claimed, or sent
    assert len(smtp_server.messages) == 1


def test_inline_images_and_attachments(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_send_on_commit(
            to=["cara@x.com"],
            template="accounts/email/verify_email",
            context={"user": User(first_name="Cara"), "link": "https://app.example.com/x"},
            attachments=[
                EmailFile.qr_code(content_id="ticket-1", text="hello"),
                EmailFile("event.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            ],
        )
    parsed = mail.outbox[0].message()
    assert parsed.get_content_type() == "multipart/mixed"
    related, calendar = parsed.get_payload()
    assert related.get_content_type() == "multipart/related"
    alternative, image = related.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert image["Content-ID"] == "<ticket-1>"
    assert image.get_payload(decode=True).startswith(b"\x89PNG")
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_filename() == "event.ics"


def test_purge_deletes_old_sent_mail_only(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_OUTBOX_RETENTION_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        old, recent = queue_mail(), queue_mail()
    failed = queue_mail()
    OutboundEmail.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    OutboundEmail.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=31))
    assert email_outbox_purge() == 1
    assert set(OutboundEmail.objects.values_list("pk", flat=True)) == {recent.pk, failed.pk}


def test_admin_lists_the_outbox_and_sends_again(
    admin, client, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.stop()
    email = queue_mail()
    OutboundEmail.objects.filter(pk=email.pk).update(status=Status.FAILED, attempts=8)
    client.force_login(admin)
    page = client.get("/admin/core/outboundemail/?q=cara%40x.com")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [email]
    assert client.get(f"/admin/core/outboundemail/{email.pk}/change/").status_code == 200

    smtp_server.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/core/outboundemail/",
            {"action": "send_again", "_selected_action": [email.pk]},
        )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert len(smtp_server.messages) == 1
    assert site.is_registered(OutboundEmail)


def test_a_mail_with_a_one_time_link_is_never_shown_and_erased_once_sent(
    admin, client, api_client, smtp_server, django_capture_on_commit_callbacks
):
    """A password-reset link in the outbox would let whoever reads it sign in as the customer:
    the admin never shows it, it is erased once the mail went out, and such a mail is not sent
    again (the customer asks for a new link)."""
    UserFactory(email="cara@x.com")
    with django_capture_on_commit_callbacks(execute=False):  # written, not sent yet
        api_client.post("/api/v1/auth/password/reset/", {"email": "cara@x.com"})
    email = OutboundEmail.objects.get()
    assert email.sensitive
    link = re.search(r"https?://\S+", email.body_text).group()
    client.force_login(admin)

    waiting = client.get(f"/admin/core/outboundemail/{email.pk}/change/")

    assert waiting.status_code == 200
    assert link not in waiting.content.decode()
    assert "hidden: it holds a one-time link" in waiting.content.decode()

    assert email_message_send(message_id=email.pk).status == Status.SENT
    assert link in smtp_server.messages[0].get_payload()[0].get_payload(decode=True).decode()
    email.refresh_from_db()
    assert link not in email.body_text + email.body_html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/core/outboundemail/",
            {"action": "send_again", "_selected_action": [email.pk]},
        )
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert len(smtp_server.messages) == 1


def test_the_admin_cannot_search_a_sensitive_mail_s_body(
    admin, client, api_client, django_capture_on_commit_callbacks
):
    """A filter on the body in the query string would answer, match by match, what the page
    hides: refused."""
    UserFactory(email="cara@x.com")
    with django_capture_on_commit_callbacks(execute=False):
        api_client.post("/api/v1/auth/password/reset/", {"email": "cara@x.com"})
    client.force_login(admin)

    for lookup in ("body_text__contains", "body_html__startswith"):
        page = client.get("/admin/core/outboundemail/", {lookup: "http"})
        assert page.status_code == 400


def test_a_sensitive_mail_that_failed_for_good_is_erased_and_never_sent_again(
    admin, client, api_client, smtp_server, settings, django_capture_on_commit_callbacks
):
    UserFactory(email="cara@x.com")
    with django_capture_on_commit_callbacks(execute=False):
        api_client.post("/api/v1/auth/password/reset/", {"email": "cara@x.com"})
    email = OutboundEmail.objects.get()
    settings.EMAIL_MAX_ATTEMPTS = 1
    smtp_server.stop()

    assert email_message_send(message_id=email.pk).status == Status.FAILED

    email.refresh_from_db()
    assert "http" not in email.body_text + email.body_html
    smtp_server.start()
    assert email_messages_requeue(message_ids=[email.pk]) == 0


def test_staff_cannot_see_the_outbox(staff, client):
    client.force_login(staff)
    assert client.get("/admin/core/outboundemail/").status_code == 403


# Mails rendered when they are sent: a renderer that reads a user from the database.


@pytest.fixture
def greeting_renderer():
    """Registers "greeting": the verification mail, addressed to a user as the database has them
    when the mail is rendered, with a calendar file."""
    calls = []

    def render(template, *, user_id):
        calls.append(user_id)
        user = User.objects.get(pk=user_id)
        return EmailContent(
            {"user": user, "link": "https://app.example.com/x"},
            [EmailFile("event.ics", "text/calendar", f"SUMMARY:{user.first_name}".encode())],
        )

    email_renderer("greeting", render)
    yield calls
    del email_content._renderers["greeting"]


def queue_greeting(user) -> OutboundEmail:
    with transaction.atomic():
        return email_queue_on_commit(
            to=[user.email],
            template="accounts/email/verify_email",
            renderer="greeting",
            params={"user_id": user.pk},
        )


def test_a_mail_rendered_when_sent_is_one_row_until_its_first_attempt(
    greeting_renderer, django_capture_on_commit_callbacks
):
    user = UserFactory(first_name="Cara", email="cara@x.com")
    email = queue_greeting(user)
    # What the transaction wrote: what to send, nothing rendered.
    assert (email.subject, email.body_text, email.rendered_at) == ("", "", None)
    assert (email.renderer, email.render_params) == ("greeting", {"user_id": user.pk})
    assert not email.attachments.exists()
    assert greeting_renderer == []

    User.objects.filter(pk=user.pk).update(first_name="Carla")  # what is true when it is sent
    assert email_message_send(message_id=email.pk).status == Status.SENT
    (message,) = mail.outbox
    assert message.subject == "Confirm your e-mail address"
    assert "Hello Carla" in message.body
    assert "Hello Carla" in message.alternatives[0].content
    assert message.attachments[0][:2] == ("event.ics", "SUMMARY:Carla")
    email.refresh_from_db()
    assert email.rendered_at is not None
    assert email.subject == message.subject
    assert "Hello Carla" in email.body_text
    assert list(email.attachments.values_list("filename", flat=True)) == ["event.ics"]


def test_a_retry_and_send_again_send_what_the_first_attempt_rendered(
    smtp_server, settings, greeting_renderer, django_capture_on_commit_callbacks
):
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0
    smtp_server.stop()
    user = UserFactory(first_name="Cara", email="cara@x.com")
    email = queue_greeting(user)
    assert email_message_send(message_id=email.pk).status == Status.QUEUED  # server down
    email.refresh_from_db()
    assert "Hello Cara" in email.body_text  # rendered and stored before the server was asked

    User.objects.filter(pk=user.pk).update(first_name="Carla")
    smtp_server.start()
    call_command("send_queued_mail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with django_capture_on_commit_callbacks(execute=True):
        email_messages_requeue(message_ids=[email.pk])  # the admin's "send again"
    first, again = smtp_server.to("cara@x.com")
    for message in (first, again):
        plain = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        assert "Hello Cara," in plain.get_payload(decode=True).decode()
        assert message["Message-ID"] == email.message_id
    assert greeting_renderer == [user.pk]  # rendered once


def test_a_render_that_fails_is_a_failed_attempt(greeting_renderer, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    email = queue_greeting(User(pk=10**6, email="gone@x.com"))  # no such user
    assert email_message_send(message_id=email.pk).status == Status.QUEUED
    email.refresh_from_db()
    assert (email.status, email.attempts, email.rendered_at) == (Status.QUEUED, 1, None)
    assert "DoesNotExist" in email.last_error
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert email_message_send(message_id=email.pk).status == Status.FAILED
    assert mail.outbox == []


def test_a_mail_its_renderer_withdraws_is_not_sent_nor_tried_again(settings):
    """What the mail would say is no longer true when its turn comes: WITHDRAWN, the reason
    kept; no retry, no sweep, purged with the sent ones."""
    settings.EMAIL_OUTBOX_RETENTION_DAYS = 30

    def render(template, *, user_id):
        raise EmailWithdrawn("Booking ABC is cancelled now.")

    email_renderer("withdrawn", render)
    try:
        with transaction.atomic():
            email = email_queue_on_commit(
                to=["cara@x.com"], template="t", renderer="withdrawn", params={"user_id": 1}
            )
        assert email_message_send(message_id=email.pk).status == Status.WITHDRAWN
    finally:
        del email_content._renderers["withdrawn"]
    email.refresh_from_db()
    assert (email.status, email.last_error, email.sent_at) == (
        Status.WITHDRAWN,
        "Booking ABC is cancelled now.",
        None,
    )
    assert mail.outbox == []
    later = timezone.now() + timedelta(days=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert email_outbox_sweep() == 0
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert email_outbox_purge() == 1


def test_a_worker_whose_claim_ran_out_while_rendering_stores_and_sends_nothing(
    greeting_renderer,
):
    user = UserFactory(email="cara@x.com")
    email = queue_greeting(user)
    render = email_content._renderers["greeting"]

    def slow_render(template, **params):
        # Meanwhile its claim ran out and another worker claimed the mail.
        OutboundEmail.objects.filter(pk=email.pk).update(claim="another worker's")
        return render(template, **params)

    email_renderer("greeting", slow_render)
    assert email_message_send(message_id=email.pk).status == Status.SENDING
    email.refresh_from_db()
    assert (email.rendered_at, email.claim) == (None, "another worker's")
    assert not email.attachments.exists()
    assert mail.outbox == []


def test_an_unknown_renderer_is_refused_when_the_mail_is_written():
    with pytest.raises(LookupError), transaction.atomic():
        email_queue_on_commit(to=["cara@x.com"], template="x", renderer="nobody", params={})
    assert not OutboundEmail.objects.exists()

"""`POST /promotions/{id}/send/`: the promotion e-mailed to customers who opted in, each once,
each with an unsubscribe link that works; and its discount fixed from then on."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tokens import unsubscribe_token
from core.testing import run_concurrently
from promotions import services
from promotions.models import Promotion, PromotionRecipient

from .factories import PromotionFactory

pytestmark = pytest.mark.django_db

UNSUBSCRIBE = "/api/v1/auth/unsubscribe/"


def send_path(promotion) -> str:
    return f"/api/v1/promotions/{promotion.pk}/send/"


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code, response.json()
    return response.json()["error"]


@pytest.fixture
def audience(db) -> list[User]:
    """Three customers who opted in, and some who must never get promotional mail."""
    UserFactory(promotions_opt_in=False)
    UserFactory(promotions_opt_in=True, unverified=True)
    UserFactory(promotions_opt_in=True, suspended=True)
    return [UserFactory(promotions_opt_in=True) for _ in range(3)]


def send(client, promotion, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(send_path(promotion))


def test_it_mails_every_active_customer_who_opted_in_with_a_working_unsubscribe_link(
    admin_api, api_client, audience, django_capture_on_commit_callbacks
):
    promotion = PromotionFactory(code="AUTUMN", value=Decimal("15"), description="Autumn nights")
    response = send(admin_api, promotion, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    assert response.json() == {"recipients": 3}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(user.email for user in audience)
    message = next(m for m in mail.outbox if m.to == [audience[0].email])
    assert "AUTUMN" in message.subject
    assert "Autumn nights" in message.body
    assert "15% off" in message.body
    html = message.alternatives[0][0]
    link = re.search(r"(http://testserver/api/v1/auth/unsubscribe/\?token=\S+)", message.body)
    assert link, message.body
    assert link.group(1).replace("&", "&amp;") in html or link.group(1) in html

    answer = api_client.get(link.group(1))
    assert answer.status_code == 200, answer.content
    audience[0].refresh_from_db()
    assert audience[0].promotions_opt_in is False
    assert api_client.get(link.group(1)).status_code == 200  # the same link again: no harm
    promotion.refresh_from_db()
    assert promotion.sent_at is not None


def test_sending_again_mails_nobody_twice_but_newcomers_once(
    admin_api, audience, django_capture_on_commit_callbacks
):
    promotion = PromotionFactory()
    send(admin_api, promotion, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    again = send(admin_api, promotion, django_capture_on_commit_callbacks)
    assert (again.status_code, again.json()) == (202, {"recipients": 0})
    assert mail.outbox == []

    newcomer = UserFactory(promotions_opt_in=True)
    third = send(admin_api, promotion, django_capture_on_commit_callbacks)
    assert third.json() == {"recipients": 1}
    assert [m.to for m in mail.outbox] == [[newcomer.email]]


def test_it_sends_in_batches(audience, django_capture_on_commit_callbacks):
    more = [UserFactory(promotions_opt_in=True) for _ in range(4)]
    promotion = PromotionFactory()
    with django_capture_on_commit_callbacks(execute=True) as batches:
        sent = services.promotion_send(
            promotion_id=promotion.pk, unsubscribe_url="https://x.test/u/", batch_size=2
        )
    assert sent == 7
    assert len(batches) == 7  # one e-mail each, registered with its batch
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in audience + more)
    assert PromotionRecipient.objects.filter(promotion=promotion).count() == 7


def test_a_sent_promotion_keeps_its_code_and_discount(
    admin_api, audience, django_capture_on_commit_callbacks
):
    promotion = PromotionFactory(code="FIXED", value=Decimal("10"))
    send(admin_api, promotion, django_capture_on_commit_callbacks)
    path = f"/api/v1/promotions/{promotion.pk}/"
    for change in ({"value": "50.00"}, {"discount_type": "FIXED"}, {"code": "OTHER"}):
        err = error(admin_api.patch(path, change), 409, "promotion_locked")
        assert err["details"] == {"fields": list(change)}
    unchanged = admin_api.patch(path, {"value": "10.00", "code": "fixed", "active": False})
    assert unchanged.status_code == 200, unchanged.content
    ends = (promotion.ends_at + timedelta(days=7)).isoformat()
    assert admin_api.patch(path, {"description": "Longer", "ends_at": ends}).status_code == 200
    promotion.refresh_from_db()
    assert (promotion.value, promotion.description, promotion.active) == (
        Decimal("10.00"),
        "Longer",
        False,
    )


def test_an_unsent_promotion_can_change_its_discount(admin_api):
    promotion = PromotionFactory()
    response = admin_api.patch(f"/api/v1/promotions/{promotion.pk}/", {"value": "30.00"})
    assert response.status_code == 200
    assert response.json()["value"] == "30.00"


@pytest.mark.parametrize("state", [{"active": False}, {"expired": True}])
def test_a_paused_or_ended_promotion_is_not_sent(admin_api, audience, state):
    promotion = PromotionFactory(**state)
    error(admin_api.post(send_path(promotion)), 409, "promotion_not_sendable")
    assert not PromotionRecipient.objects.exists()
    assert Promotion.objects.get(pk=promotion.pk).sent_at is None


def test_nobody_to_mail_leaves_the_discount_open(admin_api):
    promotion = PromotionFactory()
    assert admin_api.post(send_path(promotion)).json() == {"recipients": 0}
    assert Promotion.objects.get(pk=promotion.pk).sent_at is None


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"token": "nonsense"}, "invalid_token"),
        ({"token": "1:forged"}, "invalid_token"),
        ({}, "validation_error"),
    ],
)
def test_a_bad_unsubscribe_token_is_400(api_client, customer, query, code):
    error(api_client.get(UNSUBSCRIBE, query), 400, code)


def test_an_unsubscribe_token_is_signed_for_its_user_only(api_client, customer, other_customer):
    for user in (customer, other_customer):
        User.objects.filter(pk=user.pk).update(promotions_opt_in=True)
    token = unsubscribe_token(customer)
    _, _, signature = token.partition(":")
    other_id = signing.b64_encode(json.dumps(other_customer.pk).encode()).decode()
    forged = f"{other_id}:{signature}"  # another user's id under this user's signature
    error(api_client.get(UNSUBSCRIBE, {"token": forged}), 400, "invalid_token")
    assert api_client.get(UNSUBSCRIBE, {"token": token}).status_code == 200
    assert User.objects.get(pk=customer.pk).promotions_opt_in is False
    assert User.objects.get(pk=other_customer.pk).promotions_opt_in is True


@pytest.mark.django_db(transaction=True)
def test_administrators_sending_at_once_mail_nobody_twice():
    users = [UserFactory(promotions_opt_in=True) for _ in range(12)]
    promotion = PromotionFactory(starts_at=timezone.now() - timedelta(days=1))

    def send_now(i):
        return services.promotion_send(
            promotion_id=promotion.pk, unsubscribe_url="https://x.test/u/", batch_size=3
        )

    results = run_concurrently(send_now, 4)

    assert sum(results) == 12, results
    assert sorted(m.to[0] for m in mail.outbox) == sorted(user.email for user in users)

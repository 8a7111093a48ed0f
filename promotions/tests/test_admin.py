"""The Django admin writes promotions through the same services as the API."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from promotions.models import Promotion
from screening.tests.factories import ShowtimeFactory

from .factories import PromotionFactory
from .helpers import hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(client, admin):
    client.force_login(admin)
    return client


def form(**extra) -> dict:
    starts = timezone.now().replace(microsecond=0)
    ends = starts + timedelta(days=10)
    return {
        "code": "autumn",
        "description": "Autumn nights",
        "discount_type": "PERCENT",
        "value": "15.00",
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "ends_at_0": ends.strftime("%Y-%m-%d"),
        "ends_at_1": ends.strftime("%H:%M:%S"),
        "min_total": "0.00",
        "active": "on",
        "refund_restores_use": "on",
        **extra,
    }


def test_a_promotion_made_in_the_admin_is_made_by_the_service(admin_site):
    response = admin_site.post("/admin/promotions/promotion/add/", form(ticket_types=["CHILD"]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    promotion = Promotion.objects.get()
    assert (promotion.code, promotion.ticket_types) == ("AUTUMN", ["CHILD"])


def test_the_admin_form_shows_the_services_rules(admin_site):
    response = admin_site.post("/admin/promotions/promotion/add/", form(value="150.00"))
    assert response.status_code == 200
    assert "A percentage is at most 100." in str(response.context["adminform"].form.errors)
    PromotionFactory(code="AUTUMN")
    taken = admin_site.post("/admin/promotions/promotion/add/", form())
    assert "code" in taken.context["adminform"].form.errors
    assert Promotion.objects.count() == 1


def test_changing_and_deleting_in_the_admin(admin_site, customer):
    promotion = PromotionFactory(code="AUTUMN")
    response = admin_site.post(
        f"/admin/promotions/promotion/{promotion.pk}/change/", form(value="20.00")
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    promotion.refresh_from_db()
    assert str(promotion.value) == "20.00"

    hold(customer, ShowtimeFactory(), "AUTUMN")
    refused = admin_site.post(
        f"/admin/promotions/promotion/{promotion.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "Cannot delete promotion" in refused.content.decode()  # Django sees the PROTECT
    assert Promotion.objects.filter(pk=promotion.pk).exists()


def test_redemptions_are_read_only_in_the_admin(admin_site, customer):
    promotion = PromotionFactory(code="AUTUMN")
    hold(customer, ShowtimeFactory(), "AUTUMN")
    assert admin_site.get("/admin/promotions/redemption/").status_code == 200
    assert admin_site.get("/admin/promotions/redemption/add/").status_code == 403
    assert admin_site.get("/admin/promotions/promotion/").status_code == 200
    assert promotion.redemptions.count() == 1


def test_the_admin_sends_a_promotion_through_the_service(
    admin_site, django_capture_on_commit_callbacks
):
    fan = UserFactory(promotions_opt_in=True)
    promotion = PromotionFactory(code="AUTUMN")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site.post(
            "/admin/promotions/promotion/",
            {"action": "send", "_selected_action": [promotion.pk]},
            follow=True,
        )
    assert "e-mailed to 1 customers" in response.content.decode()
    assert [m.to for m in mail.outbox] == [[fan.email]]
    assert "/api/v1/auth/unsubscribe/?token=" in mail.outbox[0].body
    page = admin_site.get(f"/admin/promotions/promotion/{promotion.pk}/change/")
    assert "value" not in page.context["adminform"].form.fields  # fixed once sent

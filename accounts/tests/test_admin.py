"""The Django admin for users: the same services as the API."""

import pytest
from django.core.management import call_command

from accounts.models import AccountState, Role, User

from .factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def admin_site(client, admin):
    client.force_login(admin)
    return client


def test_changelist_searches_and_filters(admin_site, customer, staff):
    UserFactory(email="zed@example.com", suspended=True)
    page = admin_site.get(CHANGELIST, {"q": "zed"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [User.objects.get(email="zed@example.com")]
    staff_only = admin_site.get(CHANGELIST, {"role__exact": "STAFF"})
    assert list(staff_only.context["cl"].result_list) == [staff]


def test_add_user_goes_through_the_service(admin_site):
    response = admin_site.post(
        "/admin/accounts/user/add/",
        {"email": "New@Staff.com", "password": "Usher-Torch-991", "role": "STAFF", "phone": ""},
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(email="new@staff.com")
    assert (user.role, user.state) == (Role.STAFF, AccountState.ACTIVE)
    assert user.check_password("Usher-Torch-991")


def test_add_user_shows_service_rules_as_form_errors(admin_site, customer):
    weak = admin_site.post(
        "/admin/accounts/user/add/", {"email": "x@example.com", "password": "123", "role": "STAFF"}
    )
    assert weak.status_code == 200
    assert weak.context["adminform"].form.errors
    taken = admin_site.post(
        "/admin/accounts/user/add/",
        {"email": "CARA@example.com", "password": "Usher-Torch-991", "role": "CUSTOMER"},
    )
    assert "email" in taken.context["adminform"].form.errors
    assert User.objects.filter(email__in=["x@example.com"]).count() == 0


def test_suspend_and_reactivate_actions(admin_site, admin, customer):
    admin_site.post(CHANGELIST, {"action": "suspend", "_selected_action": [customer.pk, admin.pk]})
    customer.refresh_from_db()
    admin.refresh_from_db()
    assert customer.state == AccountState.SUSPENDED
    assert admin.state == AccountState.ACTIVE  # not oneself

    admin_site.post(CHANGELIST, {"action": "reactivate", "_selected_action": [customer.pk]})
    customer.refresh_from_db()
    assert customer.state == AccountState.ACTIVE


def test_own_role_is_read_only(admin_site, admin):
    page = admin_site.get(f"/admin/accounts/user/{admin.pk}/change/")
    assert "role" not in page.context["adminform"].form.fields


def test_staff_can_look_up_users_but_not_change_them(client, staff, customer):
    client.force_login(staff)
    assert client.get(CHANGELIST).status_code == 200
    assert client.get("/admin/accounts/user/add/").status_code == 403
    assert client.get(f"/admin/accounts/user/{customer.pk}/delete/").status_code == 403


def test_customers_cannot_use_the_admin(client, customer):
    client.force_login(customer)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_createsuperuser_noinput_makes_an_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Usher-Torch-991")
    call_command("createsuperuser", interactive=False, email="Root@Example.com", verbosity=0)
    user = User.objects.get(email="root@example.com")
    assert (user.role, user.state, user.is_superuser, user.is_staff) == (
        Role.ADMIN,
        AccountState.ACTIVE,
        True,
        True,
    )
    assert user.check_password("Usher-Torch-991")

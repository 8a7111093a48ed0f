import pytest
from django.core import mail
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import AccountState, Role, User
from core.testing import ROLES, client_for, matrix_cell

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
ADMIN_USERS = "/api/v1/admin/users/"


def detail(user) -> str:
    return f"{ADMIN_USERS}{user.pk}/"


# The authorization matrix. Each row: a request built from the cast, and the status each role gets.
# `customer` is the owner of whatever the row touches; `other_customer` is another customer.
MATRIX = [
    # (method, path(users), body(users), {role: status})
    (
        "get",
        lambda u: ME,
        None,
        {"anonymous": 401, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
    ),
    (
        "patch",
        lambda u: ME,
        {"first_name": "New"},
        {"anonymous": 401, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
    ),
    (
        "put",
        lambda u: ME,
        {"first_name": "New"},
        {"anonymous": 401, "customer": 405, "other_customer": 405, "staff": 405, "admin": 405},
    ),
    (
        "get",
        lambda u: ADMIN_USERS,
        None,
        {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 200},
    ),
    (
        "post",
        lambda u: ADMIN_USERS,
        {"email": "new@example.com", "password": "Usher-Torch-991", "role": "STAFF"},
        {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 201},
    ),
    (
        "get",
        lambda u: detail(u["customer"]),
        None,
        {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 200},
    ),
    (
        "patch",
        lambda u: detail(u["customer"]),
        {"last_name": "Z"},
        {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 200},
    ),
    (
        "delete",
        lambda u: detail(u["customer"]),
        None,
        {"anonymous": 401, "customer": 403, "other_customer": 403, "staff": 403, "admin": 405},
    ),
    (
        "post",
        lambda u: "/api/v1/auth/password/change/",
        {"old_password": PASSWORD, "new_password": "Usher-Torch-991"},
        {"anonymous": 401, "customer": 200, "other_customer": 200, "staff": 200, "admin": 200},
    ),
    (
        "post",
        lambda u: "/api/v1/auth/logout/",
        lambda u: {"refresh": str(RefreshToken.for_user(u["customer"]))},
        {"anonymous": 401, "customer": 204, "other_customer": 400, "staff": 400, "admin": 400},
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(users, role, method, path, body, expected):
    response = matrix_cell(users, role, method, path, body, expected, subject=users)
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/register/",
        "/api/v1/auth/verify-email/",
        "/api/v1/auth/verify-email/resend/",
        "/api/v1/auth/login/",
        "/api/v1/auth/token/refresh/",
        "/api/v1/auth/token/verify/",
        "/api/v1/auth/password/reset/",
        "/api/v1/auth/password/reset/confirm/",
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_public_endpoints_answer_every_role_alike(users, role, path):
    """Open to anyone: an empty body is a 400 for every role, never a 401 or 403."""
    response = client_for(users[role]).post(path, {})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_me_shows_and_updates_the_profile(customer):
    client = client_for(customer)
    body = client.get(ME).json()
    assert body["email"] == "cara@example.com"
    assert body["role"] == "CUSTOMER"

    response = client.patch(
        ME,
        {
            "first_name": "Carla",
            "phone": "+1 555-0100",
            "promotions_opt_in": True,
            "email": "evil@example.com",
            "role": "ADMIN",
        },
    )
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.first_name, customer.phone, customer.promotions_opt_in) == (
        "Carla",
        "+1 555-0100",
        True,
    )
    # `email` and `role` are read-only here.
    assert (customer.email, customer.role) == ("cara@example.com", Role.CUSTOMER)


@pytest.mark.parametrize(
    "payload",
    [{"phone": "call me"}, {"first_name": "x" * 151}, {"promotions_opt_in": "maybe"}],
)
def test_me_rejects_bad_input(customer, payload):
    response = client_for(customer).patch(ME, payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert set(response.json()["error"]["details"]) == set(payload)


def test_admin_lists_searches_and_filters_users(admin_api, customer, staff):
    UserFactory(email="zed@example.com", last_name="Zebrowski", suspended=True)
    everyone = admin_api.get(ADMIN_USERS).json()
    assert everyone["count"] == 4
    assert {"count", "next", "previous", "results"} <= set(everyone)

    found = admin_api.get(ADMIN_USERS, {"search": "zebrow"}).json()["results"]
    assert [u["email"] for u in found] == ["zed@example.com"]
    staff_only = admin_api.get(ADMIN_USERS, {"role": "STAFF"}).json()["results"]
    assert [u["email"] for u in staff_only] == ["sam@example.com"]
    suspended = admin_api.get(ADMIN_USERS, {"state": "suspended"}).json()["results"]
    assert [u["email"] for u in suspended] == ["zed@example.com"]
    ordered = admin_api.get(ADMIN_USERS, {"ordering": "email"}).json()["results"]
    assert [u["email"] for u in ordered] == sorted(u["email"] for u in ordered)

    bad = admin_api.get(ADMIN_USERS, {"role": "KING"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"
    assert admin_api.get(ADMIN_USERS, {"page": 99}).status_code == 404


def test_admin_creates_active_accounts_of_any_role_without_mail(admin_api, api_client):
    response = admin_api.post(
        ADMIN_USERS,
        {"email": "Box@Office.com", "password": "Usher-Torch-991", "role": "STAFF"},
    )
    assert response.status_code == 201
    assert response.json()["state"] == "active"
    assert response.json()["role"] == "STAFF"
    assert not mail.outbox
    login = api_client.post(
        "/api/v1/auth/login/", {"email": "box@office.com", "password": "Usher-Torch-991"}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "cara@example.com", "password": "Usher-Torch-991"}, "email"),
        ({"email": "x@example.com", "password": "123"}, "password"),
        ({"email": "x@example.com", "password": "Usher-Torch-991", "role": "KING"}, "role"),
        ({"password": "Usher-Torch-991"}, "email"),
    ],
)
def test_admin_create_rejects_bad_input(admin_api, customer, payload, field):
    response = admin_api.post(ADMIN_USERS, payload)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]


def test_admin_suspends_and_reactivates(admin_api, customer):
    response = admin_api.patch(detail(customer), {"state": "suspended"})
    assert response.json()["state"] == "suspended"
    response = admin_api.patch(detail(customer), {"state": "active"})
    assert response.json()["state"] == "active"


def test_reactivating_a_never_verified_account_leaves_it_unverified(admin_api):
    user = UserFactory(unverified=True)
    admin_api.patch(detail(user), {"state": "suspended"})
    assert admin_api.patch(detail(user), {"state": "active"}).json()["state"] == "unverified"


def test_admin_changes_roles_but_not_their_own(admin_api, admin, customer):
    assert admin_api.patch(detail(customer), {"role": "STAFF"}).json()["role"] == "STAFF"

    own_role = admin_api.patch(detail(admin), {"role": "CUSTOMER"})
    assert own_role.status_code == 400
    assert "role" in own_role.json()["error"]["details"]
    own_state = admin_api.patch(detail(admin), {"state": "suspended"})
    assert own_state.status_code == 400
    admin.refresh_from_db()
    assert (admin.role, admin.state) == (Role.ADMIN, AccountState.ACTIVE)


def test_admin_update_is_all_or_nothing(admin_api, admin):
    """A name change and a refused self-suspension in one request: neither is applied."""
    response = admin_api.patch(detail(admin), {"first_name": "Changed", "state": "suspended"})
    assert response.status_code == 400
    admin.refresh_from_db()
    assert admin.first_name == "Ada"


def test_admin_user_detail_of_unknown_user_is_404(admin_api):
    response = admin_api.get(f"{ADMIN_USERS}999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_bad_state_value_is_400(admin_api, customer):
    response = admin_api.patch(detail(customer), {"state": "unverified"})
    assert response.status_code == 400
    assert User.objects.get(pk=customer.pk).state == AccountState.ACTIVE

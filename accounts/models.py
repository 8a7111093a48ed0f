from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    CUSTOMER = "CUSTOMER", "Customer"
    STAFF = "STAFF", "Staff"
    ADMIN = "ADMIN", "Admin"


class AccountState(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


def _perms(app_label: str, model: str, *actions: str) -> set[str]:
    return {f"{app_label}.{action}_{model}" for action in actions}


# What box-office staff may do in the Django admin: run the schedule and the catalog, look up
# customers, cinemas and halls. Administrators may do anything; customers nothing. Apps add their
# entries here as they arrive.
STAFF_ADMIN_PERMISSIONS: frozenset[str] = frozenset().union(
    _perms("accounts", "user", "view"),
    _perms("catalog", "genre", "view", "add", "change"),
    _perms("catalog", "movie", "view", "add", "change", "delete"),
    _perms("screening", "cinema", "view"),
    _perms("screening", "hall", "view"),
    _perms("screening", "seat", "view"),
    _perms("screening", "showtime", "view", "add", "change", "delete"),
    # "add" a booking: sell at the box office.
    _perms("booking", "booking", "view", "add", "change"),
    _perms("booking", "ticket", "view", "change"),
    _perms("booking", "tickettype", "view"),
    _perms("booking", "seatsurcharge", "view"),
    _perms("payments", "payment", "view"),
)

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{5,18}[0-9]$",
    "Enter a phone number: digits, spaces, dashes, an optional +.",
)


class UserManager(BaseUserManager):
    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The whole address in lower case: `Cara@X.com` and `cara@x.com` are one account."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, email: str) -> "User":
        return self.get(email=self.normalize_email(email))

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        """`manage.py createsuperuser` makes an active administrator."""
        fields.update(role=Role.ADMIN, state=AccountState.ACTIVE, email_verified_at=timezone.now())
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    """A person who logs in with an e-mail address.

    `role` is the only source of the flags Django and DRF ask about (`is_staff`, `is_superuser`,
    `has_perm`) and `state` the only source of `is_active`, so they cannot disagree.
    """

    email = models.EmailField("e-mail address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[phone_validator])
    role = models.CharField(max_length=16, choices=Role, default=Role.CUSTOMER)
    state = models.CharField(max_length=16, choices=AccountState, default=AccountState.UNVERIFIED)
    promotions_opt_in = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["-date_joined", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=AccountState.values), name="user_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_active(self) -> bool:
        return self.state == AccountState.ACTIVE

    @property
    def is_staff(self) -> bool:
        """Box office or administrator: may use the Django admin and staff endpoints."""
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_admin

    def has_perm(self, perm: str, obj=None) -> bool:
        if not self.is_active:
            return False
        if self.is_admin:
            return True
        return self.role == Role.STAFF and perm in STAFF_ADMIN_PERMISSIONS

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        if not self.is_active:
            return False
        if self.is_admin:
            return True
        return self.role == Role.STAFF and any(
            perm.startswith(f"{app_label}.") for perm in STAFF_ADMIN_PERMISSIONS
        )


class RefreshTokenLink(models.Model):
    """An issued refresh token's place in its login's chain of rotations: the family (the login,
    named by the jti of its first token) and the token that replaced it. The tokens themselves
    are simplejwt's: OutstandingToken when issued, BlacklistedToken once used or revoked."""

    token = models.OneToOneField(
        "token_blacklist.OutstandingToken",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="link",
    )
    family = models.CharField(max_length=255, db_index=True)
    successor = models.OneToOneField(
        "token_blacklist.OutstandingToken",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="predecessor_link",
    )

    def __str__(self) -> str:
        return f"Refresh token {self.token_id} of login {self.family}"

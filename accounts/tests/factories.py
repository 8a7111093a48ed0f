import factory
from django.utils import timezone

from accounts.models import AccountState, Role, User

PASSWORD = "Sc3ne-Popcorn-Reel"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.CUSTOMER
    state = AccountState.ACTIVE
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(PASSWORD)

    class Params:
        unverified = factory.Trait(state=AccountState.UNVERIFIED, email_verified_at=None)
        suspended = factory.Trait(state=AccountState.SUSPENDED)
        staff = factory.Trait(role=Role.STAFF)
        admin = factory.Trait(role=Role.ADMIN)

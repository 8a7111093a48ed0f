from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from promotions import services
from promotions.models import DiscountType, Promotion


def _days(days: int):
    return factory.LazyFunction(lambda: timezone.now() + timedelta(days=days))


class PromotionFactory(factory.django.DjangoModelFactory):
    """Made by `promotion_create`, as the API and the admin make them: 10 % off, running from
    yesterday for a month, without limits."""

    class Meta:
        model = Promotion

    code = factory.Sequence(lambda n: f"PROMO{n}")
    description = "10% off every ticket"
    discount_type = DiscountType.PERCENT
    value = Decimal("10.00")
    starts_at = _days(-1)
    ends_at = _days(30)

    class Params:
        fixed = factory.Trait(
            discount_type=DiscountType.FIXED, value=Decimal("5.00"), description="5.00 off"
        )
        expired = factory.Trait(starts_at=_days(-30), ends_at=_days(-1))
        future = factory.Trait(starts_at=_days(1), ends_at=_days(30))

    @classmethod
    def _create(cls, model_class, **fields):
        return services.promotion_create(**fields)

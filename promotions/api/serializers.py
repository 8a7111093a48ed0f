from django.conf import settings
from rest_framework import serializers

from catalog.models import Movie

from ..models import CODE_MAX_LENGTH, DiscountType, Promotion

MONEY = {"max_digits": 10, "decimal_places": 2}
COUNT = {"min_value": 0, "max_value": 2_147_483_647}


class PromotionInputSerializer(serializers.Serializer):
    """The shape of a promotion as an administrator writes it; the rules are the service's."""

    code = serializers.CharField(max_length=CODE_MAX_LENGTH, help_text="Case-insensitive.")
    description = serializers.CharField(max_length=300)
    discount_type = serializers.ChoiceField(choices=DiscountType.choices)
    value = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        help_text="PERCENT: more than 0, at most 100. FIXED: an amount more than 0.",
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(help_text="After `starts_at`.")
    max_redemptions = serializers.IntegerField(
        **COUNT, allow_null=True, required=False, help_text="Null: no limit."
    )
    per_user_limit = serializers.IntegerField(
        **COUNT, allow_null=True, required=False, help_text="Null: no limit."
    )
    min_total = serializers.DecimalField(
        **MONEY, required=False, help_text="The least subtotal before the discount."
    )
    movies = serializers.PrimaryKeyRelatedField(
        queryset=Movie.objects.all(), many=True, required=False, help_text="Empty: every movie."
    )
    max_discount_total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        required=False,
        help_text="A budget across all uses; null: none.",
    )
    ticket_types = serializers.ListField(
        child=serializers.CharField(max_length=10),
        required=False,
        max_length=20,
        help_text="Ticket type codes (`/ticket-types/`) discounted; empty: all.",
    )
    first_booking_only = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)
    refund_restores_use = serializers.BooleanField(required=False)


class PromotionSerializer(serializers.ModelSerializer):
    movies = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    ticket_types = serializers.ListField(child=serializers.CharField())
    uses = serializers.IntegerField(
        help_text="Confirmed bookings and holds not yet expired that use the code."
    )
    uses_left = serializers.SerializerMethodField(help_text="Null: no limit.")
    discount_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What those uses take off, together."
    )
    currency = serializers.SerializerMethodField()

    class Meta:
        model = Promotion
        fields = [
            "id",
            "code",
            "description",
            "discount_type",
            "value",
            "starts_at",
            "ends_at",
            "max_redemptions",
            "per_user_limit",
            "min_total",
            "movies",
            "max_discount_total",
            "ticket_types",
            "first_booking_only",
            "active",
            "refund_restores_use",
            "sent_at",
            "uses",
            "uses_left",
            "discount_total",
            "currency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_uses_left(self, promotion) -> int | None:
        if promotion.max_redemptions is None:
            return None
        return max(promotion.max_redemptions - promotion.uses, 0)

    def get_currency(self, promotion) -> str:
        return settings.CURRENCY


class PromotionSentSerializer(serializers.Serializer):
    recipients = serializers.IntegerField(help_text="Customers e-mailed now (0: all had it).")

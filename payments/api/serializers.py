from decimal import Decimal

from rest_framework import serializers

from core.serializers import SharedFieldsSerializer

from ..models import PaymentMethod, PaymentStatus, RefundStatus, SavedCard


class CardInputSerializer(serializers.Serializer):
    """Card details on their way to the provider: write-only, never stored, never echoed."""

    number = serializers.CharField(
        max_length=23, write_only=True, help_text="Spaces and dashes are ignored."
    )
    exp_month = serializers.IntegerField(min_value=1, max_value=12)
    exp_year = serializers.IntegerField(min_value=2000, max_value=2100)
    cvc = serializers.CharField(max_length=4, write_only=True)
    holder_name = serializers.CharField(max_length=100)

    def validate_number(self, value: str) -> str:
        digits = value.replace(" ", "").replace("-", "")
        if not (digits.isascii() and digits.isdigit()):
            raise serializers.ValidationError("Use the digits 0-9 only.")
        return digits


class SavedCardSerializer(serializers.ModelSerializer):
    expired = serializers.SerializerMethodField()

    class Meta:
        model = SavedCard
        fields = [
            "id",
            "brand",
            "last4",
            "exp_month",
            "exp_year",
            "holder_name",
            "expired",
            "created_at",
        ]
        read_only_fields = fields

    def get_expired(self, card: SavedCard) -> bool:
        return card.expired


class PayInputSerializer(SharedFieldsSerializer):
    """Every payment validates its body with this: its fields are made once per process."""

    card_id = serializers.IntegerField(required=False, min_value=1, help_text="A saved card.")
    card = CardInputSerializer(required=False, help_text="Or a card's details (not saved).")

    def validate(self, attrs):
        if "card_id" in attrs and "card" in attrs:
            raise serializers.ValidationError("Give either card_id or card, not both.")
        return attrs


# Plain serializers with explicit fields: a payment is rendered on every payment request, and a
# ModelSerializer introspects its model each time.
MONEY = {"max_digits": 10, "decimal_places": 2}


class RefundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    booking = serializers.IntegerField(source="booking_id")
    booking_reference = serializers.CharField(source="booking.reference")
    amount = serializers.DecimalField(**MONEY)
    amount_refunded = serializers.DecimalField(**MONEY)
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    provider = serializers.CharField()
    card_brand = serializers.CharField()
    card_last4 = serializers.CharField()
    failure_code = serializers.CharField()
    failure_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    refunds = RefundSerializer(many=True)


class RefundInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="Everything left if omitted.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookAckSerializer(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
    outcome = serializers.CharField()

from rest_framework import serializers

from booking.api.serializers import MONEY, BookingSerializer, SeatRequestSerializer
from payments.models import PaymentMethod

from ..services import COUNTER_METHODS


class CounterPaymentInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=[(m.value, m.label) for m in COUNTER_METHODS],
        help_text="`CASH` at the till, or `CARD_PRESENT` on the counter's card terminal.",
    )
    tendered = serializers.DecimalField(
        **MONEY,
        min_value=0,
        required=False,
        help_text="Cash only, required: what the customer handed over.",
    )

    def validate(self, attrs):
        if attrs["method"] == PaymentMethod.CASH and "tendered" not in attrs:
            raise serializers.ValidationError({"tendered": ["Required for a cash payment."]})
        if attrs["method"] != PaymentMethod.CASH and "tendered" in attrs:
            raise serializers.ValidationError({"tendered": ["Only for a cash payment."]})
        return attrs


class CounterSaleInputSerializer(serializers.Serializer):
    showtime = serializers.IntegerField(min_value=1)
    seats = SeatRequestSerializer(many=True)
    customer_email = serializers.EmailField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Where the tickets are e-mailed; a customer account with this address gets "
        "the booking.",
    )
    payment = CounterPaymentInputSerializer()
    rules_override = serializers.BooleanField(
        required=False,
        help_text="Sell despite the single-seat-gap and accessibility rules (recorded).",
    )


class CounterSaleSerializer(BookingSerializer):
    """The booking sold, as every booking is rendered, with what the counter needs on top."""

    sold_by = serializers.IntegerField(source="sold_by_id", help_text="The staff member.")
    customer_email = serializers.EmailField(allow_blank=True)
    change = serializers.DecimalField(
        **MONEY, allow_null=True, help_text="Cash: what goes back to the customer; else null."
    )

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from booking.api.serializers import BookingSerializer, booking_render
from booking.selectors import booking_queryset, payment_summaries_attach
from core.filters import IdFilter
from core.idempotency import (
    HEADER,
    HEADER_SCHEMA,
    idempotent,
    key_from_header,
    replay_headers,
)
from core.openapi import error_response
from core.permissions import IsAdmin

from .. import services
from ..cards import CardDetails
from ..models import Payment, PaymentStatus
from ..selectors import payments_visible_to
from . import serializers as s

PAY_KEY = OpenApiParameter(
    HEADER,
    HEADER_SCHEMA,
    OpenApiParameter.HEADER,
    required=True,
    description="Required. A retry with the same key and body returns the first answer - a "
    "decline included - and never charges twice; another body with the same key is 409.",
)


@extend_schema(tags=["payments"])
class PayView(APIView):
    @extend_schema(
        request=s.PayInputSerializer,
        parameters=[PAY_KEY],
        responses={
            200: BookingSerializer,
            402: error_response(
                "`payment_declined` (`details.decline_code`): the booking stays pending."
            ),
            409: error_response(
                "`booking_not_payable` (paid, cancelled, another payment in progress; or the "
                "charge is being given back: the provider's event found the booking "
                "unconfirmable first, or it was refunded at the provider), "
                "`idempotency_key_reused`, `request_in_progress`, `resource_busy` (retry after "
                "`Retry-After`)."
            ),
            410: error_response(
                "`hold_expired`: its seats were taken; nothing charged (or refunded)."
            ),
            503: error_response(
                "`payment_gateway_unavailable`: retry after `Retry-After`, safely."
            ),
        },
        summary="Pay for a booking: it is confirmed and its tickets get their codes",
    )
    def post(self, request, pk: int):
        key = key_from_header(request.headers.get(HEADER), required=True)
        serializer = s.PayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def pay(resumed: bool):
            booking, _ = services.booking_pay(
                user=request.user,
                booking_id=pk,
                card_id=data.get("card_id"),
                card=CardDetails(**data["card"]) if "card" in data else None,
                resumed=resumed,
            )
            if not hasattr(booking, "payment_summary"):  # not charged by this call: read it
                booking = payment_summaries_attach([booking_queryset().get(pk=booking.pk)])[0]
            return status.HTTP_200_OK, booking_render(booking)

        status_code, body, replayed = idempotent(
            user=request.user,
            scope=f"booking_pay:{pk}",
            key=key,
            payload=request.data,
            action=pay,
            replay_errors=True,
        )
        return Response(body, status=status_code, headers=replay_headers(replayed))


class PaymentFilter(filters.FilterSet):
    # An id, not a choice among existing bookings: an unknown booking and someone else's both
    # answer an empty list, so the filter tells nobody which bookings exist.
    booking = IdFilter(field_name="booking")
    status = filters.ChoiceFilter(choices=PaymentStatus.choices)


@extend_schema(tags=["payments"])
@extend_schema_view(
    list=extend_schema(summary="My payments (administrators: everyone's)"),
    retrieve=extend_schema(summary="A payment with its refunds"),
)
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["created_at", "amount"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return payments_visible_to(self.request.user)

    @extend_schema(
        request=s.RefundInputSerializer,
        responses={
            200: s.PaymentSerializer,
            400: error_response("`validation_error`: more than is left to refund."),
            409: error_response("`payment_not_refundable`."),
            503: error_response(
                "`refund_failed`: the provider failed; the refund will be retried."
            ),
        },
        summary="Refund a payment, in full or in part",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAdmin])
    def refund(self, request, pk=None):
        payment = self.get_object()
        serializer = s.RefundInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.payment_refund(payment_id=payment.pk, by=request.user, **serializer.validated_data)
        return Response(
            s.PaymentSerializer(payments_visible_to(request.user).get(pk=payment.pk)).data
        )


@extend_schema(tags=["payments"])
class CardListView(APIView):
    @extend_schema(responses={200: s.SavedCardSerializer(many=True)}, summary="My saved cards")
    def get(self, request):
        return Response(s.SavedCardSerializer(request.user.cards.all(), many=True).data)

    @extend_schema(
        request=s.CardInputSerializer,
        responses={
            201: s.SavedCardSerializer,
            409: error_response("`card_limit_reached`: 3 at most."),
        },
        summary="Save a card: tokenized by the payment provider; number and CVC are not kept",
    )
    def post(self, request):
        serializer = s.CardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = services.card_save(user=request.user, card=CardDetails(**serializer.validated_data))
        return Response(s.SavedCardSerializer(card).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["payments"])
class CardDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Forget a saved card")
    def delete(self, request, pk: int):
        services.card_delete(user=request.user, card_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["payments"])
class WebhookView(APIView):
    """For the payment provider: authenticated by the signature over the raw body."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request={"application/json": {"type": "object"}},
        parameters=[
            OpenApiParameter(
                "X-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="`sha256=<hex HMAC-SHA256 of the raw body with the webhook secret>`.",
            )
        ],
        responses={200: s.WebhookAckSerializer, 400: error_response("`invalid_signature`.")},
        summary="Receive a provider event (applied once per event id)",
    )
    def post(self, request, provider: str):
        event, new = services.webhook_receive(
            provider=provider, body=request.body, signature=request.headers.get("X-Signature", "")
        )
        return Response({"received": True, "duplicate": not new, "outcome": event.outcome})

from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.openapi import error_response
from core.permissions import IsAdmin

from .. import services
from ..models import DiscountType
from ..selectors import promotion_list
from . import serializers as s


class PromotionFilter(filters.FilterSet):
    active = filters.BooleanFilter()
    discount_type = filters.ChoiceFilter(choices=DiscountType.choices)


@extend_schema(tags=["promotions"])
@extend_schema_view(
    list=extend_schema(summary="Promotions, with their uses so far"),
    retrieve=extend_schema(summary="A promotion"),
)
class PromotionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Administrators only. (`POST /promotions/validate/`, for customers, is booking's: it
    prices seats.)"""

    permission_classes = [IsAdmin]
    serializer_class = s.PromotionSerializer
    filterset_class = PromotionFilter
    search_fields = ["code", "description"]
    ordering_fields = ["starts_at", "ends_at", "code", "created_at"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return promotion_list()

    def _render(self, promotion_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        promotion = promotion_list().get(pk=promotion_id)
        return Response(s.PromotionSerializer(promotion).data, status=status_code)

    @extend_schema(
        request=s.PromotionInputSerializer,
        responses={201: s.PromotionSerializer},
        summary="Create a promotion",
    )
    def create(self, request):
        serializer = s.PromotionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        promotion = services.promotion_create(**serializer.validated_data)
        return self._render(promotion.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.PromotionInputSerializer(partial=True),
        responses={
            200: s.PromotionSerializer,
            409: error_response(
                "`promotion_locked`: it has been e-mailed, its code and discount are fixed."
            ),
        },
        summary="Change a promotion (`active: false` pauses it at once)",
    )
    def partial_update(self, request, pk=None):
        promotion = self.get_object()
        serializer = s.PromotionInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.promotion_update(promotion_id=promotion.pk, data=serializer.validated_data)
        return self._render(promotion.pk)

    @extend_schema(
        responses={204: None, 409: error_response("`promotion_in_use`: bookings have used it.")},
        summary="Delete a promotion no booking has used",
    )
    def destroy(self, request, pk=None):
        services.promotion_delete(promotion_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={
            202: s.PromotionSentSerializer,
            409: error_response("`promotion_not_sendable`: switched off, or ended."),
        },
        summary="E-mail the promotion to every customer who opted in (each of them once)",
    )
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        recipients = services.promotion_send(
            promotion_id=self.get_object().pk,
            unsubscribe_url=request.build_absolute_uri(reverse("unsubscribe")),
        )
        return Response({"recipients": recipients}, status=status.HTTP_202_ACCEPTED)

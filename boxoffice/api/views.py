from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import services as booking_services
from booking.selectors import booking_queryset, payment_summaries_attach
from core.openapi import error_response
from core.permissions import IsStaff

from .. import services
from . import serializers as s


@extend_schema(tags=["box office"])
class CounterSaleView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=s.CounterSaleInputSerializer,
        responses={
            201: s.CounterSaleSerializer,
            400: error_response(
                "`validation_error` (seats not in the hall, repeated, too many; less cash than "
                "the total), `showtime_not_bookable`."
            ),
            402: error_response("`payment_declined`: the card was declined; the seats are free."),
            409: error_response(
                "`seats_unavailable` (`details.seats`), `resource_busy` (retry after "
                "`Retry-After`)."
            ),
            503: error_response(
                "`payment_gateway_unavailable`: the terminal did not answer; do not charge "
                "again, the payment is reconciled."
            ),
        },
        summary="Sell seats at the box office: one booking, confirmed and paid at once",
    )
    def post(self, request):
        serializer = s.CounterSaleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sale = services.counter_sale_create(
            by=request.user,
            showtime_id=data["showtime"],
            seats=[
                booking_services.SeatRequest(seat["seat"], seat["ticket_type"])
                for seat in data["seats"]
            ],
            method=data["payment"]["method"],
            tendered=data["payment"].get("tendered"),
            customer_email=data["customer_email"],
            rules_override=data.get("rules_override", False),
        )
        booking = payment_summaries_attach([booking_queryset().get(pk=sale.booking.pk)])[0]
        booking.change = sale.change
        return Response(s.CounterSaleSerializer(booking).data, status=status.HTTP_201_CREATED)

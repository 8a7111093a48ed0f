from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from core.filters import IdFilter
from core.idempotency import (
    HEADER,
    HEADER_SCHEMA,
    idempotent,
    key_from_header,
    replay_headers,
)
from core.openapi import error_response
from core.permissions import IsStaff
from screening.api.serializers import ShowtimeSerializer
from screening.selectors import showtime_queryset

from .. import services
from ..models import Booking, BookingStatus, TicketType
from ..selectors import (
    booking_queryset,
    booking_status_q,
    bookings_visible_to,
    payment_summaries_attach,
)
from ..tickets import booking_calendar, booking_tickets_html
from . import serializers as s
from .throttles import promo_code_try

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    HEADER_SCHEMA,
    OpenApiParameter.HEADER,
    description="Any string up to 255 characters. A retry with the same key and body returns the "
    "first response and books nothing twice; another body with the same key is 409.",
)


class ResendThrottle(UserRateThrottle):
    """Re-sending a confirmation, per user: THROTTLE_RESEND (`none` switches it off)."""

    scope = "booking_resend"

    def get_rate(self) -> str | None:
        rate = settings.THROTTLE_RESEND
        return None if rate.strip().lower() in ("", "none", "off") else rate


@extend_schema(tags=["booking"], summary="Ticket types and their price rules")
class TicketTypeListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: s.TicketTypeSerializer(many=True)})
    def get(self, request):
        return Response(
            s.TicketTypeSerializer(TicketType.objects.filter(active=True), many=True).data
        )


@extend_schema(tags=["showtimes"])
class ShowtimeCancelView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=s.ShowtimeCancelInputSerializer,
        responses={
            200: ShowtimeSerializer,
            400: error_response("`showtime_not_bookable`: already cancelled."),
        },
        summary="Cancel a showtime: every booking is cancelled and refunded, customers e-mailed",
    )
    def post(self, request, pk: int):
        serializer = s.ShowtimeCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        showtime = services.showtime_cancel(
            showtime_id=pk, by=request.user, **serializer.validated_data
        )
        return Response(ShowtimeSerializer(showtime_queryset().get(pk=showtime.pk)).data)


@extend_schema(tags=["check-in"])
class CheckInView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=s.CheckInInputSerializer,
        responses={
            200: s.CheckInSerializer,
            400: error_response(
                "`booking_not_confirmed`, `invalid_ticket` (a forged or altered QR payload), "
                "`validation_error`."
            ),
            404: error_response("`not_found`: no ticket has this code."),
            409: error_response("`already_checked_in`."),
        },
        summary="Mark a ticket used at the door (its code, or its QR code's signed payload)",
    )
    def post(self, request):
        serializer = s.CheckInInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_check_in(by=request.user, **serializer.validated_data)
        ticket = (
            type(ticket)
            .objects.select_related("booking", "seat", "showtime__movie", "showtime__hall__cinema")
            .get(pk=ticket.pk)
        )
        return Response(s.CheckInSerializer(ticket).data)


@extend_schema(tags=["promotions"])
class PromotionValidateView(APIView):
    """Served by booking, which prices seats (promotions, below it, cannot)."""

    @extend_schema(
        request=s.PromotionValidateInputSerializer,
        responses={
            200: s.PromotionQuoteSerializer,
            400: error_response(
                "`promotion_invalid` (unknown, switched off, not started yet), "
                "`promotion_expired`, `promotion_exhausted`, `promotion_not_applicable` (another "
                "movie, under `min_total`, other ticket types, not a first booking, the "
                "customer's own limit reached), `validation_error`."
            ),
        },
        summary="What a promo code would take off (for a showtime, and the price of seats)",
    )
    def post(self, request):
        serializer = s.PromotionValidateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        promo_code_try(request, self)
        seats = data.get("seats")
        quote = services.promotion_quote(
            user=request.user,
            code=data["code"],
            showtime_id=data.get("showtime"),
            seats=None
            if seats is None
            else [services.SeatRequest(seat["seat"], seat["ticket_type"]) for seat in seats],
        )
        return Response(s.PromotionQuoteSerializer(quote).data)


def _seat_pick(data: dict) -> services.SeatPick | None:
    if "quantity" not in data:
        return None
    return services.SeatPick(
        quantity=data["quantity"],
        seat_type=data.get("seat_type"),
        accessible=data["accessible"],
        ticket_types=data.get("ticket_types", {}),
    )


class BookingFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=BookingStatus.choices, method="filter_status")
    upcoming = filters.BooleanFilter(method="filter_upcoming", help_text="Showtime still to come.")
    user = IdFilter(
        field_name="user", help_text="Staff and administrators: one customer's bookings."
    )

    def filter_status(self, queryset, name, value):
        return queryset.filter(booking_status_q(value))

    def filter_upcoming(self, queryset, name, value):
        now = timezone.now()
        return (
            queryset.filter(showtime__starts_at__gt=now)
            if value
            else queryset.filter(showtime__starts_at__lte=now)
        )


@extend_schema(tags=["booking"])
@extend_schema_view(
    list=extend_schema(summary="My bookings (staff and administrators: everyone's)"),
    retrieve=extend_schema(summary="A booking: its owner, staff and administrators only"),
)
class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.BookingSerializer
    filterset_class = BookingFilter
    ordering_fields = ["created_at", "showtime__starts_at", "total"]
    search_fields = ["reference"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Booking.objects.none()
        # Someone else's booking is simply not in the queryset: a 404, no existence leak.
        return bookings_visible_to(self.request.user)

    def get_serializer(self, instance=None, *args, **kwargs):
        """Every booking rendered here carries its payment summary (one query for a page)."""
        if instance is not None:
            many = kwargs.get("many", False)
            payment_summaries_attach(list(instance) if many else [instance])
        return super().get_serializer(instance, *args, **kwargs)

    def _render(self, booking_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        booking = payment_summaries_attach([booking_queryset().get(pk=booking_id)])[0]
        return Response(s.booking_render(booking), status=status_code)

    @extend_schema(
        request=s.BookingCreateInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.BookingSerializer,
            400: error_response(
                "`validation_error` (seats not in the hall, repeated, too many; seats and "
                "quantity both or neither), `showtime_not_bookable`, `promotion_invalid`, "
                "`promotion_expired`, `promotion_exhausted`, `promotion_not_applicable`, "
                "`single_seat_gap` (`details.seat` would be left alone, `details.suggestion` "
                "the seats to hold instead), `seat_reserved_for_accessibility` "
                "(`details.seats`)."
            ),
            403: error_response("`permission_denied`: `rules_override` is for staff."),
            409: error_response(
                "`seats_unavailable` (`details.seats`; with `quantity`, `details.available`), "
                "`idempotency_key_reused`, `resource_busy` (retry after `Retry-After`)."
            ),
        },
        summary="Hold seats: a PENDING booking that expires at `expires_at` unless paid",
        description="Either the `seats` chosen, or a `quantity`: the best available seats, "
        "chosen by the server under the lock, so requests at the same moment get different "
        "seats. A hold may not leave a single seat alone between taken seats (or a taken seat "
        "and an aisle or the row's end) while a choice of as many seats in that row would not; "
        "wheelchair spaces and companion seats sell with a wheelchair space until shortly "
        "before the show. Staff may override both with `rules_override`.",
    )
    def create(self, request):
        key = key_from_header(request.headers.get(HEADER))
        serializer = s.BookingCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data

        def book(resumed: bool):
            if data.get("promo_code"):
                promo_code_try(request, self)
            booking = services.booking_create(
                user=request.user,
                showtime_id=data["showtime"],
                seats=[
                    services.SeatRequest(seat["seat"], seat["ticket_type"])
                    for seat in data.get("seats", [])
                ],
                promo_code=data.get("promo_code") or None,
                pick=_seat_pick(data),
                rules_override=data["rules_override"],
            )
            # The service hands the booking back with everything rendered here already loaded.
            booking.payment_summary = None
            return status.HTTP_201_CREATED, s.booking_render(booking)

        status_code, body, replayed = idempotent(
            user=request.user,
            scope="booking_create",
            key=key,
            payload=request.data,
            action=book,
            replay_errors=False,
        )
        return Response(body, status=status_code, headers=replay_headers(replayed))

    @extend_schema(
        request=s.BookingCancelInputSerializer,
        responses={
            200: s.BookingSerializer,
            409: error_response("`cancellation_window_closed`, `booking_not_cancellable`."),
        },
        summary="Cancel a booking: its seats are free at once",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        serializer = s.BookingCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = services.booking_cancel(
            booking_id=self.get_object().pk, by=request.user, **serializer.validated_data
        )
        return self._render(booking.pk)

    @extend_schema(
        request=None,
        responses={
            202: None,
            400: error_response("`booking_not_confirmed`: no tickets to send."),
            429: error_response("`throttled`: sent too often (`Retry-After`)."),
        },
        summary="E-mail the confirmation again (tickets with QR codes, calendar entry)",
    )
    @action(
        detail=True,
        methods=["post"],
        throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, ResendThrottle],
    )
    def resend(self, request, pk=None):
        services.booking_confirmation_resend(booking_id=self.get_object().pk)
        return Response(status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "text/html"): OpenApiTypes.STR,
            404: error_response("`not_found`: no such booking, or someone else's."),
        },
        summary="The tickets as a page made for printing, a QR code each",
        operation_id="bookings_tickets_html",
    )
    def tickets(self, request, pk=None):
        return HttpResponse(
            booking_tickets_html(self.get_object()), content_type="text/html; charset=utf-8"
        )

    @extend_schema(
        responses={
            (200, "text/calendar"): OpenApiTypes.STR,
            404: error_response("`not_found`: no such booking, or someone else's."),
        },
        summary="The booking as a calendar entry (iCalendar)",
        operation_id="bookings_calendar_ics",
    )
    def calendar(self, request, pk=None):
        booking = self.get_object()
        tickets = sorted(booking.tickets.all(), key=lambda t: (t.seat.y, t.seat.x))
        response = HttpResponse(
            booking_calendar(booking, tickets), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.reference}.ics"'
        return response

    @extend_schema(
        responses={
            204: None,
            409: error_response("`cancellation_window_closed`, `booking_not_cancellable`."),
        },
        summary="Cancel a booking (as POST .../cancel/, without a body in the answer)",
    )
    def destroy(self, request, pk=None):
        services.booking_cancel(booking_id=self.get_object().pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

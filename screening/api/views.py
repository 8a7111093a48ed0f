from datetime import date

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import IdFilter
from core.openapi import error_response
from core.permissions import IsAdmin, IsStaff, ReadOnly

from .. import services
from ..models import Cinema, Hall
from ..selectors import (
    cinema_timezones,
    hall_seats,
    local_day_q,
    showtime_list,
    showtime_queryset,
)
from . import serializers as s

HALL_BUSY = error_response(
    "`hall_busy`: `details.conflicts` lists the clashing showtimes, `details.available_halls` "
    "the cinema's other halls free for the whole slot."
)


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


@extend_schema(tags=["cinemas"])
@extend_schema_view(
    list=extend_schema(summary="Cinemas"), retrieve=extend_schema(summary="A cinema")
)
class CinemaViewSet(ReadViewSet):
    """Anyone reads; administrators write."""

    permission_classes = [ReadOnly | IsAdmin]
    queryset = Cinema.objects.all()
    serializer_class = s.CinemaSerializer
    filterset_fields = ["city"]
    search_fields = ["name", "city"]
    ordering_fields = ["name", "city"]

    @extend_schema(request=s.CinemaInputSerializer, responses={201: s.CinemaSerializer})
    def create(self, request):
        serializer = s.CinemaInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cinema = services.cinema_create(**serializer.validated_data)
        return Response(s.CinemaSerializer(cinema).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CinemaInputSerializer(partial=True), responses={200: s.CinemaSerializer}
    )
    def partial_update(self, request, pk=None):
        serializer = s.CinemaInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        cinema = services.cinema_update(cinema=self.get_object(), data=serializer.validated_data)
        return Response(s.CinemaSerializer(cinema).data)

    @extend_schema(responses={204: None, 409: error_response("`cinema_has_halls`.")})
    def destroy(self, request, pk=None):
        services.cinema_delete(cinema=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class HallFilter(filters.FilterSet):
    cinema = IdFilter(field_name="cinema")


@extend_schema(tags=["halls"])
@extend_schema_view(list=extend_schema(summary="Halls"), retrieve=extend_schema(summary="A hall"))
class HallViewSet(ReadViewSet):
    """Anyone reads; administrators write. Seats come from the layout."""

    permission_classes = [ReadOnly | IsAdmin]
    queryset = Hall.objects.all()
    serializer_class = s.HallSerializer
    filterset_class = HallFilter
    ordering_fields = ["name", "capacity"]

    @extend_schema(
        request=s.HallInputSerializer,
        responses={201: s.HallSerializer},
        summary="Create a hall and generate its seats from the layout",
    )
    def create(self, request):
        serializer = s.HallInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hall = services.hall_create(**serializer.validated_data)
        return Response(s.HallSerializer(hall).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.HallUpdateInputSerializer,
        responses={200: s.HallSerializer, 409: error_response("`hall_has_bookings`.")},
        summary="Rename a hall or replace its layout (its seats are generated again)",
    )
    def partial_update(self, request, pk=None):
        serializer = s.HallUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hall = services.hall_update(hall=self.get_object(), **serializer.validated_data)
        return Response(s.HallSerializer(hall).data)

    @extend_schema(responses={204: None, 409: error_response("`hall_has_showtimes`.")})
    def destroy(self, request, pk=None):
        services.hall_delete(hall=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={200: s.SeatSerializer(many=True)},
        summary="Every seat of the hall, for drawing the map (not paginated)",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def seats(self, request, pk=None):
        hall = get_object_or_404(Hall.objects.only("pk"), pk=pk)
        return Response(s.SeatSerializer(hall_seats(hall.pk), many=True).data)


class ShowtimeFilter(filters.FilterSet):
    date = filters.DateFilter(method="filter_date", help_text="The day in the cinema's time zone.")
    movie = IdFilter(field_name="movie")
    cinema = IdFilter(field_name="hall__cinema")
    hall = IdFilter(field_name="hall")

    def filter_date(self, queryset, name, value):
        if value == date.max:  # the last day there is: its end lies past datetime.max
            raise ValidationError({"date": ["Choose an earlier date."]})
        return queryset.filter(local_day_q(value, cinema_timezones()))


@extend_schema(tags=["showtimes"])
@extend_schema_view(
    list=extend_schema(summary="Upcoming scheduled showtimes"),
    retrieve=extend_schema(summary="A showtime"),
)
class ShowtimeViewSet(ReadViewSet):
    """Anyone reads; staff and administrators schedule."""

    permission_classes = [ReadOnly | IsStaff]
    serializer_class = s.ShowtimeSerializer
    filterset_class = ShowtimeFilter
    ordering_fields = ["starts_at", "base_price"]

    def get_queryset(self):
        return showtime_list() if self.action == "list" else showtime_queryset()

    def _render(self, showtime, status_code=status.HTTP_200_OK):
        showtime = showtime_queryset().get(pk=showtime.pk)
        return Response(s.ShowtimeSerializer(showtime).data, status=status_code)

    @extend_schema(
        request=s.ShowtimeInputSerializer,
        responses={201: s.ShowtimeSerializer, 409: HALL_BUSY},
        summary="Schedule a showtime",
    )
    def create(self, request):
        serializer = s.ShowtimeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        showtime = services.showtime_schedule(**serializer.validated_data)
        return self._render(showtime, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ShowtimeInputSerializer(partial=True),
        responses={200: s.ShowtimeSerializer, 409: HALL_BUSY},
        summary="Change a showtime",
    )
    def partial_update(self, request, pk=None):
        serializer = s.ShowtimeInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        showtime = services.showtime_update(
            showtime=self.get_object(), data=serializer.validated_data
        )
        return self._render(showtime)

    @extend_schema(responses={204: None, 409: error_response("`showtime_has_bookings`.")})
    def destroy(self, request, pk=None):
        services.showtime_delete(showtime=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

"""The seat map and best available: the pages every customer reloads, and thousands poll when a
premiere goes on sale."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import (
    HEADER,
    HEADER_SCHEMA,
)
from core.openapi import error_response

from ..exceptions import ResyncRequired, SeatsUnavailable, ShowtimeNotBookable
from ..seat_rules import Pick
from ..selectors import (
    best_seats_propose,
    seat_map_body,
    seat_map_changes,
    seat_map_state,
)
from . import serializers as s

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    HEADER_SCHEMA,
    OpenApiParameter.HEADER,
    description="Any string up to 255 characters. A retry with the same key and body returns the "
    "first response and books nothing twice; another body with the same key is 409.",
)


ETAG_HEADER = {
    "ETag": {
        "description": "The seat map's version: send it back in `If-None-Match` to get 304 while "
        "nothing changed.",
        "schema": {"type": "string"},
    }
}
CACHE_CONTROL_HEADER = {
    "Cache-Control": {
        "description": "`public, max-age=1, stale-while-revalidate=5`: a CDN in front may answer "
        "the many pollers of one seat map.",
        "schema": {"type": "string"},
    }
}


@extend_schema(tags=["booking"])
class SeatMapView(APIView):
    """The page every customer reloads, and thousands poll when a premiere goes on sale: no
    authentication or throttling (nothing personal is in it; a CDN or proxy in front limits
    rates), and a poller whose copy is current costs one indexed read and gets 304.

    `booking.middleware` answers most requests of this view before the rest of the stack, with
    the same bytes (`SeatMapPollApp` a current copy's 304, `SeatMapPollMiddleware` the map and
    `?since=`); this view answers the others (a bad or expired `since`, an `Accept` to
    negotiate, ...) and every request when the middleware stands aside."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []
    response_headers = {
        "200": {**ETAG_HEADER, **CACHE_CONTROL_HEADER},
        "304": {**ETAG_HEADER, **CACHE_CONTROL_HEADER},
    }

    def dispatch(self, request, *args, **kwargs):
        """A poller whose copy is current is answered here, before DRF wraps the request: one
        indexed read and a 304, nothing else."""
        tag = request.headers.get("If-None-Match")
        if tag and request.method == "GET" and "since" not in request.GET:
            state = seat_map_state(kwargs["pk"])
            if state is not None and tag == state.etag:
                return HttpResponseNotModified(headers=seat_map_headers(state))
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                int,
                description="A `version` from an earlier answer: only the seats whose status "
                "changed since, as they are now (410 `resync_required` when it is too old).",
            ),
            OpenApiParameter(
                "If-None-Match",
                str,
                OpenApiParameter.HEADER,
                description="The `ETag` of the copy you have: 304 while it is current.",
            ),
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="SeatMapOrChanges",
                serializers=[s.SeatMapSerializer, s.SeatMapChangesSerializer],
                resource_type_field_name=None,
            ),
            304: OpenApiResponse(description="Not modified: your copy is current (no body)."),
            400: error_response("`validation_error`: `since` is not a whole number."),
            410: error_response(
                "`resync_required`: `since` is older than the change log keeps; reload the map."
            ),
        },
        summary="Every seat of a showtime with its status and price (not paginated)",
    )
    def get(self, request, pk: int):
        state = seat_map_state(pk)
        if state is None:
            raise NotFound()
        headers = seat_map_headers(state)
        if request.headers.get("If-None-Match") == state.etag:
            return HttpResponseNotModified(headers=headers)
        since = request.query_params.get("since")
        if since is None:
            return HttpResponse(
                seat_map_body(state), content_type="application/json", headers=headers
            )
        if not (since.isascii() and since.isdigit()):
            raise ValidationError({"since": ["A version: a whole number."]})
        changes = seat_map_changes(state, int(since))
        if changes is None:
            raise ResyncRequired()
        return Response(changes, headers=headers)


SEAT_MAP_CACHE_CONTROL = "public, max-age=1, stale-while-revalidate=5"


def seat_map_headers(state) -> dict[str, str]:
    return {"ETag": state.etag, "Cache-Control": SEAT_MAP_CACHE_CONTROL}


@extend_schema(tags=["booking"])
class BestSeatsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[s.BestSeatsInputSerializer],
        responses={
            200: s.BestSeatsSerializer,
            400: error_response("`validation_error`, `showtime_not_bookable`."),
            404: error_response("`not_found`: no such showtime."),
            409: error_response(
                "`seats_unavailable`: fewer seats are left than asked for (`details.available`)."
            ),
        },
        summary="The best seats for a group now: side by side, nearest the hall's ideal spot",
        description="A proposal, not a hold: `POST /bookings/` with `quantity` chooses again "
        "under the lock. Never leaves a single seat alone where a choice that does not exists.",
    )
    def get(self, request, pk: int):
        serializer = s.BestSeatsInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        best = best_seats_propose(pk, Pick(**serializer.validated_data))
        if best is None:
            raise NotFound()
        if not best.bookable:
            raise ShowtimeNotBookable("This showtime has been cancelled or has started.")
        if best.choice is None:
            raise SeatsUnavailable(
                f"Only {best.available} seats are left for this choice.",
                details={"available": best.available},
            )
        body = {
            "seats": best.choice.seat_ids,
            "labels": best.labels,
            "together": best.choice.together,
        }
        return Response(s.BestSeatsSerializer(body).data)

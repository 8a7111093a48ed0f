from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsAdmin

from ..exports import filename, report_csv
from ..selectors import stats_for_period
from .serializers import StatsQuerySerializer, StatsSerializer, report_data


class CSVRenderer(BaseRenderer):
    """`?format=csv`: the view hands over the CSV text itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset)


@extend_schema(tags=["reports"])
class StatsView(APIView):
    """Revenue and occupancy of a period, for administrators; see reports/selectors.py for which
    day each figure counts on."""

    permission_classes = [IsAdmin]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        parameters=[
            StatsQuerySerializer,
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="`csv`: the same report as `text/csv`, a section per breakdown.",
            ),
        ],
        responses={
            (200, "application/json"): StatsSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The report as CSV (with `format=csv`)."
            ),
        },
        summary="Sales report: revenue, tickets and occupancy, with breakdowns",
    )
    def get(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        breakdown = params.get("breakdown")
        report = stats_for_period(
            period=params["period"],
            cinema_id=params.get("cinema"),
            movie_id=params.get("movie"),
        )
        if request.accepted_renderer.format == "csv":
            return Response(
                report_csv(report, breakdown),
                headers={
                    "Content-Disposition": f'attachment; filename="{filename(report, breakdown)}"'
                },
            )
        return Response(report_data(report, breakdown))

    def perform_content_negotiation(self, request, force=False):
        """`?format=` other than json or csv is a 400 (DRF's own answer would be a 404)."""
        if request.query_params.get("format", "json") not in ("json", "csv"):
            raise ValidationError({"format": ["Choose json or csv."]})
        return super().perform_content_negotiation(request, force)

    def handle_exception(self, exc):
        # Errors are JSON in the envelope, whatever format was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

"""`/movies/`: movies as the schedule shows them. Served by screening, which knows both a movie
(catalog) and its showtimes: a movie's status and its upcoming showtimes come from the schedule,
and so do the rules for changing its duration or deleting it."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from catalog import services as catalog_services
from catalog.api.serializers import GenreSerializer, MovieInputSerializer
from catalog.models import Movie, MovieStatus, Rating
from core.filters import IdFilter
from core.openapi import error_response
from core.permissions import IsStaff, ReadOnly

from .. import services
from ..selectors import movie_detail, movie_list
from .serializers import ShowtimeSerializer


class MovieSerializer(serializers.ModelSerializer):
    genres = GenreSerializer(many=True)
    cast = serializers.ListField(source="cast_list", child=serializers.CharField())
    status = serializers.ChoiceField(
        choices=MovieStatus.choices,
        help_text="`now_showing` with upcoming showtimes, `coming_soon` otherwise.",
    )
    # Not `format: uri`: a movie without a poster or trailer answers "".
    poster_url = serializers.CharField(help_text="An http(s) URL, or empty.")
    trailer_url = serializers.CharField(help_text="An http(s) URL, or empty.")

    class Meta:
        model = Movie
        fields = [
            "id",
            "title",
            "synopsis",
            "duration_minutes",
            "release_date",
            "rating",
            "genres",
            "director",
            "cast",
            "language",
            "poster_url",
            "trailer_url",
            "status",
        ]
        read_only_fields = fields


class MovieDetailSerializer(MovieSerializer):
    upcoming_showtimes = ShowtimeSerializer(many=True)

    class Meta(MovieSerializer.Meta):
        fields = [*MovieSerializer.Meta.fields, "upcoming_showtimes"]
        read_only_fields = fields


class MovieFilter(filters.FilterSet):
    genre = IdFilter(field_name="genres", help_text="A genre id.")
    status = filters.ChoiceFilter(choices=MovieStatus.choices)
    rating = filters.ChoiceFilter(choices=Rating.choices)


@extend_schema(tags=["catalog"])
@extend_schema_view(
    list=extend_schema(summary="Search and filter movies"),
    retrieve=extend_schema(summary="A movie with its upcoming showtimes"),
)
class MovieViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Anyone reads; staff and administrators write."""

    permission_classes = [ReadOnly | IsStaff]
    filterset_class = MovieFilter
    search_fields = ["title", "director", "cast"]
    ordering_fields = ["title", "release_date", "duration_minutes", "created_at"]

    def get_queryset(self):
        return movie_detail() if self.action == "retrieve" else movie_list()

    def get_serializer_class(self):
        return MovieDetailSerializer if self.action == "retrieve" else MovieSerializer

    def _render(self, movie, status_code=status.HTTP_200_OK):
        return Response(MovieSerializer(movie_list().get(pk=movie.pk)).data, status=status_code)

    @extend_schema(
        request=MovieInputSerializer, responses={201: MovieSerializer}, summary="Add a movie"
    )
    def create(self, request):
        serializer = MovieInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movie = catalog_services.movie_create(**serializer.validated_data)
        return self._render(movie, status.HTTP_201_CREATED)

    @extend_schema(
        request=MovieInputSerializer,
        responses={200: MovieSerializer, 409: error_response("`movie_has_showtimes`.")},
        summary="Replace a movie",
    )
    def update(self, request, pk=None):
        return self._update(request, partial=False)

    @extend_schema(
        request=MovieInputSerializer(partial=True),
        responses={200: MovieSerializer, 409: error_response("`movie_has_showtimes`.")},
        summary="Change a movie",
    )
    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        movie = self.get_object()
        serializer = MovieInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_update(movie=movie, data=serializer.validated_data)
        return self._render(movie)

    @extend_schema(
        responses={204: None, 409: error_response("`movie_has_bookings`: tickets were sold.")},
        summary="Delete a movie and its showtimes",
    )
    def destroy(self, request, pk=None):
        services.movie_delete(movie=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

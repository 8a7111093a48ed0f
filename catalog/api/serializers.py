from django.core.validators import URLValidator
from rest_framework import serializers

from screening.api.serializers import ShowtimeSerializer

from ..models import MAX_DURATION_MINUTES, Genre, Movie, MovieStatus, Rating

http_url = URLValidator(schemes=["http", "https"])


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["id", "name", "slug"]


class MovieSerializer(serializers.ModelSerializer):
    genres = GenreSerializer(many=True)
    cast = serializers.ListField(source="cast_list", child=serializers.CharField())
    status = serializers.ChoiceField(
        choices=MovieStatus.choices,
        help_text="`now_showing` with upcoming showtimes, `coming_soon` otherwise.",
    )

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


class MovieInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    synopsis = serializers.CharField(required=False, allow_blank=True, default="")
    duration_minutes = serializers.IntegerField(min_value=1, max_value=MAX_DURATION_MINUTES)
    release_date = serializers.DateField()
    rating = serializers.ChoiceField(choices=Rating.choices)
    genres = serializers.PrimaryKeyRelatedField(
        queryset=Genre.objects.all(), many=True, required=False, default=list
    )
    director = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    cast = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=50, required=False, default=list
    )
    language = serializers.CharField(max_length=50, required=False, default="English")
    poster_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", validators=[http_url]
    )
    trailer_url = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", validators=[http_url]
    )

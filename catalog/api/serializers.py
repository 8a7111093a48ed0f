from django.core.validators import URLValidator
from rest_framework import serializers

from ..models import MAX_DURATION_MINUTES, Genre, Rating

http_url = URLValidator(schemes=["http", "https"])


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["id", "name", "slug"]


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

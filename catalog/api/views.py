from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny

from ..models import Genre
from . import serializers as s


@extend_schema(tags=["catalog"])
class GenreViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [AllowAny]
    queryset = Genre.objects.all()
    serializer_class = s.GenreSerializer
    pagination_class = None
    filter_backends: list = []

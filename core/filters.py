from django import forms
from django_filters import rest_framework as filters


class IdFilter(filters.NumberFilter):
    """An object id: a whole number (`?hall=1.5` is a 400); an unknown id matches nothing."""

    field_class = forms.IntegerField

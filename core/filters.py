from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError


@extend_schema_field({"type": "integer", "minimum": 1})
class IdFilter(filters.NumberFilter):
    """An object id: a whole number (`?hall=1.5` is a 400); an unknown id matches nothing."""

    field_class = forms.IntegerField


class OrderingFilter(drf_filters.OrderingFilter):
    """`?ordering=title,-release_date` with the view's `ordering_fields` only. An unknown field is
    a 400 (DRF's own filter drops it silently, and the client never learns its typo), and the
    schema lists every value the parameter takes."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        terms = [term.strip() for term in raw.split(",") if term.strip()]
        valid = self._valid_names(view, queryset, request)
        unknown = [term for term in terms if term.removeprefix("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(unknown)}; choose from "
                        f"{', '.join(sorted(valid))} (a leading '-' reverses)."
                    ]
                }
            )
        return terms or self.get_default_ordering(view)

    def _valid_names(self, view, queryset, request=None) -> set[str]:
        fields = self.get_valid_fields(queryset, view, {"request": request})
        return {name for name, _ in fields}

    def get_schema_operation_parameters(self, view):
        try:
            names = sorted(self._valid_names(view, view.get_queryset()))
        except Exception:  # a view that cannot build its queryset without a request
            return super().get_schema_operation_parameters(view)
        if not names:
            return []
        values = [value for name in names for value in (name, f"-{name}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to order by; a leading `-` reverses. "
                "Any other value is a 400.",
                "schema": {"type": "array", "items": {"type": "string", "enum": values}},
                "style": "form",
                "explode": False,
            }
        ]

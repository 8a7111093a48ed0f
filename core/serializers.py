"""Serializer bases every app may share."""

from django.utils.functional import cached_property
from rest_framework import serializers


class SharedFieldsSerializer(serializers.Serializer):
    """An input serializer whose fields are built once per process, not on every instance.

    DRF deep-copies a serializer's declared fields - and those of the serializers nested in it -
    each time one is made: on a hot path that costs more than validating the request. An
    instance made with nothing but `data` (what a view validating its input makes) takes instead
    the fields of a template instance of its class, made once with DRF's own copies. That is
    safe because validation keeps its state on the serializer (`initial_data`,
    `validated_data`, `errors`), never on a field, and reads of a field's parent only the root's
    `partial` and `context`: the template's are an instance's defaults (no partial, an empty
    context), so they are what this instance would have read. An instance made with anything
    else (an `instance`, a `context`, `partial`, ...) copies its fields as DRF does.

    A shared validator formats its message once (DRF's `lazy_format`): right while the API
    speaks one language; with per-request languages (LocaleMiddleware) this must not be used.

    The fields are shared, so a subclass must not change them after they are made (as a
    serializer that drops fields in its `__init__` does). Threads may make the template at
    once: each builds a complete one - its nested fields and validators made too, so using it
    changes nothing on it - and publishes it in one assignment.
    """

    def __init__(self, *args, **kwargs):
        self._fields_shared = not args and kwargs.keys() <= {"data"}
        super().__init__(*args, **kwargs)

    @cached_property
    def fields(self):
        if not self._fields_shared:
            return super().fields
        cls = type(self)
        fields = cls.__dict__.get("_shared_fields")  # a subclass has a template of its own
        if fields is None:
            # An explicit empty context: the template copies its fields as DRF does.
            fields = cls(context={}).fields
            for field in fields.values():
                _complete(field)
            cls._shared_fields = fields
        return fields


def _complete(field) -> None:
    """Make what a field makes lazily on first use: its validators, and its nested fields."""
    field.validators  # noqa: B018 (a property that builds and keeps them)
    child = getattr(field, "child", None)  # ListSerializer, ListField, DictField
    if child is not None:
        _complete(child)
    if isinstance(field, serializers.Serializer):
        for nested in field.fields.values():
            _complete(nested)

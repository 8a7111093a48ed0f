"""SharedFieldsSerializer: fields made once per class, validation as DRF's own."""

import threading

import pytest
from rest_framework import serializers

from core.serializers import SharedFieldsSerializer


class Item(serializers.Serializer):
    seat = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=["A", "B"], default="A")


DECLARED = {
    "showtime": lambda: serializers.IntegerField(min_value=1),
    "items": lambda: Item(many=True, required=False, allow_empty=False),
    "counts": lambda: serializers.DictField(child=serializers.IntegerField(min_value=0)),
    "flag": lambda: serializers.BooleanField(default=False),
    "note": lambda: serializers.CharField(max_length=5, required=False),
}


def _validate(self, data):
    if data.get("flag") and "items" in data:
        raise serializers.ValidationError({"flag": ["Not with items."]})
    return data


def _pair():
    """The same serializer twice: as DRF makes it, and sharing its fields."""
    plain = type("Plain", (serializers.Serializer,), {**_fields(), "validate": _validate})
    shared = type("Shared", (SharedFieldsSerializer,), {**_fields(), "validate": _validate})
    return plain, shared


def _fields():
    return {name: make() for name, make in DECLARED.items()}


BODIES = [
    {"showtime": 3, "items": [{"seat": 1}, {"seat": 2, "kind": "B"}], "counts": {"x": 1}},
    {"showtime": 3, "counts": {}, "flag": True, "note": "hi"},
    {
        "showtime": 0,
        "items": [{"seat": 0, "kind": "C"}, {}],
        "counts": {"x": -1},
        "note": "toolong",
    },
    {"showtime": 3, "items": [], "counts": "no"},
    {"showtime": 3, "items": [{"seat": 1}], "counts": {}, "flag": True},
    {},
    [],
]


@pytest.mark.parametrize("body", BODIES)
def test_it_validates_and_refuses_as_drf_does(body):
    plain, shared = _pair()
    for _ in range(2):  # the first instance makes the template; the second uses it
        expected, actual = plain(data=body), shared(data=body)
        assert actual.is_valid() == expected.is_valid()
        assert actual.errors == expected.errors
        if not expected.errors:
            assert actual.validated_data == expected.validated_data


def test_instances_made_with_data_share_one_set_of_fields_made_once():
    _, shared = _pair()
    first, second = shared(data={}), shared(data={"showtime": 1})
    assert first.fields is second.fields
    template = first.fields["showtime"].parent
    assert template is not first
    assert type(template) is shared
    assert template.context == {}
    assert not template.partial


def test_the_template_is_complete_before_use():
    """Validating changes nothing on the shared fields: threads only read them."""
    _, shared = _pair()
    fields = shared(data={}).fields
    child = fields["items"].child
    assert "fields" in child.__dict__
    before = {name: dict(vars(field)) for name, field in [*fields.items(), ("child", child)]}
    before["seat"] = dict(vars(child.fields["seat"]))
    serializer = shared(data=BODIES[0])
    assert serializer.is_valid(), serializer.errors
    shared(data=BODIES[2]).is_valid()
    after = {name: dict(vars(field)) for name, field in [*fields.items(), ("child", child)]}
    after["seat"] = dict(vars(child.fields["seat"]))
    assert after == before


def test_anything_but_data_gets_fields_of_its_own():
    _, shared = _pair()
    template_fields = shared(data={}).fields
    for kwargs in ({"context": {"x": 1}}, {"partial": True, "data": {}}, {"instance": object()}):
        serializer = shared(**kwargs)
        assert serializer.fields is not template_fields
        assert serializer.fields["showtime"].parent is serializer
    partial = shared(data={"note": "hi"}, partial=True)
    assert partial.is_valid(), partial.errors


def test_a_subclass_has_a_template_of_its_own():
    _, shared = _pair()
    extended = type("Extended", (shared,), {"extra": serializers.IntegerField(required=False)})
    assert "extra" not in shared(data={}).fields
    assert "extra" in extended(data={}).fields
    assert "extra" not in shared(data={}).fields


def test_threads_making_the_template_at_once_all_validate():
    _, shared = _pair()
    start = threading.Barrier(8)
    results = []

    def validate():
        start.wait()
        serializer = shared(data=BODIES[0])
        results.append(serializer.is_valid() and serializer.validated_data["showtime"])

    threads = [threading.Thread(target=validate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [3] * 8

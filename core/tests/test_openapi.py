"""The schema tells the truth in what a generated client relies on (see core/openapi.py)."""

import pytest
import yaml

from catalog.tests.factories import MovieFactory
from core.exceptions import ApplicationError
from core.openapi import _subclasses

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_an_unknown_ordering_is_400_and_a_known_one_orders(api_client):
    MovieFactory(title="B")
    MovieFactory(title="A")
    response = api_client.get("/api/v1/movies/", {"ordering": "title,-nonsense"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "-nonsense" in error["details"]["ordering"][0]
    titles = api_client.get("/api/v1/movies/", {"ordering": "-title"}).json()["results"]
    assert [movie["title"] for movie in titles] == ["B", "A"]
    assert api_client.get("/api/v1/movies/", {"ordering": ""}).status_code == 200


def test_ordering_lists_its_values(schema):
    parameters = schema["paths"]["/api/v1/movies/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")
    assert ordering["style"] == "form"
    assert ordering["explode"] is False
    assert {"title", "-title", "release_date", "-release_date"} <= set(
        ordering["schema"]["items"]["enum"]
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cinemas/",
        "/api/v1/cinemas/{id}/",
        "/api/v1/halls/",
        "/api/v1/halls/{id}/seats/",
        "/api/v1/movies/",
        "/api/v1/showtimes/",
        "/api/v1/showtimes/{id}/seats/",
    ],
)
def test_public_reads_are_declared_anonymous(schema, path):
    assert {} in schema["paths"][path]["get"]["security"]


def test_writes_and_own_data_need_a_token(schema):
    assert {} not in schema["paths"]["/api/v1/cinemas/"]["post"]["security"]
    assert {} not in schema["paths"]["/api/v1/bookings/"]["get"]["security"]


def test_request_components_have_no_default_and_clean_names(schema):
    components = schema["components"]["schemas"]
    for name, component in components.items():
        assert not name.startswith("_"), name
        assert "InputRequest" not in name, name
        assert "RequestRequest" not in name, name
        if name.endswith("Request"):
            assert not any(
                "default" in spec for spec in component.get("properties", {}).values()
            ), name
    assert components["SeatRequest"]["required"] == ["seat"]
    assert (
        'Default: "ADULT"' in components["SeatRequest"]["properties"]["ticket_type"]["description"]
    )


def test_every_status_a_list_or_a_lookup_can_answer_is_documented(schema):
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if method == "get" and "count" in str(responses.get("200", "")):
            assert "404" in responses, (method, path)
    exists = schema["paths"]["/api/v1/auth/email-exists/"]["get"]["responses"]
    assert "400" in exists


def test_error_codes_are_an_enum_of_every_code(schema):
    components = schema["components"]["schemas"]
    code = components["Error"]["properties"]["code"]
    assert code["allOf"] == [{"$ref": "#/components/schemas/ErrorCodeEnum"}]
    enum = set(components["ErrorCodeEnum"]["enum"])
    assert {error.code for error in _subclasses(ApplicationError)} <= enum
    assert {"validation_error", "not_found", "throttled", "token_not_valid"} <= enum


def test_closed_sets_are_enums_and_shapes_are_typed(schema):
    components = schema["components"]["schemas"]
    ref = "#/components/schemas/"
    assert components["SeatMapSeat"]["properties"]["type"] == {"$ref": ref + "SeatTypeEnum"}
    assert components["SeatMapSeat"]["properties"]["status"] == {"$ref": ref + "SeatStatusEnum"}
    assert components["SeatMapSeat"]["properties"]["position"] == {"$ref": ref + "Position"}
    assert components["SeatMapShowtime"]["properties"]["status"] == {
        "$ref": ref + "ShowtimeStatusEnum"
    }
    assert components["Seat"]["properties"]["type"] == {"$ref": ref + "SeatTypeEnum"}
    assert components["CheckIn"]["properties"]["seat_type"] == {"$ref": ref + "SeatTypeEnum"}
    assert "TypeEnum" not in components
    assert components["Hall"]["properties"]["layout"]["allOf"] == [{"$ref": ref + "Layout"}]
    assert components["LayoutRowRequest"]["additionalProperties"] is False
    for name in ("poster_url", "trailer_url"):
        assert "format" not in components["Movie"]["properties"][name]


def test_validators_constraints_are_in_the_schema(schema):
    components = schema["components"]["schemas"]
    booking = schema["paths"]["/api/v1/bookings/"]["post"]
    key = next(p for p in booking["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"] == {"type": "string", "minLength": 1, "maxLength": 255}
    assert components["BookingCreateRequest"]["properties"]["seats"]["minItems"] == 1
    assert components["RegisterRequest"]["properties"]["password"]["minLength"] == 8
    price = components["ShowtimeRequest"]["properties"]["base_price"]["pattern"]
    assert price == r"^\d{1,6}(?:\.\d{1,2})?$"  # no "", no sign: the field's minimum is 0
    assert components["Showtime"]["properties"]["base_price"]["pattern"].endswith(r"\.\d{2}$")
    for path in ("/api/v1/halls/{id}/", "/api/v1/bookings/{id}/pay/"):
        parameters = next(iter(schema["paths"][path].values()))["parameters"]
        path_id = next(p for p in parameters if p["in"] == "path")
        assert path_id["schema"] == {"type": "integer", "minimum": 1}


def test_retry_after_and_idempotent_replayed_are_declared(schema):
    pay = schema["paths"]["/api/v1/bookings/{id}/pay/"]["post"]["responses"]
    assert "Idempotent-Replayed" in pay["200"]["headers"]
    assert "Retry-After" in pay["409"]["headers"]
    login = schema["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]

"""OpenAPI: the error envelope, and error responses documented on every operation.

The schema is a contract that clients are generated from (openapi-typescript, see
clients/typescript/) and that Schemathesis holds the code to (core/tests/test_schemathesis.py):
every status an operation can answer is documented, every constraint a validator enforces is in
the schema, and nothing in it makes a generated client wrong (`postprocess_schema`).
"""

import json
import re
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError

from .exceptions import ApplicationError


class ErrorSerializer(serializers.Serializer):
    # The enum of every code is filled in when the schema is generated (`postprocess_schema`):
    # the apps' errors are all known by then.
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(
        required=False,
        help_text="Optional context; for `validation_error`, field name -> list of messages.",
    )


class ErrorResponseSerializer(serializers.Serializer):
    error = ErrorSerializer()

    class Meta:
        ref_name = "ErrorResponse"


def error_response(description: str) -> OpenApiResponse:
    """For `@extend_schema(responses={409: error_response("`hall_busy`: ...")})`."""
    return OpenApiResponse(ErrorResponseSerializer, description=description)


GENERIC_ERRORS = {
    400: "`validation_error` (field -> messages in `details`), `parse_error`.",
    401: "`not_authenticated`, `token_not_valid`, `password_changed`, `bad_authorization_header`.",
    403: "`permission_denied`: authenticated, but the role does not allow this; "
    "`account_suspended`: the token's account is suspended.",
    404: "`not_found`: no such object, or it belongs to someone else.",
    413: "`request_too_large`: the body is over the size limit (2.5 MB by default).",
    429: "`throttled`: too many requests; see the `Retry-After` header.",
    503: "`service_unavailable`: the database is unavailable or too slow; see `Retry-After`.",
}
LIST_NOT_FOUND = "`not_found`: a page past the last one, or not a page number (`Invalid page.`)."
WRITE_METHODS = ("POST", "PUT", "PATCH")

# Codes answered outside DRF views and outside any exception class (core.views, core.middleware).
PLAIN_VIEW_CODES = (
    "bad_request",
    "csrf_failed",
    "invalid_host",
    "not_found",
    "request_too_large",
    "server_error",
    "service_unavailable",
    "validation_error",
)

WHOLE_NUMBER_PATH = {"type": "string", "pattern": "^[0-9]+$"}

RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again (`resource_busy`, "
        "`request_in_progress`, `throttled`, `account_locked`, `service_unavailable`, ...).",
        "schema": {"type": "integer", "minimum": 0},
    }
}
RETRY_AFTER_STATUSES = ("409", "429", "503")
IDEMPOTENT_REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key`; absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


class AutoSchema(openapi.AutoSchema):
    """Adds the error responses a view can produce to every operation, in the envelope schema.

    Views document their domain errors (409 `hall_busy`, ...) with `@extend_schema(responses=...)`;
    the generic ones are derived here from the view's authentication, permissions, throttles,
    parameters and path. Also: reads anonymous users may make are declared so (security `{}`),
    decimals and lists carry the constraints their fields enforce, and component names are
    clean (`_CinemaBrief` -> `CinemaBrief`, `SeatRequestInput` -> `SeatRequest`).
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code in self._generic_error_statuses():
            responses.setdefault(
                str(status_code),
                self._get_response_for_code(
                    error_response(self._generic_error_description(status_code)),
                    str(status_code),
                    direction=direction,
                ),
            )
        idempotent = self._has_header_parameter("Idempotency-Key")
        for status_code, response in responses.items():
            headers = response.setdefault("headers", {})
            if status_code in RETRY_AFTER_STATUSES:
                headers.update(RETRY_AFTER_HEADER)
            if idempotent:
                headers.update(IDEMPOTENT_REPLAYED_HEADER)
            headers.update(getattr(self.view, "response_headers", {}).get(status_code, {}))
            if not headers:
                del response["headers"]
        return dict(sorted(responses.items()))

    def _generic_error_statuses(self) -> list[int]:
        authenticated = bool(self.view.get_authenticators())
        statuses = []
        if self.method in WRITE_METHODS or self._has_query_parameters():
            statuses.append(400)
        if authenticated:
            # A bad token is refused on public reads too, and a suspended account's token is 403.
            statuses += [401, 403]
        elif not self._allows(AnonymousUser()):
            statuses.append(403)
        if "{" in self.path or self._is_paginated_list():
            statuses.append(404)
        if self.method in WRITE_METHODS:
            statuses.append(413)
        if self.view.get_throttles():
            statuses.append(429)
        statuses.append(503)
        return statuses

    def _generic_error_description(self, status_code: int) -> str:
        if status_code == 404 and self._is_paginated_list():
            if "{" in self.path:
                return f"{GENERIC_ERRORS[404]} {LIST_NOT_FOUND}"
            return LIST_NOT_FOUND
        return GENERIC_ERRORS[status_code]

    def _is_paginated_list(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None

    def _has_query_parameters(self) -> bool:
        return any(parameter.get("in") == "query" for parameter in self._get_parameters())

    def _has_header_parameter(self, name: str) -> bool:
        return any(
            parameter.get("in") == "header" and parameter.get("name") == name
            for parameter in self._get_parameters()
        )

    def _allows(self, user) -> bool:
        """Whether the view's permissions let `user` make this operation (object checks aside)."""
        request = SimpleNamespace(method=self.method, user=user, auth=None)
        try:
            return all(p.has_permission(request, self.view) for p in self.view.get_permissions())
        except Exception:  # a permission that needs a real request: not public
            return False

    def get_auth(self):
        """Security `{}` (no token needed) wherever anonymous users are let in, also through
        composed permissions such as `ReadOnly | IsStaff`."""
        auths = super().get_auth()
        if {} not in auths and self._allows(AnonymousUser()):
            auths.append({})
        return auths

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict):
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = decimal_pattern(field, direction)
        listed = isinstance(field, serializers.ListSerializer | serializers.ListField)
        if listed and not field.allow_empty and not getattr(field, "min_length", None):
            schema["minItems"] = 1
        if (
            isinstance(field, serializers.PrimaryKeyRelatedField)
            and schema.get("type") == "integer"
        ):
            schema["minimum"] = 1
        return schema

    def _map_basic_serializer(self, serializer, direction):
        """`class Meta: additional_properties = False` on a serializer: unknown keys are refused
        (by a validator that reads the raw data, such as `screening.layouts`)."""
        schema = super()._map_basic_serializer(serializer, direction)
        if getattr(getattr(serializer, "Meta", None), "additional_properties", True) is False:
            schema["additionalProperties"] = False
        return schema

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        name = name.lstrip("_")
        name = re.sub(r"Input(Request)$", r"\1", name)
        return re.sub(r"(Request)Request$", r"\1", name)


def decimal_pattern(field: serializers.DecimalField, direction: str) -> str:
    """What the field accepts (a request: at most `decimal_places`, no sign when it cannot be
    negative, never an empty string) or answers (a response: exactly `decimal_places`, "12.50")."""
    whole = "+" if field.max_whole_digits is None else f"{{1,{max(field.max_whole_digits, 1)}}}"
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    places = field.decimal_places
    if not places:
        return rf"^{sign}\d{whole}$"
    if direction == "request":
        return rf"^{sign}\d{whole}(?:\.\d{{1,{places}}})?$"
    return rf"^{sign}\d{whole}\.\d{{{places}}}$"


def error_codes() -> list[str]:
    """Every `code` an error envelope can carry: the apps' ApplicationErrors, DRF's and simplejwt's
    exceptions (not their validation errors: those answer `validation_error`), and the codes of
    the plain views."""
    codes = set(PLAIN_VIEW_CODES)
    for error in _subclasses(ApplicationError):
        codes.add(error.code)
    for exception in _subclasses(APIException):
        if not issubclass(exception, DRFValidationError):
            codes.add(str(exception.default_code))
    return sorted(codes)


def _subclasses(cls: type) -> list[type]:
    found = []
    for subclass in cls.__subclasses__():
        found += [subclass, *_subclasses(subclass)]
    return found


def postprocess_schema(result, generator, request, public):
    """drf-spectacular postprocessing hook (after its enum hook):

    - the error envelope's `code` is an enum of every code there is (`ErrorCodeEnum`);
    - no `default` in request components: openapi-typescript makes a property with a default
      required, and a client would have to send what the server fills in; the default moves to
      the description;
    - ids in paths start at 1.
    """
    schemas = result.get("components", {}).get("schemas", {})
    if "Error" in schemas:
        schemas["ErrorCodeEnum"] = {
            "type": "string",
            "enum": error_codes(),
            "description": "Every error code. Each operation's responses say which it answers.",
        }
        code = schemas["Error"]["properties"]["code"]
        schemas["Error"]["properties"]["code"] = {
            "allOf": [{"$ref": "#/components/schemas/ErrorCodeEnum"}],
            "description": code.get("description", ""),
        }
    for name, schema in schemas.items():
        if name.endswith("Request"):
            for prop in schema.get("properties", {}).values():
                _default_to_description(prop)
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                # Object ids, also those the router matches with `[0-9]+` (core.routers).
                if parameter["schema"] in ({"type": "integer"}, WHOLE_NUMBER_PATH):
                    parameter["schema"] = {"type": "integer", "minimum": 1}
    return result


def _default_to_description(schema: dict) -> None:
    defaults = []

    def strip(node):
        if isinstance(node, dict):
            if "default" in node:
                defaults.append(node.pop("default"))
            for key in ("allOf", "oneOf", "anyOf"):
                for child in node.get(key, []):
                    strip(child)

    strip(schema)
    if defaults:
        shown = json.dumps(defaults[0])
        description = schema.get("description", "")
        schema["description"] = f"{description}\n\nDefault: {shown}.".strip()

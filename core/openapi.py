"""OpenAPI: the error envelope, and error responses documented on every operation."""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated


class ErrorSerializer(serializers.Serializer):
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
    403: "`permission_denied`: authenticated, but the role does not allow this.",
    404: "`not_found`: no such object, or it belongs to someone else.",
    413: "`request_too_large`: the body is over the size limit (2.5 MB by default).",
    429: "`throttled`: too many requests; see the `Retry-After` header.",
    503: "`service_unavailable`: the database is unavailable or too slow; see `Retry-After`.",
}


class AutoSchema(openapi.AutoSchema):
    """Adds the error responses a view can produce to every operation, in the envelope schema.

    Views document their domain errors (409 `hall_busy`, ...) with `@extend_schema(responses=...)`;
    the generic ones are derived here from the view's permissions, throttles and path.
    """

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status_code in self._generic_error_statuses():
            responses.setdefault(
                str(status_code),
                self._get_response_for_code(
                    error_response(GENERIC_ERRORS[status_code]),
                    str(status_code),
                    direction=direction,
                ),
            )
        return dict(sorted(responses.items()))

    def _generic_error_statuses(self) -> list[int]:
        permissions = self.view.get_permissions()
        public = all(isinstance(p, AllowAny) for p in permissions)
        statuses = []
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
            statuses.append(400)
        if not public:
            statuses.append(401)
        if not public and not all(isinstance(p, IsAuthenticated) for p in permissions):
            statuses.append(403)
        if "{" in self.path:
            statuses.append(404)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses.append(413)
        if self.view.get_throttles():
            statuses.append(429)
        statuses.append(503)
        return statuses

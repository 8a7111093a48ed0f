"""Domain errors and the one exception handler that turns every error into API.md's envelope:

{"error": {"code": "seats_unavailable", "message": "...", "details": {...}}}
"""

import logging
import math
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

logger = logging.getLogger(__name__)

# MySQL/MariaDB: "Lock wait timeout exceeded" and "Deadlock found when trying to get lock".
# The transaction was rolled back; the same request a moment later normally succeeds.
MYSQL_LOCK_ERRORS = {1205, 1213}
LOCK_RETRY_AFTER_SECONDS = 1


class ApplicationError(Exception):
    """A rule of the domain was not met. Subclasses fix `code`, `status_code` and the message."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid_request"
    message: str = "The request cannot be processed."
    retry_after: int | None = None

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "The request conflicts with the current state of the resource."


class ResourceBusy(Conflict):
    code = "resource_busy"
    message = "Another request is changing the same data; please retry."
    retry_after = LOCK_RETRY_AFTER_SECONDS


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def error_response(
    status_code: int, code: str, message: str, details: Any = None, headers: dict | None = None
) -> Response:
    return Response(error_body(code, message, details), status=status_code, headers=headers)


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER. Nothing an API view raises escapes as HTML or a stack trace.

    (No `set_rollback()`: there is no ATOMIC_REQUESTS; services own their transactions.) An
    IntegrityError a service did not turn into a domain error (`core.db.constraint_name`) is a
    bug: it is logged and answered 500 like any other.
    """
    if isinstance(exc, ApplicationError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return error_response(exc.status_code, exc.code, exc.message, exc.details, headers)
    if isinstance(exc, OperationalError) and exc.args and exc.args[0] in MYSQL_LOCK_ERRORS:
        logger.warning("Lock contention answered with 409: %s", exc)
        return exception_handler(ResourceBusy(), context)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404 | ObjectDoesNotExist):
        # A service looked up an id from the URL that does not exist.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _api_exception_response(exc)
    logger.exception("Unhandled exception in %s", context.get("view").__class__.__name__)
    return error_response(
        status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error", "An unexpected error occurred."
    )


def _api_exception_response(exc: exceptions.APIException) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return error_response(
            exc.status_code, "validation_error", "The request is invalid.", details, headers
        )

    detail = exc.detail
    if isinstance(detail, dict):
        # simplejwt's token errors: {"detail": "...", "code": "token_not_valid", "messages": [...]}
        code = str(detail.get("code", exc.default_code))
        message = str(detail.get("detail", exc.default_detail))
    else:
        code = getattr(detail, "code", None) or exc.default_code
        message = str(detail)
    if isinstance(exc, exceptions.Throttled):
        code = "throttled"
    return error_response(exc.status_code, code, message, None, headers)

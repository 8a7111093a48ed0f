"""Domain errors and the one exception handler that turns every error into API.md's envelope:

{"error": {"code": "seats_unavailable", "message": "...", "details": {...}}}
"""

import logging
import math
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

logger = logging.getLogger(__name__)

# MySQL/MariaDB: "Lock wait timeout exceeded" and "Deadlock found when trying to get lock".
# The transaction was rolled back; the same request a moment later normally succeeds.
MYSQL_LOCK_ERRORS = {1205, 1213}
LOCK_RETRY_AFTER_SECONDS = 1
# MySQL/MariaDB: the database cannot be reached or did not answer in time. Nothing the client did
# wrong; the same request a little later may succeed. Client side: connection refused (2002, 2003,
# 2005), gone away or lost during a query (2006, 2013, 2055: also our read and write timeouts).
# Server side: too many connections (1040, 1203, 1226), shutting down or connection killed (1053,
# 1927, 4031), a statement timeout (1969, 3024).
MYSQL_CONNECTION_ERRORS = {2002, 2003, 2005, 2006, 2013, 2055}
MYSQL_OVERLOAD_ERRORS = {1040, 1053, 1203, 1226, 1927, 1969, 3024, 4031}
MYSQL_UNAVAILABLE_ERRORS = MYSQL_CONNECTION_ERRORS | MYSQL_OVERLOAD_ERRORS
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


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


class ServiceUnavailable(ApplicationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    message = "The service is temporarily unavailable; please retry."
    retry_after = UNAVAILABLE_RETRY_AFTER_SECONDS


def dependency_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database (or a Redis cache) is down, overloaded or too slow - not
    that a query is wrong."""
    if isinstance(exc, InterfaceError | RedisConnectionError | RedisTimeoutError):
        return True
    return (
        isinstance(exc, OperationalError)
        and bool(exc.args)
        and exc.args[0] in MYSQL_UNAVAILABLE_ERRORS
    )


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
    if dependency_unavailable(exc):
        logger.warning("Dependency unavailable, answered with 503: %r", exc)
        exc = ServiceUnavailable()
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

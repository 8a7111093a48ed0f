"""Django REST framework, JWT, OpenAPI docs and CORS."""

from datetime import timedelta

from corsheaders.defaults import default_headers

from .environment import env


def throttle_rate(name: str, default: str) -> str | None:
    """`100/min`, `5/s`, ...; `none` switches the throttle off."""
    value = env(name, default=default)
    return None if value.strip().lower() in ("", "none", "off") else value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": throttle_rate("THROTTLE_ANON", "100/min"),
        "user": throttle_rate("THROTTLE_USER", "1000/min"),
        "auth": throttle_rate("THROTTLE_AUTH", "10/min"),
    },
    # Client addresses for throttling: 0 trusts only REMOTE_ADDR; behind N proxies that append
    # to X-Forwarded-For, set NUM_PROXIES=N.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a hash of the password hash: changing the password revokes them all.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Cinema booking API",
    "DESCRIPTION": (
        "Movies, showtimes, seat maps, bookings and payments. Every error has the shape "
        '`{"error": {"code", "message", "details"}}`; see the `ErrorResponse` schema.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AccountStateEnum": "accounts.models.AccountState",
        "AccountStateChangeEnum": ["active", "suspended"],
        "MovieStatusEnum": "catalog.models.MovieStatus",
        "ShowtimeStatusEnum": "screening.models.ShowtimeStatus",
        "TicketTypeCodeEnum": "booking.models.TicketTypeCode",
        "BookingStatusEnum": "booking.models.BookingStatus",
        "SeatTypeEnum": "screening.models.SeatType",
        "RowSeatTypeEnum": "screening.layouts.ROW_TYPES",
    },
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ["Retry-After"]

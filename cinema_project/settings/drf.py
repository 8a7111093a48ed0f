"""Django REST framework: authentication, parsers, pagination, filters, throttles, errors."""

from .environment import env


def throttle_rate(name: str, default: str) -> str | None:
    """`100/min`, `5/s`, ...; `none` switches the throttle off."""
    value = env(name, default=default)
    return None if value.strip().lower() in ("", "none", "off") else value


# Promo codes tried per customer, through validation or holds (booking.api.throttles).
THROTTLE_PROMO_CODE = env("THROTTLE_PROMO_CODE", default="20/min")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "core.filters.OrderingFilter",
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

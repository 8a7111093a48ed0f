"""The configured payment provider (`PAYMENT_GATEWAY`), by name."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import PaymentGateway

GATEWAYS = {
    "sandbox": "payments.gateways.sandbox.SandboxGateway",
}


@cache
def gateway_named(name: str) -> PaymentGateway | None:
    path = GATEWAYS.get(name)
    return None if path is None else import_string(path)()


def gateway() -> PaymentGateway:
    configured = gateway_named(settings.PAYMENT_GATEWAY)
    if configured is None:
        raise ImproperlyConfigured(
            f"Unknown PAYMENT_GATEWAY {settings.PAYMENT_GATEWAY!r}; known: {sorted(GATEWAYS)}"
        )
    return configured

"""System checks of our own (`manage.py check`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs, **kwargs) -> list[Warning]:
    """Throttle counters live in the default cache: a cache that each process keeps for itself
    multiplies every rate limit by the number of workers and hosts."""
    backend = settings.CACHES.get("default", {}).get("BACKEND")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            f"The default cache ({backend}) is not shared between processes: each worker and host "
            "keeps its own throttle counters, so every rate limit is multiplied by their number.",
            hint="Leave CACHE_URL unset (a table in the database) or set it to redis://host:6379/0.",
            id="core.W001",
        )
    ]

"""The cache. DRF's throttle counters live here, so every worker and host must share it.

The default is a table in the database (Django's DatabaseCache): nothing more to run or configure,
and `migrate` creates the table (core.apps). Redis is faster: `CACHE_URL=redis://host:6379/0`
(Django's RedisCache). A per-process cache (`locmemcache://`) makes `check --deploy` warn.
"""

from .environment import env

CACHES = {"default": env.cache("CACHE_URL", default="dbcache://cinema_cache")}

_cache = CACHES["default"]
if _cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Django's default of 300 entries would evict live counters once a few hundred clients call.
    _cache.setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 10_000)
elif _cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A hung Redis must not hang the API (`?socket_timeout=` in CACHE_URL overrides these).
    _cache.setdefault("OPTIONS", {}).setdefault("socket_connect_timeout", 2)
    _cache["OPTIONS"].setdefault("socket_timeout", 2)

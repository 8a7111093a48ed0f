"""django-cors-headers: which browser origins (the single-page app) may call the API."""

from urllib.parse import urlsplit

from corsheaders.defaults import default_headers

from .base import DEBUG, FRONTEND_URL
from .environment import env

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
if DEBUG and not CORS_ALLOWED_ORIGINS:
    # Development (`make run`): the SPA's own dev server, where the e-mailed links point, may call
    # without more configuration. Production names its origins.
    _frontend = urlsplit(FRONTEND_URL)
    CORS_ALLOWED_ORIGINS = [f"{_frontend.scheme}://{_frontend.netloc}"]
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key")
# Headers a browser lets the SPA read: when to retry (409, 429, 503), and whether an answer is the
# replay of an earlier request with the same Idempotency-Key.
CORS_EXPOSE_HEADERS = ["Retry-After", "Idempotent-Replayed"]

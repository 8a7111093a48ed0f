"""The test suite: MariaDB (as in production), a fast password hasher, no HTTPS redirects."""

import os

# Tests run with DEBUG off, like production, so the base settings require a key.
os.environ.setdefault("SECRET_KEY", "test-only-key-not-a-secret-0123456789abcdef")

from cinema_project.settings import *  # noqa: F403
from cinema_project.settings.database import database_config
from cinema_project.settings.environment import env

DATABASES = {
    "default": database_config(
        env("TEST_DATABASE_URL", default="mysql://root@127.0.0.1:3306/cinema")
    )
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Per process: conftest clears it around every test, and pinned query counts must not count
# throttle counters. The tests of the database and Redis caches configure their own.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
FRONTEND_URL = "https://app.example.com"
# The suite never runs collectstatic; WhiteNoise need not look for its output.
WHITENOISE_AUTOREFRESH = True

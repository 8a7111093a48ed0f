from decimal import Decimal

from django.core.management.utils import get_random_secret_key

from .environment import BASE_DIR, env

DEBUG = env.bool("DEBUG", default=False)

# Required in production (django-environ raises ImproperlyConfigured when it is missing).
# With DEBUG, a random key per process lets a fresh checkout run without configuration;
# tokens and sessions then do not survive a restart.
# Without one, a development process makes its own. Not through env()'s default: django-environ
# reads a value starting with "$" as the name of another variable, and a random key may.
SECRET_KEY = (
    (env("SECRET_KEY", default="") or get_random_secret_key()) if DEBUG else env("SECRET_KEY")
)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "cinema_project.apps.CinemaAdminConfig",  # django.contrib.admin: the box office, the reports
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "csp",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "catalog",
    "screening",
    "promotions",
    "booking",
    "payments",
    "boxoffice",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "core.middleware.RequestLogMiddleware",
    # As high as possible (corsheaders' advice): every answer, errors included, is readable by the
    # single-page app.
    "corsheaders.middleware.CorsMiddleware",
    # The seat map's pollers, answered here with what the view would send (see its module's
    # docstring): after CORS, whose headers every answer carries; before anything else. A request
    # the middlewares below would refuse or redirect (an unknown Host, ...) it leaves to them.
    "booking.middleware.SeatMapPollMiddleware",
    # Before anything that reads the Host header or the body (see its docstring).
    "core.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a lockout noticed during the request into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cinema_project.urls"
WSGI_APPLICATION = "cinema_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Django's tokens check this upper bound; each of our links has its own, shorter lifetime.
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
PASSWORD_RESET_LINK_SECONDS = env.int("PASSWORD_RESET_LINK_SECONDS", default=60 * 60)
EMAIL_VERIFICATION_LINK_SECONDS = env.int(
    "EMAIL_VERIFICATION_LINK_SECONDS", default=60 * 60 * 24 * 3
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The product.
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
BOOKING_HOLD_SECONDS = env.int("BOOKING_HOLD_SECONDS", default=600)
BOOKING_MAX_SEATS = env.int("BOOKING_MAX_SEATS", default=10)
# Unpaid bookings one customer may hold at once (each up to BOOKING_MAX_SEATS seats).
BOOKING_MAX_LIVE_HOLDS = env.int("BOOKING_MAX_LIVE_HOLDS", default=5)
# How long after a showtime ends its seat map's change log is kept (for `?since=`).
SEAT_CHANGES_RETENTION_HOURS = env.int("SEAT_CHANGES_RETENTION_HOURS", default=24)
# Seat rules (booking/seat_rules.py). No hold may leave a single seat alone between taken seats,
# or between a taken seat and an aisle or the row's end, while a choice of as many seats in that
# row would not - until the showtime is more than SEAT_GAP_RULE_UNTIL_PERCENT sold (held or
# sold), after which every seat counts. SEAT_GAP_RULE=False switches the rule off.
SEAT_GAP_RULE = env.bool("SEAT_GAP_RULE", default=True)
SEAT_GAP_RULE_UNTIL_PERCENT = env.int("SEAT_GAP_RULE_UNTIL_PERCENT", default=90)
# Wheelchair spaces and companion seats sell only in bookings with a wheelchair space until this
# many minutes before the show; then they are on general sale.
ACCESSIBLE_RELEASE_MINUTES = env.int("ACCESSIBLE_RELEASE_MINUTES", default=60)
CANCELLATION_CUTOFF_MINUTES = env.int("CANCELLATION_CUTOFF_MINUTES", default=60)
SHOWTIME_CLEANING_MINUTES = env.int("SHOWTIME_CLEANING_MINUTES", default=15)
BOOKING_FEE = Decimal(env("BOOKING_FEE", default="0.00"))
TAX_RATE = Decimal(env("TAX_RATE", default="0.00"))
CURRENCY = env("CURRENCY", default="USD")
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="sandbox")
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", default="")

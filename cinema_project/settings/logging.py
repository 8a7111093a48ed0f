from .environment import env

# Everything goes to stdout (twelve-factor): the process manager or the platform collects it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["stdout"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # One line per request comes from core.middleware; Django's own 4xx warnings would repeat it.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
        # django-axes: failed logins and lockouts are warnings; its bookkeeping is info.
        "axes": {"level": "WARNING"},
    },
}

import logging
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema_project.settings")

django_application = get_wsgi_application()

# After Django is set up: the seat map's pollers whose copy is current are answered before it.
from booking.middleware import SeatMapPollApp  # noqa: E402

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Load now what each worker's first requests would otherwise load while a customer waits:
    the URLconf with every view behind it, the token backend (the first signed-in request
    imported PyJWT and cryptography's X.509 modules: ~80 ms), the payment gateway, and Celery's
    task machinery (the first mail enqueued imports a few dozen modules).

    Nothing is connected to: a broker or database that is down does not keep a worker from
    starting. A step that fails is logged and left to the first request that needs it, as
    without a warm-up (a misconfigured payment gateway takes payments down, not the site)."""
    from django.urls import get_resolver
    from django.utils.module_loading import autodiscover_modules

    from payments.gateways import gateway

    from .celery import app as celery_app

    def views():
        get_resolver().url_patterns  # noqa: B018 - importing the views is the point

    def token_backend():
        from rest_framework_simplejwt import state  # noqa: F401

    def celery():
        # The apps' task modules, as Celery's autodiscovery would import them - without its
        # Django fixup, which sets Django up again and runs the system checks (for workers).
        autodiscover_modules("tasks")
        celery_app.tasks  # noqa: B018 - the task classes, made when the registry is first read
        celery_app.amqp  # noqa: B018 - the producer's machinery, built on first use
        celery_app.events  # noqa: B018
        celery_app.connection_for_write().transport  # noqa: B018 - the broker's client, unconnected

    for step in (views, token_backend, gateway, celery):
        try:
            step()
        except Exception:
            logger.exception("Warm-up step %s failed; its first request loads it.", step.__name__)


warm_up()
application = SeatMapPollApp(django_application)

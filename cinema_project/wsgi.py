import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cinema_project.settings")

django_application = get_wsgi_application()

# After Django is set up: the seat map's pollers whose copy is current are answered before it.
from booking.middleware import SeatMapPollApp  # noqa: E402

application = SeatMapPollApp(django_application)

"""The project's URLs plus plain Django views under /api/, for tests of what escapes them."""

from django.db import OperationalError
from django.urls import include, path

from core.exceptions import ResourceBusy


def database_gone(request):
    raise OperationalError(2006, "MySQL server has gone away")


def busy(request):
    raise ResourceBusy()


urlpatterns = [
    path("api/v1/test/database-gone/", database_gone),
    path("api/v1/test/busy/", busy),
    path("", include("cinema_project.urls")),
]

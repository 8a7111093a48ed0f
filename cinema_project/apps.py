from django.contrib.admin.apps import AdminConfig


class CinemaAdminConfig(AdminConfig):
    """The Django admin, opening on the box office's board of the day (boxoffice/sites.py)."""

    default_site = "boxoffice.sites.BoxOfficeAdminSite"

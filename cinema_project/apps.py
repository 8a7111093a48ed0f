from django.contrib.admin.apps import AdminConfig


class CinemaAdminConfig(AdminConfig):
    """Django's admin with the project's site as `admin.site` (see cinema_project/admin.py)."""

    default_site = "cinema_project.admin.CinemaAdminSite"

from django.contrib.admin.apps import AdminConfig


class CinemaAdminConfig(AdminConfig):
    """The Django admin with the project's site (cinema_project/admin.py): the box office's board
    of the day first, and the reports."""

    default_site = "cinema_project.admin.CinemaAdminSite"

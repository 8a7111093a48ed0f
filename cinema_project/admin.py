"""The project's admin site: Django's, as the default `admin.site` (every app registers its
models on it as usual), plus pages that are not a model's: the reports."""

from django.contrib import admin


class CinemaAdminSite(admin.AdminSite):
    def get_urls(self):
        from reports import admin as reports_admin

        return [*reports_admin.urls(self), *super().get_urls()]

    def get_app_list(self, request, app_label=None):
        from reports import admin as reports_admin

        app_list = super().get_app_list(request, app_label)
        entry = reports_admin.app_list_entry(request)
        if entry is not None and app_label is None:
            app_list.append(entry)
        return app_list

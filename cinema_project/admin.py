"""The project's admin site, the default `admin.site` (every app registers its models on it as
usual): the box office's (it opens on the board of a cinema's day and shows times on that
cinema's clock, boxoffice/sites.py), plus pages that are not a model's: the reports."""

from boxoffice.sites import BoxOfficeAdminSite


class CinemaAdminSite(BoxOfficeAdminSite):
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

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from core import docs
from core import views as core_views

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("screening.api.urls")),
    path("", include("promotions.api.urls")),
    path("", include("booking.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("boxoffice.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", docs.swagger_ui(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", docs.redoc(url_name="schema"), name="redoc"),
    re_path(r"^api/", core_views.api_not_found),
    path("admin/", admin.site.urls),
]

handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler500 = "core.views.server_error"

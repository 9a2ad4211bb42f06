"""URL map: back office (admin), REST API, health check, language switch."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from hotline.api.urls import api
from hotline.views import healthz

admin.site.site_header = admin.site.site_title = "Hotline"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

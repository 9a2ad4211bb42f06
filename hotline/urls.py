"""URL map: desk, wallboard, back office (admin), REST API, sign-in, health check, language switch, the audio
of calls, and the error pages' views."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from hotline.accounts.forms import ThrottledAuthenticationForm
from hotline.api.urls import api
from hotline.views import healthz, home

admin.site.site_header = admin.site.site_title = "Hotline"

handler403 = "hotline.views.permission_denied"
handler404 = "hotline.views.page_not_found"
handler500 = "hotline.views.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/", include("hotline.desk.urls")),
    path("wallboard/", include("hotline.wallboard.urls")),
    path("logistics/feedback/", include("hotline.logistics.feedback_urls")),
    path("logistics/", include("hotline.logistics.urls")),
    path("finance/", include("hotline.finance.urls")),
    path("reports/", include("hotline.reports.urls")),
    path("calls/", include("hotline.calls.urls")),
    path("jobs/", include("hotline.jobs.urls")),
    path("kb/", include("hotline.kb.urls")),
    path("service/", include("hotline.service.urls")),
    path("care/", include("hotline.crm.care_urls")),
    path("blacklist/", include("hotline.crm.blacklist_urls")),
    path("voicemail/", include("hotline.calls.voicemail_urls")),
    path("campaigns/", include("hotline.campaigns.urls")),
    path("notify/", include("hotline.notify.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

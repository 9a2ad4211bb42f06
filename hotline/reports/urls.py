"""The reports under /reports/: each report's view module lists its own URLs."""

from django.urls import path

from hotline.reports import campaigns as campaign_reports
from hotline.reports import complaints
from hotline.reports.views import agents, business, custom, drill, funnel, kpis, lines, media
from hotline.reports.views.index import index

app_name = "reports"

urlpatterns = [
    path("", index, name="index"),
    *kpis.urls,
    *lines.urls,
    *funnel.urls,
    *media.urls,
    *agents.urls,
    *business.urls,
    *custom.urls,
    *drill.urls,
    *complaints.urls,
    *campaign_reports.urls,
]

"""/reports/: the index of reports (managers start here after sign-in)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from hotline.reports.views.common import REPORTS, reports_user


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    reports_user(request)
    return render(request, "reports/index.html", {"reports": REPORTS, "report": "index"})

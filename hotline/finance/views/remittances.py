"""The remittances tab of the finance workbench (placeholder until built)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from hotline.finance.views.common import finance_user, page


@login_required
def index(request: HttpRequest) -> HttpResponse:
    finance_user(request, "remittances")
    return page(request, "finance/stub.html", "remittances", {})


urls = [path("remittances/", index, name="remittances")]

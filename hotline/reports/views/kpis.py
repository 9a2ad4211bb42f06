"""/reports/kpis/: report 1, call-center KPIs per queue, hotline number or agent (hotline/reports/kpis.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.calls.models import Queue
from hotline.media.models import HotlineNumber
from hotline.reports import kpis
from hotline.reports.periods import parse_period
from hotline.reports.views.common import error_text, period_from, reports_user, respond


def _choices() -> dict[str, Any]:
    """What the filter fields offer: the queues, the hotline numbers and the agents."""
    return {
        "by_choices": list(kpis.BY.items()),
        "queue_choices": list(Queue.objects.order_by("name").values_list("name", "label")),
        "number_choices": list(HotlineNumber.objects.order_by("number").values_list("pk", "number")),
        "agent_choices": [(user.username, user.get_full_name() or user.username)
                          for user in User.objects.filter(role=Role.AGENT).order_by("username")],
    }


@login_required
@require_GET
def kpis_view(request: HttpRequest) -> HttpResponse:
    """The KPI tables and charts for the period and filters asked for; 400 with the reason when they are bad."""
    reports_user(request)
    context: dict[str, Any] = {"title": _("Call-center KPIs"), "period_default": "today", "tables": [], "charts": [],
                               **_choices()}
    try:
        context["period"] = period = period_from(request)
        context["filters"] = filters = kpis.parse_filters(request.GET)
    except ValidationError as error:
        context["error"] = error_text(error)
        # The period picker's date fields fall back to the period's dates; without a period they cannot render.
        context.setdefault("period", parse_period({}))
        return respond(request, "reports/kpis.html", "kpis", context, fragment="reports/kpis_body.html")
    context.update(kpis.report(period, filters, compare=bool(request.GET.get("compare"))))
    return respond(request, "reports/kpis.html", "kpis", context, fragment="reports/kpis_body.html")


urls = [path("kpis/", kpis_view, name="kpis")]

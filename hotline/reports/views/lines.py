"""/reports/lines/: report 2, lines and IVR (线路占用时间, IVR呼叫节点访问量) — hotline/reports/lines.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.reports import lines as report
from hotline.reports.periods import parse_period
from hotline.reports.views.common import error_text, period_from, reports_user, respond

COMMON = {"period", "from", "to", "grain", "compare", "format", "page", "sort"}
FILTERS = COMMON | {"flow"}


def check_filters(params: Any) -> None:
    """A GET key the report does not know is an error, not silently ignored."""
    unknown = sorted(set(params) - FILTERS)
    if unknown:
        raise ValidationError(_("Unknown filter: %(name)s") % {"name": unknown[0][:40]}, code="unknown_filter")


@login_required
@require_GET
def lines(request: HttpRequest) -> HttpResponse:
    reports_user(request)
    flow = request.GET.get("flow", "").strip()
    context: dict[str, Any] = {"title": _("Lines and IVR"), "period_default": "today", "flow": flow,
                               "flows": sorted(report.known_flows())}
    try:
        check_filters(request.GET)
        period = period_from(request)
        context["period"] = period
        built = report.build(period, settings.HOTLINE_LINES, flow, compare=bool(request.GET.get("compare")))
    except ValidationError as error:
        context["error"] = error_text(error)
        # The period picker's date fields fall back to the period's dates; without a period they cannot render.
        context.setdefault("period", parse_period({}))
    else:
        context.update(tables=built.tables, charts=built.charts, lines=settings.HOTLINE_LINES)
    return respond(request, "reports/lines.html", "lines", context)


urls = [path("lines/", lines, name="lines")]

"""What every report page shares: access, the list of reports, the period from the request, and answering
with the page, an htmx fragment, an Excel file or a PDF (the same tables for all four)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from hotline.accounts.models import User
from hotline.accounts.permissions import Perm
from hotline.reports.periods import GRAINS, PRESETS, Period, parse_period
from hotline.reports.tables import Chart, ReportTable

# (name, label, url name, key, what it answers): the reports, in the order the index lists them.
REPORTS = [
    ("kpis", _("Call-center KPIs"), "reports:kpis", "1",
     _("Offered, answered, abandoned, service level, ASA, AHT, occupancy, callbacks — by queue, number, agent.")),
    ("lines", _("Lines and IVR"), "reports:lines", "2",
     _("Line occupancy over time, IVR node visits and where callers leave the menu.")),
    ("funnel", _("Airing funnel"), "reports:funnel", "3",
     _("From the TV airing to calls, orders, deliveries and cash: cost per order and ROI.")),
    ("media", _("Media planning"), "reports:media", "4",
     _("Stations × time slots × weekdays ranked by cost per delivered order.")),
    ("agents", _("Agent performance"), "reports:agents", "5",
     _("Calls, talk, occupancy, orders, conversion and delivered-order rate per agent.")),
    ("business", _("Business"), "reports:business", "6",
     _("Sales, gifts, complaints, logistics, finance and callers.")),
    ("custom", _("Custom reports"), "reports:custom", "7",
     _("Pick dimensions and measures, save, share and e-mail daily.")),
    ("complaints", _("Where complaints concentrate"), "reports:complaints", "8",
     _("Complaints by category, product, courier, agent, department and period.")),
    ("campaigns", _("Campaign report"), "reports:campaigns", "9",
     _("Outbound campaigns: attempts, customers reached, orders and revenue per campaign and agent.")),
    ("surveys", _("Satisfaction survey"), "reports:surveys", "0",
     _("Post-call satisfaction scores per agent, queue and call.")),
]


def reports_user(request: HttpRequest) -> User:
    """The signed-in user if they may see reports; PermissionDenied (403) otherwise."""
    user: User = request.user  # type: ignore[assignment]
    if not user.has_perm(Perm.VIEW_REPORTS):
        raise PermissionDenied()
    return user


def sees_money(user: Any) -> bool:
    """Spot costs, revenue per yuan of airtime and ROI are for those who may see media spend."""
    return bool(user.has_perm(Perm.VIEW_SPEND))


def period_from(request: HttpRequest, default: str = "today") -> Period:
    """The period the request asks for (ValidationError with a translated message when it is bad)."""
    return parse_period(request.GET, default=default)


def error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def page(request: HttpRequest, template: str, report: str, context: dict[str, Any], *, status: int = 200,
         fragment: str | None = None) -> HttpResponse:
    """The report's page, or only `fragment` when htmx asked for it. `context` should hold `period`
    (or `error`), `tables` and `charts`."""
    if fragment is not None and getattr(request, "htmx", False):
        return render(request, fragment, context, status=status)
    full = {**context, "report": report, "reports": REPORTS, "presets": PRESETS, "grains": GRAINS}
    return render(request, template, full, status=status)


def respond(request: HttpRequest, template: str, report: str, context: dict[str, Any], *,
            fragment: str | None = None, filename: str = "") -> HttpResponse:
    """`page`, or the same tables as an Excel workbook (`?format=xlsx`) or a PDF (`?format=pdf`)."""
    wanted = request.GET.get("format", "")
    tables: list[ReportTable] = context.get("tables", [])
    charts: list[Chart] = context.get("charts", [])
    if wanted in ("xlsx", "pdf") and "error" not in context:
        from hotline.reports import exports

        title = str(context.get("title") or dict((n, str(label)) for n, label, *_rest in REPORTS).get(report, report))
        period: Period | None = context.get("period")
        name = filename or report
        if wanted == "xlsx":
            return exports.xlsx_response(name, title, period, tables)
        return exports.pdf_response(name, title, period, tables, charts)
    return page(request, template, report, context, status=400 if "error" in context else 200, fragment=fragment)

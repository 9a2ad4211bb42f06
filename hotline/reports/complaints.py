"""Where complaints concentrate (投诉的焦点): the complaints opened in a period counted by category,
product, courier, agent and department, and over time. Every figure is one SQL count.

Definitions:
- a complaint counts in the period it was **opened** in; `closed`, `overdue` (not closed and past its due
  time at the moment the report is made) and `escalated` are its state now;
- **product**: the products on the complained-about order; a complaint about an order of two products
  counts once for each (so the product rows may add up to more than the total); no order: "No order";
- **courier**: the couriers that shipped that order (an exchange may add a second); none: "Not shipped";
- **agent**: the agent who took that order; **department**: the one the complaint is with now.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from hotline.campaigns.queries import agent_names
from hotline.reports.periods import Period, bucket_annotations, bucket_start, buckets, parse_period
from hotline.reports.tables import Chart, Column, ReportTable
from hotline.reports.views.common import error_text, period_from, reports_user, respond
from hotline.service.models import Complaint, ComplaintStatus

# dimension: (the field grouped on, the row label's column title, the label of rows without a value)
DIMENSIONS: dict[str, tuple[str, Any, Any]] = {
    "category": ("category__name", gettext_lazy("Category"), gettext_lazy("No category")),
    "product": ("order__lines__product__name", gettext_lazy("Product"), gettext_lazy("No order")),
    "courier": ("order__shipments__courier__name", gettext_lazy("Courier"), gettext_lazy("Not shipped")),
    "agent": ("order__agent__username", gettext_lazy("Agent"), gettext_lazy("No order")),
    "department": ("department__name", gettext_lazy("Department"), gettext_lazy("No department")),
}
FIGURES = ("total", "closed", "overdue", "escalated")
COMMON = {"period", "from", "to", "grain", "compare", "format", "page", "sort"}


def opened_in(period: Period) -> QuerySet[Complaint]:
    return Complaint.objects.filter(created_at__gte=period.start, created_at__lt=period.end)


def _figures(now: datetime.datetime) -> dict[str, Any]:
    # distinct: joining order lines or shipments repeats a complaint once per line or shipment.
    return {
        "total": Count("pk", distinct=True),
        "closed": Count("pk", distinct=True, filter=Q(status=ComplaintStatus.CLOSED)),
        "overdue": Count("pk", distinct=True, filter=~Q(status=ComplaintStatus.CLOSED) & Q(due_at__lte=now)),
        "escalated": Count("pk", distinct=True, filter=Q(escalated_at__isnull=False)),
    }


def counts_by(period: Period, dimension: str, now: datetime.datetime | None = None) -> dict[str, dict[str, int]]:
    """{value ("" for none): {total, closed, overdue, escalated}} of the complaints opened in the period."""
    field = DIMENSIONS[dimension][0]
    rows = (opened_in(period).order_by().values(field)
            .annotate(**_figures(now or timezone.now())))
    return {row[field] or "": {key: row[key] for key in FIGURES} for row in rows}


def totals(period: Period, now: datetime.datetime | None = None) -> dict[str, int]:
    return opened_in(period).order_by().aggregate(**_figures(now or timezone.now()))


def counts_by_bucket(period: Period) -> dict[datetime.datetime, int]:
    """Complaints opened per bucket of the period's grain (local time)."""
    annotations = bucket_annotations("created_at", period.grain, period)
    rows = opened_in(period).annotate(**annotations).order_by().values(*annotations).annotate(n=Count("pk"))
    return {bucket_start(row, period.grain): row["n"] for row in rows}


def _table(period: Period, dimension: str, now: datetime.datetime) -> ReportTable:
    _field, title, none = DIMENSIONS[dimension]
    found = counts_by(period, dimension, now)
    # agents are grouped by username (unique); people read their full names
    names = agent_names(found) if dimension == "agent" else {}
    rows = [{"name": str(names.get(name, name) or none), **figures}
            for name, figures in sorted(found.items(), key=lambda kv: (-kv[1]["total"], kv[0]))]
    columns = [Column("name", title, "text"), Column("total", _("Complaints")), Column("closed", _("Closed")),
               Column("overdue", _("Overdue")), Column("escalated", _("Escalated"))]
    table = ReportTable(_("Complaints by %(dimension)s") % {"dimension": str(title).lower()}, columns, rows,
                        key=f"complaints-{dimension}")
    table.totals = {"name": _("Total"), **totals(period, now)}
    if dimension == "product":
        table.notes.append(_("A complaint about an order of several products counts for each of them."))
    return table


def build(period: Period, now: datetime.datetime | None = None) -> dict[str, Any]:
    """The report's tables (one per dimension, then one per period bucket) and charts."""
    moment = now or timezone.now()
    tables = [_table(period, dimension, moment) for dimension in DIMENSIONS]
    per_bucket = counts_by_bucket(period)
    fmt = "%Y-%m-%d %H:%M" if period.grain in ("15min", "hour") else "%Y-%m-%d"
    starts = buckets(period)
    tables.append(ReportTable(_("Complaints by period"), [Column("name", _("Period"), "text"),
                                                          Column("total", _("Complaints"))],
                              [{"name": s.strftime(fmt), "total": per_bucket.get(s, 0)} for s in starts],
                              key="complaints-period"))
    by_category = tables[0]
    charts = [Chart(_("Complaints by category"), "bar", [row["name"] for row in by_category.rows],
                    [(_("Complaints"), [row["total"] for row in by_category.rows])], key="complaints-category"),
              Chart(_("Complaints by period"), "line", [s.strftime(fmt) for s in starts],
                    [(_("Complaints"), [per_bucket.get(s, 0) for s in starts])], key="complaints-period")]
    return {"tables": tables, "charts": charts}


@login_required
@require_GET
def complaints(request: HttpRequest) -> HttpResponse:
    """/reports/complaints/: where complaints concentrate."""
    reports_user(request)
    context: dict[str, Any] = {"title": _("Where complaints concentrate"), "period_default": "this_month"}
    try:
        unknown = sorted(set(request.GET) - COMMON)
        if unknown:
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": unknown[0][:40]})
        context["period"] = period_from(request, default="this_month")
        context.update(build(context["period"]))
    except ValidationError as error:
        context["error"] = error_text(error)
        context.setdefault("period", parse_period({}))
    return respond(request, "service/report_complaints.html", "complaints", context)


urls = [path("complaints/", complaints, name="complaints")]

"""/reports/business/: the business reports, one section at a time (`section=`): sales (销售管理), gifts,
points, complaints (售后服务), logistics (物流配送), finance (财务结算; for those who may see finance) and
callers (来电分析). Each section is tables and a chart; `compare=1` sets its main totals against the
previous period. Figures: hotline/reports/business.py."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from hotline.accounts.permissions import Perm
from hotline.crm.models import Gender
from hotline.logistics.models import Courier
from hotline.media.models import Station
from hotline.reports import business as b
from hotline.reports.media import DELIVERED_STATUSES
from hotline.reports.periods import Period, buckets, parse_period
from hotline.reports.tables import Chart, Column, Drill, ReportTable, comparison_table
from hotline.reports.views.common import error_text, period_from, reports_user, respond
from hotline.reports.views.media import check_filters, station_name
from hotline.service.models import ComplaintCategory, ComplaintStatus

SECTIONS: dict[str, Any] = {
    "sales": gettext_lazy("Sales"),
    "gifts": gettext_lazy("Gifts"),
    "points": gettext_lazy("Points"),
    "complaints": gettext_lazy("Complaints"),
    "logistics": gettext_lazy("Logistics"),
    "finance": gettext_lazy("Finance"),
    "callers": gettext_lazy("Callers"),
}
FILTERS = frozenset({"section"})




def _period_params(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _labels(period: Period) -> list[datetime.datetime]:
    return buckets(period)


def _bucket_text(start: datetime.datetime, period: Period) -> str:
    return start.strftime("%Y-%m-%d %H:%M" if period.grain in ("15min", "hour") else "%Y-%m-%d")


ORDER_COLUMNS = [("orders", gettext_lazy("Orders"), "int"), ("value", gettext_lazy("Ordered value"), "money"),
                 ("delivered", gettext_lazy("Delivered orders"), "int"),
                 ("revenue", gettext_lazy("Delivered revenue"), "money")]
NOT_CANCELLED = ",".join(b.NOT_CANCELLED)
DELIVERED = ",".join(DELIVERED_STATUSES)


def _columns(first: list[Column], spec: list[tuple[str, Any, str]]) -> list[Column]:
    return [*first, *(Column(key, label, kind) for key, label, kind in spec)]


def _order_drills(params: dict[str, str]) -> dict[str, Drill]:
    return {"orders": Drill("orders", {**params, "status": NOT_CANCELLED}),
            "delivered": Drill("orders", {**params, "status": DELIVERED})}


def _grouped_table(title: Any, key: str, label: Any, rows: list[dict[str, Any]], spec: list[tuple[str, Any, str]],
                   totals: dict[str, Any] | None = None) -> ReportTable:
    table = ReportTable(title, _columns([Column("name", label, "text")], spec), rows, key=key)
    if totals is not None:
        table.totals = {"name": _("Total"), **totals}
    return table


# ---------------------------------------------------------------- sections

SALES_METRICS = [Column("orders", gettext_lazy("Orders")), Column("units", gettext_lazy("Units")),
                 Column("value", gettext_lazy("Ordered value"), "money"),
                 Column("delivered", gettext_lazy("Delivered orders")),
                 Column("revenue", gettext_lazy("Delivered revenue"), "money")]


def sales(period: Period, user: Any) -> dict[str, Any]:
    base = _period_params(period)
    totals = b.sales_totals(period)
    line_spec = [("orders", _("Orders"), "int"), ("units", _("Units"), "int"), ("value", _("Ordered value"), "money"),
                 ("delivered", _("Delivered orders"), "int"), ("revenue", _("Delivered revenue"), "money")]
    products = [{"name": figures["name"], **figures,
                 "_drill": _order_drills({**base, "product": str(pk)})}
                for pk, figures in sorted(b.sales_by_product(period).items(), key=lambda kv: (-kv[1]["value"],
                                                                                              kv[1]["name"]))]
    suppliers = [{**figures, "name": figures["name"] or _("No supplier")}
                 for _pk, figures in sorted(b.sales_by_supplier(period).items(),
                                            key=lambda kv: (-kv[1]["value"], kv[1]["name"]))]
    names = dict(Station.objects.values_list("pk", "name"))
    stations = [{"name": station_name(names, pk), **figures,
                 "_drill": _order_drills({**base, "station": str(pk) if pk is not None else "none"})}
                for pk, figures in sorted(b.sales_by_station(period).items(), key=lambda kv: -kv[1]["value"])]
    regions = [{"name": province or _("Unknown"), **figures, "_drill": _order_drills({**base, "province": province})}
               for province, figures in sorted(b.sales_by_region(period).items(), key=lambda kv: -kv[1]["value"])]
    by_bucket = b.sales_by_bucket(period)
    ends = _labels(period)
    days = []
    for index, start in enumerate(ends):
        figures = by_bucket.get(start)
        if figures:
            end = ends[index + 1] if index + 1 < len(ends) else period.end
            days.append({"name": _bucket_text(start, period), **figures,
                         "_drill": _order_drills({"start": start.isoformat(), "end": end.isoformat()})})
    order_totals = {k: totals[k] for k in ("orders", "value", "delivered", "revenue")}
    tables = [
        _grouped_table(_("Sales by product"), "sales-product", _("Product"), products, line_spec),
        _grouped_table(_("Sales by supplier"), "sales-supplier", _("Supplier"), suppliers, line_spec),
        _grouped_table(_("Sales by station"), "sales-station", _("Station"), stations, ORDER_COLUMNS, order_totals),
        _grouped_table(_("Sales by region"), "sales-region", _("Province"), regions, ORDER_COLUMNS, order_totals),
        _grouped_table(_("Sales by day"), "sales-day", _("Period"), days, ORDER_COLUMNS, order_totals),
    ]
    tables[1].notes.append(_("Products have no category in the catalogue: they are grouped by supplier."))
    labels = [_bucket_text(start, period) for start in ends]
    charts = [Chart(_("Sales over time"), "line", labels,
                    [(_("Ordered value"), [by_bucket.get(s, {}).get("value", 0) for s in ends]),
                     (_("Delivered revenue"), [by_bucket.get(s, {}).get("revenue", 0) for s in ends])],
                    key="business-sales-curve"),
              Chart(_("Sales by product"), "bar", [row["name"] for row in products],
                    [(_("Ordered value"), [row["value"] for row in products])], key="business-sales-products")]
    return {"tables": tables, "charts": charts, "totals": totals}


GIFT_METRICS = [Column("issued", gettext_lazy("Gifts issued")), Column("orders", gettext_lazy("Orders with gifts")),
                Column("delivered_units", gettext_lazy("Gifts delivered"))]


def gifts(period: Period, user: Any) -> dict[str, Any]:
    rows = [{"name": figures["name"], **figures} for _pk, figures in
            sorted(b.gifts_by_product(period).items(), key=lambda kv: (-kv[1]["issued"], kv[1]["name"]))]
    totals = b.gift_totals(period)
    spec = [("issued", _("Gifts issued"), "int"), ("orders", _("Orders with gifts"), "int"),
            ("delivered_units", _("Gifts delivered"), "int")]
    table = _grouped_table(_("Gifts by product"), "gifts", _("Gift"), rows, spec, totals)
    table.notes.append(_("Gift lines of the orders placed in the period (not cancelled)."))
    chart = Chart(_("Gifts issued"), "bar", [row["name"] for row in rows],
                  [(_("Gifts issued"), [row["issued"] for row in rows]),
                   (_("Gifts delivered"), [row["delivered_units"] for row in rows])], key="business-gifts")
    return {"tables": [table], "charts": [chart], "totals": totals}


POINT_METRICS = [Column("orders", gettext_lazy("Orders")), Column("points", gettext_lazy("Points on orders")),
                 Column("earned", gettext_lazy("Points earned"))]


def points(period: Period, user: Any) -> dict[str, Any]:
    by_bucket = b.points_by_bucket(period)
    ends = _labels(period)
    rows = [{"name": _bucket_text(start, period), **by_bucket[start]} for start in ends if start in by_bucket]
    totals = b.points_totals(period)
    spec = [("orders", _("Orders"), "int"), ("points", _("Points on orders"), "int"),
            ("earned", _("Points earned"), "int")]
    table = _grouped_table(_("Points"), "points", _("Period"), rows, spec, totals)
    table.notes.append(_("Points are credited to the customer on delivery and taken back on return."))
    chart = Chart(_("Points"), "bar", [_bucket_text(s, period) for s in ends],
                  [(_("Points on orders"), [by_bucket.get(s, {}).get("points", 0) for s in ends]),
                   (_("Points earned"), [by_bucket.get(s, {}).get("earned", 0) for s in ends])], key="business-points")
    return {"tables": [table], "charts": [chart], "totals": totals}


COMPLAINT_METRICS = [Column("total", gettext_lazy("Complaints")), Column("closed", gettext_lazy("Closed")),
                     Column("closed_share", gettext_lazy("Closed share"), "percent")]


def complaints(period: Period, user: Any) -> dict[str, Any]:
    found = b.complaints_by_category(period)
    rows = [{"name": str(label), **found[value]} for value, label in ComplaintCategory.choices if value in found]
    totals = b.complaint_totals(period)
    statuses = [(value, label) for value, label in ComplaintStatus.choices]
    spec = [("total", _("Complaints"), "int"), *((value, str(label), "int") for value, label in statuses)]
    table = _grouped_table(_("Complaints by category and outcome"), "complaints", _("Category"), rows, spec,
                           {k: totals[k] for k in ("total", "open", "in_progress", "closed")})
    table.notes.append(_("Complaints opened in the period, by their status now."))
    chart = Chart(_("Complaints by category and outcome"), "stacked_bar", [str(row["name"]) for row in rows],
                  [(str(label), [row[value] for row in rows]) for value, label in statuses], key="business-complaints")
    return {"tables": [table], "charts": [chart], "totals": totals}


LOGISTICS_METRICS = [Column("shipped", gettext_lazy("Shipped")), Column("delivered", gettext_lazy("Delivered")),
                     Column("refused", gettext_lazy("Refused")),
                     Column("refusal_rate", gettext_lazy("Refusal rate"), "percent"),
                     Column("delivery_days", gettext_lazy("Average delivery days"), "ratio")]


def logistics(period: Period, user: Any) -> dict[str, Any]:
    spec = [(c.key, c.label, c.kind) for c in LOGISTICS_METRICS]
    couriers = dict(Courier.objects.values_list("pk", "name"))
    by_courier = [{"name": couriers.get(pk, ""), **figures.as_dict()}
                  for pk, figures in sorted(b.parcels_by(period, "courier_id").items(),
                                            key=lambda kv: couriers.get(kv[0], ""))]
    by_region = [{"name": province or _("Unknown"), **figures.as_dict()}
                 for province, figures in sorted(b.parcels_by(period, "order__province").items(),
                                                 key=lambda kv: kv[0] or "")]
    totals = b.logistics_totals(period)
    tables = [_grouped_table(_("Logistics by courier"), "logistics-courier", _("Courier"), by_courier, spec, totals),
              _grouped_table(_("Logistics by region"), "logistics-region", _("Province"), by_region, spec, totals)]
    tables[0].notes.append(_("Shipped: parcels shipped in the period. Delivered and refused: parcels whose "
                             "delivery or refusal was in the period. Refusal rate: refused ÷ (delivered + refused)."))
    chart = Chart(_("Refusal rate by courier"), "bar", [row["name"] for row in by_courier],
                  [(_("Refusal rate"), [row["refusal_rate"] or 0 for row in by_courier])], key="business-logistics")
    return {"tables": tables, "charts": [chart], "totals": totals}


FINANCE_METRICS = [Column("remitted", gettext_lazy("Remitted by couriers"), "money"),
                   Column("net", gettext_lazy("Net paid"), "money"),
                   Column("other_payments", gettext_lazy("Other payments"), "money"),
                   Column("refunds", gettext_lazy("Refunds"), "money"),
                   Column("settlements", gettext_lazy("Settlements"), "money"),
                   Column("outstanding", gettext_lazy("Outstanding receivables"), "money")]


def finance(period: Period, user: Any) -> dict[str, Any]:
    if not user.has_perm(Perm.VIEW_FINANCE):
        raise PermissionDenied()
    couriers = dict(Courier.objects.values_list("pk", "name"))
    remitted = b.remitted_by_courier(period)
    outstanding = b.outstanding_by_courier(period)
    rows = []
    for pk in sorted(set(remitted) | set(outstanding), key=lambda pk: couriers.get(pk, "")):
        paid = remitted.get(pk, {"count": 0, "amount": b.ZERO, "fee": b.ZERO, "net": b.ZERO})
        owed = outstanding.get(pk, {"count": 0, "amount": b.ZERO})
        rows.append({"name": couriers.get(pk, ""), "remitted_count": paid["count"], "remitted": paid["amount"],
                     "fee": paid["fee"], "net": paid["net"], "outstanding_count": owed["count"],
                     "outstanding": owed["amount"]})
    totals = b.finance_totals(period)
    spec = [("remitted_count", _("Remitted parcels"), "int"), ("remitted", _("Remitted by couriers"), "money"),
            ("fee", _("COD fee"), "money"), ("net", _("Net paid"), "money"),
            ("outstanding_count", _("Receivable parcels"), "int"),
            ("outstanding", _("Outstanding receivables"), "money")]
    table = _grouped_table(_("Remittances and receivables by courier"), "finance-courier", _("Courier"), rows, spec,
                           {key: totals[key] for key, _l, _k in spec})
    table.notes.append(_("Remitted: the daily close's remittances recorded in the period. Outstanding: the "
                         "receivables at the end of %(day)s.") % {"day": period.last.isoformat()})
    summary_rows = [{"name": str(column.label), "amount": totals[column.key]} for column in FINANCE_METRICS]
    summary = ReportTable(_("Money in the period"), [Column("name", _("Figure"), "text", False),
                                                     Column("amount", _("Amount"), "money", False)],
                          summary_rows, key="finance-summary")
    chart = Chart(_("Remittances and receivables by courier"), "bar", [row["name"] for row in rows],
                  [(_("Remitted by couriers"), [row["remitted"] for row in rows]),
                   (_("Outstanding receivables"), [row["outstanding"] for row in rows])], key="business-finance")
    return {"tables": [summary, table], "charts": [chart], "totals": totals}


CALLER_METRICS = [Column("calls", gettext_lazy("Calls")), Column("callers", gettext_lazy("Callers")),
                  Column("new", gettext_lazy("New callers")), Column("returning", gettext_lazy("Returning callers"))]


def _caller_rows(found: dict[str, b.CallerFigures], label: Callable[[str], str]) -> list[dict[str, Any]]:
    return [{"name": label(key), "calls": figures.calls, "callers": figures.callers}
            for key, figures in sorted(found.items(), key=lambda kv: (-kv[1].calls, kv[0]))]


def callers(period: Period, user: Any) -> dict[str, Any]:
    report = b.caller_report(period)
    genders = dict(Gender.choices)
    unknown = _("Unknown")
    spec = [("calls", _("Calls"), "int"), ("callers", _("Callers"), "int")]
    regions = _caller_rows(report.regions, lambda key: key or unknown)
    carriers = _caller_rows(report.carriers, lambda key: key or unknown)
    by_gender = _caller_rows(report.genders, lambda key: str(genders.get(key, unknown)) if key else
                             _("No customer"))
    kinds = {"new": _("New callers"), "returning": _("Returning callers")}
    by_kind = [{"name": kinds[key], "calls": report.kinds[key].calls, "callers": report.kinds[key].callers}
               for key in ("new", "returning")]
    totals = b.caller_totals(period)
    caller_totals = {"calls": totals["calls"], "callers": totals["callers"]}
    tables = [_grouped_table(_("Callers by region"), "callers-region", _("Province"), regions, spec, caller_totals),
              _grouped_table(_("Callers by carrier"), "callers-carrier", _("Carrier"), carriers, spec, caller_totals),
              _grouped_table(_("Callers by gender"), "callers-gender", _("Gender"), by_gender, spec, caller_totals),
              _grouped_table(_("New and returning callers"), "callers-new", _("Callers"), by_kind, spec,
                             caller_totals)]
    tables[0].notes.append(_("Region and carrier of the caller's number, looked up for %(n)d number prefixes in "
                             "%(ms)d ms.") % {"n": report.lookups, "ms": report.lookup_ms})
    if report.skipped:
        tables[0].notes.append(_("%(n)d rarer prefixes were not looked up: their calls are under Unknown.")
                               % {"n": report.skipped})
    tables[3].notes.append(_("A caller is returning when the number called before the period or its customer "
                             "ordered before it."))
    chart = Chart(_("Callers by region"), "bar", [row["name"] for row in regions],
                  [(_("Calls"), [row["calls"] for row in regions])], key="business-callers")
    return {"tables": tables, "charts": [chart], "totals": totals}


BUILDERS: dict[str, tuple[Callable[[Period, Any], dict[str, Any]], list[Column], Callable[[Period], dict[str, Any]]]]
BUILDERS = {
    "sales": (sales, SALES_METRICS, b.sales_totals),
    "gifts": (gifts, GIFT_METRICS, b.gift_totals),
    "points": (points, POINT_METRICS, b.points_totals),
    "complaints": (complaints, COMPLAINT_METRICS, b.complaint_totals),
    "logistics": (logistics, LOGISTICS_METRICS, b.logistics_totals),
    "finance": (finance, FINANCE_METRICS, b.finance_totals),
    "callers": (callers, CALLER_METRICS, b.caller_totals),
}


def parse_section(value: str | None) -> str:
    section = value or "sales"
    if section not in SECTIONS:
        raise ValidationError(_("Unknown section: %(value)s") % {"value": section[:40]}, code="bad_section")
    return section


def section_tabs(user: Any) -> list[tuple[str, Any]]:
    return [(key, label) for key, label in SECTIONS.items()
            if key != "finance" or user.has_perm(Perm.VIEW_FINANCE)]


@login_required
@require_GET
def business(request: HttpRequest) -> HttpResponse:
    user = reports_user(request)
    context: dict[str, Any] = {"title": _("Business"), "period_default": "this_month", "sections": section_tabs(user)}
    try:
        check_filters(request.GET, FILTERS)
        section = parse_section(request.GET.get("section"))
        context["section"] = section
        period = period_from(request, default="this_month")
        context["period"] = period
    except ValidationError as error:
        context["error"] = error_text(error)
        # the period picker reads period.first/last (a filter argument: a missing one raises): show the
        # default period's dates under the error when the asked-for period is what was bad
        context.setdefault("period", parse_period({}, default="this_month"))
        return respond(request, "reports/business.html", "business", context)
    build, metrics, totals_of = BUILDERS[section]
    built = build(period, user)
    tables = built["tables"]
    if request.GET.get("compare"):
        before = period.previous()
        tables.insert(0, comparison_table(_("Compared with the previous period"), metrics, built["totals"],
                                          totals_of(before), period.label(), before.label()))
    context.update(tables=tables, charts=built["charts"], totals=built["totals"],
                   title=f"{_('Business')} · {SECTIONS[section]}")
    return respond(request, "reports/business.html", "business", context, filename=f"business-{section}")


urls = [path("business/", business, name="business")]

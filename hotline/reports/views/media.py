"""/reports/media/: media planning — stations × time slots × weekdays ranked by what a delivered order
costs and what a yuan of airtime brings back, products by station, the heat map, and the stations'
efficiency curve (各电视台的效率统计). Definitions: hotline/reports/media.py."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.media.models import Station
from hotline.reports import media as m
from hotline.reports.periods import Period, buckets, parse_period
from hotline.reports.tables import Chart, Column, Drill, ReportTable, comparison_table
from hotline.reports.views.common import error_text, period_from, reports_user, respond, sees_money

COMMON_KEYS = frozenset({"period", "from", "to", "grain", "compare", "format", "page", "sort"})
FILTERS = frozenset({"station", "slot_hours", "rank"})


def check_filters(params: Mapping[str, Any], known: frozenset[str]) -> None:
    """A GET key the report does not know is an error, not silently ignored."""
    for key in params:
        if key not in COMMON_KEYS and key not in known:
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": str(key)[:40]}, code="unknown_filter")


def slot_label(slot: int, hours: int) -> str:
    return f"{slot:02d}–{slot + hours:02d}"


def station_name(names: dict[int, str], station_id: int | None) -> str:
    return names.get(station_id, "") if station_id is not None else _("Not attributed")


def _bucket_ends(period: Period) -> dict[datetime.datetime, datetime.datetime]:
    starts = buckets(period)
    return {start: (starts[i + 1] if i + 1 < len(starts) else period.end) for i, start in enumerate(starts)}


def _figure_columns(money: bool) -> list[Column]:
    columns = [Column("airings", _("Airings"))]
    if money:
        columns.append(Column("cost", _("Spot cost"), "money"))
    columns += [Column("calls", _("Calls")), Column("orders", _("Orders")),
                Column("delivered", _("Delivered orders"))]
    if money:
        columns += [Column("revenue", _("Delivered revenue"), "money"),
                    Column("cost_per_delivered", _("Cost per delivered order"), "money"),
                    Column("revenue_per_yuan", _("Delivered revenue per yuan of airtime"), "ratio")]
    return columns


def slots_table(period: Period, rows: list[m.SlotRow], total: m.Figures, hours: int, money: bool,
                names: dict[int, str]) -> ReportTable:
    columns = [Column("rank", _("Rank")), Column("station", _("Station"), "text"),
               Column("weekday", _("Weekday"), "text"), Column("slot", _("Time slot"), "text"),
               *_figure_columns(money)]
    shown = []
    for index, row in enumerate(rows, start=1):
        params = {"start": period.start.isoformat(), "end": period.end.isoformat(), "station": str(row.station_id),
                  "weekday": str(row.weekday), "slot": str(row.slot), "slot_hours": str(hours)}
        drill = Drill("media_slot", params)
        cells = {"rank": index, "station": names.get(row.station_id, ""), "weekday": str(WEEKDAYS[row.weekday]),
                 "slot": slot_label(row.slot, hours), **row.figures.as_dict(),
                 "_drill": {"airings": drill, "calls": drill, "orders": drill, "delivered": drill}}
        shown.append(cells)
    totals = {"station": _("Total"), **total.as_dict()}
    return ReportTable(_("Stations × time slots × weekdays"), columns, shown, totals, key="slots",
                       notes=[_("Airings that started in the period, with every call and order attributed to them.")])


def products_table(period: Period, rows: list[dict[str, Any]], money: bool, names: dict[int, str]) -> ReportTable:
    columns = [Column("station", _("Station"), "text"), Column("product", _("Product"), "text"),
               Column("orders", _("Orders")), Column("units", _("Units")),
               Column("delivered", _("Delivered orders"))]
    if money:
        columns.append(Column("revenue", _("Delivered revenue"), "money"))
    shown = []
    for row in sorted(rows, key=lambda r: (station_name(names, r["station_id"]), -r["orders"], r["product__name"])):
        params = {"start": period.start.isoformat(), "end": period.end.isoformat(),
                  "station": str(row["station_id"]) if row["station_id"] is not None else "none",
                  "product": str(row["product_id"])}
        shown.append({"station": station_name(names, row["station_id"]), "product": row["product__name"],
                      "orders": row["orders"], "units": row["units"], "delivered": row["delivered"],
                      "revenue": m.yuan(row["revenue"]),
                      "_drill": {"orders": Drill("orders", params),
                                 "delivered": Drill("orders", {**params, "status": ",".join(m.DELIVERED_STATUSES)})}})
    return ReportTable(_("Products by station"), columns, shown, key="products",
                       notes=[_("Orders placed in the period; gifts are not counted.")])


def efficiency(period: Period, series: dict[tuple[datetime.datetime, int | None], dict[str, int]],
               names: dict[int, str]) -> tuple[ReportTable, list[Chart]]:
    """各电视台的效率统计: calls and orders per station per bucket, a table and two line charts."""
    ends = _bucket_ends(period)
    stations = sorted({station for _start, station in series}, key=lambda s: station_name(names, s))
    labels = [start.strftime("%Y-%m-%d %H:%M" if period.grain in ("15min", "hour") else "%Y-%m-%d")
              for start in ends]
    rows = []
    for start, end in ends.items():
        for station in stations:
            figures = series.get((start, station))
            if not figures:
                continue
            params = {"start": start.isoformat(), "end": end.isoformat(),
                      "station": str(station) if station is not None else "none"}
            rows.append({"bucket": start, "station": station_name(names, station), **figures,
                         "_drill": {"calls": Drill("calls", params), "orders": Drill("orders", params)}})
    columns = [Column("bucket", _("Period"), "datetime"), Column("station", _("Station"), "text"),
               Column("calls", _("Calls")), Column("orders", _("Orders"))]
    table = ReportTable(_("Station efficiency"), columns, rows, key="efficiency",
                        notes=[_("Calls by their arrival, orders by when they were placed.")])
    charts = []
    for figure, title, key in (("calls", _("Calls per station"), "media-efficiency-calls"),
                               ("orders", _("Orders per station"), "media-efficiency-orders")):
        data = [(station_name(names, station), [series.get((start, station), {}).get(figure, 0) for start in ends])
                for station in stations]
        charts.append(Chart(title, "line", labels, data, key=key))
    return table, charts


def heat_chart(cells: dict[tuple[int, int], Any], hours: int, money: bool) -> Chart:
    slots = list(range(0, 24, hours))
    data = [[slots.index(slot), weekday, value] for (weekday, slot), value in sorted(cells.items())
            if value is not None]
    title = _("Delivered revenue per yuan of airtime") if money else _("Calls")
    return Chart(title, "heatmap", [slot_label(slot, hours) for slot in slots],
                 [("", data)], y=[str(WEEKDAYS[day]) for day in range(7)], key="media-heat")


def build(period: Period, station: Station | None, hours: int, rank: str, money: bool,
          compare: bool) -> dict[str, Any]:
    names = dict(Station.objects.values_list("pk", "name"))
    airings = m.airing_rows(period, station)
    rows = m.ranked(m.slot_rows(airings, hours), rank, names)
    total = m.totals_of(airings)
    tables = [slots_table(period, rows, total, hours, money, names),
              products_table(period, m.product_station_rows(period, station), money, names)]
    curve_table, curves = efficiency(period, m.station_series(period, station), names)
    tables.append(curve_table)
    charts = [heat_chart(m.heat_cells(rows, money), hours, money), *curves]
    if compare:
        before = period.previous()
        metrics = _figure_columns(money)
        tables.insert(0, comparison_table(_("Compared with the previous period"), metrics, total.as_dict(),
                                          m.totals_of(m.airing_rows(before, station)).as_dict(),
                                          period.label(), before.label()))
    return {"tables": tables, "charts": charts, "total": total}


def rank_choices(money: bool) -> list[tuple[str, str]]:
    if money:
        return [("cost", _("Cost per delivered order")), ("revenue", _("Delivered revenue per yuan of airtime"))]
    return [("delivered", _("Delivered orders")), ("calls", _("Calls"))]


@login_required
@require_GET
def media(request: HttpRequest) -> HttpResponse:
    user = reports_user(request)
    money = sees_money(user)
    context: dict[str, Any] = {"title": _("Media planning"), "money": money, "period_default": "this_month",
                               "stations": Station.objects.order_by("name"), "slot_choices": m.SLOT_HOURS}
    try:
        check_filters(request.GET, FILTERS)
        period = period_from(request, default="this_month")
        context["period"] = period
        station = m.parse_station(request.GET.get("station"))
        hours = m.parse_slot_hours(request.GET.get("slot_hours"))
        rank = m.parse_rank(request.GET.get("rank"), money)
    except ValidationError as error:
        context["error"] = error_text(error)
        # the period picker reads period.first/last (a filter argument: a missing one raises): show the
        # default period's dates under the error when the asked-for period is what was bad
        context.setdefault("period", parse_period({}, default="this_month"))
        return respond(request, "reports/media.html", "media", context)
    context.update(station=station, slot_hours=hours, rank=rank, rank_choices=rank_choices(money))
    context.update(build(period, station, hours, rank, money, bool(request.GET.get("compare"))))
    return respond(request, "reports/media.html", "media", context)


urls = [path("media/", media, name="media")]

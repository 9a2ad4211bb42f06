"""/reports/funnel/: the airing funnel — calls, orders and money of one airing, stations side by side, a
time slot, or the whole period, with the response curve after the airings (hotline/reports/funnel.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hotline.reports import funnel as f
from hotline.reports.periods import Period, parse_period
from hotline.reports.tables import Chart, Column, ReportTable, comparison_table
from hotline.reports.views.common import error_text, period_from, reports_user, respond, sees_money

COMMON_KEYS = {"period", "from", "to", "grain", "compare", "format", "page", "sort"}
FILTER_KEYS = {"airing", "station", "slot"}
TEMPLATE = "reports/funnel.html"
DEFAULT_PERIOD = "this_month"  # a month of airings to pick from and compare


def _check_keys(request: HttpRequest) -> None:
    for key in request.GET:
        if key not in COMMON_KEYS | FILTER_KEYS:
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": key[:40]}, code="unknown_filter")


def call_table(funnels: list[f.Funnel]) -> ReportTable:
    """Calls: every offered call in exactly one bucket, per column; sub-figures and callback dials apart."""
    columns = [Column("label", _("Selection"), "text"), Column("airings", _("Airings")),
               Column("offered", _("Offered"))]
    columns += [Column(key, label) for key, label, _outcomes in f.CALL_BUCKETS]
    columns.insert(6, Column("short", _("of which short abandons")))
    columns.insert(9, Column("reached", _("Callback reached")))
    columns += [Column("unexplained", _("Unexplained")), Column("dials", _("Callback dials")),
                Column("dials_answered", _("Callback dials answered"))]
    rows = []
    for one in funnels:
        calls, sel = one.calls, one.selection
        row: dict[str, Any] = {"label": sel.label, "airings": one.airings, "offered": calls.offered,
                               **calls.buckets, "short": calls.short, "reached": calls.reached,
                               "unexplained": calls.unexplained, "dials": calls.dials,
                               "dials_answered": calls.dials_answered}
        row["_drill"] = {column.key: f.drill("calls", sel, column.key) for column in columns[2:]}
        rows.append(row)
    notes = [_("Every offered call is in exactly one bucket: blocked + left in the IVR + abandoned in the queue "
               "+ answered + callback captured + voicemail + failed + still open = offered; unexplained = offered "
               "− the buckets. Short abandons and callbacks reached are parts of their buckets; callback dials "
               "are outbound and not offered.")]
    return ReportTable(_("Calls"), columns, rows, notes=notes, key="calls")


def order_table(funnels: list[f.Funnel]) -> ReportTable:
    columns = [Column("label", _("Selection"), "text")] + [Column(key, label) for key, label in f.ORDER_STAGES]
    columns += [Column("conversion", _("Orders per answered call"), "percent"),
                Column("delivered_rate", _("Delivered of shipped"), "percent")]
    rows = []
    for one in funnels:
        row: dict[str, Any] = {"label": one.selection.label, **one.orders,
                               "conversion": f.share(one.orders["orders"], one.calls.buckets["answered"]),
                               "delivered_rate": f.share(one.orders["delivered"], one.orders["shipped"])}
        row["_drill"] = {key: f.drill("orders", one.selection, key) for key in f.STAGE_KEYS}
        rows.append(row)
    notes = [_("Shipped, delivered: the order reached that status (its status history); refused: refused and "
               "never delivered; returned: came back after delivery; delivered, kept: delivered or settled now (not "
               "come back); settled: its settlement entries add up to more than ¥0. Cancelled orders are counted "
               "apart and not in Orders.")]
    return ReportTable(_("Orders"), columns, rows, notes=notes, key="orders")


# (key, kind, the order stage whose rows make the figure, "" for none)
MONEY_COLUMNS = [
    ("ordered", "money", "orders"), ("delivered", "money", "delivered"), ("returned", "money", "returned"),
    ("kept", "money", "kept"), ("settled", "money", "settled"), ("refunds", "money", ""), ("spot_cost", "money", ""),
    ("per_call", "money", ""), ("per_order", "money", ""), ("per_delivered", "money", ""),
    ("roi_settled", "percent", ""), ("roi_kept", "percent", ""), ("goods_cost", "money", ""),
    ("roi_margin", "percent", ""),
]


def money_table(funnels: list[f.Funnel]) -> ReportTable:
    labels = {"ordered": _("Revenue ordered"), "delivered": _("Revenue delivered"),
              "returned": _("Returned after delivery"), "kept": _("Revenue delivered, kept"),
              "settled": _("Revenue settled"), "refunds": _("Refunds"), "spot_cost": _("Spot cost"),
              "per_call": _("Cost per call"), "per_order": _("Cost per order"),
              "per_delivered": _("Cost per delivered order"), "roi_settled": _("ROI on settled revenue"),
              "roi_kept": _("ROI on delivered revenue"), "goods_cost": _("Cost of goods settled"),
              "roi_margin": _("ROI after the cost of goods")}
    columns = [Column("label", _("Selection"), "text")]
    columns += [Column(key, labels[key], kind) for key, kind, _stage in MONEY_COLUMNS]
    rows = []
    for one in funnels:
        row: dict[str, Any] = {"label": one.selection.label, **vars(one.money)}
        row["_drill"] = {key: f.drill("orders", one.selection, stage) for key, _k, stage in MONEY_COLUMNS if stage}
        rows.append(row)
    notes = [_("ROI = (revenue − spot cost) ÷ spot cost. On settled revenue: the settlement entries (a returned "
               "order's settlement is reversed; a refused order is never settled). On delivered revenue: the "
               "totals of the orders delivered and not come back. After the cost of goods: settled revenue less "
               "today's product cost of the settled orders' lines (gifts too). Refunds are shown, not subtracted: "
               "they give back money whose settlement was reversed already.")]
    return ReportTable(_("Money"), columns, rows, notes=notes, key="money")


def curve_table(funnels: list[f.Funnel], curves: list[f.Curve]) -> ReportTable:
    lines = f.lines_available()
    columns = [Column("minute", _("Minute after the start"))]
    for index, one in enumerate(funnels):
        columns += [Column(f"calls{index}", _("Calls: %(s)s") % {"s": one.selection.label}),
                    Column(f"mean{index}", _("Calls per airing: %(s)s") % {"s": one.selection.label}, "ratio"),
                    Column(f"agents{index}", _("Agents available: %(s)s") % {"s": one.selection.label}, "ratio")]
    columns.append(Column("lines", _("Lines available")))
    rows = []
    for minute in range(f.MINUTES):
        row: dict[str, Any] = {"minute": minute, "lines": lines}
        for index, curve in enumerate(curves):
            row |= {f"calls{index}": curve.calls[minute], f"mean{index}": curve.mean_calls[minute],
                    f"agents{index}": curve.agents[minute]}
        rows.append(row)
    notes = [_("Calls attributed to the airings, by the minute after each airing started, summed over the "
               "airings (and per airing); agents in ready, ringing, on-call or wrap-up state during the minute, "
               "averaged over the minute and the airings; lines: the licensed lines (— when unlimited).")]
    return ReportTable(_("Response curve"), columns, rows, notes=notes, key="curve")


def charts(funnels: list[f.Funnel], curves: list[f.Curve]) -> list[Chart]:
    stages = [(_("Offered"), lambda o: o.calls.offered), (_("Answered"), lambda o: o.calls.buckets["answered"]),
              (_("Callback captured"), lambda o: o.calls.buckets["callback"]),
              (_("Orders"), lambda o: o.orders["orders"]), (_("Shipped"), lambda o: o.orders["shipped"]),
              (_("Delivered"), lambda o: o.orders["delivered"]), (_("Settled"), lambda o: o.orders["settled"])]
    bars = Chart(_("Airing funnel"), "bar", [str(label) for label, _v in stages],
                 [(one.selection.label, [value(one) for _l, value in stages]) for one in funnels], key="chart-funnel")
    series: list[tuple[Any, list[Any]]] = []
    for one, curve in zip(funnels, curves, strict=True):
        series.append((_("Calls: %(s)s") % {"s": one.selection.label}, curve.calls))
        series.append((_("Agents available: %(s)s") % {"s": one.selection.label}, curve.agents))
    lines = f.lines_available()
    if lines:
        series.append((_("Lines available"), [lines] * f.MINUTES))
    line = Chart(_("Response curve"), "line", [str(m) for m in range(f.MINUTES)], series, key="chart-curve")
    return [bars, line]


def unexplained_table(funnels: list[f.Funnel]) -> ReportTable | None:
    rows = [{"label": one.selection.label, **call} for one in funnels for call in one.calls.unexplained_calls]
    if not rows:
        return None
    columns = [Column("label", _("Selection"), "text"), Column("call_id", _("Call"), "text"),
               Column("arrived_at", _("Arrived at"), "datetime"), Column("outcome", _("Outcome"), "text")]
    return ReportTable(_("Calls in no bucket"), columns, rows, key="unexplained")


def _compare(funnels: list[f.Funnel], period: Period, money: bool) -> ReportTable | None:
    one = funnels[0]
    if len(funnels) != 1 or one.selection.airing_ids is not None:
        return None
    before = f.funnel(f.Selection(one.selection.label, period.previous(), station_id=one.selection.station_id,
                                  slot=one.selection.slot))
    metrics = [Column("offered", _("Offered")), Column("answered", _("Answered")), Column("orders", _("Orders")),
               Column("delivered", _("Delivered")), Column("settled", _("Settled"))]

    def figures(x: f.Funnel) -> dict[str, Any]:
        found: dict[str, Any] = {"offered": x.calls.offered, "answered": x.calls.buckets["answered"],
                                 "orders": x.orders["orders"], "delivered": x.orders["delivered"],
                                 "settled": x.orders["settled"]}
        if money:
            found |= {"settled_money": x.money.settled, "spot_cost": x.money.spot_cost, "roi": x.money.roi_settled}
        return found

    if money:
        metrics += [Column("settled_money", _("Revenue settled"), "money"),
                    Column("spot_cost", _("Spot cost"), "money"), Column("roi", _("ROI on settled revenue"), "percent")]
    return comparison_table(_("Compared with the previous period"), metrics, figures(one), figures(before),
                            period.label(), period.previous().label())


@login_required
@require_GET
def funnel_view(request: HttpRequest) -> HttpResponse:
    user = reports_user(request)
    money = sees_money(user)
    context: dict[str, Any] = {"sees_money": money, "airings": [], "stations": [], "title": _("Airing funnel"),
                               "period_default": DEFAULT_PERIOD}
    try:
        period = context["period"] = period_from(request, default=DEFAULT_PERIOD)
        _check_keys(request)
        chosen = f.selections(request.GET, period)
    except ValidationError as error:
        context["error"] = error_text(error)
        # the period picker reads period.first/last: show the default period under a bad one
        context.setdefault("period", parse_period({}, default=DEFAULT_PERIOD))
        return respond(request, TEMPLATE, "funnel", context)
    funnels = [f.funnel(one) for one in chosen]
    curves = [f.response_curve(one.selection) for one in funnels]
    tables = [call_table(funnels), order_table(funnels)]
    if money:
        tables.append(money_table(funnels))
    if request.GET.get("compare") and (compared := _compare(funnels, period, money)):
        tables.append(compared)
    tables.append(curve_table(funnels, curves))
    if (missing := unexplained_table(funnels)) is not None:
        tables.append(missing)
    chosen_airings = [pk for one in chosen for pk in (one.airing_ids or [])]
    stations = [one.station_id for one in chosen if one.station_id is not None]
    context |= {"funnels": funnels, "tables": tables, "charts": charts(funnels, curves),
                "airings": f.airing_choices(period, chosen_airings), "stations": _stations(stations),
                "slot": request.GET.get("slot", "")}
    return respond(request, TEMPLATE, "funnel", context)


def _stations(chosen: list[int]) -> list[dict[str, Any]]:
    from hotline.media.models import Station

    return [{"id": s.pk, "label": str(s), "selected": s.pk in chosen} for s in Station.objects.order_by("name", "pk")]


urls = [path("funnel/", funnel_view, name="funnel")]

"""/reports/agents/: agent performance (业绩考核) — a ranking of the agents by orders (or any figure), their
calls, times, occupancy, sales and after-sales figures, the team's total and average, and the previous
period's team figures to compare. Definitions: hotline/reports/agents.py and docs/reports.md."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from hotline.accounts.models import User
from hotline.calls.models import Direction, Queue, QueueMember
from hotline.reports.agents import AgentFigures, agent_figures, average_values, figure_values, team_total
from hotline.reports.periods import Period, parse_period
from hotline.reports.tables import Chart, Column, Drill, ReportTable, cell_text, comparison_table
from hotline.reports.views.common import error_text, period_from, reports_user, respond

COMMON_KEYS = {"period", "from", "to", "grain", "compare", "format", "page", "sort"}
FILTER_KEYS = {"agent", "queue"}

# The ranking's columns (key, label, kind); the talk/hold/ACW table's columns.
RANKING = [
    ("handled", gettext_lazy("Calls handled"), "int"),
    ("outbound", gettext_lazy("Outbound calls"), "int"),
    ("aht", gettext_lazy("AHT (s)"), "seconds"),
    ("occupancy", gettext_lazy("Occupancy"), "percent"),
    ("orders", gettext_lazy("Orders"), "int"),
    ("conversion", gettext_lazy("Conversion per call"), "percent"),
    ("revenue", gettext_lazy("Order value"), "money"),
    ("aov", gettext_lazy("Average order value"), "money"),
    ("cross_sell", gettext_lazy("Cross-sell attach rate"), "percent"),
    ("delivered_rate", gettext_lazy("Delivered-order rate"), "percent"),
    ("callbacks", gettext_lazy("Callbacks completed"), "int"),
    ("complaints", gettext_lazy("Complaints"), "int"),
]
TIMES = [
    ("handled", gettext_lazy("Calls handled"), "int"),
    ("talk_total", gettext_lazy("Talk (s)"), "seconds"),
    ("talk", gettext_lazy("Average talk (s)"), "seconds"),
    ("hold_total", gettext_lazy("Hold (s)"), "seconds"),
    ("hold", gettext_lazy("Average hold (s)"), "seconds"),
    ("acw_total", gettext_lazy("After-call work (s)"), "seconds"),
    ("acw", gettext_lazy("Average after-call work (s)"), "seconds"),
    ("aht", gettext_lazy("AHT (s)"), "seconds"),
    ("staffed", gettext_lazy("Staffed (s)"), "seconds"),
    ("not_ready", gettext_lazy("Not ready (s)"), "seconds"),
    ("occupancy", gettext_lazy("Occupancy"), "percent"),
]
SALES_DETAIL = [
    ("converted", gettext_lazy("Calls with an order"), "int"),
    ("shipped", gettext_lazy("Orders shipped"), "int"),
    ("delivered", gettext_lazy("Orders delivered"), "int"),
]
SORTABLE = {key for key, _label, _kind in RANKING + TIMES + SALES_DETAIL}
DEFAULT_SORT = "orders"


@dataclass
class Filters:
    """What the request narrows the report to: one agent (user name), a queue's members, the sort key."""

    agent: str = ""
    queue: str = ""
    sort: str = DEFAULT_SORT
    members: set[str] | None = None  # the queue's members' user names, when a queue is asked for


def parse_filters(params: Any) -> Filters:
    """The filters from GET parameters; ValidationError (translated) for an unknown key, agent, queue or sort."""
    for key in params:
        if key not in COMMON_KEYS | FILTER_KEYS:
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": key[:40]}, code="unknown_filter")
    found = Filters(agent=str(params.get("agent") or "").strip(), queue=str(params.get("queue") or "").strip(),
                    sort=str(params.get("sort") or DEFAULT_SORT).strip())
    if found.agent and not User.objects.filter(username=found.agent).exists():
        raise ValidationError(_("Unknown agent: %(value)s") % {"value": found.agent[:40]}, code="bad_agent")
    if found.queue:
        if not Queue.objects.filter(name=found.queue).exists():
            raise ValidationError(_("Unknown queue: %(value)s") % {"value": found.queue[:40]}, code="bad_queue")
        found.members = set(QueueMember.objects.filter(queue__name=found.queue)
                            .values_list("agent__username", flat=True))
    if found.sort.lstrip("-") not in SORTABLE:
        raise ValidationError(_("Cannot sort by %(value)s") % {"value": found.sort[:40]}, code="bad_sort")
    return found


@dataclass
class AgentReport:
    """What the page shows: the agents' rows in ranking order, the team's total and average, tables, charts."""

    rows: list[dict[str, Any]]
    total: dict[str, Any]
    average: dict[str, Any]
    active: int
    tables: list[ReportTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def _names(keys: set[str]) -> dict[str, str]:
    """agent key → "Full name (username, 工号)" for the agents that are users."""
    found = {}
    for user in User.objects.filter(username__in=keys).only("username", "first_name", "last_name", "agent_number"):
        full = user.get_full_name().strip()
        extra = ", ".join(part for part in (user.username, user.agent_number) if part)
        found[user.username] = f"{full} ({extra})" if full else extra
    return found


def _selected(figures: dict[str, AgentFigures], filters: Filters) -> dict[str, AgentFigures]:
    if filters.agent:
        return {filters.agent: figures.get(filters.agent, AgentFigures())}
    if filters.members is not None:
        return {key: value for key, value in figures.items() if key in filters.members}
    return {key: value for key, value in figures.items() if value.active}


def _drills(agent: str, period: Period) -> dict[str, Drill]:
    window = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    handlings = Drill("handlings", {**window, "agent": agent, "ended": "1"})
    return {
        "handled": handlings, "talk_total": handlings, "hold_total": handlings, "acw_total": handlings,
        "outbound": Drill("calls", {**window, "agent": agent, "direction": Direction.OUTBOUND}),
        "callbacks": Drill("calls", {**window, "agent": agent, "direction": Direction.OUTBOUND,
                                     "callback": "1", "outcome": "answered"}),
        "orders": Drill("orders", {**window, "agent": agent,
                                   "status": "ordered,reviewed,shipped,delivered,settled,refused,returned,exchanged"}),
    }


def _sorted(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Highest first (or lowest first for "-key"); undefined figures last; ties by agent key."""
    key, ascending = sort.lstrip("-"), sort.startswith("-")
    defined = [row for row in rows if row[key] is not None]
    undefined = [row for row in rows if row[key] is None]
    defined.sort(key=lambda row: row["agent_key"])
    defined.sort(key=lambda row: row[key], reverse=not ascending)
    return defined + sorted(undefined, key=lambda row: row["agent_key"])


def build_report(period: Period, filters: Filters, now: datetime.datetime | None = None) -> AgentReport:
    """The agents' figures for the period as rows (ranked by `filters.sort`), the team's total and average."""
    figures = _selected(agent_figures(period.start, period.end, now=now), filters)
    names = _names(set(figures))
    rows = []
    for agent, values in figures.items():
        row = {"agent_key": agent, "agent": names.get(agent, agent), **figure_values(values),
               "_drill": _drills(agent, period)}
        rows.append(row)
    rows = _sorted(rows, filters.sort)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    team = team_total(figures.values())
    active = sum(1 for value in figures.values() if value.active)
    total = {"agent": _("Team total"), **figure_values(team)}
    report = AgentReport(rows, total, {"agent": _("Team average"), **average_values(team, active)}, active)
    report.tables = _tables(report, figures, names)
    report.charts = _charts(rows)
    return report


def _columns(spec: list[tuple[str, Any, str]], rank: bool = False) -> list[Column]:
    head = [Column("rank", "#", "int")] if rank else []
    return [*head, Column("agent", _("Agent"), "text"), *(Column(key, label, kind) for key, label, kind in spec)]


def _team_table(report: AgentReport) -> ReportTable:
    """The team's total and its average per active agent, figure by figure (as the screen writes them)."""
    rows = []
    seen: set[str] = set()
    for key, label, kind in RANKING + SALES_DETAIL + TIMES:
        if key in seen:
            continue
        seen.add(key)
        mean = report.average[key]
        mean_kind = "ratio" if kind == "int" and mean is not None else kind
        rows.append({"metric": str(label), "total": cell_text(report.total[key], kind),
                     "average": cell_text(mean, mean_kind)})
    columns = [Column("metric", _("Figure"), "text", False), Column("total", _("Team total"), "text", False),
               Column("average", _("Team average"), "text", False)]
    notes = [_("Average over the %(n)d agents with any activity in the period; rates are the team's own.")
             % {"n": report.active}]
    return ReportTable(_("Team"), columns, rows, notes=notes, key="team")


def _reasons_table(figures: dict[str, AgentFigures], names: dict[str, str]) -> ReportTable:
    rows = [{"agent": names.get(agent, agent), "reason": reason or _("(no reason)"), "seconds": seconds}
            for agent in sorted(figures) for reason, seconds in figures[agent].not_ready_by_reason().items()]
    columns = [Column("agent", _("Agent"), "text"), Column("reason", _("Reason"), "text"),
               Column("seconds", _("Not ready (s)"), "seconds")]
    return ReportTable(_("Not ready by reason"), columns, rows, key="not_ready")


def _tables(report: AgentReport, figures: dict[str, AgentFigures], names: dict[str, str]) -> list[ReportTable]:
    ranking = ReportTable(_("Agent performance"), _columns(RANKING, rank=True), report.rows, report.total,
                          key="agents")
    times = ReportTable(_("Talk, hold and after-call work"), _columns(TIMES), report.rows, report.total,
                        key="times")
    sales = ReportTable(_("Orders and deliveries"), _columns([*SALES_DETAIL[:1], *RANKING[4:10], *SALES_DETAIL[1:]]),
                        report.rows, report.total, key="sales")
    return [ranking, times, sales, _team_table(report), _reasons_table(figures, names)]


def _charts(rows: list[dict[str, Any]]) -> list[Chart]:
    names = [str(row["agent"]) for row in rows]
    orders = Chart(_("Orders per agent"), "bar", names, [(_("Orders"), [row["orders"] for row in rows])],
                   key="chart-agent-orders")
    shares = [None if row["conversion"] is None else round(float(row["conversion"] * 100), 2) for row in rows]
    conversion = Chart(_("Conversion per call (%)"), "bar", names, [(_("Conversion per call"), shares)],
                       key="chart-agent-conversion")
    return [orders, conversion]


COMPARED = ["handled", "outbound", "aht", "occupancy", "orders", "conversion", "revenue", "aov", "cross_sell",
            "delivered_rate", "callbacks", "complaints"]


def _comparison(period: Period, filters: Filters, total: dict[str, Any], now: datetime.datetime | None) -> ReportTable:
    before = period.previous()
    previous = build_report(before, filters, now=now).total
    metrics = [Column(key, label, kind) for key, label, kind in RANKING if key in COMPARED]
    return comparison_table(_("Team compared with the previous period"), metrics, total, previous, period.label(),
                            before.label(), key="compare")


def _choices() -> dict[str, Any]:
    """The filter form's options: the queues and the agents."""
    return {"queues": list(Queue.objects.order_by("name").values_list("name", "label")),
            "agent_choices": list(User.objects.filter(role="agent").order_by("username")
                                  .values_list("username", flat=True))}


@login_required
@require_GET
def agents(request: HttpRequest) -> HttpResponse:
    """The agent performance report (GET: period, agent, queue, sort, compare, format)."""
    reports_user(request)
    context: dict[str, Any] = {"title": _("Agent performance"), "tables": [], "charts": [],
                               "period_default": "today", "sort_choices": RANKING, "filters": Filters(),
                               **_choices()}
    try:
        period = period_from(request)
        context["period"] = period
        filters = parse_filters(request.GET)
    except ValidationError as error:
        context["error"] = error_text(error)
        # The picker still shows the dates asked for; today stands in for a period that could not be read.
        context.setdefault("period", parse_period({}))
        return respond(request, "reports/agents.html", "agents", context)
    report = build_report(period, filters)
    tables = list(report.tables)
    if request.GET.get("compare"):
        tables.insert(4, _comparison(period, filters, report.total, None))
    context.update(report=report, tables=tables, charts=report.charts, filters=filters)
    return respond(request, "reports/agents.html", "agents", context, fragment="reports/agents_body.html")


urls = [path("agents/", agents, name="agents")]

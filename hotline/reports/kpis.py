"""Report 1, call-center KPIs: per queue, per hotline number or per agent, and per time bucket, over the
report facts (definitions: docs/kpi.md; the report's own rules: docs/reports.md, "Call-center KPIs").

Every queue figure comes from `callstats.visit_counts` (VisitFact, on `entered_at`), every handling
figure from `callstats.handling_counts` (HandlingFact, on `answered_at`), occupancy from the agent state
log (`hotline.calls.kpi.agent_times_for`), callbacks from `calls.Callback` (on `captured_at`), voicemails
from `calls.Voicemail` (on `created_at`) and blocked calls from CallFact (on `arrived_at`). All periods are
half open. Nothing here replays call events.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.models import User
from hotline.calls import kpi
from hotline.calls.models import (
    AgentStateEvent,
    Callback,
    CallbackStatus,
    Outcome,
    Queue,
    ServiceLevelDenominator,
    Voicemail,
    VoicemailStatus,
)
from hotline.media.models import HotlineNumber
from hotline.reports import callstats, drill, periods
from hotline.reports.callstats import HandlingCounts, VisitCounts
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from hotline.reports.periods import Period
from hotline.reports.tables import Chart, Column, Drill, ReportTable, comparison_table

BY = {"queue": gettext_lazy("Queue"), "hotline_number": gettext_lazy("Hotline number"),
      "agent": gettext_lazy("Agent")}
# GET keys every report accepts, and this report's own filters.
COMMON_KEYS = {"period", "from", "to", "grain", "compare", "format", "page", "sort"}
FILTER_KEYS = {"by", "queue", "agent", "hotline_number"}
BLOCKED = (Outcome.REFUSED_503, Outcome.REJECTED)
REACHED = (CallbackStatus.ANSWERED,)  # the caller was reached (the dial was answered)
EXPIRED = (CallbackStatus.EXPIRED,)


@dataclass(frozen=True)
class Filters:
    """What the request narrows the report to; empty strings / None when not narrowed."""

    by: str = "queue"
    queue: str = ""
    agent: str = ""
    hotline_number: int | None = None

    def query(self) -> dict[str, str]:
        found = {"by": self.by, "queue": self.queue, "agent": self.agent,
                 "hotline_number": "" if self.hotline_number is None else str(self.hotline_number)}
        return {key: value for key, value in found.items() if value}


def parse_filters(params: Mapping[str, Any]) -> Filters:
    """The report's filters from GET parameters; ValidationError (translated) for an unknown key or value."""
    for key in params:
        if key not in COMMON_KEYS | FILTER_KEYS:
            raise ValidationError(_("Unknown filter: %(name)s") % {"name": str(key)[:40]}, code="unknown_filter")
    by = str(params.get("by") or "queue")
    if by not in BY:
        raise ValidationError(_("Group by queue, hotline number or agent, not %(value)s") % {"value": by[:40]},
                              code="bad_by")
    queue = str(params.get("queue") or "")
    if queue and not (Queue.objects.filter(name=queue).exists() or VisitFact.objects.filter(queue=queue).exists()):
        raise ValidationError(_("Unknown queue: %(value)s") % {"value": queue[:40]}, code="bad_queue")
    agent = str(params.get("agent") or "")
    if agent and not (User.objects.filter(username=agent).exists()
                      or HandlingFact.objects.filter(agent_key=agent).exists()
                      or AgentStateEvent.objects.filter(agent_key=agent).exists()):
        raise ValidationError(_("Unknown agent: %(value)s") % {"value": agent[:40]}, code="bad_agent")
    number = str(params.get("hotline_number") or "")
    number_id = None
    if number:
        if not number.isdigit() or not HotlineNumber.objects.filter(pk=int(number)).exists():
            raise ValidationError(_("Unknown hotline number: %(value)s") % {"value": number[:40]},
                                  code="bad_hotline_number")
        number_id = int(number)
    return Filters(by, queue, agent, number_id)


# ---------------------------------------------------------------- the rows behind the figures

def _number_of_call() -> Subquery:
    """A handling's hotline number, from its call's fact (HandlingFact has no number of its own)."""
    return Subquery(CallFact.objects.filter(call_id=OuterRef("call_id")).values("hotline_number")[:1])


def visits_in(start: datetime.datetime, end: datetime.datetime, filters: Filters) -> QuerySet[VisitFact]:
    """Queue visits that entered in [start, end), narrowed by the filters (`agent`: the answering agent)."""
    rows = VisitFact.objects.filter(entered_at__gte=start, entered_at__lt=end)
    if filters.queue:
        rows = rows.filter(queue=filters.queue)
    if filters.agent:
        rows = rows.filter(agent_key=filters.agent)
    if filters.hotline_number is not None:
        rows = rows.filter(hotline_number_id=filters.hotline_number)
    return rows


def handlings_in(start: datetime.datetime, end: datetime.datetime, filters: Filters) -> QuerySet[HandlingFact]:
    """Agent handlings answered in [start, end), narrowed by the filters."""
    rows = HandlingFact.objects.filter(answered_at__gte=start, answered_at__lt=end)
    if filters.queue:
        rows = rows.filter(queue=filters.queue)
    if filters.agent:
        rows = rows.filter(agent_key=filters.agent)
    if filters.hotline_number is not None or filters.by == "hotline_number":
        rows = rows.annotate(number=_number_of_call())
    if filters.hotline_number is not None:
        rows = rows.filter(Q(number=filters.hotline_number))  # an annotation: django-stubs cannot see it
    return rows


def _by_number(rows: QuerySet[Any], filters: Filters) -> QuerySet[Any]:
    return rows if filters.hotline_number is None else rows.filter(hotline_number_id=filters.hotline_number)


def callbacks_in(start: datetime.datetime, end: datetime.datetime, filters: Filters) -> QuerySet[Callback]:
    return _by_number(Callback.objects.filter(captured_at__gte=start, captured_at__lt=end), filters)


def voicemails_in(start: datetime.datetime, end: datetime.datetime, filters: Filters) -> QuerySet[Voicemail]:
    return _by_number(Voicemail.objects.filter(created_at__gte=start, created_at__lt=end), filters)


def blocked_in(start: datetime.datetime, end: datetime.datetime, filters: Filters) -> QuerySet[CallFact]:
    return _by_number(CallFact.objects.filter(arrived_at__gte=start, arrived_at__lt=end, outcome__in=BLOCKED),
                      filters)


# ---------------------------------------------------------------- figures

@dataclass
class Figures:
    """One row's figures: queue visits, handlings, occupancy, callbacks, voicemails, blocked calls.
    `None` for a figure that the row cannot have (callbacks of one queue, occupancy of a hotline number)."""

    visits: VisitCounts = field(default_factory=VisitCounts)
    handlings: HandlingCounts = field(default_factory=HandlingCounts)
    variant: kpi.ServiceLevelVariant = kpi.ServiceLevelVariant.EXCLUDE_SHORT
    occupancy: Fraction | None = None
    callbacks: int | None = None
    reached: int | None = None
    expired: int | None = None
    voicemails: int | None = None
    blocked: int | None = None

    def values(self) -> dict[str, Any]:
        """The figures keyed as the table's columns."""
        v, h = self.visits, self.handlings
        return {
            "offered": v.queued, "answered": v.answered, "abandoned": v.abandoned, "short": v.short_abandons,
            "callback_visits": v.callbacks, "service_level": v.service_level(self.variant), "asa": v.asa,
            "abandon_rate": v.abandon_rate, "abandon_time": v.average_abandon_time, "longest_wait": v.longest_wait,
            "handled": h.handled, "aht": h.aht, "talk": h.talk, "hold": h.hold, "acw": h.acw,
            "occupancy": self.occupancy, "callbacks": self.callbacks, "reached": self.reached,
            "expired": self.expired, "voicemails": self.voicemails, "blocked": self.blocked,
        }


def columns(by: str) -> list[Column]:
    """The KPI table's columns; the first names the row (queue, hotline number or agent)."""
    return [
        Column("name", BY[by], "text"),
        Column("offered", _("Offered")), Column("answered", _("Answered")),
        Column("abandoned", _("Abandoned")), Column("short", _("Short abandons")),
        Column("callback_visits", _("Left for a callback")),
        Column("service_level", _("Service level"), "percent"), Column("asa", _("ASA (s)"), "seconds"),
        Column("abandon_rate", _("Abandon rate"), "percent"),
        Column("abandon_time", _("Average abandon time (s)"), "seconds"),
        Column("longest_wait", _("Longest wait (s)"), "seconds"),
        Column("handled", _("Handled")), Column("aht", _("AHT (s)"), "seconds"),
        Column("talk", _("Talk (s)"), "seconds"), Column("hold", _("Hold (s)"), "seconds"),
        Column("acw", _("ACW (s)"), "seconds"), Column("occupancy", _("Occupancy"), "percent"),
        Column("callbacks", _("Callbacks captured")), Column("reached", _("Callbacks reached")),
        Column("expired", _("Callbacks expired")), Column("voicemails", _("Voicemails")),
        Column("blocked", _("Blocked (busy / 503)")),
    ]


def default_variant(filters: Filters) -> kpi.ServiceLevelVariant:
    """The service-level variant of rows that are not one queue: the filtered queue's, else the `*` one."""
    return kpi.settings_for(filters.queue or "*").service_level_variant


def _group_field(by: str) -> str:
    return {"queue": "queue", "hotline_number": "hotline_number_id", "agent": "agent_key"}[by]


def _occupancy_wanted(filters: Filters) -> bool:
    # Agent states belong to no queue and no number: occupancy is shown only when neither narrows the report.
    return not filters.queue and filters.hotline_number is None


def _others_wanted(filters: Filters) -> bool:
    # Callbacks, voicemails and blocked calls have a number but no queue and no agent.
    return not filters.queue and not filters.agent


def _count_by(rows: QuerySet[Any], by_number: bool) -> dict[Any, int]:
    if not by_number:
        return {(): rows.count()}
    return {(row["hotline_number"],): row["n"]
            for row in rows.order_by().values("hotline_number").annotate(n=Count("id"))}


def figures(start: datetime.datetime, end: datetime.datetime, filters: Filters,
            grouped: bool = True) -> tuple[dict[tuple[Any, ...], Figures], Figures]:
    """Each row's figures (keyed by the group value as a 1-tuple) and the totals, for [start, end)."""
    group = [_group_field(filters.by)] if grouped else []
    # A handling's number is its call's (annotated as `number`, see handlings_in).
    part_group = ["number" if name == "hotline_number_id" else name for name in group]
    visits = visits_in(start, end, filters)
    parts = handlings_in(start, end, filters)
    rows: dict[tuple[Any, ...], Figures] = {}
    base = default_variant(filters)
    # Every visit and handling has exactly one group value, so the totals are the sums of the groups' counts
    # (exact integers): two aggregate queries instead of four.
    visit_groups, part_groups = callstats.visit_counts(visits, group), callstats.handling_counts(parts, part_group)
    totals = Figures(sum(visit_groups.values(), VisitCounts()), sum(part_groups.values(), HandlingCounts()), base)
    for key, counts in visit_groups.items() if group else ():
        rows.setdefault(key, Figures()).visits = counts
    for key, handled in part_groups.items() if group else ():
        rows.setdefault(key, Figures()).handlings = handled
    times = kpi.agent_times_for(start, end) if _occupancy_wanted(filters) else {}
    if filters.agent:
        times = {agent: time for agent, time in times.items() if agent == filters.agent}
    if _occupancy_wanted(filters):
        totals.occupancy = kpi.occupancy(times.values())
    if filters.by == "agent":
        for agent, time in times.items():
            if time.staffed:
                rows.setdefault((agent,), Figures()).occupancy = time.occupancy
    if _others_wanted(filters):
        _add_others(rows, totals, start, end, filters)
    for key, row in rows.items():
        row.variant = kpi.settings_for(key[0]).service_level_variant if filters.by == "queue" else base
    return rows, totals


def _add_others(rows: dict[tuple[Any, ...], Figures], totals: Figures, start: datetime.datetime,
                end: datetime.datetime, filters: Filters) -> None:
    """Callbacks (captured, reached, expired), voicemails and blocked calls: totals, and per number rows."""
    by_number = filters.by == "hotline_number"
    captured = callbacks_in(start, end, filters)
    found = {
        "callbacks": _count_by(captured, by_number),
        "reached": _count_by(captured.filter(status__in=REACHED), by_number),
        "expired": _count_by(captured.filter(status__in=EXPIRED), by_number),
        "voicemails": _count_by(voicemails_in(start, end, filters), by_number),
        "blocked": _count_by(blocked_in(start, end, filters), by_number),
    }
    for name, counts in found.items():
        setattr(totals, name, sum(counts.values()))
        if by_number:
            for key, count in counts.items():
                setattr(rows.setdefault(key, Figures()), name, count)
    if by_number:
        for row in rows.values():
            for name in found:
                if getattr(row, name) is None:
                    setattr(row, name, 0)


# ---------------------------------------------------------------- labels and drill-downs

def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = list(keys)
    if by == "queue":
        labels = Queue.labels()
        return {key: labels.get(key, key) if key else _("(no queue)") for key in keys}
    if by == "hotline_number":
        numbers = dict(HotlineNumber.objects.filter(pk__in=[k for k in keys if k is not None])
                       .values_list("pk", "number"))
        return {key: numbers.get(key, str(key)) if key is not None else _("(no hotline number)") for key in keys}
    names = {user.username: user.get_full_name() for user in User.objects.filter(username__in=keys)}
    return {key: (f"{names[key]} ({key})" if names.get(key) else key) if key else _("(not answered)")
            for key in keys}


def drills(start: datetime.datetime, end: datetime.datetime, filters: Filters,
           key: Any = None) -> dict[str, Drill]:
    """The drill-downs of one row (`key` its group value; None for the totals or a bucket)."""
    span = {"start": start.isoformat(), "end": end.isoformat()}
    narrowed = {"queue": filters.queue, "agent": filters.agent,
                "hotline_number": "" if filters.hotline_number is None else str(filters.hotline_number)}
    if key is not None:
        narrowed[filters.by] = "" if key is None else str(key)
        if narrowed[filters.by] == "":
            return {}  # the unattributed row: the shared drill-downs cannot select "none" for this dimension
    narrowed = {name: value for name, value in narrowed.items() if value}
    visits = {**span, **narrowed}
    found = {
        "offered": Drill("visits", visits),
        "answered": Drill("visits", {**visits, "result": "answered"}),
        "abandoned": Drill("visits", {**visits, "result": "abandoned", "short": "0"}),
        "short": Drill("visits", {**visits, "result": "abandoned", "short": "1"}),
        "callback_visits": Drill("visits", {**visits, "result": "callback"}),
    }
    if "hotline_number" not in narrowed:
        found["handled"] = Drill("handlings", {**span, **narrowed, "ended": "1"})
        if "queue" not in narrowed and "agent" not in narrowed:
            found["callbacks"] = Drill("callbacks", span)
            found["reached"] = Drill("callbacks", {**span, "status": ",".join(REACHED)})
            found["expired"] = Drill("callbacks", {**span, "status": ",".join(EXPIRED)})
    if "queue" not in narrowed and "agent" not in narrowed:
        number = {k: v for k, v in narrowed.items() if k == "hotline_number"}
        found["blocked"] = Drill("calls", {**span, **number, "outcome": ",".join(BLOCKED)})
        found["voicemails"] = Drill("voicemails", {**span, **number})
    return found


@drill.register("voicemails")
def voicemail_rows(raw: dict[str, str]) -> drill.DrillRows:
    """Voicemails left in [start, end) (on `created_at`), optionally of one hotline number (its id)."""
    from hotline.reports.drills import Params, call_link

    params = Params(raw, {"start", "end", "hotline_number"})
    rows = params.period(Voicemail.objects.all(), "created_at")
    number = params.object_id("hotline_number", HotlineNumber)
    if number is not None:
        rows = rows.filter(hotline_number_id=number)
    rows = rows.order_by("created_at", "id")
    status = dict(VoicemailStatus.choices)

    def convert(row: Voicemail) -> dict[str, Any]:
        return {"created_at": row.created_at, "caller": row.caller, "call_id": row.call_id,
                "duration": Fraction(row.duration_seconds), "status": str(status.get(row.status, row.status)),
                "_link": {"call_id": call_link(row.call_id)}}

    columns = [Column("created_at", _("Left at"), "datetime"), Column("caller", _("Caller"), "text"),
               Column("call_id", _("Call"), "text"), Column("duration", _("Duration (s)"), "seconds"),
               Column("status", _("Status"), "text")]
    return drill.DrillRows(_("Voicemails"), columns, [convert(row) for row in rows], rows.count())


# ---------------------------------------------------------------- the report

def _linked(row: dict[str, Any], found: dict[str, Drill]) -> dict[str, Drill]:
    """The drill-downs of the row's figures that have rows behind them (a zero links to nothing)."""
    return {key: link for key, link in found.items() if row.get(key)}


def kpi_table(period: Period, filters: Filters) -> tuple[ReportTable, Figures]:
    """The KPI table (one row per queue / number / agent, and the totals) and the totals' figures."""
    rows, totals = figures(period.start, period.end, filters)
    labels = _labels(filters.by, [key[0] for key in rows])
    table_rows = []
    for key in sorted(rows, key=lambda k: (labels[k[0]] is None, str(labels[k[0]]))):
        row = {"name": labels[key[0]], **rows[key].values(), "_key": key[0]}
        row["_drill"] = _linked(row, drills(period.start, period.end, filters, key[0] if key[0] is not None else ""))
        table_rows.append(row)
    total_row = {"name": _("Total"), **totals.values()}
    total_row["_drill"] = _linked(total_row, drills(period.start, period.end, filters))
    variant = ServiceLevelDenominator(default_variant(filters)).label
    notes = [_("Service level: each queue's own variant on its row; other rows and the totals count %(variant)s.")
             % {"variant": variant} if filters.by == "queue"
             else _("Service level counts %(variant)s.") % {"variant": variant}]
    if not _occupancy_wanted(filters):
        notes.append(_("Occupancy comes from agent states, which belong to no queue or hotline number."))
    if not _others_wanted(filters):
        notes.append(_("Callbacks, voicemails and blocked calls belong to no queue or agent."))
    title = _("Call-center KPIs by %(by)s") % {"by": str(BY[filters.by]).lower()}
    return ReportTable(title, columns(filters.by), table_rows, total_row, notes, key="kpis"), totals


SERIES_COLUMNS = ("offered", "answered", "abandoned", "short", "callback_visits", "service_level", "asa",
                  "abandon_time", "longest_wait", "handled", "aht")


def series(period: Period, filters: Filters) -> list[tuple[datetime.datetime, VisitCounts, HandlingCounts]]:
    """Per bucket of the period's grain (every bucket, zeros included): visit and handling counts."""
    grain = period.grain
    group = ["bucket", "quarter"] if grain == "15min" else ["bucket"]
    visits = visits_in(period.start, period.end, filters).annotate(
        **periods.bucket_annotations("entered_at", grain, period))
    parts = handlings_in(period.start, period.end, filters).annotate(
        **periods.bucket_annotations("answered_at", grain, period))
    by_visit = {_bucket(key, group, grain): counts for key, counts in callstats.visit_counts(visits, group).items()}
    by_part = {_bucket(key, group, grain): counts for key, counts in callstats.handling_counts(parts, group).items()}
    return [(start, by_visit.get(start, VisitCounts()), by_part.get(start, HandlingCounts()))
            for start in periods.buckets(period)]


def _bucket(key: tuple[Any, ...], group: list[str], grain: str) -> datetime.datetime:
    start = periods.bucket_start(dict(zip(group, key, strict=True)), grain)
    return start if timezone.is_aware(start) else timezone.make_aware(start)


def bucket_label(start: datetime.datetime, grain: str) -> str:
    local = timezone.localtime(start)
    if grain in ("15min", "hour"):
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m") if grain == "month" else local.strftime("%Y-%m-%d")


def series_table(period: Period, filters: Filters) -> tuple[ReportTable, list[Chart]]:
    """The figures per time bucket (小时呼次数 by the hour), the stacked call curve and the service level line."""
    variant = default_variant(filters)
    found = series(period, filters)
    starts = [start for start, _v, _h in found] + [period.end]
    rows = []
    for index, (start, visits, parts) in enumerate(found):
        values = Figures(visits, parts, variant).values()
        row = {"name": bucket_label(start, period.grain), **{k: values[k] for k in SERIES_COLUMNS}}
        row["_drill"] = _linked(row, drills(max(start, period.start), starts[index + 1], filters))
        rows.append(row)
    by_key = {column.key: column for column in columns(filters.by)}
    table = ReportTable(_("Calls per %(grain)s") % {"grain": str(periods.GRAINS[period.grain]).lower()},
                        [Column("name", _("Time"), "text"), *(by_key[k] for k in SERIES_COLUMNS)], rows,
                        key="series")
    labels = [row["name"] for row in rows]
    curve = Chart(_("Calls per hour (answered and abandoned)") if period.grain == "hour"
                  else _("Calls per %(grain)s (answered and abandoned)") % {"grain": str(
                      periods.GRAINS[period.grain]).lower()}, "stacked_bar", labels,
                  [(_("Answered"), [row["answered"] for row in rows]),
                   (_("Abandoned"), [row["abandoned"] for row in rows]),
                   (_("Short abandons"), [row["short"] for row in rows]),
                   (_("Left for a callback"), [row["callback_visits"] for row in rows])], key="chart-calls")
    level = Chart(_("Service level (%)"), "line", labels,
                  [(_("Service level"), [kpi.percent(row["service_level"]) for row in rows])], key="chart-sl")
    return table, [curve, level]


COMPARED = ("offered", "answered", "abandoned", "short", "service_level", "asa", "abandon_time", "longest_wait",
            "handled", "aht", "acw", "occupancy", "callbacks", "reached", "voicemails", "blocked")


def compare_table(period: Period, filters: Filters, totals: Figures) -> ReportTable:
    """This period's totals against the previous period's (same length, same filters)."""
    before = period.previous()
    _rows, previous = figures(before.start, before.end, filters, grouped=False)
    by_key = {column.key: column for column in columns(filters.by)}
    metrics = [by_key[key] for key in COMPARED]
    return comparison_table(_("Compared with the previous period"), metrics, totals.values(), previous.values(),
                            period.label(), before.label())


def report(period: Period, filters: Filters, compare: bool = False) -> dict[str, Any]:
    """The page's context: tables (KPIs, per bucket, comparison) and charts."""
    table, totals = kpi_table(period, filters)
    per_bucket, charts = series_table(period, filters)
    tables = [table, per_bucket]
    if compare:
        tables.append(compare_table(period, filters, totals))
    return {"tables": tables, "charts": charts, "totals": totals}

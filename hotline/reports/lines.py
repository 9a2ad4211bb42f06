"""Report 2, lines and IVR (线路占用时间, IVR呼叫节点访问量): how many lines the calls took over time, and how
callers went through the IVR — visits per node, where they left the menu, where they reached a queue, and
the calls the IVR served by itself (self-service completions).

Line occupancy. A call holds a line from its arrival to its hang-up (`CallFact.arrived_at` → `ended_at`,
inbound and outbound alike, as the engine counts `lines_in_use`); a call still open holds it until the
report's horizon (the period's end, or now when that is earlier). Calls refused with 503 never got a line
and are left out. One SQL query reads the calls that overlap the period; `sweep` then walks their start and
end points in time order — sorting is O(n log n), the walk O(n + buckets) — and gives each bucket its peak
and time-weighted average of concurrent calls, the time at or above `HOTLINE_LINES` and the line time.

IVR. Visits are the `ivr_node` steps of the calls that arrived in the period (the call's arrival decides
its period for every IVR figure, as in the `calls` drill-down). A call "ends at" its last IVR node when its
outcome is `abandoned_in_ivr` (it ended normally before reaching any queue). When that node is a `hangup`
node of its flow (the flow's own end: "goodbye" after the order status was read out) the call is a
self-service completion; at any other node it is an exit — the caller left the menu there. Flows are read
as they are stored now (`hotline.ivrdata.engine.flows`); a node of a flow that no longer exists is not a
`hangup` node, so calls ending there count as exits.
"""

from __future__ import annotations

import datetime
import sqlite3
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate
from operator import mul, sub
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import BigIntegerField, Count, Exists, Func, OuterRef, Q, QuerySet, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.calls.models import CallEvent, Kind, Outcome
from hotline.reports.drill import DrillRows, register
from hotline.reports.models import CallFact
from hotline.reports.periods import Period, bucket_annotations, bucket_start, buckets
from hotline.reports.tables import Chart, Column, Drill, ReportTable, comparison_table

BLOCKED = (Outcome.REFUSED_503, Outcome.REJECTED)
NO_LINE = (Outcome.REFUSED_503,)  # refused before answering: never held a line
MINUTE = Fraction(60)


# ---------------------------------------------------------------- line occupancy

@dataclass
class LineBucket:
    """One bucket of the occupancy series. `observed` is the part of the bucket inside the period and
    before the horizon (now); a bucket not observed at all has None for every figure but `blocked`."""

    start: datetime.datetime
    end: datetime.datetime
    observed: Fraction = Fraction(0)  # seconds
    peak: int | None = None
    area: Fraction = Fraction(0)  # call-seconds: the line time
    full: Fraction | None = None  # seconds at or above the licensed lines (None: unlimited)
    blocked: int = 0

    @property
    def average(self) -> Fraction | None:
        """Time-weighted mean of concurrent calls over the observed part of the bucket."""
        return self.area / self.observed if self.observed else None

    @property
    def line_minutes(self) -> Fraction | None:
        return self.area / MINUTE if self.observed else None

    @property
    def full_minutes(self) -> Fraction | None:
        return None if self.full is None or not self.observed else self.full / MINUTE


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
Interval = tuple[int, int]  # microseconds since the epoch, [start, end)


def micros(moment: datetime.datetime) -> int:
    """An aware time as whole microseconds since the epoch: the sweep adds and sorts integers, many times
    faster than datetimes and Fractions, and exact all the same."""
    return (moment - EPOCH) // MICROSECOND


class EpochMicros(Func):
    """A time column as whole microseconds since the Unix epoch (`micros`), computed by the database: the
    rows then come back as plain integers, without Django's per-value datetime conversion — on SQLite that
    conversion was most of the time of reading a month of calls. SQLite stores an aware time as UTC text
    "YYYY-MM-DD HH:MM:SS[.ffffff]" (six digits when there is a fraction): whole seconds from unixepoch()
    (strftime('%s') before SQLite 3.38, slower), the microseconds from the text itself (SQLite's own date
    functions keep only milliseconds). PostgreSQL's EXTRACT(EPOCH …) is exact to the microsecond."""

    arity = 1
    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.source_expressions[0])
        return epoch_micros_sql(inner, connection.vendor), [*params, *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.source_expressions[0])
        return epoch_micros_sql(inner, connection.vendor), list(params)


def epoch_micros_sql(column: str, vendor: str) -> str:
    """`EpochMicros` as SQL text for a column (SQLite names it twice: give its parameters twice)."""
    if vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS BIGINT)"
    seconds = (f"unixepoch({column})" if sqlite3.sqlite_version_info >= (3, 38)
               else f"CAST(strftime('%%s', {column}) AS INTEGER)")
    return f"({seconds} * 1000000 + CAST(substr({column} || '.000000', 21, 6) AS INTEGER))"


def raw_rows(rows: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A values_list queryset's rows as the database driver gives them, without Django's per-value
    converters (integers need none; these are ~100,000 rows a month)."""
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def call_intervals(period: Period, horizon: datetime.datetime) -> list[Interval]:
    """Each call's time on a line, clipped to [period start, horizon): one query for the calls that overlap
    the period (arrived before its end, and not ended before its start). The database gives the clipped
    ends as integer microseconds (`EpochMicros`, Greatest/Least), so each row is two plain integers: a month
    of calls (100,000) reads in ~0.2 s on SQLite, against ~2 s as aware datetimes."""
    low, high = Value(micros(period.start), BigIntegerField()), Value(micros(horizon), BigIntegerField())
    rows = (CallFact.objects.filter(arrived_at__lt=period.end)
            .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=period.start))
            .exclude(outcome__in=NO_LINE)
            .annotate(line_from=Greatest(EpochMicros("arrived_at"), low),
                      line_to=Least(Coalesce(EpochMicros("ended_at"), high), high))
            .values_list("line_from", "line_to").order_by())
    # A call of no length holds no line; one that arrived after the horizon (a fake `now`) none yet.
    return [(start, end) for start, end in raw_rows(rows) if start < end]


def _steps(intervals: Iterable[Interval]) -> tuple[list[int], list[int]]:
    """The sweep's points in time order — each interval's start (+1) and end (−1) — and the level after each.
    A point is one integer, 2·time + 1 for a start and 2·time for an end, so one sort of plain integers
    orders them by time with the ends of an instant before its starts: within an instant the level first
    falls, then rises to the instant's level, and never passes the higher of the levels before and after —
    applying an instant's points together, a call ending when another starts makes no peak of two."""
    keys: list[int] = []
    ends: list[int] = []
    for start, end in intervals:
        keys.append(2 * start + 1)
        ends.append(2 * end)
    keys += ends
    keys.sort()
    return [key >> 1 for key in keys], list(accumulate([(key & 1) * 2 - 1 for key in keys]))


def sweep(intervals: Iterable[Interval], bounds: Sequence[tuple[datetime.datetime, datetime.datetime]],
          lines: int) -> list[LineBucket]:
    """Concurrency per bucket from half-open intervals [start, end) in microseconds: sort the start (+1)
    and end (−1) points (`_steps`), then give each bucket (sorted, not overlapping) its figures from running
    totals — the level after each point, and the line time and time at full lines up to each point, built
    with itertools.accumulate — so a bucket costs two bisections, a max over its points and a few
    subtractions. `lines` 0 means unlimited: no time at 100 %. O(n log n) for the sort, O(n + buckets) after."""
    times, levels = _steps(intervals)
    spans = list(map(sub, times[1:], times))  # how long each level lasts, to the next point
    area_upto = [0, *accumulate(map(mul, levels, spans))]  # call-µs from the first point to each point
    full_upto = [0, *accumulate(map(mul, map(lines.__le__, levels), spans))] if lines else []
    result = []
    for low_time, high_time in bounds:
        low, high = micros(low_time), micros(high_time)
        first, stop = bisect_right(times, low), bisect_left(times, high)  # the points in (low, high)
        level = levels[first - 1] if first else 0  # at the bucket's start: every point up to it applied
        area, full, peak = level * (high - low), (high - low if level >= lines else 0), level
        if first < stop:  # [low, first point) at that level, each point's level to the next, the last's to high
            last = stop - 1
            area = (level * (times[first] - low) + area_upto[last] - area_upto[first]
                    + levels[last] * (high - times[last]))
            if lines:
                full = ((times[first] - low if level >= lines else 0) + full_upto[last] - full_upto[first]
                        + (high - times[last] if levels[last] >= lines else 0))
            peak = max(level, *levels[first:stop])
        result.append(LineBucket(low_time, high_time, observed=Fraction(high - low, 1_000_000), peak=peak,
                                 area=Fraction(area, 1_000_000), full=Fraction(full, 1_000_000) if lines else None))
    return result


def bucket_bounds(period: Period) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Each bucket of the period as [start, end), clipped to the period (a week bucket may begin before
    it) — the whole bucket, not yet clipped to the horizon."""
    starts = buckets(period)
    ends = [*starts[1:], period.end]
    return [(max(low, period.start), min(high, period.end)) for low, high in zip(starts, ends, strict=True)]


def occupancy(period: Period, lines: int, now: datetime.datetime | None = None) -> list[LineBucket]:
    """The occupancy series of the period: one LineBucket per bucket of its grain, with blocked calls."""
    horizon = min(period.end, now or timezone.now())
    bounds = bucket_bounds(period)
    observed = [(low, min(high, horizon)) for low, high in bounds if low < horizon]
    swept = {bucket.start: bucket for bucket in sweep(call_intervals(period, horizon), observed, lines)}
    blocked = blocked_counts(period)
    series = []
    for low, high in bounds:
        bucket = swept.get(low) or LineBucket(low, high)
        bucket.end = high
        bucket.blocked = blocked.get(timezone.localtime(low), 0)
        series.append(bucket)
    return series


def blocked_counts(period: Period) -> dict[datetime.datetime, int]:
    """Calls refused for want of a line or rejected (outcome refused_503 or rejected) per bucket start
    (local time; a week or month bucket starting before the period is keyed by the period's start)."""
    rows = (CallFact.objects.filter(arrived_at__gte=period.start, arrived_at__lt=period.end, outcome__in=BLOCKED)
            .annotate(**bucket_annotations("arrived_at", period.grain, period))
            .values(*bucket_annotations("arrived_at", period.grain, period)).annotate(n=Count("id")).order_by())
    found: dict[datetime.datetime, int] = defaultdict(int)
    local_start = timezone.localtime(period.start)
    for row in rows:
        found[max(bucket_start(row, period.grain), local_start)] += row["n"]
    return dict(found)


@dataclass
class LineTotals:
    """The period's figures over all buckets."""

    peak: int | None
    average: Fraction | None
    full_minutes: Fraction | None
    line_minutes: Fraction | None
    blocked: int


def line_totals(series: Sequence[LineBucket]) -> LineTotals:
    seen = [bucket for bucket in series if bucket.observed]
    observed = sum((bucket.observed for bucket in seen), Fraction(0))
    area = sum((bucket.area for bucket in seen), Fraction(0))
    fulls = [bucket.full for bucket in seen if bucket.full is not None]
    return LineTotals(
        peak=max((bucket.peak or 0 for bucket in seen), default=None),
        average=area / observed if observed else None,
        full_minutes=sum(fulls, Fraction(0)) / MINUTE if fulls else None,
        line_minutes=area / MINUTE if seen else None,
        blocked=sum(bucket.blocked for bucket in series))


# ---------------------------------------------------------------- IVR nodes

@dataclass
class NodeRow:
    """One IVR node's figures: `node` is "flow/node" as in `CallFact.ivr_last_node`."""

    flow: str
    name: str
    visits: int = 0
    calls: int = 0
    queued: int = 0  # calls whose next step after a visit here was joining a queue
    exits: int = 0  # calls that ended here unanswered, before any queue (the caller left the menu)
    completed: int = 0  # calls the flow ended here itself: self-service completions
    terminal: bool = False  # a `hangup` node of its flow

    @property
    def node(self) -> str:
        return f"{self.flow}/{self.name}"[:64]

    @property
    def exit_rate(self) -> Fraction | None:
        """Exits per call that visited the node."""
        return Fraction(self.exits, self.calls) if self.calls else None


def calls_in(period: Period) -> Any:
    return CallFact.objects.filter(arrived_at__gte=period.start, arrived_at__lt=period.end)


def _next_is_enqueue() -> Exists:
    return Exists(CallEvent.objects.filter(call_id=OuterRef("call_id"), seq=OuterRef("seq") + 1, kind=Kind.ENQUEUE))


def node_visits(period: Period, flow: str = "") -> Any:
    """The `ivr_node` steps (of `flow` when given) of the calls that arrived in the period (a call's
    steps all follow its arrival, so `at >= start` only helps the kind/at index)."""
    steps = CallEvent.objects.filter(kind=Kind.IVR_NODE, at__gte=period.start,
                                     call_id__in=calls_in(period).values("call_id"))
    return steps.filter(detail__flow=flow) if flow else steps


def terminal_nodes() -> set[str]:
    """"flow/node" of every `hangup` node of the flows as stored now."""
    from hotline.ivrdata.engine import flows
    from hotline.telephony.ivr.model import Hangup

    return {f"{flow.name}/{name}"[:64] for flow in flows().values()
            for name, node in flow.nodes.items() if isinstance(node, Hangup)}


def known_flows() -> set[str]:
    from hotline.ivrdata.engine import flows

    return set(flows())


def ivr_nodes(period: Period, flow: str = "", terminal: set[str] | None = None) -> list[NodeRow]:
    """Per IVR node (of `flow`, or of every flow): visits, distinct calls, calls that went on to a queue,
    exits and self-service completions. Two grouped queries (visits; calls ending at a node), by visits."""
    terminal = terminal_nodes() if terminal is None else terminal
    rows = (node_visits(period, flow)
            .annotate(flow=KT("detail__flow"), node=KT("detail__node"), to_queue=_next_is_enqueue())
            .values("flow", "node")
            .annotate(visits=Count("id"), calls=Count("call_id", distinct=True),
                      queued=Count("call_id", distinct=True, filter=Q(to_queue=True))).order_by())
    found: dict[str, NodeRow] = {}
    for row in rows:
        item = NodeRow(row["flow"] or "", row["node"] or "", row["visits"], row["calls"], row["queued"])
        found[item.node] = item
    for node, ended in ending_nodes(period, flow).items():
        item = found.setdefault(node, NodeRow(*_split(node)))
        if node in terminal:
            item.completed = ended
        else:
            item.exits = ended
    for item in found.values():
        item.terminal = item.node in terminal
    return sorted(found.values(), key=lambda item: (-item.visits, item.node))


def _split(node: str) -> tuple[str, str]:
    flow, _slash, name = node.partition("/")
    return flow, name


def ending_nodes(period: Period, flow: str = "") -> dict[str, int]:
    """Calls of the period that ended in the IVR (outcome abandoned_in_ivr), per last node."""
    ended = calls_in(period).filter(outcome=Outcome.ABANDONED_IN_IVR).exclude(ivr_last_node="")
    if flow:
        ended = ended.filter(ivr_last_node__startswith=f"{flow}/")
    rows = (ended.values("ivr_last_node").annotate(n=Count("id")).order_by())
    return {row["ivr_last_node"]: row["n"] for row in rows}


@dataclass
class IvrTotals:
    """The IVR over the period: calls with an IVR visit, calls that went from a node to a queue, exits
    and self-service completions (each call counted once)."""

    calls: int
    queued: int
    exits: int
    completed: int


def ivr_totals(period: Period, rows: Sequence[NodeRow], flow: str = "") -> IvrTotals:
    visits = node_visits(period, flow).annotate(to_queue=_next_is_enqueue())
    counted = visits.aggregate(calls=Count("call_id", distinct=True),
                               queued=Count("call_id", distinct=True, filter=Q(to_queue=True)))
    return IvrTotals(counted["calls"], counted["queued"], sum(row.exits for row in rows),
                     sum(row.completed for row in rows))


def check_flow(period: Period, flow: str) -> None:
    """A `flow` filter must name a stored flow, or one the period's calls went through."""
    if flow and flow not in known_flows() and not node_visits(period, flow).exists():
        raise ValidationError(_("Unknown IVR flow: %(value)s") % {"value": flow[:40]}, code="bad_flow")


# ---------------------------------------------------------------- the report: tables and charts

def occupancy_columns() -> list[Column]:
    return [Column("bucket", _("From"), "datetime"), Column("peak", _("Peak concurrent calls")),
            Column("average", _("Average concurrent calls"), "ratio"),
            Column("full_minutes", _("Minutes with every line taken"), "ratio"),
            Column("line_minutes", _("Line time (minutes)"), "ratio"),
            Column("blocked", _("Blocked calls (503, rejected)"))]


def _linked(drills: dict[str, Drill], **counts: int) -> dict[str, Drill]:
    """The drill-downs of the figures that have rows behind them (a 0 links to nothing)."""
    return {key: drill for key, drill in drills.items() if counts.get(key)}


def _blocked_drill(low: datetime.datetime, high: datetime.datetime) -> Drill:
    return Drill("calls", {"start": low.isoformat(), "end": high.isoformat(),
                           "outcome": ",".join(str(value) for value in BLOCKED)})


def occupancy_table(period: Period, series: Sequence[LineBucket], totals: LineTotals, lines: int) -> ReportTable:
    rows = [{"bucket": bucket.start, "peak": bucket.peak, "average": bucket.average,
             "full_minutes": bucket.full_minutes, "line_minutes": bucket.line_minutes, "blocked": bucket.blocked,
             "_drill": _linked({"blocked": _blocked_drill(bucket.start, bucket.end)}, blocked=bucket.blocked)}
            for bucket in series]
    total = {"bucket": _("Total"), "peak": totals.peak, "average": totals.average,
             "full_minutes": totals.full_minutes, "line_minutes": totals.line_minutes, "blocked": totals.blocked,
             "_drill": _linked({"blocked": _blocked_drill(period.start, period.end)}, blocked=totals.blocked)}
    notes = [_("Licensed lines: %(lines)d.") % {"lines": lines} if lines else
             _("No line limit is set (HOTLINE_LINES = 0), so no time with every line taken.")]
    return ReportTable(_("Line occupancy"), occupancy_columns(), rows, total, notes, key="occupancy")


def ivr_columns() -> list[Column]:
    return [Column("node", _("IVR node"), "text"), Column("visits", _("Visits")),
            Column("calls", _("Calls")), Column("queued", _("Went on to a queue")),
            Column("exits", _("Left the call here")), Column("exit_rate", _("Exit rate"), "percent"),
            Column("completed", _("Self-service completions"))]


def _node_drills(period: Period, node: str) -> dict[str, Drill]:
    span = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    ended = Drill("calls", {**span, "outcome": Outcome.ABANDONED_IN_IVR.value, "ivr_last_node": node})
    return {"calls": Drill("ivr_node_calls", {**span, "node": node}),
            "queued": Drill("ivr_node_calls", {**span, "node": node, "what": "queued"}),
            "exits": ended, "completed": ended}


def ivr_table(period: Period, rows: Sequence[NodeRow], totals: IvrTotals) -> ReportTable:
    table_rows = [{"node": row.node, "visits": row.visits, "calls": row.calls, "queued": row.queued,
                   "exits": row.exits, "exit_rate": row.exit_rate, "completed": row.completed,
                   "_drill": _linked(_node_drills(period, row.node), calls=row.calls, queued=row.queued,
                                     exits=row.exits, completed=row.completed)} for row in rows]
    total = {"node": _("Total"), "visits": sum(row.visits for row in rows), "calls": totals.calls,
             "queued": totals.queued, "exits": totals.exits,
             "exit_rate": Fraction(totals.exits, totals.calls) if totals.calls else None,
             "completed": totals.completed}
    notes = [_("Calls: distinct calls that visited the node. Left the call here: calls that ended unanswered "
               "at this node before any queue. Self-service completions: calls the flow ended itself at a "
               "hang-up node. The total counts each call once.")]
    return ReportTable(_("IVR node visits"), ivr_columns(), table_rows, total, notes, key="ivr")


def _label(bucket: LineBucket, grain: str) -> str:
    local = timezone.localtime(bucket.start)
    return local.strftime("%H:%M" if grain in ("15min", "hour") else "%Y-%m-%d")


def charts(period: Period, series: Sequence[LineBucket], rows: Sequence[NodeRow], lines: int) -> list[Chart]:
    x = [_label(bucket, period.grain) for bucket in series]
    lined: list[tuple[Any, list[Any]]] = [(_("Peak concurrent calls"), [b.peak for b in series]),
                                          (_("Average concurrent calls"), [b.average for b in series])]
    if lines:
        lined.append((_("Licensed lines"), [lines] * len(series)))
    nodes = [row.node for row in rows]
    return [Chart(_("Line occupancy"), "line", x, lined, key="chart-occupancy"),
            Chart(_("Blocked calls (503, rejected)"), "bar", x, [(_("Blocked calls"), [b.blocked for b in series])],
                  key="chart-blocked"),
            Chart(_("Where callers go from each IVR node"), "stacked_bar", nodes,
                  [(_("Went on to a queue"), [row.queued for row in rows]),
                   (_("Left the call here"), [row.exits for row in rows]),
                   (_("Self-service completions"), [row.completed for row in rows])], key="chart-ivr")]


@dataclass
class LinesReport:
    """Everything the page and the exports show."""

    series: list[LineBucket]
    line_totals: LineTotals
    nodes: list[NodeRow]
    ivr_totals: IvrTotals
    tables: list[ReportTable]
    charts: list[Chart]

    def figures(self) -> dict[str, Any]:
        """The period's totals, for "compare with the previous period"."""
        return {"peak": self.line_totals.peak, "average": self.line_totals.average,
                "full_minutes": self.line_totals.full_minutes, "line_minutes": self.line_totals.line_minutes,
                "blocked": self.line_totals.blocked, "exits": self.ivr_totals.exits,
                "completed": self.ivr_totals.completed}


def compare_columns() -> list[Column]:
    return [Column("peak", _("Peak concurrent calls")), Column("average", _("Average concurrent calls"), "ratio"),
            Column("full_minutes", _("Minutes with every line taken"), "ratio"),
            Column("line_minutes", _("Line time (minutes)"), "ratio"),
            Column("blocked", _("Blocked calls (503, rejected)")), Column("exits", _("IVR exits")),
            Column("completed", _("Self-service completions"))]


def build(period: Period, lines: int, flow: str = "", now: datetime.datetime | None = None,
          compare: bool = False, check: bool = True) -> LinesReport:
    """The report for a period: raises ValidationError (translated) for an unknown flow."""
    if check:  # not again for the previous period: a flow its calls did not go through is fine there
        check_flow(period, flow)
    terminal = terminal_nodes()
    series = occupancy(period, lines, now)
    nodes = ivr_nodes(period, flow, terminal)
    report = LinesReport(series, line_totals(series), nodes, ivr_totals(period, nodes, flow), [], [])
    report.tables = [occupancy_table(period, series, report.line_totals, lines),
                     ivr_table(period, nodes, report.ivr_totals)]
    report.charts = charts(period, series, nodes, lines)
    if compare:
        before = period.previous()
        earlier = build(before, lines, flow, now, check=False)
        report.tables.insert(0, comparison_table(_("Compared with the previous period"), compare_columns(),
                                                 report.figures(), earlier.figures(), period.label(),
                                                 before.label()))
    return report


# ---------------------------------------------------------------- drill-down: the calls behind a node

NODE_WHAT = ("visited", "queued")


@register("ivr_node_calls")
def ivr_node_calls(raw: dict[str, str]) -> DrillRows:
    """The calls that arrived in [start, end) and visited IVR node `node` ("flow/node"); with
    `what=queued` only those whose next step after a visit of the node was joining a queue. The rows and
    columns are the `calls` drill-down's."""
    from hotline.reports.drills import Params, RowSource, calls

    params = Params(raw, {"start", "end", "node", "what"})
    node, what = params.get("node") or "", params.get("what") or "visited"
    if "/" not in node or what not in NODE_WHAT:
        raise ValidationError(_("Name an IVR node as flow/node (and what=queued or visited): %(value)s")
                              % {"value": (node or what)[:64]}, code="bad_node")
    flow, name = _split(node)
    steps = CallEvent.objects.filter(kind=Kind.IVR_NODE, detail__flow=flow, detail__node=name)
    if (start := params.time("start")) is not None:
        steps = steps.filter(at__gte=start)  # a call's steps follow its arrival: helps the kind/at index
    if what == "queued":
        steps = steps.annotate(to_queue=_next_is_enqueue()).filter(to_queue=True)
    found = calls({key: value for key, value in raw.items() if key in ("start", "end")})
    source = found.rows
    assert isinstance(source, RowSource)
    source.queryset = source.queryset.filter(call_id__in=steps.values("call_id"))
    title = (_("Calls that visited %(node)s") if what == "visited"
             else _("Calls that reached a queue from %(node)s")) % {"node": node}
    return DrillRows(title, found.columns, source, source.queryset.count())

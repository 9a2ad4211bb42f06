"""Contact-center KPIs computed from the call event log only (definitions: docs/kpi.md).

The pure functions take logged steps and return exact `Fraction`s (rates as a share, 0..1; times in
seconds); `None` where the denominator is zero. Screens round for display with `percent` / `rounded`.
The `*_for` functions load the steps of a queue, a period or the agents from the database.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, QuerySet

from hotline.calls.conf import queue_kpi_overrides
from hotline.calls.models import AgentStateEvent, CallEvent, Kind, Outcome, Queue
from hotline.calls.timeline import Handling, QueueVisit, Step, handlings, outcome, queue_visits
from hotline.telephony.events import AgentState


class ServiceLevelVariant(StrEnum):
    """Which calls count in the service level's denominator (and numerator), as the anchors define it."""

    ANSWERED = "answered"  # Asterisk SL, Wazo qos, VICIdial: answered ≤ T / answered
    ANSWERED_ABANDONED = "answered_abandoned"  # answered ≤ T / (answered + abandoned, short ones included)
    EXCLUDE_SHORT = "exclude_short"  # answered ≤ T / (answered + abandoned − short abandons) (Talkdesk)
    ASTERISK_SL2 = "asterisk_sl2"  # (answered ≤ T + abandoned ≤ T) / (answered + abandoned)
    QUEUED = "queued"  # Amazon Connect: left the queue ≤ T (answered, abandoned, callback) / queued


@dataclass(frozen=True)
class KpiSettings:
    """Per-queue thresholds: service-level threshold T, its variant, and the short-abandon threshold."""

    service_level_seconds: int = 20
    service_level_variant: ServiceLevelVariant = ServiceLevelVariant.EXCLUDE_SHORT
    short_abandon_seconds: int = 5


def settings_for(queue: str) -> KpiSettings:
    """The queue's KPI settings: its `Queue` row, else `HOTLINE_QUEUE_KPI` (for queues the engine has
    without a row), else the defaults."""
    row = Queue.objects.filter(name=queue).values_list(
        "service_level_seconds", "service_level_variant", "short_abandon_seconds").first()
    if row is not None:
        return KpiSettings(row[0], ServiceLevelVariant(row[1]), row[2])
    raw = queue_kpi_overrides(queue)
    try:
        result = KpiSettings(
            service_level_seconds=int(raw.get("service_level_seconds", 20)),
            service_level_variant=ServiceLevelVariant(raw.get("service_level_variant", "exclude_short")),
            short_abandon_seconds=int(raw.get("short_abandon_seconds", 5)))
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"HOTLINE_QUEUE_KPI for queue {queue!r}: {exc}") from exc
    if result.service_level_seconds < 0 or result.short_abandon_seconds < 0:
        raise ImproperlyConfigured(f"HOTLINE_QUEUE_KPI for queue {queue!r}: thresholds cannot be negative")
    return result


@dataclass(frozen=True)
class QueueKpis:
    """A queue's figures for a period: counts, then the KPIs (None when undefined)."""

    queue: str
    queued: int
    answered: int
    answered_within: int
    abandoned: int
    short_abandons: int
    callbacks: int
    handled: int
    service_level: Fraction | None
    asa: Fraction | None
    abandon_rate: Fraction | None
    average_abandon_time: Fraction | None
    aht: Fraction | None
    acw: Fraction | None


def _ratio(numerator: int | Fraction, denominator: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator) / denominator


def _mean(values: Sequence[Decimal]) -> Fraction | None:
    return None if not values else sum((Fraction(value) for value in values), Fraction(0)) / len(values)


def _in(at: datetime.datetime, start: datetime.datetime, end: datetime.datetime) -> bool:
    return start <= at < end


def service_level(visits: Sequence[QueueVisit], settings: KpiSettings) -> Fraction | None:
    """The share of calls served within T under the queue's variant (docs/kpi.md)."""
    threshold, short = settings.service_level_seconds, settings.short_abandon_seconds
    answered = [v for v in visits if v.result == "answered"]
    abandoned = [v for v in visits if v.result == "abandoned"]
    within = sum(1 for v in answered if v.wait is not None and v.wait <= threshold)
    variant = settings.service_level_variant
    if variant == ServiceLevelVariant.ANSWERED:
        return _ratio(within, len(answered))
    if variant == ServiceLevelVariant.ANSWERED_ABANDONED:
        return _ratio(within, len(answered) + len(abandoned))
    if variant == ServiceLevelVariant.EXCLUDE_SHORT:
        long_abandons = sum(1 for v in abandoned if v.wait is not None and v.wait > short)
        return _ratio(within, len(answered) + long_abandons)
    if variant == ServiceLevelVariant.ASTERISK_SL2:
        abandoned_within = sum(1 for v in abandoned if v.wait is not None and v.wait <= threshold)
        return _ratio(within + abandoned_within, len(answered) + len(abandoned))
    removed = sum(1 for v in visits if v.result in ("answered", "abandoned", "callback")
                  and v.wait is not None and v.wait <= threshold)
    return _ratio(removed, len(visits))


def queue_kpis(calls: Mapping[str, Sequence[Step]], queue: str, start: datetime.datetime,
               end: datetime.datetime, settings: KpiSettings) -> QueueKpis:
    """KPIs of `queue`: the visits that entered it in [start, end), and the ended handlings answered from
    it in [start, end) — whenever the call entered, so that every handling counts in exactly one period
    (as the report facts count them, hotline/reports/callstats.py)."""
    visits = [visit for steps in calls.values() for visit in queue_visits(steps)
              if visit.queue == queue and _in(visit.entered_at, start, end)]
    handled = [h for steps in calls.values() for h in handlings(steps)
               if h.queue == queue and h.end is not None and _in(h.answered_at, start, end)]
    answered = [v for v in visits if v.result == "answered"]
    abandoned = [v for v in visits if v.result == "abandoned" and v.wait is not None]
    short = [v for v in abandoned if v.wait is not None and v.wait <= settings.short_abandon_seconds]
    long_abandons = [v.wait for v in abandoned if v not in short and v.wait is not None]
    return QueueKpis(
        queue=queue, queued=len(visits), answered=len(answered),
        answered_within=sum(1 for v in answered if v.wait is not None and v.wait <= settings.service_level_seconds),
        abandoned=len(long_abandons), short_abandons=len(short),
        callbacks=sum(1 for v in visits if v.result == "callback"), handled=len(handled),
        service_level=service_level(visits, settings),
        asa=_mean([v.wait for v in answered if v.wait is not None]),
        abandon_rate=_ratio(len(long_abandons), len(visits) - len(short)),
        average_abandon_time=_mean(long_abandons),
        aht=_mean([_handle_time(h) for h in handled]),
        acw=_mean([h.acw for h in handled]))


def _handle_time(handling: Handling) -> Decimal:
    assert handling.talk is not None
    return handling.talk + handling.hold + handling.acw


# ---------------------------------------------------------------- occupancy

_HANDLING_STATES = {AgentState.ON_CALL, AgentState.WRAP_UP}
_AVAILABLE_STATES = {AgentState.READY, AgentState.RINGING} | _HANDLING_STATES


@dataclass(frozen=True)
class AgentTime:
    """Seconds an agent spent per state in a period, and their occupancy."""

    agent: str
    seconds: dict[str, Fraction]

    @property
    def staffed(self) -> Fraction:
        return sum((v for k, v in self.seconds.items() if k != AgentState.LOGGED_OUT), Fraction(0))

    @property
    def handling(self) -> Fraction:
        return sum((v for k, v in self.seconds.items() if k in _HANDLING_STATES), Fraction(0))

    @property
    def available(self) -> Fraction:
        return sum((v for k, v in self.seconds.items() if k in _AVAILABLE_STATES), Fraction(0))

    @property
    def occupancy(self) -> Fraction | None:
        return None if not self.available else self.handling / self.available


def _duration(a: datetime.datetime, b: datetime.datetime) -> Fraction:
    return Fraction((b - a) // datetime.timedelta(microseconds=1), 1_000_000)


def agent_times(changes: Iterable[tuple[str, datetime.datetime, str]], start: datetime.datetime,
                end: datetime.datetime) -> dict[str, AgentTime]:
    """Time per state per agent in [start, end) from (agent, time, new state) changes in time order;
    a change before `start` gives the state at `start`, the last state lasts until `end`."""
    states: dict[str, tuple[datetime.datetime, str]] = {}
    totals: dict[str, dict[str, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for agent, at, state in changes:
        if agent in states:
            since, previous = states[agent]
            _add(totals[agent], previous, max(since, start), min(at, end))
        states[agent] = (at, state)
    for agent, (since, state) in states.items():
        _add(totals[agent], state, max(since, start), end)
    return {agent: AgentTime(agent, dict(seconds)) for agent, seconds in totals.items()}


def _add(totals: dict[str, Fraction], state: str, a: datetime.datetime, b: datetime.datetime) -> None:
    if b > a:
        totals[state] += _duration(a, b)


def occupancy(times: Iterable[AgentTime]) -> Fraction | None:
    """Handling time / available time, summed over agents (docs/kpi.md)."""
    handling = available = Fraction(0)
    for time in times:
        handling += time.handling
        available += time.available
    return None if not available else handling / available


# ---------------------------------------------------------------- entry (per airing) report

@dataclass
class EntryCounts:
    """What became of the calls of one airing or hotline number (`key`, None for none): P4, pre-queue
    losses visible."""

    key: int | None
    calls: int = 0
    lost_in_ivr: int = 0
    queued: int = 0
    answered: int = 0
    abandoned_in_queue: int = 0
    short_abandons: int = 0
    callbacks: int = 0
    refused: int = 0
    other: int = 0
    open: int = 0


_COUNTERS = {
    Outcome.ANSWERED: "answered", Outcome.ABANDONED_IN_IVR: "lost_in_ivr",
    Outcome.ABANDONED_IN_QUEUE: "abandoned_in_queue", Outcome.SHORT_ABANDON: "short_abandons",
    Outcome.CALLBACK: "callbacks", Outcome.REJECTED: "refused", Outcome.REFUSED_503: "refused", "": "open",
}


def entry_counts(calls: Mapping[str, Sequence[Step]], short_abandon_seconds: int = 5,
                 by: str = "airing") -> list[EntryCounts]:
    """Per airing (or per hotline number, `by="hotline_number"`), every call that arrived: lost in the
    IVR, queued, answered, abandoned, called back…"""
    rows: dict[int | None, EntryCounts] = {}
    for steps in calls.values():
        if not steps or steps[0].kind != Kind.ARRIVE:
            continue
        key = steps[0].hotline_number_id if by == "hotline_number" else steps[0].airing_id
        row = rows.setdefault(key, EntryCounts(key))
        row.calls += 1
        row.queued += any(step.kind == Kind.ENQUEUE for step in steps)
        name = _COUNTERS.get(outcome(steps, short_abandon_seconds), "other")
        setattr(row, name, getattr(row, name) + 1)
    return sorted(rows.values(), key=lambda row: (row.key is None, row.key or 0))


# ---------------------------------------------------------------- loading from the log

def load_calls(call_ids: Iterable[str]) -> dict[str, list[Step]]:
    """Every logged step of these calls, in order."""
    calls: dict[str, list[Step]] = defaultdict(list)
    rows = CallEvent.objects.filter(call_id__in=list(call_ids)).order_by("call_id", "seq")
    for row in rows:
        calls[row.call_id].append(Step(row.call_id, row.seq, row.kind, row.at, row.mono, row.queue,
                                       row.agent_key, row.detail, row.airing_id, row.hotline_number_id))
    return dict(calls)


def queue_kpis_for(queue: str, start: datetime.datetime, end: datetime.datetime,
                   settings: KpiSettings | None = None) -> QueueKpis:
    """`queue_kpis` for the calls that entered `queue` or were answered from it in [start, end), with the
    queue's settings."""
    entered = CallEvent.objects.filter(kind=Kind.ENQUEUE, queue=queue, at__gte=start, at__lt=end)
    # An answer step names its queue; one without (an outbound dial) takes the last enqueue's, so load those too.
    answered = CallEvent.objects.filter(kind=Kind.ANSWER, queue__in=[queue, ""], at__gte=start, at__lt=end)
    ids = set(entered.values_list("call_id", flat=True)) | set(answered.values_list("call_id", flat=True))
    return queue_kpis(load_calls(ids), queue, start, end, settings or settings_for(queue))


def entry_counts_for(start: datetime.datetime, end: datetime.datetime, short_abandon_seconds: int | None = None,
                     by: str = "airing") -> list[EntryCounts]:
    """`entry_counts` for the calls that arrived in [start, end)."""
    ids = CallEvent.objects.filter(kind=Kind.ARRIVE, at__gte=start, at__lt=end) \
        .values_list("call_id", flat=True).distinct()
    short = settings_for("*").short_abandon_seconds if short_abandon_seconds is None else short_abandon_seconds
    return entry_counts(load_calls(ids), short, by)


def state_changes_for(start: datetime.datetime, end: datetime.datetime) -> QuerySet[AgentStateEvent]:
    """Each agent's last state change before `start` (its state at `start`), then every change to `end`, in
    time order: what `agent_times` reads."""
    # Rows are appended in time order per agent, so the highest id before `start` is the state at `start`.
    last_before = AgentStateEvent.objects.filter(at__lt=start).values("agent_key").annotate(last=Max("id")) \
        .values_list("last", flat=True)
    rows = AgentStateEvent.objects.filter(id__in=list(last_before)) | \
        AgentStateEvent.objects.filter(at__gte=start, at__lt=end)
    return rows.order_by("at", "id")


def agent_times_for(start: datetime.datetime, end: datetime.datetime) -> dict[str, AgentTime]:
    """`agent_times` from the agent state log: the last change before `start`, then every change to `end`."""
    changes = [(row.agent_key, row.at, row.state) for row in state_changes_for(start, end)]
    return agent_times(changes, start, end)


# ---------------------------------------------------------------- display

def percent(value: Fraction | None) -> Decimal | None:
    """A share as a percentage with two decimals, rounded half up (None stays None)."""
    return None if value is None else rounded(value * 100, 2)


def rounded(value: Fraction | None, places: int = 1) -> Decimal | None:
    """Seconds (or any exact value) rounded half up to `places` decimals for display."""
    if value is None:
        return None
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

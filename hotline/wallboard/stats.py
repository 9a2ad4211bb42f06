"""The supervisor wallboard's figures, read from the database (the engine is another process).

`floor_snapshot` is everything the wallboard needs to draw itself after it (re)connects; `queue_figures`
is one queue's entry of it, recomputed when that queue's calls change. Both return plain JSON values:
times are ISO 8601 strings in the site's time zone, percentages floats with one decimal (None when
undefined, never 0).

"Today" is the local day (settings.TIME_ZONE) containing `now`, from midnight to the next midnight.

- `at` — `now`.
- `queues` — one entry per queue: every `Queue` row, and every other queue name a call of today was
  put in (`CallRecord.queue`), all sorted by name; `label` is what people read (the queue's label, else
  its name).
  - `waiting` — today's calls of the queue that were enqueued and are neither answered nor ended.
  - `longest_wait_seconds` — now − the earliest enqueue time of those calls, whole seconds; 0 when none.
    A call transferred between queues counts from its first enqueue.
  - `offered`, `answered`, `abandoned`, `service_level` — today's figures of the queue exactly as
    `hotline.calls.kpi.queue_kpis_for` computes them with the queue's settings (docs/kpi.md): queue
    visits that entered today, those answered, those abandoned after the short-abandon threshold (a
    caller the surge policy or a key press sent to a callback is not an abandon), and the service level
    in percent. Read from the closed calls' facts plus a replay of the calls still open
    (`todays_visits`), never by replaying the day.
- `callbacks` — `captured_today`: callbacks captured today; `pending`: live callbacks (pending, agent
  reserved or dialling), whenever captured; `done_today`: callbacks answered (the caller reached) today.
- `agents` — every agent with a state change today whose last state is not logged out, by agent id:
  that state, its reason, the seat, since when, whether the seat's phone can be rung (`phone_online`),
  and the user's full name (else user name, else the agent id when no user matches).
- `lines` — `in_use`: today's calls not ended; `lines`: `HOTLINE_LINES`, None when unlimited.
- `airing` — the latest airing that has started and whose attribution window (measured from its end,
  docs/attribution.md) has not passed, or None: its station and product, the calls attributed to it
  (`calls`, all of them) and per minute since its start (`per_minute`: [minute index, calls arrived in
  that minute], zeros included, the last 180 minutes at most).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from fractions import Fraction
from typing import Any, NamedTuple

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from hotline.calls import kpi
from hotline.calls.models import (
    LIVE_CALLBACK_STATUSES,
    AgentStateEvent,
    Callback,
    CallbackEvent,
    CallbackEventKind,
    CallEvent,
    CallRecord,
    Kind,
    Queue,
)
from hotline.calls.timeline import QueueVisit, queue_visits
from hotline.media.models import Airing
from hotline.media.queries import attribution_window
from hotline.reports import callstats
from hotline.reports.callstats import VisitCounts
from hotline.reports.models import CallFact, VisitFact
from hotline.telephony.events import AgentState

MAX_MINUTES = 180
MINUTE = datetime.timedelta(minutes=1)


class Day(NamedTuple):
    """The local day containing `now`: [start, end)."""

    now: datetime.datetime
    start: datetime.datetime
    end: datetime.datetime


def local_day(now: datetime.datetime) -> Day:
    """The day in settings.TIME_ZONE that contains `now`."""
    zone = timezone.get_default_timezone()
    date = timezone.localtime(now, zone).date()
    start = datetime.datetime.combine(date, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    return Day(now, start, end)


def floor_snapshot(now: datetime.datetime | None = None) -> dict[str, Any]:
    """Everything the wallboard shows, as of `now` (default: the current time); see the module docstring."""
    day = local_day(now or timezone.now())
    return {
        "at": _iso(day.now),
        "queues": _queue_entries(day, _queue_names(day)),
        "callbacks": _callbacks(day),
        "agents": _agents(day),
        "lines": _lines(day),
        "airing": _airing(day.now),
    }


def queue_figures(queue: str, now: datetime.datetime | None = None) -> dict[str, Any]:
    """One queue's entry of `floor_snapshot`, as of `now`."""
    return _queue_entries(local_day(now or timezone.now()), [queue])[0]


def _iso(value: datetime.datetime) -> str:
    return timezone.localtime(value).isoformat()


def _today(day: Day) -> Q:
    return Q(arrived_at__gte=day.start, arrived_at__lt=day.end)


# ---------------------------------------------------------------- queues

def _queue_names(day: Day) -> list[str]:
    """Configured queues, and the queues the engine used today without a row (from HOTLINE_QUEUE_KPI)."""
    names = set(Queue.objects.values_list("name", flat=True))
    # order_by() drops CallRecord's default ordering, which would otherwise break DISTINCT.
    names.update(CallRecord.objects.filter(_today(day)).exclude(queue="").order_by()
                 .values_list("queue", flat=True).distinct())
    return sorted(names)


def _queue_entries(day: Day, names: Iterable[str]) -> list[dict[str, Any]]:
    names = list(names)
    waiting = {row["queue"]: row for row in CallRecord.objects.filter(
        _today(day), queue__in=names, enqueued_at__isnull=False, answered_at__isnull=True,
        ended_at__isnull=True).order_by().values("queue").annotate(waiting=Count("id"), first=Min("enqueued_at"))}
    labels = Queue.labels()
    settings = {name: kpi.settings_for(name) for name in names}
    counts = todays_visits(day, settings)
    return [_queue_entry(day, name, labels.get(name, name), waiting.get(name), counts.get(name, VisitCounts()),
                         settings[name]) for name in names]


def todays_visits(day: Day, settings: dict[str, kpi.KpiSettings]) -> dict[str, VisitCounts]:
    """Each queue's visits that entered today, as `kpi.queue_kpis_for` counts them, without replaying the day:
    the closed calls' visits are summed from their facts (VisitFact, written when a call closes), and only
    the calls that have no facts yet — those still in progress, at most the lines in use, and any call never
    closed — are replayed from the log. A call has facts or it has not, so each visit is counted once."""
    names = list(settings)
    closed = VisitFact.objects.filter(queue__in=names, entered_at__gte=day.start, entered_at__lt=day.end)
    counts = {key[0]: value for key, value in callstats.visit_counts(closed, ["queue"]).items()}
    entered = CallEvent.objects.filter(kind=Kind.ENQUEUE, queue__in=names, at__gte=day.start, at__lt=day.end)
    # NOT EXISTS, not NOT IN: PostgreSQL checks a NOT IN row by row once the call ids outgrow its memory.
    open_ids = entered.filter(~Exists(CallFact.objects.filter(call_id=OuterRef("call_id")))).order_by() \
        .values_list("call_id", flat=True).distinct()
    for steps in kpi.load_calls(list(open_ids)).values():
        for visit in queue_visits(steps):
            if visit.queue in settings and day.start <= visit.entered_at < day.end:
                counts[visit.queue] = counts.get(visit.queue, VisitCounts()) + _counted(visit, settings[visit.queue])
    return counts


def _counted(visit: QueueVisit, settings: kpi.KpiSettings) -> VisitCounts:
    """One replayed visit as the sums of VisitFact would count it (the same rules as reports.facts)."""
    wait, result = visit.wait, visit.result
    within = wait is not None and wait <= settings.service_level_seconds
    short = result == "abandoned" and wait is not None and wait <= settings.short_abandon_seconds
    return VisitCounts(
        queued=1, answered=int(result == "answered"), answered_within=int(result == "answered" and within),
        abandoned=int(result == "abandoned" and not short), short_abandons=int(short),
        abandoned_within=int(result == "abandoned" and within), callbacks=int(result == "callback"),
        callbacks_within=int(result == "callback" and within), transferred=int(result == "transferred"),
        overflow=int(result == "overflow"), waiting=int(result == ""))


def _queue_entry(day: Day, name: str, label: str, waiting: dict[str, Any] | None, counts: VisitCounts,
                 settings: kpi.KpiSettings) -> dict[str, Any]:
    longest = 0
    if waiting is not None:
        longest = max(0, int((day.now - waiting["first"]).total_seconds()))
    return {
        "name": name,
        "label": label,
        "waiting": waiting["waiting"] if waiting is not None else 0,
        "longest_wait_seconds": longest,
        "service_level": _percent(counts.service_level(settings.service_level_variant)),
        "offered": counts.queued,
        "answered": counts.answered,
        "abandoned": counts.abandoned,
    }


def _percent(share: Fraction | None) -> float | None:
    value = kpi.rounded(share * 100, 1) if share is not None else None
    return None if value is None else float(value)


# ---------------------------------------------------------------- callbacks, agents, lines

def _callbacks(day: Day) -> dict[str, int]:
    counts = Callback.objects.aggregate(
        captured_today=Count("id", filter=Q(captured_at__gte=day.start, captured_at__lt=day.end)),
        pending=Count("id", filter=Q(status__in=LIVE_CALLBACK_STATUSES)))
    # A callback's answered event is logged once; its row's updated_at may move on later changes.
    done = CallbackEvent.objects.filter(kind=CallbackEventKind.ANSWERED, at__gte=day.start, at__lt=day.end) \
        .order_by().values("callback").distinct().count()
    return {"captured_today": counts["captured_today"], "pending": counts["pending"], "done_today": done}


def _agents(day: Day) -> list[dict[str, Any]]:
    # Rows are appended in time order per agent, so the highest id is the last change (as in kpi).
    last_ids = list(AgentStateEvent.objects.filter(at__gte=day.start, at__lt=day.end).order_by()
                    .values("agent_key").annotate(last=Max("id")).values_list("last", flat=True))
    rows = AgentStateEvent.objects.filter(id__in=last_ids).exclude(state=AgentState.LOGGED_OUT) \
        .select_related("agent").order_by("agent_key")
    return [{"agent": row.agent_key, "name": _display_name(row), "state": row.state, "reason": row.reason,
             "seat": row.seat, "since": _iso(row.at), "phone_online": row.phone_online} for row in rows]


def _display_name(row: AgentStateEvent) -> str:
    if row.agent is None:
        return row.agent_key
    return row.agent.get_full_name() or row.agent.username


def _lines(day: Day) -> dict[str, int | None]:
    in_use = CallRecord.objects.filter(_today(day), ended_at__isnull=True).count()
    return {"in_use": in_use, "lines": settings.HOTLINE_LINES or None}


# ---------------------------------------------------------------- airing

def _airing(now: datetime.datetime) -> dict[str, Any] | None:
    airing = Airing.objects.select_related("station", "product") \
        .filter(starts_at__lte=now, ends_at__gte=now - attribution_window()).order_by("-starts_at", "-id").first()
    if airing is None:
        return None
    total, per_minute = _airing_calls(airing, now)
    return {
        "id": airing.pk,
        "station": airing.station.name,
        "product": airing.product.name if airing.product is not None else "",
        "starts_at": _iso(airing.starts_at),
        "ends_at": _iso(airing.ends_at),
        "calls": total,
        "per_minute": per_minute,
    }


def _airing_calls(airing: Airing, now: datetime.datetime) -> tuple[int, list[list[int]]]:
    """All calls attributed to the airing, and per minute from its start to now's minute, in one query."""
    minutes = (now - airing.starts_at) // MINUTE + 1
    indexes = range(max(0, minutes - MAX_MINUTES), minutes)
    buckets = {f"m{i}": Count("id", filter=Q(arrived_at__gte=airing.starts_at + i * MINUTE,
                                             arrived_at__lt=airing.starts_at + (i + 1) * MINUTE))
               for i in indexes}
    counts = CallRecord.objects.filter(airing=airing).aggregate(total=Count("id"), **buckets)
    return counts["total"], [[i, counts[f"m{i}"]] for i in indexes]

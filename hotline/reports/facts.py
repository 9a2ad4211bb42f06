"""Writing the report facts of a call from its logged steps (hotline/reports/models.py).

`refresh_call_facts` runs when a call ends (`do_close_call_record`) and again when its agent's after-call
work ends (the `wrapup_end` step comes after the hang-up); `rebuild_facts` rewrites the facts of every
call that arrived in a period from the log, for data written before the facts existed or after a
queue's thresholds changed. Both replace a call's facts as a whole, so running them twice is harmless.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.db import transaction

from hotline.calls.kpi import KpiSettings, load_calls, settings_for
from hotline.calls.models import Callback, CallEvent, CallRecord, Kind
from hotline.calls.timeline import QueueVisit, Step, handlings, outcome, queue_visits
from hotline.media.models import Airing, HotlineNumber
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from hotline.telephony.events import CallStep

BATCH = 2_000


def ms(value: Decimal | None) -> int | None:
    """Seconds with millisecond precision as whole milliseconds."""
    return None if value is None else int(value * 1000)


class _Thresholds:
    """Each queue's KPI settings, read once per refresh or rebuild."""

    def __init__(self) -> None:
        self._known: dict[str, KpiSettings] = {}

    def __call__(self, queue: str) -> KpiSettings:
        if queue not in self._known:
            self._known[queue] = settings_for(queue)
        return self._known[queue]


Facts = tuple[CallFact, list[VisitFact], list[HandlingFact]]


def build_facts(steps: Sequence[Step], thresholds: Callable[[str], KpiSettings], station_of: dict[str, int | None],
                captured: dict[str, int], caller: str = "") -> Facts | None:
    """The facts of one call (unsaved), or None when its steps do not start with an arrival."""
    if not steps or steps[0].kind != Kind.ARRIVE:
        return None
    arrive, call_id = steps[0], steps[0].call_id
    visits = queue_visits(steps)
    parts = handlings(steps)
    first_queue = visits[0].queue if visits else ""
    visit_rows = [_visit_fact(index, visit, thresholds(visit.queue), arrive)
                  for index, visit in enumerate(visits, start=1)]
    handling_rows = [HandlingFact(call_id=call_id, seq=index, queue=part.queue, agent_key=part.agent,
                                  answered_at=part.answered_at, ended=part.end is not None,
                                  talk_ms=ms(part.talk) or 0, hold_ms=ms(part.hold) or 0, acw_ms=ms(part.acw) or 0,
                                  airing_id=arrive.airing_id)
                     for index, part in enumerate(parts, start=1)]
    ended = [step for step in steps if step.kind in (CallStep.HANGUP, CallStep.ABANDON)]
    nodes = [step for step in steps if step.kind == CallStep.IVR_NODE]
    waits = [visit.wait for visit in visits if visit.wait is not None]
    done = [part for part in parts if part.talk is not None]
    outbound_callback = arrive.detail.get("callback_id")
    call = CallFact(
        call_id=call_id, direction=arrive.detail.get("direction") or "inbound", arrived_at=arrive.at,
        ended_at=ended[-1].at if ended else None, caller=caller or str(arrive.detail.get("caller", ""))[:32],
        hotline_number_id=arrive.hotline_number_id,
        airing_id=arrive.airing_id, station_id=_station(arrive, station_of),
        outcome=outcome(steps, thresholds(first_queue or "*").short_abandon_seconds),
        queue=first_queue, visits=len(visits), agent_key=parts[0].agent if parts else "",
        wait_ms=ms(sum(waits, Decimal(0))) if waits else None,
        talk_ms=ms(sum((p.talk for p in done if p.talk is not None), Decimal(0))) if done else None,
        hold_ms=ms(sum((p.hold for p in done), Decimal(0))) if done else None,
        acw_ms=ms(sum((p.acw for p in done), Decimal(0))) if done else None,
        ivr_nodes=len(nodes), ivr_last_node=_node_name(nodes[-1]) if nodes else "",
        callback_id=int(outbound_callback) if outbound_callback else captured.get(call_id),
        duration_ms=ms(ended[-1].t - arrive.t) if ended else None)
    return call, visit_rows, handling_rows


def _visit_fact(index: int, visit: QueueVisit, settings: KpiSettings, arrive: Step) -> VisitFact:
    wait = visit.wait
    return VisitFact(
        call_id=visit.call_id, seq=index, queue=visit.queue, entered_at=visit.entered_at, result=visit.result,
        wait_ms=ms(wait), within=wait is not None and wait <= settings.service_level_seconds,
        short=visit.result == "abandoned" and wait is not None and wait <= settings.short_abandon_seconds,
        agent_key=visit.agent, airing_id=arrive.airing_id, hotline_number_id=arrive.hotline_number_id)


def _node_name(step: Step) -> str:
    return f"{step.detail.get('flow', '')}/{step.detail.get('node', '')}"[:64]


def _station(arrive: Step, station_of: dict[str, int | None]) -> int | None:
    if arrive.airing_id is not None:
        return station_of.get(f"a{arrive.airing_id}")
    if arrive.hotline_number_id is not None:
        return station_of.get(f"n{arrive.hotline_number_id}")
    return None


def _stations(calls: Iterable[Sequence[Step]]) -> dict[str, int | None]:
    """"a<airing id>" and "n<hotline number id>" → station id, for the calls' first steps."""
    airings = {steps[0].airing_id for steps in calls if steps and steps[0].airing_id is not None}
    numbers = {steps[0].hotline_number_id for steps in calls if steps and steps[0].hotline_number_id is not None}
    found: dict[str, int | None] = {
        f"a{pk}": station for pk, station in Airing.objects.filter(pk__in=airings).values_list("pk", "station_id")}
    found.update({f"n{pk}": station for pk, station in
                  HotlineNumber.objects.filter(pk__in=numbers).values_list("pk", "station_id")})
    return found


def _captured(call_ids: Iterable[str]) -> dict[str, int]:
    """call id → the callback it was captured as."""
    return dict(Callback.objects.filter(call_id__in=list(call_ids)).values_list("call_id", "pk"))


@transaction.atomic
def write_facts(calls: dict[str, list[Step]]) -> int:
    """Replace the facts of these calls by the ones their steps give; the number of calls written."""
    thresholds = _Thresholds()
    station_of = _stations(calls.values())
    captured = _captured(calls)
    # The caller as the call record normalised it (the arrival's detail keeps it as received).
    callers = dict(CallRecord.objects.filter(call_id__in=list(calls)).values_list("call_id", "caller"))
    built = [facts for call_id, steps in calls.items()
             if (facts := build_facts(steps, thresholds, station_of, captured, callers.get(call_id, "")))]
    ids = list(calls)
    for model in (CallFact, VisitFact, HandlingFact):
        model.objects.filter(call_id__in=ids).delete()
    CallFact.objects.bulk_create([call for call, _v, _h in built], batch_size=BATCH)
    VisitFact.objects.bulk_create([v for _c, visits, _h in built for v in visits], batch_size=BATCH)
    HandlingFact.objects.bulk_create([h for _c, _v, parts in built for h in parts], batch_size=BATCH)
    return len(built)


def refresh_call_facts(call_id: str) -> None:
    """Rewrite one call's facts from its log (when it ends, and when its after-call work ends)."""
    write_facts(load_calls([call_id]) or {call_id: []})


def rebuild_facts(start: datetime.datetime | None = None, end: datetime.datetime | None = None,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Rewrite the facts of every call that arrived in [start, end) (all calls when open), in batches;
    `progress(done, total)` after each batch. The number of calls written."""
    arrivals = CallEvent.objects.filter(kind=Kind.ARRIVE)
    if start is not None:
        arrivals = arrivals.filter(at__gte=start)
    if end is not None:
        arrivals = arrivals.filter(at__lt=end)
    ids = list(arrivals.order_by("at", "id").values_list("call_id", flat=True))
    written = 0
    for offset in range(0, len(ids), BATCH):
        batch = ids[offset:offset + BATCH]
        written += write_facts({call_id: [] for call_id in batch} | load_calls(batch))
        if progress is not None:
            progress(min(offset + BATCH, len(ids)), len(ids))
    return written

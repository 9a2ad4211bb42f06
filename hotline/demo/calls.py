"""Demo calls: an event log as the engine writes it, with the surges that follow each airing.

Calls arrive in the minutes after an airing starts (a sharp peak a minute or two after the phone number is
shown, decaying over the next 30–60 minutes) and in the background through the day. Each call is played
through a small contact-center simulation, in arrival order: the line limit (503 when every line is busy),
the demo IVR (welcome, the main menu, order status by self-service, callers who hang up in the menu), the
two queues, the agents on their shifts (login, breaks, ringing, talk, hold, after-call work, logout) and the
caller's patience (abandons, short abandons, callbacks taken instead of waiting). Each call's steps are
written as `CallEvent` rows, its `CallRecord` summary, `AgentStateEvent` rows, a `Callback` for each
callback captured, and the report facts — computed here from the same numbers the steps carry, with the
definitions of `hotline.reports.facts.build_facts` (a test replays a sample through it and compares).

Everything is written with multi-row INSERTs (`hotline.lib.bulk.insert_rows`) in chunks, so a million
calls need the memory of a chunk only. The same world, count and seed give the same calls.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import heapq
import itertools
import json
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models
from django.db.models import Field

from hotline.calls.kpi import settings_for
from hotline.calls.models import AgentStateEvent, Callback, CallEvent, CallRecord
from hotline.demo.media import AttributionIndex, PlannedAiring
from hotline.lib.bulk import PARAMETERS, batches
from hotline.reports.models import CallFact, HandlingFact, VisitFact

FLOW = "demo"
SEAT_PREFIX = "A-"
BACKGROUND_SHARE = 0.3  # calls not prompted by an airing in the minutes before
REPEAT_CALLER_SHARE = 0.15
# Local hours of background calls (weights), 07:00–23:00: evenings are busier.
HOUR_WEIGHTS = {7: 2, 8: 4, 9: 6, 10: 7, 11: 7, 12: 5, 13: 6, 14: 7, 15: 7, 16: 6, 17: 6, 18: 7, 19: 9, 20: 10,
                21: 10, 22: 8, 23: 4}
# Agent shifts (local hour, minute; length in minutes): the early and the late shift overlap at the change.
SHIFTS = (((8, 0), 8 * 60 + 30), ((15, 0), 9 * 60))
BREAKS = ((120, 15, "break"), (250, 30, "lunch"), (400, 15, "break"))  # minutes into the shift, length, reason
CALLBACK_OFFER_MS = 45_000  # a caller still waiting after 45 s is offered a callback
SURGE_WAIT_MS = 60_000  # HOTLINE_SURGE_MAX_WAIT: above it the automatic seat takes a growing share of callers
MS = 1000

EVENT_COLUMNS = ("call_id", "seq", "kind", "at", "mono", "queue", "agent_key", "agent", "caller", "hotline_number",
                 "airing", "detail")
RECORD_COLUMNS = ("call_id", "direction", "caller", "dnis", "hotline_number", "airing", "queue", "agent_key",
                  "agent", "arrived_at", "enqueued_at", "answered_at", "ended_at", "outcome", "wait_seconds",
                  "talk_seconds", "hold_seconds", "wrapup_seconds")
STATE_COLUMNS = ("agent_key", "agent", "state", "seat", "reason", "at", "mono", "phone_online", "wrapup_until")
CALLBACK_COLUMNS = ("id", "number", "dnis", "hotline_number", "airing", "reason", "call_id", "arrived_at",
                    "captured_at", "status", "reach_attempts", "dial_attempts", "last_result", "updated_at",
                    "last_call_id", "not_dialled")
CALL_FACT_COLUMNS = ("call_id", "direction", "arrived_at", "ended_at", "caller", "hotline_number", "airing",
                     "station", "outcome", "queue", "visits", "agent_key", "wait_ms", "talk_ms", "hold_ms", "acw_ms",
                     "ivr_nodes", "ivr_last_node", "callback_id", "duration_ms")
VISIT_COLUMNS = ("call_id", "seq", "queue", "entered_at", "result", "wait_ms", "within", "short", "agent_key",
                 "airing", "hotline_number")
HANDLING_COLUMNS = ("call_id", "seq", "queue", "agent_key", "answered_at", "ended", "talk_ms", "hold_ms", "acw_ms",
                    "airing")


@dataclass(frozen=True)
class QueueRules:
    """What the simulation needs of a queue: wrap-up and maximum wait (seconds), the KPI thresholds, and the
    caller's talk time (mean seconds)."""

    name: str
    wrapup: int
    max_wait: int
    service_level: int
    short_abandon: int
    talk_mean: float


@dataclass
class CallWorld:
    """Where the calls happen: airings, hotline numbers (id → station id, None when shared; id → number),
    agents (agent id → user id), the period [start, end), the attribution window and the lines (0: none)."""

    airings: list[PlannedAiring]
    stations: dict[int, int | None]
    numbers: dict[int, str]
    agents: list[tuple[str, int | None]]
    start: datetime.datetime
    end: datetime.datetime
    window: datetime.timedelta = field(
        default_factory=lambda: datetime.timedelta(minutes=settings.HOTLINE_ATTRIBUTION_WINDOW_MINUTES))
    lines: int = 30
    prefix: str = "demo"
    first_callback_id: int = 1


@dataclass
class CallSummary:
    """What was written: rows per table, calls per outcome, the answered calls (for linking orders)."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    answered: list[tuple[int, str, int, str]] = field(default_factory=list)  # airing, agent, answer ms, call id
    seconds: float = 0.0
    generate_seconds: float = 0.0


@dataclass
class _Agent:
    """An agent in the simulation: when they are free next, their shifts and breaks (ms from the start)."""

    index: int
    key: str
    user: int | None
    seat: str
    shifts: list[tuple[int, int]]
    free_at: int = 0
    shift: int = -1  # the shift they are (or were last) signed in for; -1 before the first
    signed_in: bool = False
    breaks: list[tuple[int, int, str]] = field(default_factory=list)


def queue_rules() -> dict[str, QueueRules]:
    """The demo queues' rules (orders: short order calls; after_sales: longer), thresholds from the rows."""
    rules = {}
    for name, wrapup, max_wait, talk in (("orders", 15, 180, 110.0), ("after_sales", 30, 300, 200.0)):
        kpis = settings_for(name)
        rules[name] = QueueRules(name, wrapup, max_wait, kpis.service_level_seconds, kpis.short_abandon_seconds,
                                 talk)
    return rules


class CallGenerator:
    """Plays `count` calls through the world and writes them, chunk by chunk (see the module docstring)."""

    def __init__(self, world: CallWorld, count: int, seed: int, chunk: int = 20_000,
                 progress: Callable[[str], None] | None = None) -> None:
        self.world, self.count, self.chunk = world, count, chunk
        self.rng = random.Random(f"calls-{seed}")
        self.say = progress or (lambda message: None)
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.start = world.start
        self.epoch = world.start.timestamp()
        self.end_ms = self._ms(world.end)
        self.rules = queue_rules()
        self.index = AttributionIndex(world.airings, world.window)
        self.agents = [_Agent(i, key, user, f"{SEAT_PREFIX}{i + 1:02d}", self._shifts(i))
                       for i, (key, user) in enumerate(world.agents)]
        self.idle = [(0, agent.index) for agent in self.agents]
        heapq.heapify(self.idle)
        self.lines: list[int] = []  # end times of the calls on a line
        self.waiting: dict[str, list[int]] = {name: [] for name in self.rules}
        self.callers: list[str] = []
        self.callback_id = world.first_callback_id
        self.live_numbers: set[str] = set()
        self.summary = CallSummary()
        self._reset_rows()

    # ---------------------------------------------------------------- time

    def _ms(self, at: datetime.datetime) -> int:
        return (at - self.start) // datetime.timedelta(milliseconds=1)

    def _at(self, ms: int) -> datetime.datetime:
        # fromtimestamp rounds to the microsecond, so a whole millisecond comes back exact (and fast).
        return datetime.datetime.fromtimestamp(self.epoch + ms / MS, datetime.UTC)

    def _shifts(self, index: int) -> list[tuple[int, int]]:
        """The agent's shifts over the period: the early shift for the first half of the agents, the late
        one for the others (every day)."""
        (hour, minute), minutes = SHIFTS[index % 2]
        first = self.start.astimezone(self.zone).date() - datetime.timedelta(days=1)
        days = (self.world.end - self.start).days + 2
        shifts = []
        for offset in range(days + 1):
            day = first + datetime.timedelta(days=offset)
            begin = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)
            begin += datetime.timedelta(minutes=(index // 2) % 4 * 5)  # they do not all sign in at once
            shifts.append((self._ms(begin), self._ms(begin + datetime.timedelta(minutes=minutes))))
        return shifts

    # ---------------------------------------------------------------- arrivals

    def arrivals(self) -> list[tuple[int, int]]:
        """(arrival ms, hotline number id) of every call, in time order."""
        rng, end = self.rng, self.end_ms
        airings = [a for a in self.world.airings if 0 <= self._ms(a.starts_at) < end]
        weights = list(itertools.accumulate(float(a.cost) or a.length_seconds for a in airings))
        own = {station: number for number, station in self.world.stations.items() if station is not None}
        shared = [number for number, station in self.world.stations.items() if station is None]
        numbers = sorted(self.world.stations)
        days = max(1, math.ceil(end / 86_400_000))
        hours, hour_weights = list(HOUR_WEIGHTS), list(itertools.accumulate(HOUR_WEIGHTS.values()))
        first_day = self.start.astimezone(self.zone).date()
        found: list[tuple[int, int]] = []
        while len(found) < self.count:
            if not airings or rng.random() < BACKGROUND_SHARE:
                day = first_day + datetime.timedelta(days=rng.randrange(days + 1))
                hour = rng.choices(hours, cum_weights=hour_weights)[0]
                local = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=self.zone)
                at = self._ms(local) + rng.randrange(3_600_000)
                number = rng.choice(numbers)
            else:
                airing = rng.choices(airings, cum_weights=weights)[0]
                at = self._ms(airing.starts_at) + self._response(airing.length_seconds)
                station_number = own.get(airing.station_id)
                number = station_number if station_number and (not shared or rng.random() < 0.85) \
                    else rng.choice(shared or numbers)
            if 0 <= at < end:
                found.append((at, number))
        found.sort()
        return found

    def _response(self, length: int) -> int:
        """Milliseconds after the airing's start a viewer calls: a peak a minute or two after the number is
        first shown, decaying over the half hour after the airing (capped at its end plus 60 minutes)."""
        rng = self.rng
        react = rng.uniform(20, 120)
        offset = react + rng.expovariate(1 / (240 + length / 3))
        return int(min(offset, length + 3600 - rng.uniform(0, 600)) * MS)

    # ---------------------------------------------------------------- the run

    def run(self) -> CallSummary:
        started = time.perf_counter()
        arrivals = self.arrivals()
        self.summary.generate_seconds += time.perf_counter() - started
        for number, (at, hotline) in enumerate(arrivals):
            self._call(number, at, hotline)
            if len(self.call_facts) >= self.chunk:
                self._flush(number + 1, len(arrivals), started)
        self._sign_out_all()
        self._flush(len(arrivals), len(arrivals), started)
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def _reset_rows(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.records: list[tuple[Any, ...]] = []
        self.states: list[tuple[Any, ...]] = []
        self.callbacks: list[tuple[Any, ...]] = []
        self.call_facts: list[tuple[Any, ...]] = []
        self.visit_facts: list[tuple[Any, ...]] = []
        self.handling_facts: list[tuple[Any, ...]] = []

    def _flush(self, done: int, total: int, started: float) -> None:
        generated = time.perf_counter()
        counts = self.summary.counts
        for model, columns, rows, name in (
                (CallEvent, EVENT_COLUMNS, self.events, "call_events"),
                (CallRecord, RECORD_COLUMNS, self.records, "call_records"),
                (AgentStateEvent, STATE_COLUMNS, self.states, "agent_states"),
                (Callback, CALLBACK_COLUMNS, self.callbacks, "callbacks"),
                (CallFact, CALL_FACT_COLUMNS, self.call_facts, "call_facts"),
                (VisitFact, VISIT_COLUMNS, self.visit_facts, "visit_facts"),
                (HandlingFact, HANDLING_COLUMNS, self.handling_facts, "handling_facts")):
            if rows:
                _insert(model, columns, rows)
            counts[name] += len(rows)
        self._reset_rows()
        self.say(f"{done:,} of {total:,} calls ({time.perf_counter() - started:.1f} s, "
                 f"{time.perf_counter() - generated:.1f} s of it writing this chunk)")

    # ---------------------------------------------------------------- one call

    def _caller(self) -> str:
        rng = self.rng
        if self.callers and rng.random() < REPEAT_CALLER_SHARE:
            return rng.choice(self.callers)
        number = f"1{rng.choice('35789')}{rng.randrange(10 ** 9):09d}"
        if len(self.callers) < 50_000:
            self.callers.append(number)
        return number

    def _call(self, number: int, arrive: int, hotline: int) -> None:
        rng = self.rng
        station = self.world.stations.get(hotline)
        airing = self.index.attribute(station, self._at(arrive))
        call = _Call(f"{self.world.prefix}-{number + 1:08d}", arrive, hotline, self.world.numbers[hotline],
                     airing.id if airing else None,
                     airing.station_id if airing else station, self._caller())
        while self.lines and self.lines[0] <= arrive:
            heapq.heappop(self.lines)
        if self.world.lines and len(self.lines) >= self.world.lines:
            call.step("hangup", arrive, detail={"by": "system", "cause": "refused_503"})
            call.outcome = "refused_503"
            self._keep(call)
            return
        t = call.node("welcome", arrive + rng.randint(200, 600))
        if airing is not None:  # the airing's number skips the menu and puts the caller through to orders
            queue, t = "orders", t + rng.randint(2_500, 4_000)
        else:
            t = call.node("main_menu", t + rng.randint(4_000, 6_000))
            choice = rng.random()
            if choice < 0.04:  # hung up in the menu
                call.step("hangup", t + rng.randint(1_000, 8_000), detail={"by": "caller", "cause": "normal"})
                call.outcome = "abandoned_in_ivr"
                self._keep(call)
                return
            if choice < 0.10:  # order status by self-service, then goodbye
                call.events[-1][4]["digits"] = "2"
                t = call.node("status_by_caller", t + rng.randint(1_500, 4_000))
                call.step("hangup", t + rng.randint(15_000, 60_000), detail={"by": "caller", "cause": "normal"})
                call.outcome = "abandoned_in_ivr"
                self._keep(call)
                return
            queue = "after_sales" if choice < 0.34 else "orders"
            call.events[-1][4]["digits"] = "3" if queue == "after_sales" else rng.choice(("1", "1", ""))
            t = call.node(queue, t + rng.randint(1_000, 3_000))
            t += rng.randint(2_000, 3_500)  # please hold
        self._queue(call, queue, t)

    def _queue(self, call: _Call, queue: str, enqueue: int) -> None:
        rng, rules = self.rng, self.rules[queue]
        waiting = self.waiting[queue]
        while waiting and waiting[0] <= enqueue:
            heapq.heappop(waiting)
        call.step("enqueue", enqueue, queue=queue, detail={"position": len(waiting) + 1})
        call.queue, call.enqueued = queue, enqueue
        agent, offer = self._pick_agent(enqueue)
        ring = rng.randint(2_000, 8_000)
        wait = offer + ring - enqueue
        patience = int(rng.expovariate(1 / (100 if call.airing else 120)) * MS)
        # Surge capture (docs/telephony.md): a caller facing more than a minute's wait is taken by the automatic
        # seat with a share growing to all at two minutes; they hear the confirmation and hang up.
        captured = wait > SURGE_WAIT_MS and rng.random() < min(1.0, (wait - SURGE_WAIT_MS) / SURGE_WAIT_MS)
        if not captured and wait <= min(patience, rules.max_wait * MS):
            self._answer(call, agent, queue, offer, offer + ring)
            heapq.heappush(waiting, offer + ring)
            return
        self._release(agent)
        if captured:
            leave, reason = enqueue + rng.randint(3_000, 6_000), "surge"
        elif wait > CALLBACK_OFFER_MS < patience and rng.random() < 0.5:
            leave, reason = enqueue + CALLBACK_OFFER_MS + rng.randint(0, 8_000), "surge" if call.airing else "requested"
        elif patience < rules.max_wait * MS:
            leave, reason = enqueue + max(patience, 500), ""
        else:
            leave, reason = enqueue + rules.max_wait * MS, "overflow"
        heapq.heappush(waiting, leave)
        call.visit_end, call.visit_result = leave, "callback" if reason else "abandoned"
        if reason:
            call.step("callback_request", leave, queue=queue, detail={"number": call.caller})
            call.step("hangup", leave + rng.randint(2_000, 5_000), detail={"by": "caller", "cause": "normal"})
            call.outcome, call.callback_reason = "callback", reason
        else:
            call.step("abandon", leave, queue=queue, detail={"position": rng.randint(1, 1 + len(waiting))})
            call.step("hangup", leave, detail={"by": "caller", "cause": "normal"})
            call.outcome = "short_abandon" if leave - enqueue <= rules.short_abandon * MS else "abandoned_in_queue"
        self._keep(call)

    def _answer(self, call: _Call, agent: _Agent, queue: str, offer: int, answer: int) -> None:
        rng, rules = self.rng, self.rules[queue]
        talk = int(min(1_200, max(25.0, rng.lognormvariate(math.log(rules.talk_mean) - 0.18, 0.6))) * MS)
        hold = rng.randint(8_000, 90_000) if rng.random() < 0.2 else 0
        hangup = answer + talk + hold
        acw = rng.randint(3_000, rules.wrapup * MS) if rng.random() < 0.7 else rules.wrapup * MS
        if hangup + acw > self.end_ms:  # still going on at the end of the period: not part of the data set
            call.dropped = True
            self._release(agent)
            return
        key, user = agent.key, agent.user
        call.step("offer", offer, queue, key, {"caller": call.caller, "dnis": call.dnis, "airing_id": call.airing,
                                               "warning": ""}, user)
        call.step("ring", offer + 150, queue, key, {"seat": agent.seat}, user)
        call.step("answer", answer, queue, key, None, user)
        if hold:
            held = answer + rng.randint(talk // 5, talk // 2)
            call.step("hold", held, queue, key, None, user)
            call.step("resume", held + hold, queue, key, None, user)
        call.step("hangup", hangup, "", key, {"by": rng.choice(("caller", "caller", "agent")), "cause": "normal"},
                  user)
        call.step("wrapup_end", hangup + acw, queue, key, None, user)
        call.visit_end, call.visit_result = answer, "answered"
        call.agent, call.user, call.answer, call.talk, call.hold, call.acw = agent.key, agent.user, answer, talk, \
            hold, acw
        call.outcome = "answered"
        self._state(agent, "ringing", offer)
        self._state(agent, "on_call", answer)
        self._state(agent, "wrap_up", hangup, wrapup_until=hangup + rules.wrapup * MS)
        self._state(agent, "ready", hangup + acw)
        agent.free_at = hangup + acw + rng.randint(500, 5_000)
        self._release(agent)
        if call.airing is not None:
            self.summary.answered.append((call.airing, agent.key, answer, call.call_id))
        self._keep(call)

    # ---------------------------------------------------------------- agents

    def _pick_agent(self, moment: int) -> tuple[_Agent, int]:
        """The agent who can take a call wanted at `moment` first (taken off the idle heap), and when."""
        while True:
            _key, index = heapq.heappop(self.idle)
            agent = self.agents[index]
            offer = self._available(agent, moment)
            if not self.idle or offer <= self.idle[0][0]:
                return agent, offer
            heapq.heappush(self.idle, (offer, index))  # signed in later or on a break: someone else may be first

    def _release(self, agent: _Agent) -> None:
        heapq.heappush(self.idle, (agent.free_at, agent.index))

    def _available(self, agent: _Agent, moment: int) -> int:
        """When the agent can take a call wanted at `moment`: signed in for a shift then, after any break
        due; signs them in, out and on breaks on the way (their schedule, whoever calls)."""
        while True:
            if agent.signed_in:
                begin, end = agent.shifts[agent.shift]
                if max(moment, agent.free_at) < end:
                    moment = max(moment, agent.free_at)
                    due = [b for b in agent.breaks if b[0] <= moment]
                    if not due:
                        return moment
                    scheduled, length, reason = due[0]
                    agent.breaks.remove(due[0])
                    start = max(scheduled, agent.free_at)
                    self._state(agent, "not_ready", start, reason=reason)
                    self._state(agent, "ready", start + length)
                    agent.free_at = start + length
                    continue
                self._sign_out(agent, max(end, agent.free_at))
            following = next((k for k in range(agent.shift + 1, len(agent.shifts))
                              if agent.shifts[k][1] > moment), None)
            if following is None or agent.shifts[following][0] >= self.end_ms:  # nobody answers any more
                agent.shift = len(agent.shifts) - 1
                return self.end_ms + 3_600_000
            agent.shift = following
            begin, end = agent.shifts[following]
            agent.free_at = max(begin, agent.free_at)
            agent.signed_in = True
            self._state(agent, "ready", agent.free_at)
            agent.breaks = [(begin + at * 60_000, length * 60_000, reason) for at, length, reason in BREAKS]

    def _sign_out(self, agent: _Agent, at: int) -> None:
        agent.breaks, agent.signed_in = [], False
        if at <= self.end_ms:
            self._state(agent, "logged_out", at)
            agent.free_at = at

    def _sign_out_all(self) -> None:
        for agent in self.agents:
            if agent.signed_in and agent.shifts[agent.shift][1] <= self.end_ms:
                # Breaks still due before the end of the shift are taken while nobody called.
                for scheduled, length, reason in agent.breaks:
                    start = max(scheduled, agent.free_at)
                    if start + length <= agent.shifts[agent.shift][1]:
                        self._state(agent, "not_ready", start, reason=reason)
                        self._state(agent, "ready", start + length)
                        agent.free_at = start + length
                self._sign_out(agent, max(agent.shifts[agent.shift][1], agent.free_at))
            if agent.signed_in or (agent.free_at > self.end_ms and agent.shift >= 0):
                # Still signed in at the end of the data set (a shift or a wrap-up running past it): the data
                # ends with every agent signed out, so nobody looks signed in on the desk or the wallboard.
                self._sign_out(agent, self.end_ms)

    def _state(self, agent: _Agent, state: str, at: int, reason: str = "", wrapup_until: int | None = None) -> None:
        if at > self.end_ms:
            return
        self.states.append((agent.key, agent.user, state, agent.seat if state != "logged_out" else "", reason,
                            self._at(at), at / MS, True, None if wrapup_until is None else self._at(wrapup_until)))

    # ---------------------------------------------------------------- rows

    def _keep(self, call: _Call) -> None:
        if call.dropped or call.events[-1][1] > self.end_ms:
            return
        self.summary.outcomes[call.outcome] += 1
        ended = call.events[-1][1] if call.events[-1][0] != "wrapup_end" else call.events[-2][1]
        heapq.heappush(self.lines, ended)
        self._event_rows(call)
        self._record_row(call, ended)
        callback = self._callback_row(call) if call.callback_reason else None
        self._fact_rows(call, ended, callback)

    def _event_rows(self, call: _Call) -> None:
        at, rows = self._at, self.events
        detail = {"caller": call.caller, "dnis": call.dnis, "direction": "inbound", "airing_id": call.airing,
                  "callback_id": None}
        rows.append((call.call_id, 1, "arrive", at(call.arrive), call.arrive / MS, "", "", None, call.caller,
                     call.hotline, call.airing, detail))
        for seq, (kind, ms, queue, agent, step_detail, user) in enumerate(call.events, start=2):
            rows.append((call.call_id, seq, kind, at(ms), ms / MS, queue, agent, user, call.caller, call.hotline,
                         call.airing, step_detail))

    def _record_row(self, call: _Call, ended: int) -> None:
        at = self._at
        answered = call.answer is not None
        wait = None if call.visit_end is None or call.enqueued is None else _seconds(call.visit_end - call.enqueued)
        self.records.append((
            call.call_id, "inbound", call.caller, call.dnis, call.hotline, call.airing, call.queue, call.agent,
            call.user, at(call.arrive), None if call.enqueued is None else at(call.enqueued),
            at(call.answer) if call.answer is not None else None, at(ended), call.outcome, wait,
            _seconds(call.talk) if answered else None, _seconds(call.hold) if answered else None,
            _seconds(call.acw) if answered else None))

    def _callback_row(self, call: _Call) -> int:
        rng, at = self.rng, self._at
        captured = call.visit_end or call.arrive
        pk = self.callback_id
        self.callback_id += 1
        age = self.end_ms - captured
        if age < 2 * 3_600_000 and call.caller not in self.live_numbers:
            self.live_numbers.add(call.caller)
            status, attempts, result, updated = "pending", 0, "", captured
        else:
            roll = rng.random()
            if roll < 0.72:
                status, attempts, result = "answered", rng.choice((1, 1, 1, 2, 3)), "answered"
            elif roll < 0.86:
                status, attempts, result = "gave_up", 3, rng.choice(("no_answer", "busy"))
            else:
                status, attempts, result = "expired", 0, ""
            updated = min(self.end_ms, captured + rng.randint(5, 120) * 60_000)
        self.callbacks.append((pk, call.caller, call.dnis, call.hotline, call.airing, call.callback_reason,
                               call.call_id, at(call.arrive), at(captured), status, 1, attempts, result, at(updated),
                               "", ""))
        return pk

    def _fact_rows(self, call: _Call, ended: int, callback: int | None) -> None:
        at = self._at
        arrived = at(call.arrive)
        wait = None if call.visit_end is None or call.enqueued is None else call.visit_end - call.enqueued
        answered = call.answer is not None
        nodes = call.nodes
        self.call_facts.append((
            call.call_id, "inbound", arrived, at(ended), call.caller, call.hotline, call.airing, call.station,
            call.outcome, call.queue, 1 if call.queue else 0, call.agent, wait,
            call.talk if answered else None, call.hold if answered else None, call.acw if answered else None,
            len(nodes), f"{FLOW}/{nodes[-1]}" if nodes else "", callback, ended - call.arrive))
        if call.queue and call.enqueued is not None and wait is not None:
            rules = self.rules[call.queue]
            self.visit_facts.append((
                call.call_id, 1, call.queue, at(call.enqueued), call.visit_result, wait,
                wait <= rules.service_level * MS,
                call.visit_result == "abandoned" and wait <= rules.short_abandon * MS,
                call.agent, call.airing, call.hotline))
        if answered and call.answer is not None:
            self.handling_facts.append((call.call_id, 1, call.queue, call.agent, at(call.answer), True, call.talk,
                                        call.hold, call.acw, call.airing))


def _insert(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """`insert_rows` with the values prepared the quick way: every time here is an aware UTC datetime (SQLite
    gets it as Django writes it, naive UTC text) and every JSON value a dict. Django's per-value preparation
    took half of a load's time."""
    fields = [cast("Field[Any, Any]", model._meta.get_field(name)) for name in names]
    prepare = [_quick(field) for field in fields]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    one = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        for batch in batches(rows, max(1, PARAMETERS // len(fields))):
            values = [value if each is None or value is None else each(value)
                      for row in batch for each, value in zip(prepare, row, strict=True)]
            cursor.execute(head + ", ".join([one] * len(batch)), values)


def _quick(field: Any) -> Callable[[Any], Any] | None:
    """How a value of this field goes to the database, None when as it is."""
    sqlite = connection.vendor == "sqlite"
    if isinstance(field, models.JSONField):
        return json.dumps if sqlite else functools.partial(field.get_db_prep_save, connection=connection)
    if sqlite and isinstance(field, models.DateTimeField):
        return lambda value: str(value.replace(tzinfo=None))
    return None


def _seconds(ms: int) -> Decimal:
    return Decimal(ms).scaleb(-3)


class _Call:
    """One call being played: its steps after the arrival (kind, ms, queue, agent, detail, user) and what the
    record and facts need."""

    __slots__ = (
        "acw",
        "agent",
        "airing",
        "answer",
        "arrive",
        "call_id",
        "callback_reason",
        "caller",
        "dnis",
        "dropped",
        "enqueued",
        "events",
        "hold",
        "hotline",
        "nodes",
        "outcome",
        "queue",
        "station",
        "talk",
        "user",
        "visit_end",
        "visit_result",
    )

    def __init__(self, call_id: str, arrive: int, hotline: int, dnis: str, airing: int | None,
                 station: int | None, caller: str) -> None:
        self.call_id, self.arrive, self.hotline, self.dnis = call_id, arrive, hotline, dnis
        self.airing, self.station, self.caller = airing, station, caller
        self.events: list[list[Any]] = []
        self.nodes: list[str] = []
        self.queue, self.agent, self.outcome, self.callback_reason = "", "", "", ""
        self.user: int | None = None
        self.enqueued: int | None = None
        self.visit_end: int | None = None
        self.visit_result = ""
        self.answer: int | None = None
        self.talk = self.hold = self.acw = 0
        self.dropped = False

    def step(self, kind: str, ms: int, queue: str = "", agent: str = "", detail: dict[str, Any] | None = None,
             user: int | None = None) -> int:
        self.events.append([kind, ms, queue, agent, detail or {}, user])
        return ms

    def node(self, name: str, ms: int) -> int:
        self.nodes.append(name)
        return self.step("ivr_node", ms, detail={"flow": FLOW, "node": name, "digits": ""})


# ---------------------------------------------------------------- the demo

def demo_world(airings: Sequence[PlannedAiring], stations: dict[int, int | None], numbers: dict[int, str],
               agents: list[tuple[str, int | None]], now: datetime.datetime) -> CallWorld:
    """The demo week: calls from the first airing's day (local midnight) to the end of yesterday. Today is left to
    the people trying the demo: the wallboard starts empty, and no agent is still signed in from the generated
    shifts (the desk would take them for signed in), so their own first call is the floor's first."""
    zone = ZoneInfo(settings.TIME_ZONE)
    first = min(a.starts_at for a in airings).astimezone(zone).date()
    start = datetime.datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(datetime.UTC)
    today = now.astimezone(zone).date()
    end = max(start, datetime.datetime(today.year, today.month, today.day, tzinfo=zone).astimezone(datetime.UTC))
    return CallWorld(airings=list(airings), stations=stations, numbers=numbers, agents=agents, start=start, end=end,
                     first_callback_id=next_callback_id())


def next_callback_id() -> int:
    """The id the next callback written with an explicit id gets."""
    last = Callback.objects.order_by("-id").values_list("id", flat=True).first()
    return (last or 0) + 1


def link_orders(answered: list[tuple[int, str, int, str]], start: datetime.datetime) -> int:
    """Give the orders of each airing the call they were taken on: an answered call of that airing by the
    order's agent, answered before the order was placed where one is (else the agent's first unused one,
    else any unused call of the airing). Returns how many orders got a call."""
    from hotline.accounts.models import User
    from hotline.orders.models import Order

    keys: dict[int, str] = dict(User.objects.values_list("id", "username"))
    by_agent: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    by_airing: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for airing, agent_key, ms, call_id in sorted(answered, key=lambda row: (row[2], row[3])):
        by_agent[(airing, agent_key)].append((ms, call_id))
        by_airing[airing].append((ms, call_id))
    used: set[str] = set()
    updates: list[tuple[str, int]] = []
    orders = Order.objects.filter(airing__isnull=False, call_id="").order_by("created_at", "id") \
        .values_list("id", "airing_id", "agent_id", "created_at")
    for pk, airing, agent_id, created in orders:
        placed = (created - start) // datetime.timedelta(milliseconds=1)
        call_id = _pick(by_agent.get((airing, keys.get(agent_id, ""))), placed, used) \
            or _pick(by_airing.get(airing), placed, used)
        if call_id:
            used.add(call_id)
            updates.append((call_id, pk))
    table = connection.ops.quote_name(Order._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET call_id = %s WHERE id = %s", updates)
    return len(updates)


def _pick(calls: list[tuple[int, str]] | None, placed: int, used: set[str]) -> str:
    """The latest unused call answered at or before `placed`, else the first unused one."""
    if not calls:
        return ""
    position = bisect.bisect_right(calls, (placed, "\uffff"))
    for ms, call_id in reversed(calls[:position]):
        if call_id not in used:
            return call_id
        if placed - ms > 3_600_000:
            break
    return next((call_id for _ms, call_id in calls[position:] if call_id not in used), "")

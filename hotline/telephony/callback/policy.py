"""The callback book: de-duplication, decaying priority, pacing, retries, expiry and calling windows.

Pure and in memory: time comes from an injected monotonic `Clock` and a `wall` function giving local
wall-clock time (the monotonic clock has no time of day). The host carries the dials out and reports
results; every state change is recorded as an `Event` for the host to log (`take_events()`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from hotline.telephony.acd.clock import Clock
from hotline.telephony.callback.model import (
    LIVE,
    Callback,
    CallbackSettings,
    DialDecision,
    DialResult,
    Event,
    EventKind,
    Hold,
    Status,
)

RATE_WINDOW_SECONDS = 60.0
ABORT_PAUSE_SECONDS = 60.0


class IllegalCallbackMove(Exception):
    """A dial or result reported for a callback in the wrong state; nothing was changed."""


def decayed_priority(base: float, age_seconds: float, half_life_seconds: float) -> float:
    """priority = base × 0.5 ** (age / half_life); an age below zero counts as zero."""
    return base * math.pow(0.5, max(age_seconds, 0.0) / half_life_seconds)


class CallbackBook:
    """Pending callbacks, one per caller number, and the dialer's rules for when to call whom."""

    def __init__(self, clock: Clock, wall: Callable[[], datetime],
                 settings: CallbackSettings | None = None) -> None:
        self._clock = clock
        self._wall = wall
        self.settings = settings or CallbackSettings()
        self._callbacks: dict[int, Callback] = {}
        self._live_by_number: dict[str, int] = {}
        self._dial_times: deque[float] = deque()
        self._events: list[Event] = []
        self._next_id = 1

    # --- capture and cancel -------------------------------------------------------------------

    def capture(self, number: str, hotline_number: str, airing_id: int | None, arrived_at_mono: float,
                reason: str, *, base_priority: float | None = None, aired_at_mono: float | None = None,
                callback_id: int | None = None) -> Callback:
        """The live callback for `number`: a new one, or the existing one with the earliest arrival kept.

        `callback_id` is the id the host stored it under (the book numbers its own when None)."""
        now = self._clock.now()
        self._expire(now)
        existing = self._live_by_number.get(number)
        if existing is not None:
            return self._deduplicate(self._callbacks[existing], arrived_at_mono, reason, now)
        callback = Callback(
            callback_id=self._next_id if callback_id is None else callback_id,
            number=number, hotline_number=hotline_number, airing_id=airing_id,
            reason=reason, base_priority=self.settings.base_priority if base_priority is None else base_priority,
            arrived_at=arrived_at_mono, captured_at=now, not_before=now, aired_at=aired_at_mono,
        )
        self._next_id = max(self._next_id, callback.callback_id) + 1
        self._callbacks[callback.callback_id] = callback
        self._live_by_number[number] = callback.callback_id
        self._record(EventKind.CAPTURED, callback, now, reason)
        return callback

    def restore(self, callback: Callback) -> None:
        """Take back a live callback the host stored before a restart (its id is the host's). A dial that was
        under way when the engine stopped never reported its result: the callback is pending again."""
        if callback.status not in LIVE:
            raise IllegalCallbackMove(f"callback {callback.callback_id} is {callback.status.value}, not live")
        if callback.number in self._live_by_number:
            raise IllegalCallbackMove(f"a live callback for {callback.number} is already in the book")
        callback.status = Status.PENDING
        self._adopt(callback)

    def adopt(self, callback: Callback) -> None:
        """The host's stored state wins over the book's: replace whatever the book holds under this id or
        this number (a live callback the book thought finished, say), keeping the book's invariants."""
        old = self._callbacks.get(callback.callback_id)
        if old is not None and self._live_by_number.get(old.number) == old.callback_id:
            del self._live_by_number[old.number]
        other = self._live_by_number.get(callback.number)
        if other is not None and other != callback.callback_id:  # the store closed it; the book missed that
            self._callbacks[other].status = Status.CANCELLED
            del self._live_by_number[callback.number]
        self._adopt(callback)

    def _adopt(self, callback: Callback) -> None:
        self._callbacks[callback.callback_id] = callback
        if callback.status in LIVE:
            self._live_by_number[callback.number] = callback.callback_id
        self._next_id = max(self._next_id, callback.callback_id + 1)

    def _deduplicate(self, callback: Callback, arrived_at: float, reason: str, now: float) -> Callback:
        callback.reach_attempts += 1
        callback.arrived_at = min(callback.arrived_at, arrived_at)
        self._record(EventKind.DEDUPLICATED, callback, now, f"{reason}; reach attempts {callback.reach_attempts}")
        return callback

    def live_for(self, number: str) -> Callback | None:
        """The number's live callback (pending, reserved or dialling), if it has one."""
        callback_id = self._live_by_number.get(number)
        return None if callback_id is None else self._callbacks[callback_id]

    def cancel_for(self, number: str) -> Event | None:
        """The caller reached an agent: cancel their pending callback (a dial under way is left to finish)."""
        callback_id = self._live_by_number.get(number)
        if callback_id is None or self._callbacks[callback_id].status is not Status.PENDING:
            return None
        callback = self._callbacks[callback_id]
        return self._finish(callback, Status.CANCELLED, EventKind.CANCELLED, self._clock.now(), "reached an agent")

    # --- the dialer ---------------------------------------------------------------------------

    def priority(self, callback: Callback, now: float | None = None) -> float:
        """The callback's priority now, decayed since its airing (impulse buyers cool down together, so
        callers of one airing keep their arrival order), or since its arrival when no airing is known."""
        when = self._clock.now() if now is None else now
        start = callback.aired_at if callback.aired_at is not None else callback.arrived_at
        return decayed_priority(callback.base_priority, when - start, self.settings.half_life_seconds)

    def pending(self) -> list[Callback]:
        """Pending callbacks in dialling order: priority (highest first), then arrival, then capture order."""
        now = self._clock.now()
        self._expire(now)
        live = [c for c in self._callbacks.values() if c.status is Status.PENDING]
        return sorted(live, key=lambda c: (-self.priority(c, now), c.arrived_at, c.callback_id))

    def next_due(self, *, ready_agents: int, live_callers_waiting: int,
                 upcoming_airings: Iterable[float] = ()) -> DialDecision:
        """The callback to dial now, or the first rule that holds the dialer back.

        `ready_agents` counts ready agents not yet reserved; `upcoming_airings` are scheduled airing
        starts in monotonic seconds. Live callers always come first; the host must call `dialled()`
        before the next `next_due()` for the pacing to count the dial.
        """
        now = self._clock.now()
        due = [c for c in self.pending() if c.not_before <= now]
        hold = self._hold(now, ready_agents, live_callers_waiting, upcoming_airings) if due else Hold.NOTHING_DUE
        return DialDecision(callback=None if hold else due[0], hold=hold)

    def _hold(self, now: float, ready_agents: int, live_waiting: int, airings: Iterable[float]) -> Hold | None:
        settings = self.settings
        if live_waiting > 0:
            return Hold.LIVE_CALLERS_WAITING
        if ready_agents < settings.min_ready_agents:
            return Hold.NO_READY_AGENT
        if not self.in_calling_window():
            return Hold.OUTSIDE_CALLING_WINDOW
        if any(start - settings.quiet_before_airing_seconds <= now < start for start in airings):
            return Hold.QUIET_BEFORE_AIRING
        if self.in_flight() >= settings.max_in_flight:
            return Hold.IN_FLIGHT_LIMIT
        if self._dials_in_last_minute(now) >= settings.max_dials_per_minute:
            return Hold.RATE_LIMIT
        return None

    def in_calling_window(self) -> bool:
        """True when local wall-clock time is inside [window_start, window_end)."""
        local = self._wall().time()
        return self.settings.window_start <= local < self.settings.window_end

    def in_flight(self) -> int:
        """Dials under way: an agent being rung for one, or the customer dialled with no result yet."""
        return sum(1 for c in self._callbacks.values() if c.status in (Status.RESERVED, Status.DIALLING))

    def _dials_in_last_minute(self, now: float) -> int:
        while self._dial_times and self._dial_times[0] <= now - RATE_WINDOW_SECONDS:
            self._dial_times.popleft()
        return len(self._dial_times)

    # --- attempts -----------------------------------------------------------------------------

    def reserve(self, callback_id: int) -> Event:
        """The host is ringing an agent for this callback (agent first): it is taken, but no attempt counts
        yet; `dialled` follows once the agent answers, `release` if they do not."""
        callback = self._get(callback_id)
        now = self._clock.now()
        if callback.status is not Status.PENDING or callback.not_before > now:
            raise IllegalCallbackMove(f"callback {callback_id} is {callback.status.value}, not due for a dial")
        callback.status = Status.RESERVED
        return self._record(EventKind.RESERVED, callback, now, "")

    def release(self, callback_id: int, why: str) -> Event:
        """The agent did not take the reserved callback: pending again at once, no attempt counted (a missed
        agent is not a failed attempt on the customer)."""
        callback = self._get(callback_id)
        if callback.status is not Status.RESERVED:
            raise IllegalCallbackMove(f"callback {callback_id} is {callback.status.value}, not reserved")
        callback.status = Status.PENDING
        return self._record(EventKind.RELEASED, callback, self._clock.now(), why)

    def abort(self, callback_id: int, why: str) -> Event:
        """The dial stopped on our side (the agent hung up) before the customer could answer: pending again
        at once, and the attempt does not count against the customer."""
        callback = self._get(callback_id)
        if callback.status is not Status.DIALLING:
            raise IllegalCallbackMove(f"callback {callback_id} is {callback.status.value}, not dialling")
        now = self._clock.now()
        callback.status = Status.PENDING
        callback.dial_attempts -= 1
        # Not again at once: an agent who keeps hanging up must not make the dialer ring the customer on end.
        callback.not_before = now + ABORT_PAUSE_SECONDS
        return self._record(EventKind.RELEASED, callback, now, why)

    def dialled(self, callback_id: int) -> Event:
        """The host started dialling the customer (after reserving an agent, or straight from pending)."""
        callback = self._get(callback_id)
        now = self._clock.now()
        due = callback.status is Status.RESERVED or (callback.status is Status.PENDING and callback.not_before <= now)
        if not due:
            raise IllegalCallbackMove(f"callback {callback_id} is {callback.status.value}, not due for a dial")
        callback.status = Status.DIALLING
        callback.dial_attempts += 1
        self._dial_times.append(now)
        return self._record(EventKind.DIALLED, callback, now, f"attempt {callback.dial_attempts}")

    def outcome(self, callback_id: int, result: DialResult) -> Event:
        """How the dial ended: answered closes it; no answer / busy retry later; failed gives up."""
        callback = self._get(callback_id)
        if callback.status is not Status.DIALLING:
            raise IllegalCallbackMove(f"callback {callback_id} is {callback.status.value}, not dialling")
        now = self._clock.now()
        callback.last_result = result
        if result is DialResult.ANSWERED:
            return self._finish(callback, Status.ANSWERED, EventKind.ANSWERED, now, "")
        if result is DialResult.FAILED:
            return self._finish(callback, Status.GAVE_UP, EventKind.GAVE_UP, now, "dial failed")
        if callback.dial_attempts >= self.settings.max_attempts:
            detail = f"{result.value} after {callback.dial_attempts} attempts"
            return self._finish(callback, Status.GAVE_UP, EventKind.GAVE_UP, now, detail)
        callback.status = Status.PENDING
        callback.not_before = now + self.settings.retry_interval_seconds
        detail = f"{result.value}; not before {callback.not_before}"
        return self._record(EventKind.RETRY_SCHEDULED, callback, now, detail)

    def hold(self, callback_id: int, refusal: str) -> Event:
        """The dial policy refused the callback's number (`refusal` names why): it leaves the dialer for good
        and waits for a person. Pending, or reserved (refused once its agent answered); a customer being
        dialled finishes first."""
        callback = self._get(callback_id)
        if callback.status not in (Status.PENDING, Status.RESERVED):
            raise IllegalCallbackMove(f"callback {callback_id} is {callback.status.value}, not pending")
        return self._finish(callback, Status.HELD, EventKind.NOT_DIALLED, self._clock.now(), refusal)

    # --- bookkeeping --------------------------------------------------------------------------

    def has(self, callback_id: int) -> bool:
        """Whether the book holds this callback (live or final)."""
        return callback_id in self._callbacks

    def get(self, callback_id: int) -> Callback:
        """A callback by id, live or final."""
        return self._get(callback_id)

    def take_events(self) -> list[Event]:
        """Events recorded since the last call, oldest first (the host logs them)."""
        events, self._events = self._events, []
        return events

    def expire(self) -> list[Event]:
        """Expire pending callbacks older than `expiry_seconds` since capture; the events are also recorded."""
        return self._expire(self._clock.now())

    def _expire(self, now: float) -> list[Event]:
        # A dial under way is not cut short: it expires (if still due to) once its result is in.
        limit = self.settings.expiry_seconds
        old = [c for c in self._callbacks.values() if c.status is Status.PENDING and now >= c.captured_at + limit]
        return [self._finish(c, Status.EXPIRED, EventKind.EXPIRED, now, "") for c in old]

    def _finish(self, callback: Callback, status: Status, kind: EventKind, now: float, detail: str) -> Event:
        callback.status = status
        if status not in LIVE and self._live_by_number.get(callback.number) == callback.callback_id:
            del self._live_by_number[callback.number]
        return self._record(kind, callback, now, detail)

    def _record(self, kind: EventKind, callback: Callback, now: float, detail: str) -> Event:
        event = Event(kind=kind, callback_id=callback.callback_id, number=callback.number, at=now, detail=detail)
        self._events.append(event)
        return event

    def _get(self, callback_id: int) -> Callback:
        try:
            return self._callbacks[callback_id]
        except KeyError:
            raise IllegalCallbackMove(f"no callback {callback_id}") from None

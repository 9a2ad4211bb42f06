"""Reading one call's steps: queue visits, agent handling segments and the outcome. Pure code, no I/O.

Durations use the monotonic times, rounded to the millisecond (`seconds`), so that a wait of exactly
20 s is 20.000 and compares exactly with a 20 s threshold.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hotline.calls.models import Outcome
from hotline.telephony.events import CallStep, Direction, HangupCause, HangupParty

MS = Decimal("0.001")
ZERO = Decimal("0.000")
_OUTCOME_CAUSES = {HangupCause.REJECTED: Outcome.REJECTED, HangupCause.REFUSED_503: Outcome.REFUSED_503,
                   HangupCause.FAILED: Outcome.FAILED, HangupCause.VOICEMAIL: Outcome.VOICEMAIL}


def seconds(mono: float) -> Decimal:
    """A monotonic time in seconds, rounded to the millisecond."""
    return Decimal(repr(mono)).quantize(MS, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Step:
    """One logged call step, as the KPI code reads it."""

    call_id: str
    seq: int
    kind: str
    at: datetime.datetime
    mono: float
    queue: str = ""
    agent: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    airing_id: int | None = None
    hotline_number_id: int | None = None

    @property
    def t(self) -> Decimal:
        return seconds(self.mono)


@dataclass
class QueueVisit:
    """A stay of a call in one queue. `result`: answered, abandoned, callback, transferred, overflow,
    or "" while the caller still waits."""

    call_id: str
    queue: str
    entered_at: datetime.datetime
    start: Decimal
    end: Decimal | None = None
    result: str = ""
    agent: str = ""

    @property
    def wait(self) -> Decimal | None:
        return None if self.end is None else self.end - self.start


@dataclass
class Handling:
    """One agent's part of a call: from answer to hang-up or transfer, then wrap-up."""

    call_id: str
    queue: str
    agent: str
    answered_at: datetime.datetime
    start: Decimal
    end: Decimal | None = None
    hold: Decimal = ZERO
    acw: Decimal = ZERO
    _held_since: Decimal | None = None

    @property
    def talk(self) -> Decimal | None:
        return None if self.end is None else self.end - self.start - self.hold


def queue_visits(steps: Sequence[Step]) -> list[QueueVisit]:
    """Every queue stay of one call, in order."""
    visits: list[QueueVisit] = []
    current: QueueVisit | None = None
    for step in steps:
        if current is not None:
            result = _leaves_queue(step)
            if result:
                current.end, current.result = step.t, result
                current.agent = step.agent if result == "answered" else ""
                current = None
        if step.kind == CallStep.ENQUEUE:
            current = QueueVisit(step.call_id, step.queue, step.at, step.t)
            visits.append(current)
    return visits


def _leaves_queue(step: Step) -> str:
    if step.kind == CallStep.ANSWER:
        return "answered"
    if step.kind == CallStep.ABANDON:
        return "abandoned"
    if step.kind == CallStep.CALLBACK_REQUEST:
        return "callback"
    if step.kind in (CallStep.ENQUEUE, CallStep.TRANSFER):
        return "transferred"
    if step.kind == CallStep.HANGUP:
        normal = step.detail.get("cause", HangupCause.NORMAL) == HangupCause.NORMAL
        return "abandoned" if normal and step.detail.get("by", HangupParty.CALLER) == HangupParty.CALLER \
            else "overflow"
    return ""


def handlings(steps: Sequence[Step]) -> list[Handling]:
    """Every agent handling segment of one call, with hold and after-call work."""
    done: list[Handling] = []
    current: Handling | None = None
    queue = ""
    for step in steps:
        if step.kind == CallStep.ENQUEUE:
            queue = step.queue
        elif step.kind == CallStep.ANSWER:
            current = Handling(step.call_id, step.queue or queue, step.agent, step.at, step.t)
            done.append(current)
        elif current is not None and step.kind == CallStep.HOLD and current._held_since is None:
            current._held_since = step.t
        elif current is not None and step.kind in (CallStep.RESUME, CallStep.TRANSFER, CallStep.HANGUP):
            if current._held_since is not None:
                current.hold += step.t - current._held_since
                current._held_since = None
            if step.kind != CallStep.RESUME:
                current.end, current = step.t, None
        elif step.kind == CallStep.WRAPUP_END:
            _add_wrapup(done, step)
    return done


def _add_wrapup(done: Iterable[Handling], step: Step) -> None:
    for handling in reversed(list(done)):
        if handling.agent == step.agent and handling.end is not None:
            handling.acw = step.t - handling.end
            return


def outcome(steps: Sequence[Step], short_abandon_seconds: int) -> str:
    """The call's outcome (an `Outcome` value), or "" while it has not ended."""
    kinds = {step.kind for step in steps}
    if CallStep.ANSWER in kinds:
        return Outcome.ANSWERED
    if CallStep.CALLBACK_REQUEST in kinds:
        return Outcome.CALLBACK
    hangups = [step for step in steps if step.kind == CallStep.HANGUP]
    if not hangups and CallStep.ABANDON not in kinds:
        return ""  # an abandon ends the call even if its hang-up is not logged yet
    cause = hangups[-1].detail.get("cause", HangupCause.NORMAL) if hangups else HangupCause.NORMAL
    if cause in _OUTCOME_CAUSES:
        return _OUTCOME_CAUSES[cause]
    if steps[0].kind == CallStep.ARRIVE and steps[0].detail.get("direction") == Direction.OUTBOUND:
        return Outcome.FAILED  # an unanswered outbound call never was in the IVR
    visits = queue_visits(steps)
    if not visits:
        return Outcome.ABANDONED_IN_IVR
    last = visits[-1]
    if last.result != "abandoned" or last.wait is None:
        return Outcome.FAILED
    return Outcome.SHORT_ABANDON if last.wait <= short_abandon_seconds else Outcome.ABANDONED_IN_QUEUE

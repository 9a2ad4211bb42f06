"""Typed events of the engine: every step of a call, and agent and queue changes.

Each event carries the wall-clock time (`at`, timezone-aware, for reports and periods) and the
monotonic time (`mono`, seconds, for durations: wall clocks jump, a call's monotonic clock does not;
a call stays on the engine process that answered it, so its monotonic times are comparable).
Events are frozen: once emitted they are facts, appended once to the call log (ARCHITECTURE rule 4).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


class CallStep(StrEnum):
    """The kinds of call steps in the event log."""

    ARRIVE = "arrive"
    IVR_NODE = "ivr_node"
    ENQUEUE = "enqueue"
    OFFER = "offer"
    RING = "ring"
    ANSWER = "answer"
    ABANDON = "abandon"
    TRANSFER = "transfer"
    HOLD = "hold"
    RESUME = "resume"
    WRAPUP_END = "wrapup_end"
    HANGUP = "hangup"
    CALLBACK_REQUEST = "callback_request"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class HangupCause(StrEnum):
    """Why a call ended, as far as the engine knows; decides the outcome of calls nobody answered."""

    NORMAL = "normal"
    REJECTED = "rejected"
    REFUSED_503 = "refused_503"
    FAILED = "failed"
    VOICEMAIL = "voicemail"


class HangupParty(StrEnum):
    CALLER = "caller"
    AGENT = "agent"
    SYSTEM = "system"


class AgentState(StrEnum):
    """An agent's state at the ACD; occupancy is computed from the time spent in each."""

    LOGGED_OUT = "logged_out"
    READY = "ready"
    NOT_READY = "not_ready"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """Common fields of every call step. `queue` and `agent` are the engine's names (queue name, agent id)."""

    kind: ClassVar[CallStep]
    call_id: str
    at: datetime.datetime
    mono: float
    queue: str = ""
    agent: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Arrive(CallEvent):
    """A call reached the engine: caller number (ANI), dialled number (DNIS), direction, and the airing
    the call is attributed to (None when no airing of that number's station is in its window)."""

    kind: ClassVar[CallStep] = CallStep.ARRIVE
    caller: str
    dnis: str
    direction: Direction = Direction.INBOUND
    airing_id: int | None = None
    callback_id: int | None = None  # an outbound call that works this callback


@dataclass(frozen=True, slots=True, kw_only=True)
class IvrNode(CallEvent):
    """The caller entered an IVR node; `digits` holds the keys pressed there, if any."""

    kind: ClassVar[CallStep] = CallStep.IVR_NODE
    flow: str
    node: str
    digits: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Enqueue(CallEvent):
    """The caller joined `queue` at `position` (1 = first)."""

    kind: ClassVar[CallStep] = CallStep.ENQUEUE
    position: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer(CallEvent):
    """The ACD chose `agent` for the call: the screen pop goes out now, so the offer carries what it needs
    (caller number, dialled hotline number, attributed airing) without a look-up."""

    kind: ClassVar[CallStep] = CallStep.OFFER
    caller: str = ""
    dnis: str = ""
    airing_id: int | None = None
    warning: str = ""  # "blacklist": put through, but the agent's screen warns


@dataclass(frozen=True, slots=True, kw_only=True)
class Ring(CallEvent):
    """The agent's phone (`seat`) is ringing."""

    kind: ClassVar[CallStep] = CallStep.RING
    seat: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer(CallEvent):
    """The agent answered: the caller leaves the queue and talk time starts."""

    kind: ClassVar[CallStep] = CallStep.ANSWER


@dataclass(frozen=True, slots=True, kw_only=True)
class Abandon(CallEvent):
    """The caller hung up while waiting in `queue` (before any agent answered)."""

    kind: ClassVar[CallStep] = CallStep.ABANDON
    position: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(CallEvent):
    """The call is sent on from `agent`/`queue` to `to_queue` or `to_agent`."""

    kind: ClassVar[CallStep] = CallStep.TRANSFER
    to_queue: str = ""
    to_agent: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold(CallEvent):
    kind: ClassVar[CallStep] = CallStep.HOLD


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume(CallEvent):
    kind: ClassVar[CallStep] = CallStep.RESUME


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapupEnd(CallEvent):
    """The agent finished after-call work for this call (set ready, or the wrap-up timer ran out)."""

    kind: ClassVar[CallStep] = CallStep.WRAPUP_END


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup(CallEvent):
    """The call ended; `by` says who hung up, `cause` why (rejected, 503, failed, voicemail, normal)."""

    kind: ClassVar[CallStep] = CallStep.HANGUP
    by: HangupParty = HangupParty.CALLER
    cause: HangupCause = HangupCause.NORMAL


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequest(CallEvent):
    """The caller (or the surge policy) asked to be called back on `number`; they leave the queue."""

    kind: ClassVar[CallStep] = CallStep.CALLBACK_REQUEST
    number: str = ""


CALL_EVENT_TYPES: dict[CallStep, type[CallEvent]] = {
    cls.kind: cls for cls in (Arrive, IvrNode, Enqueue, Offer, Ring, Answer, Abandon, Transfer, Hold, Resume,
                              WrapupEnd, Hangup, CallbackRequest)
}


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged:
    """An agent moved to `state` (with a reason code for not ready) on `seat`, or something shown with the
    state changed while it stayed: `phone_online` (device state: the seat's phone can be rung; a ready agent
    whose phone is offline is offered nothing) or `wrapup_until` (when wrap-up ends, extensions included;
    None outside wrap-up)."""

    agent: str
    at: datetime.datetime
    mono: float
    state: AgentState
    seat: str = ""
    reason: str = ""
    phone_online: bool = True
    wrapup_until: datetime.datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueStatsChanged:
    """A queue's live figures, for wallboards: callers waiting, the longest wait, agents ready and busy."""

    queue: str
    at: datetime.datetime
    mono: float
    waiting: int
    longest_wait_seconds: float
    agents_ready: int
    agents_busy: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LinesChanged:
    """Line occupancy for wallboards: calls with customers now, the licensed lines (0: no limit), and the
    calls refused with 503 since the engine started."""

    at: datetime.datetime
    mono: float
    in_use: int
    lines: int
    refused: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SeatLocked:
    """A seat's SIP user was locked for password guessing (too many failed digest attempts, the last from
    `source`): its phone cannot register, even with the right password, for `seconds`. For supervisors."""

    at: datetime.datetime
    mono: float
    username: str
    seat: str
    source: str
    seconds: float


EngineEvent = CallEvent | AgentStateChanged | QueueStatsChanged | LinesChanged | SeatLocked

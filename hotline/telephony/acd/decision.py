"""What the dispatcher decides and what it keeps: its results (`Decision` with its offers, cancelled offers,
overflows and agent changes; `QueueStats`) and its per-queue and per-agent state (a queue's line and
ready index, memberships, wrap-ups in progress)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hotline.telephony.acd.agent import StateChange
from hotline.telephony.acd.queue import HandleTimes, OverflowReason, OverflowTarget, QueueConfig, WaitingLine

ReadyEntry = tuple[tuple[float, ...], str]
Timer = tuple[float, int, str, str, float]

# An agent may lengthen one wrap-up at most this many times, by at most this many seconds in all: enough to
# finish a note, not a way to sit out of the queue (a longer break is "not ready" with a reason).
MAX_WRAP_UP_EXTENSIONS = 3
MAX_WRAP_UP_EXTENSION_SECONDS = 300.0


class WrapUpLimit(Exception):
    """The agent's wrap-up was already extended as often, or by as much, as allowed; nothing changed."""


@dataclass
class WrapUp:
    """One agent's wrap-up in progress: when it ends (monotonic), and the extensions granted so far."""

    ends: float
    extensions: int = 0
    added: float = 0.0


@dataclass(frozen=True)
class Offer:
    """Ring this agent's phone for this caller (or stop ringing it, in Decision.cancelled)."""

    caller_id: str
    agent_id: str
    queue_id: str


@dataclass(frozen=True)
class Overflow:
    """The caller leaves the queue for `target`; the host routes it there."""

    caller_id: str
    queue_id: str
    reason: OverflowReason
    target: OverflowTarget


@dataclass
class Decision:
    """What one event changed: offers to ring, offers to cancel, overflows, and agent state changes."""

    offers: list[Offer] = field(default_factory=list)
    cancelled: list[Offer] = field(default_factory=list)
    overflows: list[Overflow] = field(default_factory=list)
    changes: list[StateChange] = field(default_factory=list)


@dataclass(frozen=True)
class QueueStats:
    """A queue's live figures: callers present (waiting or being offered), the longest wait in line, and
    its agents ready and staffed (ready, ringing, on a call or wrapping up), counting only agents whose
    phone is online."""

    present: int
    longest_wait: float
    ready: int
    staffed: int


@dataclass(frozen=True)
class Membership:
    """An agent's place in one queue: skill level and join order (round robin and ring all use it)."""

    level: int
    order: int


class QueueState:
    """One queue's live state (the dispatcher's own): its waiting line and its ready agents sorted by the
    strategy's key."""

    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self.line = WaitingLine()
        self.ready: list[ReadyEntry] = []
        self.ready_keys: dict[str, ReadyEntry] = {}
        self.rr_cursor: ReadyEntry | None = None
        self.handle = HandleTimes(config.handle_sample_size, config.default_handle_seconds)
        self.staffed = 0
        self.present = 0
        self.calls: dict[str, int] = {}
        self.joined = itertools.count()

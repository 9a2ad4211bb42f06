"""Callback data: settings, statuses, the callback record, the events a host logs and the dialer's answer."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import time


class Status(enum.Enum):
    """Where a callback stands; PENDING, RESERVED and DIALLING are live, the others are final.

    RESERVED: an agent is being rung for it (agent first); no attempt counts until the customer is dialled.
    HELD: the dial policy refused the number (international, premium, no caller ID, a daily limit…): never
    dialled by the dialer, listed for a person.
    """

    PENDING = "pending"
    RESERVED = "reserved"
    DIALLING = "dialling"
    ANSWERED = "answered"
    GAVE_UP = "gave_up"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    HELD = "held"


LIVE = frozenset({Status.PENDING, Status.RESERVED, Status.DIALLING})


class Reason(enum.Enum):
    """Why a callback was captured."""

    SURGE = "surge"  # the automatic seat answered: lines or wait over the threshold
    REQUESTED = "requested"  # the caller pressed the callback key while waiting
    ABANDONED = "abandoned"  # the caller hung up in the IVR or the queue
    OVERFLOW = "overflow"  # a queue's overflow target is "callback"


class DialResult(enum.Enum):
    """How one dial attempt ended, as the host reports it."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


class EventKind(enum.Enum):
    """A state change worth a line in the event log."""

    CAPTURED = "captured"
    DEDUPLICATED = "deduplicated"
    RESERVED = "reserved"
    RELEASED = "released"
    DIALLED = "dialled"
    ANSWERED = "answered"
    RETRY_SCHEDULED = "retry_scheduled"
    GAVE_UP = "gave_up"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NOT_DIALLED = "not_dialled"  # the dial policy refused the number; detail: the `Refusal` value


class Hold(enum.Enum):
    """Why the dialer may not dial now (checked in this order)."""

    NOTHING_DUE = "nothing_due"
    LIVE_CALLERS_WAITING = "live_callers_waiting"
    NO_READY_AGENT = "no_ready_agent"
    OUTSIDE_CALLING_WINDOW = "outside_calling_window"
    QUIET_BEFORE_AIRING = "quiet_before_airing"
    IN_FLIGHT_LIMIT = "in_flight_limit"
    RATE_LIMIT = "rate_limit"


@dataclass(frozen=True)
class CallbackSettings:
    """Every rule of the callback policy as a setting (see docs/telephony.md, "Callback policy")."""

    base_priority: float = 100.0
    # Priority halves every this many seconds since the caller's arrival (impulse buyers cool down).
    half_life_seconds: float = 1800.0
    # Dial only while at least this many agents are ready (the host counts agents not yet reserved).
    min_ready_agents: int = 1
    max_in_flight: int = 2
    max_dials_per_minute: int = 10
    # No new dial within this many seconds before a scheduled airing starts.
    quiet_before_airing_seconds: float = 300.0
    # Dial attempts in all (the first one included); no answer / busy retries until this is reached.
    max_attempts: int = 3
    retry_interval_seconds: float = 600.0
    expiry_seconds: float = 4 * 3600.0
    # Local wall-clock window in which customers may be called: [start, end).
    window_start: time = time(8, 0)
    window_end: time = time(21, 0)

    def __post_init__(self) -> None:
        numbers = (self.base_priority, self.quiet_before_airing_seconds, self.retry_interval_seconds)
        if min(numbers) < 0:
            raise ValueError("callback settings: negative setting")
        if self.half_life_seconds <= 0 or self.expiry_seconds <= 0:
            raise ValueError("callback settings: half-life and expiry must be positive")
        if min(self.min_ready_agents, self.max_in_flight, self.max_dials_per_minute, self.max_attempts) < 1:
            raise ValueError("callback settings: limits must be at least 1")
        if self.window_start >= self.window_end:
            raise ValueError("callback settings: the calling window must start before it ends")


@dataclass
class Callback:
    """One caller to call back. `arrived_at` is the earliest arrival (monotonic) and orders callers of equal
    priority; priority decays from `aired_at`, the airing that made them call, else from the arrival."""

    callback_id: int
    number: str
    hotline_number: str
    airing_id: int | None
    reason: str
    base_priority: float
    arrived_at: float
    captured_at: float
    # How many times the caller reached us (rang in) while this callback was live; 1 at capture.
    reach_attempts: int = 1
    dial_attempts: int = 0
    status: Status = Status.PENDING
    # Not dialled before this monotonic time (a retry's minimum interval).
    not_before: float = 0.0
    last_result: DialResult | None = None
    aired_at: float | None = None


@dataclass(frozen=True)
class Event:
    """A state change, as the host logs it (`at` is monotonic seconds)."""

    kind: EventKind
    callback_id: int
    number: str
    at: float
    detail: str = ""


@dataclass(frozen=True)
class DialDecision:
    """The dialer's answer: the callback to dial now, or why nothing may be dialled."""

    callback: Callback | None
    hold: Hold | None

"""Queue settings, callers, and the waiting line: who is next, where a caller stands, how long to wait."""

from __future__ import annotations

import enum
import math
from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass, field


class Strategy(enum.Enum):
    """How a queue picks among its ready agents (see docs/telephony.md, "ACD")."""

    LONGEST_IDLE = "longest_idle"
    ROUND_ROBIN = "round_robin"
    FEWEST_CALLS = "fewest_calls"
    RING_ALL = "ring_all"
    SKILLS = "skills"


class OverflowKind(enum.Enum):
    """Where an overflowing caller is sent; the host carries the decision out."""

    QUEUE = "queue"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    BUSY = "busy"


class OverflowReason(enum.Enum):
    """Why a caller left the queue without an agent."""

    FULL = "full"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class OverflowTarget:
    """An overflow destination as data: a queue id, a voicemail box, or callback capture."""

    kind: OverflowKind = OverflowKind.BUSY
    destination: str = ""


@dataclass(frozen=True)
class WideningStep:
    """After `after_seconds` in the queue, a caller accepts agents down to skill level `max_level`."""

    after_seconds: float
    max_level: int


@dataclass(frozen=True)
class QueueConfig:
    """One queue's routing settings; every threshold is a setting, none is hard-wired."""

    queue_id: str
    strategy: Strategy = Strategy.LONGEST_IDLE
    # Seconds of credit a caller of this queue gets against callers of an agent's other queues.
    weight_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    # Consecutive unanswered offers before the agent is paused with reason "no answer"; 0 = never.
    max_misses: int = 2
    ring_cooldown_seconds: float = 30.0
    max_length: int | None = None
    max_wait_seconds: float | None = None
    overflow: OverflowTarget = field(default_factory=OverflowTarget)
    widening: tuple[WideningStep, ...] = ()
    affinity_seconds: float = 0.0
    default_handle_seconds: float = 180.0
    handle_sample_size: int = 50
    # Every this many seconds in line a caller hears their position and expected wait; 0 = never.
    announce_seconds: float = 0.0
    # The skill level a caller of this queue wants on entering (0: any member); widening lowers it.
    entry_level: int = 0
    # Priority a VIP caller enters with (0: VIPs wait like everyone else).
    vip_priority: int = 1

    def __post_init__(self) -> None:
        numbers = (self.weight_seconds, self.wrap_up_seconds, self.ring_cooldown_seconds, self.affinity_seconds,
                   self.announce_seconds)
        if min(numbers) < 0 or self.max_misses < 0 or self.entry_level < 0 or self.vip_priority < 0:
            raise ValueError(f"queue {self.queue_id}: negative setting")
        if self.max_length is not None and self.max_length < 1:
            raise ValueError(f"queue {self.queue_id}: max_length must be at least 1")
        if self.max_wait_seconds is not None and self.max_wait_seconds <= 0:
            raise ValueError(f"queue {self.queue_id}: max_wait_seconds must be positive")
        if self.handle_sample_size < 1 or self.default_handle_seconds <= 0:
            raise ValueError(f"queue {self.queue_id}: handle-time settings must be positive")
        if list(self.widening) != sorted(self.widening, key=lambda step: step.after_seconds):
            raise ValueError(f"queue {self.queue_id}: widening steps must be in time order")


@dataclass(frozen=True)
class CallerSpec:
    """A caller entering a queue, as the IVR or the callback service hands it over.

    `arrival` orders the caller (a callback passes the original call's arrival to keep its place);
    None means now. `min_level` is the skill level wanted in this queue; `last_agent_id` enables affinity.
    """

    caller_id: str
    queue_id: str
    priority: int = 0
    arrival: float | None = None
    min_level: int = 0
    last_agent_id: str | None = None


class Caller:
    """A caller's routing state inside the ACD."""

    def __init__(self, spec: CallerSpec, *, entered: float, seq: int) -> None:
        self.caller_id = spec.caller_id
        self.queue_id = spec.queue_id
        self.priority = spec.priority
        self.arrival = entered if spec.arrival is None else spec.arrival
        self.min_level = spec.min_level
        self.last_agent_id = spec.last_agent_id
        # Max wait and affinity count from entering this queue, so a callback that keeps its old place
        # does not time out the moment it re-enters; widening counts from `arrival` (see required_level).
        self.entered = entered
        self.seq = seq
        self.cooldowns: dict[str, float] = {}
        self.ringing: set[str] = set()
        self.held_for: str | None = None

    @property
    def bucket(self) -> tuple[int, int]:
        return (-self.priority, self.min_level)

    @property
    def line_key(self) -> tuple[float, int]:
        return (self.arrival, self.seq)

    def cooling(self, agent_id: str, now: float) -> bool:
        until = self.cooldowns.get(agent_id)
        return until is not None and until > now

    def has_cooldowns(self, now: float) -> bool:
        # Drop ended cooldowns so a caller who rang out often does not make every check slower.
        self.cooldowns = {agent_id: until for agent_id, until in self.cooldowns.items() if until > now}
        return bool(self.cooldowns)


def required_level(caller: Caller, config: QueueConfig, now: float) -> int:
    """The skill level a caller needs now: its own level, capped by every widening step reached.

    Waiting counts from `arrival`, the same time the line is ordered by, so within a bucket the caller in
    front is always the most widened; matching relies on that to look at bucket heads only.
    """
    level = caller.min_level
    waited = now - caller.arrival
    for step in config.widening:
        if waited < step.after_seconds:
            break
        level = min(level, step.max_level)
    return level


class WaitingLine:
    """Callers waiting (not ringing) in one queue, ordered by priority, then arrival, then entry order.

    Callers are kept in buckets by (priority, wanted level), each a sorted list of (arrival, seq, id).
    Inside a bucket every caller has the same rules and the first has waited longest, so if the first
    caller without cooldowns cannot take an agent, nobody behind it can: matching looks at a bucket's head,
    not at the whole line.
    """

    def __init__(self) -> None:
        self.buckets: dict[tuple[int, int], list[tuple[float, int, str]]] = {}
        self.bucket_order: list[tuple[int, int]] = []
        self.size = 0

    def add(self, caller: Caller) -> None:
        key = caller.bucket
        if key not in self.buckets:
            self.buckets[key] = []
            insort(self.bucket_order, key)
        insort(self.buckets[key], (caller.arrival, caller.seq, caller.caller_id))
        self.size += 1

    def remove(self, caller: Caller) -> None:
        entries = self.buckets[caller.bucket]
        entry = (caller.arrival, caller.seq, caller.caller_id)
        index = bisect_left(entries, entry)
        if index == len(entries) or entries[index] != entry:
            raise KeyError(caller.caller_id)
        del entries[index]
        self.size -= 1
        if not entries:
            # Empty buckets are dropped so matching only ever walks buckets that hold callers.
            del self.buckets[caller.bucket]
            self.bucket_order.remove(caller.bucket)

    def ahead_of(self, caller: Caller) -> int:
        """How many waiting callers are served before this one (it need not be in the line)."""
        entry = (caller.arrival, caller.seq, caller.caller_id)
        ahead = 0
        for (neg_priority, _level), entries in self._in_order():
            if neg_priority < -caller.priority:
                ahead += len(entries)
            elif neg_priority == -caller.priority:
                ahead += bisect_left(entries, entry)
        return ahead

    def _in_order(self) -> list[tuple[tuple[int, int], list[tuple[float, int, str]]]]:
        return [(key, self.buckets[key]) for key in self.bucket_order]


class HandleTimes:
    """Recent handle times (talk + wrap-up) of one queue, for the expected-wait estimate."""

    def __init__(self, sample_size: int, default_seconds: float) -> None:
        self._recent: deque[float] = deque(maxlen=sample_size)
        self._default = default_seconds

    def record(self, seconds: float) -> None:
        self._recent.append(seconds)

    def average(self) -> float:
        if not self._recent:
            return self._default
        return sum(self._recent) / len(self._recent)


def expected_wait(ahead: int, staffed: int, average_handle: float) -> float | None:
    """Seconds until an agent frees up for this caller; None when nobody is staffed.

    EWT = ceil((ahead + 1) / staffed) × AHT: the caller is served in the ceil((ahead+1)/staffed)-th wave
    of agents finishing a call. It ignores abandons and partly finished calls, so it errs on the long
    side, which is what callers should hear.
    """
    if staffed <= 0:
        return None
    return math.ceil((ahead + 1) / staffed) * average_handle

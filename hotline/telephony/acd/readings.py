"""The dispatcher's read-only questions (an agent's state, a caller's position and expected wait, a
queue's figures), as the base class `Readings` of `Dispatcher`, which owns the state they read."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterator

from hotline.telephony.acd.agent import Agent
from hotline.telephony.acd.clock import Clock
from hotline.telephony.acd.decision import Membership, QueueState, QueueStats, ReadyEntry, WrapUp
from hotline.telephony.acd.queue import Caller, Strategy, expected_wait


class Readings:
    """Answers about the dispatcher's state, in O(1) or O(buckets) unless said otherwise; nothing here
    changes it (change it through the dispatcher's commands)."""

    _clock: Clock
    _queues: dict[str, QueueState]
    _agents: dict[str, Agent]
    _members: dict[str, dict[str, Membership]]
    _callers: dict[str, Caller]
    _wrap_ups: dict[str, WrapUp]

    def agent(self, agent_id: str) -> Agent:
        """The agent's live state, for reading only: change it through the dispatcher's commands."""
        return self._agent(agent_id)

    def wrap_up_end(self, agent_id: str) -> float | None:
        """When the agent's wrap-up ends (monotonic, extensions included); None when not wrapping up."""
        wrap_up = self._wrap_ups.get(self._agent(agent_id).agent_id)
        return None if wrap_up is None else wrap_up.ends

    def membership(self, agent_id: str, queue_id: str) -> Membership:
        return self._members[self._agent(agent_id).agent_id][queue_id]

    def position(self, caller_id: str) -> int:
        """1 for the next caller to be served; 0 while the caller is being offered to an agent."""
        caller = self._caller(caller_id)
        if caller.ringing:
            return 0
        return self._queues[caller.queue_id].line.ahead_of(caller) + 1

    def expected_wait(self, caller_id: str) -> float | None:
        """Seconds the caller should still expect to wait (see queue.expected_wait); None if unstaffed."""
        caller = self._caller(caller_id)
        if caller.ringing:
            return 0.0
        queue = self._queues[caller.queue_id]
        ahead = queue.line.ahead_of(caller)
        return expected_wait(ahead, queue.staffed, queue.handle.average())

    def expected_wait_for_new(self, queue_id: str) -> float | None:
        """Seconds a caller joining `queue_id` now will wait on average (None if nobody staffs it).

        Ready agents take the first callers at once; the rest are served as agents free up, at a rate of
        staffed / AHT: wait = (ahead + 1) × AHT / staffed. The surge gate uses this average, not the
        cautious wave estimate callers hear (`expected_wait`): with 30 agents busy, that one would say
        "one full handle time" and send every new caller to the automatic seat.
        """
        queue = self._queue(queue_id)
        if queue.staffed <= 0:
            return None
        ahead = queue.line.size - len(queue.ready)
        if ahead < 0:
            return 0.0
        return (ahead + 1) * queue.handle.average() / queue.staffed

    def queue_stats(self, queue_id: str) -> QueueStats:
        """The queue's figures now, in O(buckets): for wallboards, never for routing."""
        queue = self._queue(queue_id)
        oldest = min((entries[0][0] for entries in queue.line.buckets.values()), default=None)
        longest = 0.0 if oldest is None else max(0.0, self._clock.now() - oldest)
        return QueueStats(queue.present, longest, len(queue.ready), queue.staffed)

    def line_length(self, queue_id: str) -> int:
        """How many callers wait in line (not ringing an agent): `len(waiting(queue_id))` in O(1)."""
        return self._queue(queue_id).line.size

    def ready_agents(self, queue_id: str) -> list[str]:
        """The queue's ready agents in the order its strategy would offer them a caller (for the callback
        dialer, which reserves the first one)."""
        queue = self._queue(queue_id)
        return [agent_id for _key, agent_id in self._ready_in_turn(queue)]

    def callers_waiting(self) -> int:
        """Callers in every queue's line (not yet ringing an agent), in O(queues)."""
        return sum(queue.line.size for queue in self._queues.values())

    def waiting(self, queue_id: str) -> list[str]:
        """Caller ids waiting in line, in serving order (a query for screens and tests, O(n log n))."""
        line = self._queue(queue_id).line
        entries = [(key[0], arrival, seq, cid) for key in line.bucket_order for arrival, seq, cid in line.buckets[key]]
        return [entry[3] for entry in sorted(entries)]

    def ringing(self, caller_id: str) -> set[str]:
        return set(self._caller(caller_id).ringing)

    def held_for(self, caller_id: str) -> str | None:
        """The agent a repeat caller is being held for (last-agent affinity), if any."""
        return self._caller(caller_id).held_for

    def staffed(self, queue_id: str) -> int:
        return self._queue(queue_id).staffed

    def is_queued(self, caller_id: str) -> bool:
        return caller_id in self._callers

    def _ready_in_turn(self, queue: QueueState) -> Iterator[ReadyEntry]:
        """The queue's ready agents in the order its strategy offers them (round robin: after the last one)."""
        if queue.config.strategy is not Strategy.ROUND_ROBIN or queue.rr_cursor is None:
            yield from queue.ready
            return
        start = bisect_right(queue.ready, queue.rr_cursor)
        for index in itertools.chain(range(start, len(queue.ready)), range(start)):
            yield queue.ready[index]

    # -- lookups --------------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> Agent:
        if agent_id not in self._agents:
            raise KeyError(f"unknown agent {agent_id}")
        return self._agents[agent_id]

    def _queue(self, queue_id: str) -> QueueState:
        if queue_id not in self._queues:
            raise KeyError(f"unknown queue {queue_id}")
        return self._queues[queue_id]

    def _caller(self, caller_id: str) -> Caller:
        if caller_id not in self._callers:
            raise KeyError(f"unknown caller {caller_id}")
        return self._callers[caller_id]

"""The dispatcher: on every ACD event, decide which (caller, agent) pairs to offer, using indexes only.

Invariant after every public call: no READY agent and waiting caller of a shared queue could be paired
(apart from pairs that a timer will make possible: widening, cooldown end, affinity end). So an agent
freeing up only looks at its own queues' waiting lines, and a caller arriving only looks at its queue's
ready agents; nothing walks all queues × all agents. Its results and state are in `acd/decision.py`, its
read-only questions in `acd/readings.py`.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_right, insort

from hotline.telephony.acd.agent import STAFFED, Agent, IllegalTransition, StateChange
from hotline.telephony.acd.clock import Clock
from hotline.telephony.acd.decision import (
    MAX_WRAP_UP_EXTENSION_SECONDS,
    MAX_WRAP_UP_EXTENSIONS,
    Decision,
    Membership,
    Offer,
    Overflow,
    QueueState,
    QueueStats,
    ReadyEntry,
    Timer,
    WrapUp,
    WrapUpLimit,
)
from hotline.telephony.acd.queue import (
    Caller,
    CallerSpec,
    HandleTimes,
    OverflowReason,
    QueueConfig,
    Strategy,
    required_level,
)
from hotline.telephony.acd.readings import Readings
from hotline.telephony.events import AgentState

# Kept importable from here, where they were first defined.
__all__ = ["MAX_WRAP_UP_EXTENSIONS", "MAX_WRAP_UP_EXTENSION_SECONDS", "Decision", "Dispatcher", "Membership",
           "Offer", "Overflow", "QueueStats", "WrapUpLimit"]


class Dispatcher(Readings):
    """Agent and caller routing for all queues of one engine; pure, driven by events and an injected clock.

    Each public method first runs the timers that are due (wrap-up ends, max waits, widening steps,
    cooldown and affinity ends), then applies the event, and returns a Decision for the host to carry out.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._queues: dict[str, QueueState] = {}
        self._agents: dict[str, Agent] = {}
        self._members: dict[str, dict[str, Membership]] = {}
        self._callers: dict[str, Caller] = {}
        self._held: dict[str, list[tuple[float, int, str]]] = {}
        self._wrapping: dict[str, tuple[str, float]] = {}
        self._wrap_ups: dict[str, WrapUp] = {}
        self._timers: list[Timer] = []
        self._carry = Decision()
        self._seq = itertools.count()

    # -- set-up ---------------------------------------------------------------------------------

    def add_queue(self, config: QueueConfig) -> None:
        if config.queue_id in self._queues:
            raise ValueError(f"queue {config.queue_id} already exists")
        self._queues[config.queue_id] = QueueState(config)

    def update_queue(self, config: QueueConfig) -> Decision:
        """New settings for a queue that exists, taken while it runs (a back-office edit), as Asterisk's
        `queue reload parameters` does: the queue keeps its callers, members, figures and order, and
        each setting applies from the next moment it is read.

        For callers already waiting this means: strategy, weight, overflow target and widening steps apply
        to them now (the ready agents are re-sorted for the new strategy; a caller may be offered at once
        if the new steps or strategy allow it). What a caller was given on entering stays theirs, as an
        Asterisk caller keeps the timeout of its Queue() call: their priority and wanted level (entry level,
        VIP priority), their maximum wait and affinity hold. The queue's length limit counts for callers
        entering after the change (nobody waiting is turned away by a smaller one). Wrap-up, missed-call
        and ring cooldown settings apply to the next call that ends, rings out or is missed; a wrap-up in
        progress keeps its end. A new handle-time sample size or default restarts the average.
        """
        queue, (decision, now) = self._queue(config.queue_id), self._begin()
        old = queue.config
        queue.config = config
        if (config.handle_sample_size, config.default_handle_seconds) != (
                old.handle_sample_size, old.default_handle_seconds):
            queue.handle = HandleTimes(config.handle_sample_size, config.default_handle_seconds)
        if config.strategy is not old.strategy:
            self._sort_ready(queue)
        if config.widening != old.widening:
            for caller in [caller for caller in self._callers.values() if caller.queue_id == config.queue_id]:
                self._schedule_widening(caller, config, after=now)
        self._dispatch_queue(queue, now, decision)
        return self._finish(decision)

    def _sort_ready(self, queue: QueueState) -> None:
        """Index the queue's ready agents again under its (new) strategy's key."""
        ready = [self._agents[agent_id] for _key, agent_id in queue.ready]
        queue.ready.clear()
        queue.ready_keys.clear()
        queue.rr_cursor = None
        for agent in ready:
            self._index_in(agent, queue)

    def add_agent(self, agent_id: str) -> None:
        if agent_id in self._agents:
            raise ValueError(f"agent {agent_id} already exists")
        self._agents[agent_id] = Agent(agent_id, self._clock.now())
        self._members[agent_id] = {}

    def join(self, agent_id: str, queue_id: str, *, level: int = 1) -> Decision:
        """Make the agent a member of the queue with a skill level; a ready agent is offered at once."""
        agent, queue = self._agent(agent_id), self._queue(queue_id)
        decision, now = self._begin()
        if queue_id in self._members[agent_id]:
            raise ValueError(f"agent {agent_id} is already in queue {queue_id}")
        self._members[agent_id][queue_id] = Membership(level, next(queue.joined))
        queue.calls.setdefault(agent_id, 0)
        if self._staffed(agent):
            queue.staffed += 1
        if self._offerable(agent):
            self._index_in(agent, queue)
            self._dispatch_agent(agent, now, decision)
        return self._finish(decision)

    def leave(self, agent_id: str, queue_id: str) -> Decision:
        """Remove the agent from the queue; callers of that queue held for it go back to the line."""
        agent, queue = self._agent(agent_id), self._queue(queue_id)
        decision, now = self._begin()
        if queue_id not in self._members[agent_id]:
            raise ValueError(f"agent {agent_id} is not in queue {queue_id}")
        if self._offerable(agent):
            self._index_out(agent_id, queue)
        if self._staffed(agent):
            queue.staffed -= 1
        del self._members[agent_id][queue_id]
        for _arrival, _seq, caller_id in list(self._held.get(agent_id, [])):
            if self._callers[caller_id].queue_id == queue_id:
                self._release_held(self._callers[caller_id], now, decision)
        return self._finish(decision)

    # -- agent commands -------------------------------------------------------------------------

    def login(self, agent_id: str, *, ready: bool = False) -> Decision:
        agent, (decision, now) = self._agent(agent_id), self._begin()
        self._record(agent, agent.login(now, ready=ready), decision)
        self._dispatch_agent(agent, now, decision)
        return self._finish(decision)

    def ready(self, agent_id: str) -> Decision:
        """The agent is ready: from not ready, or ending wrap-up early."""
        agent, (decision, now) = self._agent(agent_id), self._begin()
        self._record(agent, agent.go_ready(now), decision)
        self._dispatch_agent(agent, now, decision)
        return self._finish(decision)

    def not_ready(self, agent_id: str, reason: str) -> Decision:
        agent, (decision, now) = self._agent(agent_id), self._begin()
        self._record(agent, agent.go_not_ready(now, reason), decision)
        return self._finish(decision)

    def logout(self, agent_id: str) -> Decision:
        agent, (decision, now) = self._agent(agent_id), self._begin()
        self._record(agent, agent.logout(now), decision)
        # Nobody waits for an agent who left: affinity callers go back to normal selection now.
        self._release_all_held(agent_id, now, decision)
        return self._finish(decision)

    def phone_reachable(self, agent_id: str, reachable: bool) -> Decision:
        """Device state: the agent's phone can be rung again (it registered) or no longer (unregistered,
        registration expired). The agent keeps its state, but with the phone offline it is offered nothing
        and counts neither as ready nor as staffed (queue figures, expected waits); callers held for it go
        back to the line. Reachable again, a ready agent is offered a waiting caller at once."""
        agent, (decision, now) = self._agent(agent_id), self._begin()
        if agent.phone_online is reachable:
            return self._finish(decision)
        self._place(agent, present=False)
        agent.phone_online = reachable
        self._place(agent, present=True)
        if reachable:
            self._dispatch_agent(agent, now, decision)
        else:
            self._release_all_held(agent_id, now, decision)
        return self._finish(decision)

    def extend_wrap_up(self, agent_id: str, seconds: float) -> Decision:
        """Lengthen the agent's wrap-up by `seconds` (> 0): at most `MAX_WRAP_UP_EXTENSIONS` times and
        `MAX_WRAP_UP_EXTENSION_SECONDS` in all per wrap-up (the last one is cut to what is left); beyond
        that `WrapUpLimit`. Not in wrap-up (it may just have ended): `IllegalTransition`."""
        agent, (decision, _now) = self._agent(agent_id), self._begin()
        if seconds <= 0:
            raise ValueError("a wrap-up extension is a positive number of seconds")
        wrap_up = self._wrap_ups.get(agent_id)
        if agent.state is not AgentState.WRAP_UP or wrap_up is None:
            raise IllegalTransition(agent_id, agent.state, AgentState.WRAP_UP, "extend wrap-up")
        if wrap_up.extensions >= MAX_WRAP_UP_EXTENSIONS or wrap_up.added >= MAX_WRAP_UP_EXTENSION_SECONDS:
            raise WrapUpLimit(f"agent {agent_id}'s wrap-up cannot be extended any more")
        added = min(seconds, MAX_WRAP_UP_EXTENSION_SECONDS - wrap_up.added)
        wrap_up.ends += added
        wrap_up.extensions += 1
        wrap_up.added += added
        self._push(wrap_up.ends, "wrap", agent_id, agent.since)
        return self._finish(decision)

    # -- call events ----------------------------------------------------------------------------

    def enqueue(self, spec: CallerSpec) -> Decision:
        """A caller enters a queue: overflow if full, else offer, hold for affinity, or wait in line."""
        queue, (decision, now) = self._queue(spec.queue_id), self._begin()
        if spec.caller_id in self._callers:
            raise ValueError(f"caller {spec.caller_id} is already queued")
        config = queue.config
        if config.max_length is not None and queue.present >= config.max_length:
            decision.overflows.append(Overflow(spec.caller_id, config.queue_id, OverflowReason.FULL, config.overflow))
            return self._finish(decision)
        caller = Caller(spec, entered=now, seq=next(self._seq))
        self._callers[caller.caller_id] = caller
        queue.present += 1
        self._schedule_caller_timers(caller, config)
        if not self._try_affinity(caller, queue, now, decision):
            queue.line.add(caller)
            self._dispatch_queue(queue, now, decision)
        return self._finish(decision)

    def answer(self, agent_id: str) -> Decision:
        """The agent picked up: the caller leaves the queue; other ring-all phones stop ringing."""
        agent, (decision, now) = self._agent(agent_id), self._begin()
        caller, queue = self._offered(agent)
        self._record(agent, agent.answer(now), decision)
        caller.ringing.discard(agent_id)
        queue.calls[agent_id] = queue.calls.get(agent_id, 0) + 1
        self._forget(caller, queue)
        self._cancel_ringing(caller, queue, now, decision)
        return self._finish(decision)

    def connect(self, agent_id: str, caller_id: str, queue_id: str) -> Decision:
        """An agent the host reserved (not ready) takes a call handed to them outside the queues (attended
        transfer): on a call for `queue_id`, whose wrap-up and handle time then apply as for an answer."""
        agent, queue = self._agent(agent_id), self._queue(queue_id)
        decision, now = self._begin()
        self._record(agent, agent.connect(now, caller_id, queue_id), decision)
        queue.calls[agent_id] = queue.calls.get(agent_id, 0) + 1
        return self._finish(decision)

    def no_answer(self, agent_id: str) -> Decision:
        """The agent's phone rang out: count the miss, cool the pair down, and offer the caller onward."""
        agent, (decision, now) = self._agent(agent_id), self._begin()
        caller, queue = self._offered(agent)
        self._record(agent, agent.miss(now, queue.config.max_misses), decision)
        caller.ringing.discard(agent_id)
        cooldown = queue.config.ring_cooldown_seconds
        if cooldown > 0:
            caller.cooldowns[agent_id] = now + cooldown
            self._push(now + cooldown, "queue", queue.config.queue_id)
        if not caller.ringing:
            self._back_in_line(caller, queue, now, decision)
        self._dispatch_agent(agent, now, decision)
        return self._finish(decision)

    def abandon(self, caller_id: str) -> Decision:
        """The caller hung up before being answered."""
        caller, (decision, now) = self._caller(caller_id), self._begin()
        queue = self._queues[caller.queue_id]
        self._take_out(caller, queue)
        self._forget(caller, queue)
        self._cancel_ringing(caller, queue, now, decision)
        return self._finish(decision)

    def hang_up(self, agent_id: str) -> Decision:
        """The agent's call ended: wrap-up for the queue's seconds, or ready at once."""
        agent, (decision, now) = self._agent(agent_id), self._begin()
        if agent.state is not AgentState.ON_CALL or agent.queue_id is None or agent.answered_at is None:
            raise ValueError(f"agent {agent_id} is not on a call")
        queue = self._queues[agent.queue_id]
        self._wrapping[agent_id] = (agent.queue_id, agent.answered_at)
        wrap = queue.config.wrap_up_seconds
        self._record(agent, agent.hang_up(now, wrap), decision)
        if wrap > 0:
            self._wrap_ups[agent_id] = WrapUp(now + wrap)
            self._push(now + wrap, "wrap", agent_id, agent.since)
        self._dispatch_agent(agent, now, decision)
        return self._finish(decision)

    def tick(self) -> Decision:
        """Run due timers; the host calls it at next_due()."""
        decision, _now = self._begin()
        return self._finish(decision)

    def next_due(self) -> float | None:
        """When tick() may have work; timers made stale by later events are skipped when they fire."""
        return self._timers[0][0] if self._timers else None

    # -- matching -------------------------------------------------------------------------------

    def _dispatch_agent(self, agent: Agent, now: float, decision: Decision) -> None:
        """A READY agent takes the caller held for it, else the best caller across its queues."""
        if not self._offerable(agent):
            return
        held = self._held.get(agent.agent_id)
        if held:
            held_caller = self._callers[held[0][2]]
            self._offer(held_caller, [agent], self._queues[held_caller.queue_id], now, decision)
            return
        best: tuple[tuple[int, float, int], Caller, QueueState] | None = None
        for queue_id, member in self._members[agent.agent_id].items():
            queue = self._queues[queue_id]
            caller = self._first_caller_for(queue, agent.agent_id, member.level, now)
            if caller is None:
                continue
            # Priority first; then the longest wait, credited with the queue's weight.
            score = (caller.priority, queue.config.weight_seconds - caller.arrival, -caller.seq)
            if best is None or score > best[0]:
                best = (score, caller, queue)
        if best is not None:
            self._offer(best[1], [agent], best[2], now, decision)

    def _first_caller_for(self, queue: QueueState, agent_id: str, level: int, now: float) -> Caller | None:
        """The first caller of the queue this agent may take: one look per bucket, past cooled-down pairs."""
        best: Caller | None = None
        for key in queue.line.bucket_order:
            if best is not None and best.priority > -key[0]:
                break  # buckets of lower priority cannot beat a candidate already found
            for _arrival, _seq, caller_id in queue.line.buckets[key]:
                caller = self._callers[caller_id]
                if caller.cooling(agent_id, now):
                    continue
                if required_level(caller, queue.config, now) <= level and (
                    best is None or caller.line_key < best.line_key
                ):
                    best = caller
                break
        return best

    def _dispatch_queue(self, queue: QueueState, now: float, decision: Decision) -> None:
        """Offer waiting callers of one queue to its ready agents, in line order, until no pair is left.

        One cursor per bucket; each step serves the bucket whose next caller is first in line (priority,
        then arrival across the buckets of equal priority).
        """
        cursors = dict.fromkeys(queue.line.bucket_order, 0)
        while queue.ready:
            key = self._next_bucket(queue, cursors)
            if key is None:
                return
            entries = queue.line.buckets[key]
            caller = self._callers[entries[cursors[key]][2]]
            agents = self._agents_for(queue, caller, now)
            if agents:
                self._offer(caller, agents, queue, now, decision)
            elif caller.has_cooldowns(now):
                cursors[key] += 1
            else:
                del cursors[key]  # nobody behind this caller in the bucket can be served either

    @staticmethod
    def _next_bucket(queue: QueueState, cursors: dict[tuple[int, int], int]) -> tuple[int, int] | None:
        best: tuple[tuple[int, float, int], tuple[int, int]] | None = None
        for key, index in list(cursors.items()):
            entries = queue.line.buckets.get(key, [])
            if index >= len(entries):
                del cursors[key]
                continue
            arrival, seq, _caller_id = entries[index]
            rank = (key[0], arrival, seq)
            if best is None or rank < best[0]:
                best = (rank, key)
        return None if best is None else best[1]

    def _agents_for(self, queue: QueueState, caller: Caller, now: float) -> list[Agent]:
        """The ready agent(s) the strategy picks for this caller; several only for ring all."""
        strategy = queue.config.strategy
        need = required_level(caller, queue.config, now)
        found: list[Agent] = []
        for _key, agent_id in self._ready_in_turn(queue):
            if self._members[agent_id][queue.config.queue_id].level < need:
                if strategy is Strategy.SKILLS:
                    break  # sorted by level: everyone after is lower
                continue
            if caller.cooling(agent_id, now):
                continue
            found.append(self._agents[agent_id])
            if strategy is not Strategy.RING_ALL:
                break
        return found

    def _try_affinity(self, caller: Caller, queue: QueueState, now: float, decision: Decision) -> bool:
        """Offer a repeat caller to their last agent, or hold them for it for affinity_seconds."""
        last = caller.last_agent_id
        window = queue.config.affinity_seconds
        if window <= 0 or last is None or queue.config.queue_id not in self._members.get(last, {}):
            return False
        agent = self._agents[last]
        if self._offerable(agent):
            queue.line.add(caller)  # _offer takes it out of the line, as for any caller
            self._offer(caller, [agent], queue, now, decision)
            return True
        if agent.state is AgentState.LOGGED_OUT or not agent.phone_online:
            return False  # nobody waits for an agent who left or whose phone cannot ring
        caller.held_for = last
        insort(self._held.setdefault(last, []), (caller.arrival, caller.seq, caller.caller_id))
        self._push(caller.entered + window, "affinity", caller.caller_id)
        return True

    # -- moves ----------------------------------------------------------------------------------

    def _offer(self, caller: Caller, agents: list[Agent], queue: QueueState, now: float, decision: Decision) -> None:
        self._take_out(caller, queue)
        queue_id = queue.config.queue_id
        if queue.config.strategy is Strategy.ROUND_ROBIN:
            queue.rr_cursor = queue.ready_keys[agents[-1].agent_id]
        for agent in agents:
            self._record(agent, agent.offer(now, caller.caller_id, queue_id), decision)
            caller.ringing.add(agent.agent_id)
            decision.offers.append(Offer(caller.caller_id, agent.agent_id, queue_id))

    def _take_out(self, caller: Caller, queue: QueueState) -> None:
        """Remove a not-ringing caller from wherever it waits: the line or an affinity hold."""
        if caller.ringing:
            return
        if caller.held_for is not None:
            self._held[caller.held_for].remove((caller.arrival, caller.seq, caller.caller_id))
            caller.held_for = None
        else:
            queue.line.remove(caller)

    def _forget(self, caller: Caller, queue: QueueState) -> None:
        del self._callers[caller.caller_id]
        queue.present -= 1

    def _cancel_ringing(self, caller: Caller, queue: QueueState, now: float, decision: Decision) -> None:
        freed = [self._agents[agent_id] for agent_id in sorted(caller.ringing)]
        caller.ringing.clear()
        for agent in freed:
            decision.cancelled.append(Offer(caller.caller_id, agent.agent_id, queue.config.queue_id))
            self._record(agent, agent.go_ready(now), decision)
        for agent in freed:
            self._dispatch_agent(agent, now, decision)

    def _back_in_line(self, caller: Caller, queue: QueueState, now: float, decision: Decision) -> None:
        """After a ring-out the caller keeps its place, unless its maximum wait passed meanwhile."""
        max_wait = queue.config.max_wait_seconds
        if max_wait is not None and now >= caller.entered + max_wait:
            self._overflow(caller, queue, OverflowReason.TIMEOUT, decision)
            return
        queue.line.add(caller)
        self._dispatch_queue(queue, now, decision)

    def _release_all_held(self, agent_id: str, now: float, decision: Decision) -> None:
        for _arrival, _seq, caller_id in list(self._held.get(agent_id, [])):
            self._release_held(self._callers[caller_id], now, decision)

    def _release_held(self, caller: Caller, now: float, decision: Decision) -> None:
        queue = self._queues[caller.queue_id]
        self._take_out(caller, queue)
        queue.line.add(caller)
        self._dispatch_queue(queue, now, decision)

    def _overflow(self, caller: Caller, queue: QueueState, reason: OverflowReason, decision: Decision) -> None:
        self._forget(caller, queue)
        config = queue.config
        decision.overflows.append(Overflow(caller.caller_id, config.queue_id, reason, config.overflow))

    def _record(self, agent: Agent, change: StateChange, decision: Decision) -> None:
        """Keep the indexes in step with one agent state change, and report it."""
        decision.changes.append(change)
        members = self._members[agent.agent_id]
        online = agent.phone_online  # an agent whose phone is offline is in no index (phone_reachable)
        if change.old is AgentState.READY and online:
            for queue_id in members:
                self._index_out(agent.agent_id, self._queues[queue_id])
        if change.new is AgentState.READY and online:
            for queue_id in members:
                self._index_in(agent, self._queues[queue_id])
        delta = (change.new in STAFFED) - (change.old in STAFFED) if online else 0
        for queue_id in members if delta else ():
            self._queues[queue_id].staffed += delta
        if change.old is AgentState.WRAP_UP:
            self._wrap_ups.pop(agent.agent_id, None)
        # Handle time (talk + wrap-up) is known once the agent leaves the call and its wrap-up.
        if change.new is not AgentState.WRAP_UP and agent.agent_id in self._wrapping:
            queue_id, answered_at = self._wrapping.pop(agent.agent_id)
            self._queues[queue_id].handle.record(change.at - answered_at)

    @staticmethod
    def _offerable(agent: Agent) -> bool:
        """In its queues' ready indexes: ready, and its phone can be rung."""
        return agent.state is AgentState.READY and agent.phone_online

    @staticmethod
    def _staffed(agent: Agent) -> bool:
        """Counted in its queues' staffed figure: ready, ringing, talking or wrapping up, phone online."""
        return agent.state in STAFFED and agent.phone_online

    def _place(self, agent: Agent, *, present: bool) -> None:
        """Add the agent to (or take it out of) its queues' ready indexes and staffed counts, as its state
        and phone say now."""
        offerable, staffed = self._offerable(agent), self._staffed(agent)
        for queue_id in self._members[agent.agent_id]:
            queue = self._queues[queue_id]
            if offerable and present:
                self._index_in(agent, queue)
            elif offerable:
                self._index_out(agent.agent_id, queue)
            if staffed:
                queue.staffed += 1 if present else -1

    def _index_in(self, agent: Agent, queue: QueueState) -> None:
        entry: ReadyEntry = (self._ready_key(agent, queue), agent.agent_id)
        queue.ready_keys[agent.agent_id] = entry
        insort(queue.ready, entry)

    def _index_out(self, agent_id: str, queue: QueueState) -> None:
        entry = queue.ready_keys.pop(agent_id)
        queue.ready.pop(bisect_right(queue.ready, entry) - 1)

    def _ready_key(self, agent: Agent, queue: QueueState) -> tuple[float, ...]:
        """The sort key of a ready agent under the queue's strategy; the first entry is picked first."""
        member = self._members[agent.agent_id][queue.config.queue_id]
        strategy = queue.config.strategy
        if strategy is Strategy.FEWEST_CALLS:
            return (queue.calls.get(agent.agent_id, 0), agent.idle_since)
        if strategy is Strategy.SKILLS:
            return (-member.level, agent.idle_since)
        if strategy in (Strategy.ROUND_ROBIN, Strategy.RING_ALL):
            return (member.order,)
        return (agent.idle_since,)

    # -- timers ---------------------------------------------------------------------------------

    def _schedule_caller_timers(self, caller: Caller, config: QueueConfig) -> None:
        if config.max_wait_seconds is not None:
            self._push(caller.entered + config.max_wait_seconds, "max_wait", caller.caller_id)
        self._schedule_widening(caller, config, after=caller.entered)

    def _schedule_widening(self, caller: Caller, config: QueueConfig, *, after: float) -> None:
        """A queue timer at each widening step that lowers the caller's wanted level later than `after`
        (steps already reached count at once: `required_level` reads them when matching)."""
        cap = caller.min_level
        for step in config.widening:
            due = caller.arrival + step.after_seconds
            if step.max_level < cap and due > after:
                self._push(due, "queue", config.queue_id)
            cap = min(cap, step.max_level)

    def _push(self, due: float, kind: str, key: str, token: float = 0.0) -> None:
        heapq.heappush(self._timers, (due, next(self._seq), kind, key, token))

    def _begin(self) -> tuple[Decision, float]:
        """Run due timers into the carried decision, which the event's own effects then extend.

        If the event then fails (an illegal move), the timers' effects stay carried into the next call's
        Decision, so the host never loses an offer.
        """
        now = self._clock.now()
        decision = self._carry
        while self._timers and self._timers[0][0] <= now:
            due, _seq, kind, key, token = heapq.heappop(self._timers)
            self._fire(due, kind, key, token, decision)
        return decision, now

    def _finish(self, decision: Decision) -> Decision:
        self._carry = Decision()
        return decision

    def _fire(self, due: float, kind: str, key: str, token: float, decision: Decision) -> None:
        """Run one timer as of its due time; timers made moot by later events do nothing."""
        if kind == "queue":
            self._dispatch_queue(self._queues[key], due, decision)
        elif kind == "wrap":
            agent, wrap_up = self._agents[key], self._wrap_ups.get(key)
            # An extended wrap-up leaves its earlier timers behind: only the one at its current end counts.
            if agent.state is AgentState.WRAP_UP and agent.since == token and (wrap_up is None or due >= wrap_up.ends):
                self._record(agent, agent.go_ready(due), decision)
                self._dispatch_agent(agent, due, decision)
        elif key in self._callers:
            caller = self._callers[key]
            queue = self._queues[caller.queue_id]
            if kind == "affinity" and caller.held_for is not None:
                self._release_held(caller, due, decision)
            elif kind == "max_wait" and not caller.ringing:
                self._take_out(caller, queue)
                self._overflow(caller, queue, OverflowReason.TIMEOUT, decision)

    def _offered(self, agent: Agent) -> tuple[Caller, QueueState]:
        if agent.state is not AgentState.RINGING or agent.caller_id is None or agent.queue_id is None:
            raise ValueError(f"agent {agent.agent_id} is not being offered a call")
        return self._callers[agent.caller_id], self._queues[agent.queue_id]

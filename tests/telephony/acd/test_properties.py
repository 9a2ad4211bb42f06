"""Property tests: random event sequences never break the dispatcher's promises."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.telephony.acd import (
    AgentState,
    CallerSpec,
    Decision,
    Dispatcher,
    ManualClock,
    QueueConfig,
    Strategy,
    WideningStep,
)

S = AgentState
AGENTS = ("a0", "a1", "a2", "a3")
QUEUES = ("q0", "q1", "q2")
COOLDOWN = 10.0
WIDENING = (WideningStep(5.0, 2), WideningStep(20.0, 1))


@dataclass
class World:
    """The dispatcher plus what the test itself knows: offers seen, cooldowns, callers gone."""

    dispatcher: Dispatcher
    clock: ManualClock
    strategies: dict[str, Strategy]
    levels: dict[str, dict[str, int]]
    callers: dict[str, CallerSpec] = field(default_factory=dict)
    offered: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)
    cooldowns: dict[tuple[str, str], float] = field(default_factory=dict)

    def take(self, decision: Decision) -> Decision:
        self.offered.update(offer.caller_id for offer in decision.offers)
        self.gone.update(overflow.caller_id for overflow in decision.overflows)
        return decision


def make_world(strategies: list[Strategy], levels: list[list[int]]) -> World:
    clock = ManualClock()
    dispatcher = Dispatcher(clock)
    for queue_id, strategy in zip(QUEUES, strategies, strict=True):
        config = QueueConfig(
            queue_id,
            strategy=strategy,
            max_misses=2,
            ring_cooldown_seconds=COOLDOWN,
            max_length=6,
            wrap_up_seconds=3.0,
            # q1 widens callers, q2 holds repeat callers for their last agent
            widening=WIDENING if queue_id == "q1" else (),
            affinity_seconds=8.0 if queue_id == "q2" else 0.0,
        )
        dispatcher.add_queue(config)
    members: dict[str, dict[str, int]] = {}
    for agent_id, agent_levels in zip(AGENTS, levels, strict=True):
        dispatcher.add_agent(agent_id)
        # a0 serves every queue at the top level, so every caller can be served in the end
        if agent_id == "a0":
            agent_levels = [3] * len(QUEUES)
        members[agent_id] = {q: lvl for q, lvl in zip(QUEUES, agent_levels, strict=True) if lvl}
        for queue_id, level in members[agent_id].items():
            dispatcher.join(agent_id, queue_id, level=level)
    return World(dispatcher, clock, dict(zip(QUEUES, strategies, strict=True)), members)


def apply(world: World, op: str, index: int, number: int) -> None:
    d, agent_id = world.dispatcher, AGENTS[index % len(AGENTS)]
    state = d.agent(agent_id).state
    if op == "enqueue":
        caller_id = f"c{number}"
        if caller_id in world.callers:
            return
        now = world.clock.now()
        # every third caller is a callback of an older call; some are repeat callers of an agent
        arrival = max(0.0, now - number) if number % 3 == 0 else now
        last_agent = AGENTS[number % len(AGENTS)] if number % 5 == 0 else None
        queue_id = QUEUES[index % len(QUEUES)]
        spec = CallerSpec(caller_id, queue_id, number % 2, arrival, number % 4, last_agent)
        world.callers[caller_id] = spec
        world.take(d.enqueue(spec))
    elif op == "login" and state is S.LOGGED_OUT:
        world.take(d.login(agent_id, ready=number % 2 == 0))
    elif op == "ready" and state in (S.NOT_READY, S.WRAP_UP):
        world.take(d.ready(agent_id))
    elif op == "pause" and state in (S.READY, S.WRAP_UP):
        world.take(d.not_ready(agent_id, "break"))
    elif op == "answer" and state is S.RINGING:
        world.take(d.answer(agent_id))
    elif op == "miss" and state is S.RINGING:
        caller_id = str(d.agent(agent_id).caller_id)
        world.cooldowns[(agent_id, caller_id)] = world.clock.now() + COOLDOWN
        world.take(d.no_answer(agent_id))
    elif op == "hang_up" and state is S.ON_CALL:
        world.take(d.hang_up(agent_id))
    elif op == "abandon" and number % 8 < len(world.callers):
        caller_id = sorted(world.callers)[number % len(world.callers)]
        if d.is_queued(caller_id):
            world.gone.add(caller_id)
            world.take(d.abandon(caller_id))
    elif op == "wait":
        world.clock.advance(float(number % 15))
        world.take(d.tick())


def check_invariants(world: World) -> None:
    d, now = world.dispatcher, world.clock.now()
    ringing_for: dict[str, str] = {}
    for caller_id in world.callers:
        if not d.is_queued(caller_id):
            continue
        agents = d.ringing(caller_id)
        strategy = world.strategies[world.callers[caller_id].queue_id]
        # a caller rings at most one phone, except under ring all
        assert len(agents) <= 1 or strategy is Strategy.RING_ALL
        for agent_id in agents:
            # no agent is offered two calls, and the agent agrees it rings for this caller
            assert agent_id not in ringing_for
            ringing_for[agent_id] = caller_id
            assert (d.agent(agent_id).state, d.agent(agent_id).caller_id) == (S.RINGING, caller_id)
        # nobody is held for an agent who is ready
        held_for = d.held_for(caller_id)
        assert held_for is None or d.agent(held_for).state is not S.READY
    for agent_id in AGENTS:
        if d.agent(agent_id).state is S.RINGING:
            assert agent_id in ringing_for
    # no ready agent and waiting caller are left unpaired when nothing forbids the pair
    for queue_id in QUEUES:
        for caller_id in d.waiting(queue_id):
            need = wanted_level(world.callers[caller_id], now)
            for agent_id, levels in world.levels.items():
                if d.agent(agent_id).state is not S.READY or levels.get(queue_id, -1) < need:
                    continue
                assert world.cooldowns.get((agent_id, caller_id), 0.0) > now, (caller_id, agent_id)


def wanted_level(spec: CallerSpec, now: float) -> int:
    level = spec.min_level
    for step in WIDENING if spec.queue_id == "q1" else ():
        if now - float(spec.arrival or 0.0) >= step.after_seconds:
            level = min(level, step.max_level)
    return level


def drain(world: World) -> None:
    """Everyone goes ready and answers until nobody waits; every caller must get an offer."""
    d = world.dispatcher
    for _round in range(200):
        world.clock.advance(COOLDOWN + 5.0)
        world.take(d.tick())
        for agent_id in AGENTS:
            state = d.agent(agent_id).state
            if state is S.LOGGED_OUT:
                world.take(d.login(agent_id, ready=True))
            elif state in (S.NOT_READY, S.WRAP_UP):
                world.take(d.ready(agent_id))
            elif state is S.RINGING:
                world.take(d.answer(agent_id))
            elif state is S.ON_CALL:
                world.take(d.hang_up(agent_id))
            check_invariants(world)
        if not any(d.is_queued(caller_id) for caller_id in world.callers):
            break
    assert not any(d.is_queued(caller_id) for caller_id in world.callers)
    assert set(world.callers) - world.gone <= world.offered


OPS = st.sampled_from(["enqueue", "enqueue", "login", "ready", "pause", "answer", "miss", "hang_up", "abandon", "wait"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    strategies=st.lists(st.sampled_from(list(Strategy)), min_size=3, max_size=3),
    levels=st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=4, max_size=4),
    steps=st.lists(st.tuples(OPS, st.integers(0, 11), st.integers(0, 40)), max_size=60),
)
def test_random_event_sequences_keep_the_routing_promises(
    strategies: list[Strategy], levels: list[list[int]], steps: list[tuple[str, int, int]]
) -> None:
    world = make_world(strategies, levels)
    for op, index, number in steps:
        apply(world, op, index, number)
        check_invariants(world)
    drain(world)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 50), st.booleans()), min_size=1, max_size=40))
def test_the_line_is_always_priority_then_arrival_then_entry_order(entries: list[tuple[int, int, bool]]) -> None:
    # given callers entering one by one, some with an older (callback) arrival time
    clock = ManualClock(100.0)
    dispatcher = Dispatcher(clock)
    dispatcher.add_queue(QueueConfig("q0"))
    expected = []
    for seq, (priority, arrival, is_callback) in enumerate(entries):
        clock.advance(1.0)
        when = float(arrival) if is_callback else clock.now()
        dispatcher.enqueue(CallerSpec(f"c{seq}", "q0", priority=priority, arrival=when if is_callback else None))
        expected.append((-priority, when, seq, f"c{seq}"))
    # then the line and every position follow (priority desc, arrival, entry order)
    order = [caller_id for *_key, caller_id in sorted(expected)]
    assert dispatcher.waiting("q0") == order
    assert [dispatcher.position(caller_id) for caller_id in order] == list(range(1, len(order) + 1))

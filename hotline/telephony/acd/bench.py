"""Routing micro-benchmark: how long the dispatcher takes to decide when an agent frees up.

240 agents in 16 queues (each agent in 3 of them), 500 callers waiting; every agent is busy, so each
hang-up makes the dispatcher pick that agent's next caller across its queues. Only the hang_up call
(which includes the decision) is timed; answering and topping the queues back up are not.
"""

from __future__ import annotations

import random
import statistics
import time

from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.acd.dispatcher import Dispatcher
from hotline.telephony.acd.queue import CallerSpec, QueueConfig, Strategy, WideningStep
from hotline.telephony.events import AgentState

_STRATEGIES = (Strategy.LONGEST_IDLE, Strategy.FEWEST_CALLS, Strategy.ROUND_ROBIN, Strategy.SKILLS)


def _build(agents: int, queues: int, seed: int) -> tuple[Dispatcher, ManualClock, random.Random]:
    rng = random.Random(seed)
    clock = ManualClock()
    dispatcher = Dispatcher(clock)
    for number in range(queues):
        strategy = _STRATEGIES[number % len(_STRATEGIES)]
        widening = (WideningStep(20.0, 1),) if strategy is Strategy.SKILLS else ()
        config = QueueConfig(f"q{number}", strategy=strategy, weight_seconds=float(number % 3), widening=widening)
        dispatcher.add_queue(config)
    for number in range(agents):
        dispatcher.add_agent(f"a{number}")
        for queue_number in rng.sample(range(queues), 3):
            dispatcher.join(f"a{number}", f"q{queue_number}", level=rng.randint(1, 5))
    return dispatcher, clock, rng


def _enqueue(dispatcher: Dispatcher, rng: random.Random, number: int, queues: int) -> None:
    priority = 1 if rng.random() < 0.05 else 0
    queue_number = rng.randrange(queues)
    # Skills queues get callers who want level 3 at first (the queue widens them to 1 after 20 s).
    level = 3 if _STRATEGIES[queue_number % len(_STRATEGIES)] is Strategy.SKILLS else 0
    spec = CallerSpec(f"c{number}", f"q{queue_number}", priority=priority, min_level=level)
    for offer in dispatcher.enqueue(spec).offers:
        dispatcher.answer(offer.agent_id)


def routing_benchmark(
    *, agents: int = 240, queues: int = 16, callers: int = 500, rounds: int = 2000, seed: int = 7
) -> dict[str, float]:
    """Decision time when an agent frees up, in microseconds (p50, p99, max), rounds timed, callers left."""
    dispatcher, clock, rng = _build(agents, queues, seed)
    for number in range(agents):
        clock.advance(0.01)
        dispatcher.login(f"a{number}", ready=True)
    serial = 0
    # Fill every agent with a call first, then keep `callers` waiting behind them.
    while serial < agents + callers:
        clock.advance(0.01)
        _enqueue(dispatcher, rng, serial, queues)
        serial += 1
    timings: list[float] = []
    everyone = [f"a{number}" for number in range(agents)]
    for _ in range(rounds):
        clock.advance(0.05)
        busy = [agent_id for agent_id in everyone if dispatcher.agent(agent_id).state is AgentState.ON_CALL]
        agent_id = busy[rng.randrange(len(busy))]
        started = time.perf_counter_ns()
        decision = dispatcher.hang_up(agent_id)
        timings.append((time.perf_counter_ns() - started) / 1000)
        for offer in decision.offers:
            dispatcher.answer(offer.agent_id)
        _enqueue(dispatcher, rng, serial, queues)
        serial += 1
    timings.sort()
    return {
        "p50_us": statistics.median(timings),
        "p99_us": timings[int(len(timings) * 0.99) - 1],
        "max_us": timings[-1],
        "rounds": float(rounds),
        "waiting_at_end": float(sum(len(dispatcher.waiting(f"q{number}")) for number in range(queues))),
    }

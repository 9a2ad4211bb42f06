"""Builders for ACD tests: a dispatcher on a manual clock with queues and agents."""

from __future__ import annotations

from hotline.telephony.acd import CallerSpec, Decision, Dispatcher, ManualClock, QueueConfig


def build(*queues: QueueConfig, members: dict[str, dict[str, int]]) -> tuple[Dispatcher, ManualClock]:
    """Queues, then agents (logged out) joined to queues with the given skill levels, at time 0."""
    clock = ManualClock()
    dispatcher = Dispatcher(clock)
    for config in queues:
        dispatcher.add_queue(config)
    for agent_id, levels in members.items():
        dispatcher.add_agent(agent_id)
        for queue_id, level in levels.items():
            dispatcher.join(agent_id, queue_id, level=level)
    return dispatcher, clock


def ready_at(dispatcher: Dispatcher, clock: ManualClock, when: float, *agent_ids: str) -> None:
    """Log agents in ready one after another at `when`, `when`+1, ... (so idle order is their order)."""
    for offset, agent_id in enumerate(agent_ids):
        clock.set(when + offset)
        dispatcher.login(agent_id, ready=True)


def pairs(decision: Decision) -> list[tuple[str, str]]:
    return [(offer.caller_id, offer.agent_id) for offer in decision.offers]


def call(
    caller_id: str,
    queue_id: str = "sales",
    *,
    priority: int = 0,
    arrival: float | None = None,
    min_level: int = 0,
    last_agent_id: str | None = None,
) -> CallerSpec:
    return CallerSpec(caller_id, queue_id, priority, arrival, min_level, last_agent_id)

"""BusEventBus forwards engine events to the web side's bus as plain dicts."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync

from hotline.calls.host.events import BusEventBus, event_payload
from hotline.telephony import events as ev
from hotline.telephony.ports import EventBus
from tests.calls.helpers import at


def test_an_engine_event_reaches_the_web_bus_as_a_dict(events: list[tuple[str, dict[str, Any]]]) -> None:
    port: EventBus = BusEventBus()
    event = ev.AgentStateChanged(agent="t_agent", at=at(5), mono=5.0, state=ev.AgentState.READY)
    async_to_sync(port.publish)("calls.agent_state", event)
    assert events == [("calls.agent_state", event_payload(event))]
    payload = events[0][1]
    assert (payload["type"], payload["agent"], payload["state"], payload["at"]) == (
        "AgentStateChanged", "t_agent", "ready", at(5).isoformat())


def test_publishing_from_a_running_loop(events: list[tuple[str, dict[str, Any]]]) -> None:
    event = ev.Answer(call_id="c1", at=at(9), mono=9.0, queue="sales", agent="a1")
    asyncio.run(BusEventBus().publish("calls.answered", event))
    assert events == [("calls.answered", {"type": "Answer", "call_id": "c1", "at": at(9).isoformat(), "mono": 9.0,
                                          "queue": "sales", "agent": "a1"})]

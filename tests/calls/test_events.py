"""The engine's event types: one per call step, frozen, with the common fields."""

from __future__ import annotations

import dataclasses

import pytest

from hotline.calls.actions import event_detail
from hotline.calls.models import Kind
from hotline.telephony import events as ev
from tests.calls.helpers import T0


def test_there_is_one_event_type_per_call_step_and_the_log_knows_them_all() -> None:
    assert set(ev.CALL_EVENT_TYPES) == set(ev.CallStep)
    assert {str(step) for step in ev.CallStep} == set(Kind.values)
    assert {str(step) for step in ev.CallStep} == {
        "arrive", "ivr_node", "enqueue", "offer", "ring", "answer", "abandon", "transfer", "hold", "resume",
        "wrapup_end", "hangup", "callback_request"}


@pytest.mark.parametrize("cls", list(ev.CALL_EVENT_TYPES.values()))
def test_every_step_carries_call_id_wall_and_monotonic_time_queue_and_agent(cls: type[ev.CallEvent]) -> None:
    names = {field.name for field in dataclasses.fields(cls)}
    assert {"call_id", "at", "mono", "queue", "agent"} <= names


def test_events_are_frozen_and_keep_their_detail() -> None:
    event = ev.Hangup(call_id="c1", at=T0, mono=1.5, by=ev.HangupParty.SYSTEM, cause=ev.HangupCause.REFUSED_503)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.call_id = "c2"  # type: ignore[misc]
    assert event.kind == "hangup"
    assert event_detail(event) == {"by": "system", "cause": "refused_503"}
    assert event_detail(ev.Enqueue(call_id="c1", at=T0, mono=1.0, queue="sales", position=3)) == {"position": 3}


def test_agent_and_queue_events() -> None:
    change = ev.AgentStateChanged(agent="a1", at=T0, mono=1.0, state=ev.AgentState.NOT_READY, reason="lunch")
    stats = ev.QueueStatsChanged(queue="sales", at=T0, mono=1.0, waiting=12, longest_wait_seconds=41.5,
                                 agents_ready=0, agents_busy=10)
    assert (change.state, change.reason, stats.waiting) == ("not_ready", "lunch", 12)

"""An inbound call's main paths on fake ports: IVR → queue → agent → bridged and recorded → hang-up and
wrap-up; abandon in line; ring-out to the next agent; the races around answering and ringing."""

from __future__ import annotations

import wave
from pathlib import Path

from hotline.telephony.events import (
    Abandon,
    AgentState,
    Answer,
    CallStep,
    Enqueue,
    Hangup,
    HangupCause,
    HangupParty,
    IvrNode,
    Offer,
    Ring,
    WrapupEnd,
)
from hotline.telephony.ports import Route

from .harness import CALLER, DNIS, Harness, play, prompt_length, seat

S = CallStep


def test_ivr_queue_agent_bridged_and_recorded_then_the_caller_hangs_up(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.logged(S.IVR_NODE, call) and h.hears(call) == {"prompt:main_menu"},
                      what="the menu")
        assert call.responses == [180, 200]
        h.press(call, "1")
        await h.until(lambda: h.connected(call, "agent-1"), what="the agent")
        assert h.hears(h.phone("seat-1").last) == {CALLER}
        assert h.phone("seat-1").last.caller == f"sip:{CALLER}@127.0.0.1"  # the agent's phone shows the caller
        assert h.state("agent-1") is AgentState.ON_CALL
        await h.advance(30.0)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record to close")
        assert h.phone("seat-1").last.end_reason == "local bye"
        assert h.state("agent-1") is AgentState.READY

    h = play(tmp_path, body, route=Route(DNIS, flow="demo"), seats=(seat("agent-1", "seat-1"),))
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.IVR_NODE, S.IVR_NODE, S.IVR_NODE, S.ENQUEUE, S.OFFER, S.RING,
                                         S.ANSWER, S.HANGUP, S.WRAPUP_END]
    assert [(e.node, e.digits) for e in h.events(IvrNode)] == [("welcome", ""), ("main_menu", ""), ("orders", "")]
    (enqueue,), (answer,), (hangup,) = h.events(Enqueue), h.events(Answer), h.events(Hangup)
    assert (enqueue.queue, enqueue.position) == ("orders", 1)
    assert [(e.agent, e.queue) for e in h.events(Offer)] == [("agent-1", "orders")]
    assert (answer.agent, answer.queue) == ("agent-1", "orders")
    assert (hangup.by, hangup.cause, hangup.agent, hangup.queue) == (HangupParty.CALLER, HangupCause.NORMAL,
                                                                     "agent-1", "orders")
    assert hangup.mono - answer.mono == 30.0
    monos = [event.mono for event in h.call_log.of_call(call_id)]
    assert monos == sorted(monos)

    (link,) = h.call_log.recordings
    with wave.open(link.path) as recording:
        assert recording.getnframes() == 30 * 8000
    assert (link.call_id, link.duration_seconds, link.channels) == (call_id, 30.0, 1)
    assert h.call_log.closed == [call_id]
    assert [(e.state, e.reason) for e in h.call_log.agent_states] == [
        (AgentState.READY, ""), (AgentState.RINGING, ""), (AgentState.ON_CALL, ""), (AgentState.READY, "")]

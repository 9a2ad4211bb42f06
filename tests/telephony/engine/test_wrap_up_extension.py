"""Wrap-up extension and device-state refusals through `EngineControl`, on a running engine with real SIP:
the new end reaches the agent log (and so the desk) as `wrapup_until`; refusals have stable codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.telephony.commands import run_json
from hotline.telephony.control import ControlError, EngineControl
from hotline.telephony.engine import SeatConfig
from hotline.telephony.events import AgentState, Answer
from hotline.telephony.ports import Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, events_of, run, running
from .phones import Phone, until


async def refused(code: str, name: str, args: dict[str, object], control: EngineControl) -> None:
    with pytest.raises(ControlError) as error:
        await run_json(control, {"name": name, "args": args})
    assert error.value.code == code


def test_an_agent_in_wrap_up_extends_it_and_the_new_end_is_logged(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await Phone("13800138000", CALLER_MARK).start()
        agent_phone = await Phone("8001", AGENT_MARK).start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent_phone.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, wrap_up=20.0) as (engine, call_log):
                control = EngineControl(engine)
                # given an agent who is not wrapping up: the extension is refused
                await refused("not_in_wrap_up", "extend_wrap_up", {"agent": "agent-1", "seconds": 30}, control)
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
                call.hangup()
                await until(lambda: engine.dispatcher.agent("agent-1").state is AgentState.WRAP_UP, what="wrap-up")
                end = engine.dispatcher.wrap_up_end("agent-1")
                assert end is not None
                # when the agent asks for 30 s more, then the ACD's end moves by exactly 30 s
                await run_json(control, {"name": "extend_wrap_up", "args": {"agent": "agent-1", "seconds": 30}})
                assert engine.dispatcher.wrap_up_end("agent-1") == end + 30
                await engine.flush_log()
                wrap_ups = [e for e in call_log.agent_states if e.state is AgentState.WRAP_UP]
                assert len(wrap_ups) == 2
                first, extended = (e.wrapup_until for e in wrap_ups)
                assert first is not None and extended is not None
                assert round((extended - first).total_seconds()) == 30
                assert round((first - wrap_ups[0].at).total_seconds()) == 20
                # and the limits: bad numbers, then the fourth extension
                for seconds in (0, 301, "30", True):
                    await refused("bad_request", "extend_wrap_up", {"agent": "agent-1", "seconds": seconds}, control)
                await refused("bad_request", "extend_wrap_up", {"agent": "agent-1"}, control)
                await refused("not_logged_in", "extend_wrap_up", {"agent": "agent-9", "seconds": 30}, control)
                await control.extend_wrap_up("agent-1", 10)
                await control.extend_wrap_up("agent-1", 10)
                await refused("wrap_up_limit", "extend_wrap_up", {"agent": "agent-1", "seconds": 10}, control)
                assert engine.dispatcher.wrap_up_end("agent-1") == end + 50
                # the agent may still end wrap-up early
                await control.ready("agent-1")
                assert engine.dispatcher.agent("agent-1").state is AgentState.READY
                await engine.flush_log()
                assert call_log.agent_states[-1].wrapup_until is None
        finally:
            await caller.close()
            await agent_phone.close()

    run(scenario)


def test_a_transfer_to_an_agent_whose_phone_is_offline_and_a_pick_up_without_a_phone_are_refused(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await Phone("13800138000", CALLER_MARK).start()
        agent_phone = await Phone("8001", AGENT_MARK).start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent_phone.uri, queues=("orders",)),
                 SeatConfig("agent-2", "seat-2", username="8002", password="pass-8002", queues=("orders",)))
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
                control = EngineControl(engine)
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
                call_id = call.invite.call_id
                # agent-2 is logged in and ready, but no phone registered at seat-2
                assert engine.dispatcher.agent("agent-2").state is AgentState.READY
                assert not engine.phone_online("agent-2") and engine.phone_online("agent-1")
                await refused("phone_offline", "transfer", {"call_id": call_id, "agent": "agent-2"}, control)
                await refused("no_phone", "pick_up", {"call_id": call_id, "agent": "agent-2"}, control)
                assert engine.dispatcher.agent("agent-1").state is AgentState.ON_CALL
                assert engine.sessions[call_id].agent == "agent-1"
                call.hangup()
        finally:
            await caller.close()
            await agent_phone.close()

    run(scenario)

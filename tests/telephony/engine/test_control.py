"""Commands to a running engine over real SIP: agent log-in and states, hold and resume, blind transfer to a
queue, force hang-up; and the refusals, which change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from hotline.telephony.control import ControlError, EngineControl
from hotline.telephony.engine import SeatConfig
from hotline.telephony.events import AgentState, Answer, CallStep, Hangup, HangupParty, Transfer
from hotline.telephony.ports import Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, events_of, run, running
from .phones import Phone, until

SECOND_AGENT_MARK = 0x44


async def refused(code: str, command: Awaitable[None]) -> None:
    with pytest.raises(ControlError) as error:
        await command
    assert error.value.code == code


async def with_phones(names: list[tuple[str, int]], body: Callable[[list[Phone]], Awaitable[None]]) -> None:
    phones = [await Phone(name, mark).start() for name, mark in names]
    try:
        await body(phones)
    finally:
        for phone in phones:
            await phone.close()


def test_an_agent_logs_in_not_ready_gets_calls_once_ready_and_logs_out(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        caller, agent = phones
        seats = (SeatConfig("", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            control = EngineControl(engine)
            call = await call_in(engine, caller)
            await control.login("agent-1", "seat-1")
            await asyncio.sleep(0.3)
            assert agent.incoming == [] and engine.dispatcher.waiting("orders") == [call.invite.call_id]
            await refused("already_logged_in", control.login("agent-1", "seat-1"))
            await refused("seat_taken", control.login("agent-9", "seat-1"))
            await refused("unknown_seat", control.login("agent-9", "seat-9"))
            await refused("not_logged_in", control.ready("agent-9"))
            await control.ready("agent-1")
            await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
            await refused("not_allowed_now", control.logout("agent-1"))
            call.hangup()
            await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up end")
            await control.not_ready("agent-1", "lunch")
            await control.logout("agent-1")
            assert engine.seat_of("agent-1") == "" and engine.agent_at("seat-1") == ""
            await control.login("agent-2", "seat-1", ready=True)
        states = [(e.agent, e.state, e.reason) for e in call_log.agent_states]
        assert states == [
            ("agent-1", AgentState.NOT_READY, "login"), ("agent-1", AgentState.READY, ""),
            ("agent-1", AgentState.RINGING, ""), ("agent-1", AgentState.ON_CALL, ""),
            ("agent-1", AgentState.READY, ""), ("agent-1", AgentState.NOT_READY, "lunch"),
            ("agent-1", AgentState.LOGGED_OUT, ""), ("agent-2", AgentState.READY, "")]

    run(lambda: with_phones([("13800138000", CALLER_MARK), ("8001", AGENT_MARK)], body))


def test_hold_plays_music_to_the_caller_and_cuts_the_agent_off_until_resume(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        caller, agent = phones
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            control = EngineControl(engine)
            call = await call_in(engine, caller)
            call_id = call.invite.call_id
            await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
            await control.hold(call_id)
            await asyncio.sleep(0.2)  # packets already in flight
            held = caller.rtp.by_mark[AGENT_MARK], agent.rtp.by_mark[CALLER_MARK], caller.rtp.received
            # A second's worth of frames reaches the caller on hold, however long a loaded machine takes for it …
            await until(lambda: caller.rtp.received - held[2] >= 50, what="a second of hold music")
            during = (caller.rtp.by_mark[AGENT_MARK] - held[0], agent.rtp.by_mark[CALLER_MARK] - held[1],
                      caller.rtp.received - held[2])
            await control.resume(call_id)
            await asyncio.sleep(0.2)
            resumed = caller.rtp.by_mark[AGENT_MARK], agent.rtp.by_mark[CALLER_MARK]
            await until(lambda: min(caller.rtp.by_mark[AGENT_MARK] - resumed[0],
                                    agent.rtp.by_mark[CALLER_MARK] - resumed[1]) >= 50, what="both sides talking again")
            after = caller.rtp.by_mark[AGENT_MARK] - resumed[0], agent.rtp.by_mark[CALLER_MARK] - resumed[1]
            call.hangup()
            await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call_id), what="wrap-up end")
            # the ended session leaves the registry just after (its media released): a loaded machine shows the gap
            await until(lambda: call_id not in engine.sessions, what="the ended call to be forgotten")
            await refused("unknown_call", control.hold(call_id))
        assert during[0] == 0 and during[1] == 0  # nobody hears the other while on hold …
        assert during[2] >= 50  # … the caller hears the hold music instead (a second of 20 ms frames)
        assert after[0] >= 50 and after[1] >= 50
        assert call_log.kinds(call_id) == [CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING,
                                           CallStep.ANSWER, CallStep.HOLD, CallStep.RESUME, CallStep.HANGUP,
                                           CallStep.WRAPUP_END]

    run(lambda: with_phones([("13800138000", CALLER_MARK), ("8001", AGENT_MARK)], body))


def test_a_blind_transfer_to_a_queue_reaches_its_agent_with_one_recording_per_agent(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        caller, first, second = phones
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=first.uri, queues=("orders",)),
                 SeatConfig("agent-2", "seat-2", fixed_uri=second.uri, queues=("after_sales",)))
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            control = EngineControl(engine)
            call = await call_in(engine, caller)
            call_id = call.invite.call_id
            await until(lambda: bool(events_of(call_log, Answer)), what="the first answer")
            await refused("unknown_queue", control.transfer(call_id, queue="nowhere"))
            await refused("bad_request", control.transfer(call_id))
            await asyncio.sleep(0.5)
            await control.transfer(call_id, queue="after_sales")
            await until(lambda: len(events_of(call_log, Answer)) == 2, what="the second answer")
            assert await asyncio.wait_for(first.incoming[0].wait_ended(), 5) == "remote bye"
            before = caller.rtp.by_mark[SECOND_AGENT_MARK]
            await until(lambda: caller.rtp.by_mark[SECOND_AGENT_MARK] - before >= 50, what="the second agent's voice")
            heard_second = caller.rtp.by_mark[SECOND_AGENT_MARK] - before
            call.hangup()
            await until(lambda: call_id in call_log.closed, what="the call record to close")
            paths = [str(engine.recording_path(call_id, part)) for part in (1, 2)]
        assert heard_second >= 50
        assert call_log.kinds(call_id) == [
            CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.TRANSFER,
            CallStep.WRAPUP_END, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP,
            CallStep.WRAPUP_END]
        (transfer,) = events_of(call_log, Transfer)
        assert (transfer.queue, transfer.agent, transfer.to_queue) == ("orders", "agent-1", "after_sales")
        assert [e.agent for e in events_of(call_log, Answer)] == ["agent-1", "agent-2"]
        assert [r.path for r in call_log.recordings] == paths and paths[1].endswith("-2.wav")
        assert call_log.recordings[0].duration_seconds >= 0.5
        assert call_log.closed == [call_id]

    run(lambda: with_phones(
        [("13800138000", CALLER_MARK), ("8001", AGENT_MARK), ("8002", SECOND_AGENT_MARK)], body))


def test_a_force_hang_up_ends_both_legs_as_the_system(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        caller, agent = phones
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            call = await call_in(engine, caller)
            await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
            await EngineControl(engine).hang_up(call.invite.call_id)
            assert await asyncio.wait_for(call.wait_ended(), 5) == "remote bye"
            assert await asyncio.wait_for(agent.incoming[0].wait_ended(), 5) == "remote bye"
            await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up end")
        (hangup,) = events_of(call_log, Hangup)
        assert (hangup.by, hangup.agent) == (HangupParty.SYSTEM, "agent-1")

    run(lambda: with_phones([("13800138000", CALLER_MARK), ("8001", AGENT_MARK)], body))


def test_a_transfer_to_a_named_agent_rings_only_that_agent(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        caller, first, second = phones
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=first.uri, queues=("orders",)),
                 SeatConfig("agent-2", "seat-2", fixed_uri=second.uri, queues=("after_sales",)))
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            control = EngineControl(engine)
            call = await call_in(engine, caller)
            call_id = call.invite.call_id
            await until(lambda: bool(events_of(call_log, Answer)), what="the first answer")
            await refused("not_logged_in", control.transfer(call_id, agent="agent-9"))
            await refused("bad_request", control.transfer(call_id, queue="orders", agent="agent-2"))
            await control.transfer(call_id, agent="agent-2")
            await until(lambda: len(events_of(call_log, Answer)) == 2, what="agent-2's answer")
            call.hangup()
            await until(lambda: call_id in call_log.closed, what="the call record to close")
        (transfer,) = events_of(call_log, Transfer)
        assert (transfer.agent, transfer.to_queue) == ("agent-1", "agent:agent-2")
        assert [(e.queue, e.agent) for e in events_of(call_log, Answer)] == [
            ("orders", "agent-1"), ("agent:agent-2", "agent-2")]

    run(lambda: with_phones(
        [("13800138000", CALLER_MARK), ("8001", AGENT_MARK), ("8002", SECOND_AGENT_MARK)], body))


CUSTOMER_MARK = 0x55


def test_click_to_dial_rings_the_agent_first_then_the_customer_and_bridges_them(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        agent, customer = phones
        gateway = f"sip:{{number}}@127.0.0.1:{customer.listeners.udp_address[1]}"
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats, outbound_gateway=gateway) as (
                engine, call_log):
            control = EngineControl(engine)
            await refused("bad_request", control.click_to_dial("agent-1", "139-0013"))
            await refused("not_logged_in", control.click_to_dial("agent-9", "13900139000"))
            call_id = await control.click_to_dial("agent-1", "13900139000")
            assert engine.dispatcher.agent("agent-1").state is AgentState.NOT_READY
            await until(lambda: bool(events_of(call_log, Answer)), what="the customer's answer")
            assert len(agent.incoming) == 1 and len(customer.incoming) == 1
            assert agent.incoming[0].caller == "sip:13900139000@127.0.0.1"  # the agent's phone shows whom
            assert customer.incoming[0].called == "sip:13900139000@127.0.0.1:" + str(
                customer.listeners.udp_address[1])
            before = agent.rtp.by_mark[CUSTOMER_MARK], customer.rtp.by_mark[AGENT_MARK]
            await until(lambda: min(agent.rtp.by_mark[CUSTOMER_MARK] - before[0],
                                    customer.rtp.by_mark[AGENT_MARK] - before[1]) >= 50, what="both sides talking")
            heard = agent.rtp.by_mark[CUSTOMER_MARK] - before[0], customer.rtp.by_mark[AGENT_MARK] - before[1]
            customer.incoming[0].hangup()
            await until(lambda: call_id in call_log.closed, what="the call record to close")
            assert await asyncio.wait_for(agent.incoming[0].wait_ended(), 5) == "remote bye"
            assert engine.dispatcher.agent("agent-1").state is AgentState.READY  # given back to the queues
        assert heard[0] >= 50 and heard[1] >= 50
        assert call_log.kinds(call_id) == [CallStep.ARRIVE, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP]
        (arrive,) = [e for e in call_log.events if e.kind is CallStep.ARRIVE]
        assert (arrive.direction, arrive.caller, arrive.agent) == ("outbound", "13900139000", "agent-1")
        (hangup,) = events_of(call_log, Hangup)
        assert (hangup.by, hangup.agent) == (HangupParty.CALLER, "agent-1")
        assert [r.call_id for r in call_log.recordings] == [call_id]

    run(lambda: with_phones([("8001", AGENT_MARK), ("customer", CUSTOMER_MARK)], body))


def test_click_to_dial_without_a_gateway_is_refused_and_the_agent_stays_ready(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        (agent,) = phones
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            await refused("no_gateway", EngineControl(engine).click_to_dial("agent-1", "13900139000"))
            assert engine.dispatcher.agent("agent-1").state is AgentState.READY and call_log.events == []

    run(lambda: with_phones([("8001", AGENT_MARK)], body))


def test_state_commands_wait_for_the_call_to_end_and_one_outbound_call_at_a_time(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        caller, agent, customer = phones
        gateway = f"sip:{{number}}@127.0.0.1:{customer.listeners.udp_address[1]}"
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats, outbound_gateway=gateway) as (
                engine, call_log):
            control = EngineControl(engine)
            call = await call_in(engine, caller)
            await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
            await refused("not_allowed_now", control.ready("agent-1"))  # talking: ready would double-book
            await refused("not_allowed_now", control.not_ready("agent-1", "lunch"))
            await refused("not_allowed_now", control.click_to_dial("agent-1", "13900139000"))
            assert engine.dispatcher.agent("agent-1").state is AgentState.ON_CALL
            call.hangup()
            await until(lambda: engine.dispatcher.agent("agent-1").state is AgentState.READY, what="ready again")
            first = await control.click_to_dial("agent-1", "13900139000")
            await refused("not_allowed_now", control.click_to_dial("agent-1", "13900139001"))
            await refused("not_allowed_now", control.ready("agent-1"))  # paused "outbound" until it ends
            await until(lambda: bool(customer.incoming), what="the customer's phone")
            await control.hang_up(first)
            await until(lambda: first in call_log.closed, what="the outbound record to close")
        assert [c.called.split("@")[0] for c in customer.incoming] == ["sip:13900139000"]

    run(lambda: with_phones([("13800138000", CALLER_MARK), ("8001", AGENT_MARK), ("customer", 0x55)], body))


def test_repeated_or_malformed_skills_are_refused_and_leave_the_agent_logged_out(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        (agent,) = phones
        seats = (SeatConfig("", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, _log):
            control = EngineControl(engine)
            for skills in ("orders:1,orders:2", "orders:x"):
                await refused("bad_request", control.login("agent-1", "seat-1", skills=skills))
            assert engine.seat_of("agent-1") == ""
            await control.login("agent-1", "seat-1", skills="orders:2")
            assert engine.dispatcher.membership("agent-1", "orders").level == 2

    run(lambda: with_phones([("8001", AGENT_MARK)], body))


def test_stopping_the_engine_hangs_up_every_call_and_logs_it(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        caller, waiting, agent = phones
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            talking = await call_in(engine, caller)
            await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
            queued = await call_in(engine, waiting)
            await until(lambda: len(engine.dispatcher.waiting("orders")) == 1, what="the second caller in line")
        assert await asyncio.wait_for(talking.wait_ended(), 5) == "remote bye"
        assert await asyncio.wait_for(queued.wait_ended(), 5) == "remote bye"
        assert await asyncio.wait_for(agent.incoming[0].wait_ended(), 5) == "remote bye"
        hangups = {e.call_id: (e.by, e.agent) for e in events_of(call_log, Hangup)}
        assert hangups == {talking.invite.call_id: (HangupParty.SYSTEM, "agent-1"),
                           queued.invite.call_id: (HangupParty.SYSTEM, "")}
        assert sorted(call_log.closed) == sorted([talking.invite.call_id, queued.invite.call_id])
        assert len(call_log.recordings) == 1
        # Ended by the system while waiting: not an abandon (docs/kpi.md counts it as an overflow).
        assert call_log.kinds(queued.invite.call_id) == [CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.HANGUP]

    run(lambda: with_phones([("13800138000", CALLER_MARK), ("13800138001", CALLER_MARK), ("8001", AGENT_MARK)],
                            body))


def test_an_agent_just_signed_in_can_choose_a_pause_reason_without_going_ready_first(tmp_path: Path) -> None:
    async def body(phones: list[Phone]) -> None:
        (agent,) = phones
        seats = (SeatConfig("", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
            control = EngineControl(engine)
            await control.login("agent-1", "seat-1")
            await control.not_ready("agent-1", "lunch")  # signed in → lunch: the reason changes
            await control.not_ready("agent-1", "lunch")  # the same again: nothing happens
            await control.not_ready("agent-1", "training")
            found = engine.dispatcher.agent("agent-1")
            assert (found.state, found.reason) == (AgentState.NOT_READY, "training")
        states = [(e.agent, e.state, e.reason) for e in call_log.agent_states if e.agent == "agent-1"]
        assert [(state, reason) for _agent, state, reason in states] == [
            (AgentState.NOT_READY, "login"), (AgentState.NOT_READY, "lunch"), (AgentState.NOT_READY, "training")]

    run(lambda: with_phones([("8001", AGENT_MARK)], body))

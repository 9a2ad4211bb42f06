"""Commands racing the caller's hang-up on fake ports: each media command the engine awaits is held open
while the caller hangs up, and the call must still end once, with a log that ends with its hang-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.telephony.control import ControlError
from hotline.telephony.events import AgentState, CallStep, Hangup, HangupParty

from .fake_sip import FakeInboundCall
from .harness import Harness, play, seat, talking

S = CallStep
CONSULTING = (seat("agent-1", "seat-1", "orders"), seat("agent-2", "seat-2", "orders", ready=False))


async def hang_up_inside(h: Harness, call: FakeInboundCall, command: str, run: asyncio.Future[None]) -> object:
    """Hold `command` on the caller's leg, hang the caller up meanwhile, then let the command finish;
    returns what the command returned or raised."""
    gate = h.media.gate(command, lambda leg: leg == h.leg(call))
    await gate.reached.wait()
    call.hang_up()
    await h.settle()
    gate.release()
    (outcome,) = await asyncio.gather(run, return_exceptions=True)
    await h.until(lambda: h.closed(call), what="the record")
    return outcome


def assert_ended_last(h: Harness, call_id: str) -> None:
    kinds = h.call_log.kinds(call_id)
    assert kinds.count(S.HANGUP) == 1 and kinds[kinds.index(S.HANGUP) + 1:] in ([], [S.WRAPUP_END]), kinds


def test_a_caller_who_hangs_up_while_a_blind_transfer_files_the_recording_is_not_put_in_line(
        tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        gate = h.media.gate("stop_recording")
        run = asyncio.ensure_future(h.control.transfer(call.invite.call_id, queue="after_sales"))
        await gate.reached.wait()
        call.hang_up()
        await h.settle()
        gate.release()
        await run
        await h.until(lambda: h.closed(call), what="the record")
        assert h.engine.dispatcher.waiting("after_sales") == [] and h.phone("seat-2").calls == []

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"), seat("agent-2", "seat-2", "after_sales")))
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER, S.TRANSFER, S.WRAPUP_END,
                                         S.HANGUP]
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent) == (HangupParty.CALLER, "")
    assert [r.call_id for r in h.call_log.recordings] == [call_id]


def test_a_caller_who_hangs_up_while_put_on_hold_ends_the_call_once(tmp_path: Path) -> None:
    """Found here on e901b0d: the hold was logged after the hang-up, on a closed record."""
    async def body(h: Harness) -> None:
        call = await talking(h)
        run = asyncio.ensure_future(h.control.hold(call.invite.call_id))
        await hang_up_inside(h, call, "hold", run)
        assert h.state("agent-1") is AgentState.READY and h.media.legs == {}

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    assert_ended_last(h, h.sip.inbound[0].invite.call_id)


def test_a_caller_who_hangs_up_while_taken_off_hold_ends_the_call_once(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.hold(call.invite.call_id)
        run = asyncio.ensure_future(h.control.resume(call.invite.call_id))
        await hang_up_inside(h, call, "stop_playing", run)
        assert h.state("agent-1") is AgentState.READY and h.media.legs == {}

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    assert_ended_last(h, h.sip.inbound[0].invite.call_id)


def test_a_resume_racing_the_caller_s_hang_up_is_refused_as_not_connected(tmp_path: Path) -> None:
    """Found here on e901b0d: the media plane's MediaPlaneError (unknown leg) came out of the command."""
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.hold(call.invite.call_id)
        run = asyncio.ensure_future(h.control.resume(call.invite.call_id))
        outcome = await hang_up_inside(h, call, "stop_playing", run)
        assert isinstance(outcome, ControlError) and outcome.code == "not_connected", repr(outcome)

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))


def test_a_caller_who_hangs_up_while_the_consultation_starts_frees_both_agents(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        run = asyncio.ensure_future(h.control.consult(call.invite.call_id, "agent-2"))
        outcome = await hang_up_inside(h, call, "unbridge", run)
        assert isinstance(outcome, ControlError) and outcome.code == "not_connected"  # nobody left to transfer
        await h.settle()
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.READY, AgentState.READY)
        assert all(c.ended for c in h.phone("seat-2").calls) and h.media.legs == {}

    h = play(tmp_path, body, seats=CONSULTING)
    assert_ended_last(h, h.sip.inbound[0].invite.call_id)


def test_a_caller_who_hangs_up_while_the_transfer_completes_ends_the_call_with_the_new_agent(
        tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        await h.control.consult(call.invite.call_id, "agent-2")
        await h.until(lambda: h.phone("seat-2").calls != [] and h.hears(h.phone("seat-2").last) == {"seat-1"},
                      what="the agents talking")
        run = asyncio.ensure_future(h.control.complete_transfer(call.invite.call_id))
        gate = h.media.gate("stop_recording")
        await gate.reached.wait()
        call.hang_up()
        await h.settle()
        gate.release()
        await asyncio.gather(run, return_exceptions=True)
        await h.until(lambda: h.closed(call), what="the record")
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.READY, AgentState.READY)
        assert h.media.legs == {}

    h = play(tmp_path, body, seats=CONSULTING)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id)[4:] == [S.ANSWER, S.HOLD, S.TRANSFER, S.WRAPUP_END, S.HANGUP, S.WRAPUP_END]
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent) == (HangupParty.CALLER, "agent-2")


def test_completing_as_the_consulted_agent_hangs_up_is_refused_and_the_caller_is_back(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        await h.control.consult(call.invite.call_id, "agent-2")
        await h.until(lambda: h.phone("seat-2").calls != [] and h.hears(h.phone("seat-2").last) == {"seat-1"},
                      what="the agents talking")
        h.phone("seat-2").last.hang_up()  # its BYE and the complete command cross
        result = await asyncio.gather(h.control.complete_transfer(call.invite.call_id), return_exceptions=True)
        assert [getattr(error, "code", None) for error in result] == ["not_connected"]
        await h.settle()
        assert h.hears(call) == {"seat-1"} and h.state("agent-2") is AgentState.READY
        call.hang_up()

    h = play(tmp_path, body, seats=CONSULTING)
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id)[4:] == [
        S.ANSWER, S.HOLD, S.RESUME, S.HANGUP, S.WRAPUP_END]

"""Hold, blind transfer (to a queue, to a named agent) and attended transfer (consult, complete, cancel, the
consulted agent not answering, either agent hanging up) on fake ports; refusals change nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.telephony.control import ControlError
from hotline.telephony.engine import SeatConfig
from hotline.telephony.events import AgentState, Answer, CallStep, Hangup, HangupParty, Transfer

from .fake_sip import FakeInboundCall, Plan
from .harness import CALLER, Harness, play, refused, seat, talking

S = CallStep
TWO = (seat("agent-1", "seat-1", "orders"), seat("agent-2", "seat-2", "after_sales"))
CONSULTING = (seat("agent-1", "seat-1", "orders"), seat("agent-2", "seat-2", "orders", ready=False))


def test_hold_plays_music_to_the_caller_and_cuts_the_agent_off_until_resume(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        agent_call = h.phone("seat-1").last
        await h.advance(10.0)
        await h.control.hold(call.invite.call_id)
        assert (h.hears(call), h.hears(agent_call)) == ({"hold"}, frozenset())
        await h.control.hold(call.invite.call_id)  # already held: nothing more happens
        await h.advance(20.0)
        await h.control.resume(call.invite.call_id)
        assert (h.hears(call), h.hears(agent_call)) == ({"seat-1"}, {CALLER})
        await h.advance(5.0)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        await refused("unknown_call", h.control.hold(call.invite.call_id))

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER, S.HOLD, S.RESUME, S.HANGUP,
                                         S.WRAPUP_END]
    hold, resume = (e for e in h.call_log.of_call(call_id) if e.kind in (S.HOLD, S.RESUME))
    assert (hold.agent, hold.queue, resume.mono - hold.mono) == ("agent-1", "orders", 20.0)
    (link,) = h.call_log.recordings
    assert link.duration_seconds == 35.0  # one recording across the hold


def test_a_blind_transfer_to_a_queue_reaches_its_agent_with_one_recording_per_agent(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        call_id = call.invite.call_id
        await refused("unknown_queue", h.control.transfer(call_id, queue="nowhere"))
        await refused("bad_request", h.control.transfer(call_id))
        await refused("bad_request", h.control.transfer(call_id, queue="after_sales", agent="agent-2"))
        assert h.connected(call, "agent-1")  # the refusals changed nothing
        await h.advance(12.0)
        await h.control.transfer(call_id, queue="after_sales")
        assert h.phone("seat-1").last.end_reason == "local bye"
        await h.until(lambda: h.connected(call, "agent-2"), what="the second agent")
        await h.advance(8.0)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, seats=TWO)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [
        S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER, S.TRANSFER, S.WRAPUP_END, S.ENQUEUE, S.OFFER, S.RING,
        S.ANSWER, S.HANGUP, S.WRAPUP_END]
    (transfer,) = h.events(Transfer)
    assert (transfer.queue, transfer.agent, transfer.to_queue, transfer.to_agent) == (
        "orders", "agent-1", "after_sales", "")
    assert [(e.queue, e.agent) for e in h.events(Answer)] == [("orders", "agent-1"), ("after_sales", "agent-2")]
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent, hangup.queue) == (HangupParty.CALLER, "agent-2", "after_sales")
    assert [(r.path, r.duration_seconds) for r in h.call_log.recordings] == [  # one part per agent
        (str(tmp_path / "rec" / "in-1_fake.wav"), 12.0), (str(tmp_path / "rec" / "in-1_fake-2.wav"), 8.0)]
    assert h.call_log.closed == [call_id]


def test_a_transfer_to_a_named_agent_waits_in_their_personal_queue(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        call_id = call.invite.call_id
        await refused("not_logged_in", h.control.transfer(call_id, agent="agent-9"))
        await refused("phone_offline", h.control.transfer(call_id, agent="agent-3"))  # no phone registered
        await h.control.transfer(call_id, agent="agent-2")
        await h.until(lambda: h.connected(call, "agent-2"), what="agent-2")
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    seats = (*TWO, SeatConfig("agent-3", "seat-3", username="8003", queues=("orders",)))  # registers: offline
    h = play(tmp_path, body, seats=seats)
    (transfer,) = h.events(Transfer)
    assert (transfer.agent, transfer.to_queue) == ("agent-1", "agent:agent-2")
    assert [(e.queue, e.agent) for e in h.events(Answer)] == [("orders", "agent-1"), ("agent:agent-2", "agent-2")]


def test_commands_on_a_call_not_connected_to_an_agent_are_refused(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.engine.dispatcher.is_queued(call.invite.call_id), what="in line")
        for command in (h.control.hold(call.invite.call_id), h.control.resume(call.invite.call_id),
                        h.control.transfer(call.invite.call_id, queue="after_sales"),
                        h.control.complete_transfer(call.invite.call_id),
                        h.control.cancel_consultation(call.invite.call_id)):
            await refused("not_connected", command)
        assert h.hears(call) == {"hold"} and h.engine.dispatcher.is_queued(call.invite.call_id)
        call.hang_up()

    h = play(tmp_path, body)
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id) == [S.ARRIVE, S.ENQUEUE, S.ABANDON, S.HANGUP]


# -- attended transfer ------------------------------------------------------------------------------------------


async def consulting(h: Harness, call: FakeInboundCall) -> None:
    """agent-2 goes ready, agent-1 consults them, and they answer."""
    await h.control.ready("agent-2")
    await h.control.consult(call.invite.call_id, "agent-2")
    await h.until(lambda: bool(h.phone("seat-2").calls) and h.hears(h.phone("seat-2").last) == {"seat-1"},
                  what="the agents talking")


def test_an_attended_transfer_lets_the_agents_talk_then_hands_the_caller_over(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        first = h.phone("seat-1").last
        await h.advance(10.0)
        await consulting(h, call)
        consulted = h.phone("seat-2").last
        assert consulted.caller == f"sip:{CALLER}@127.0.0.1"
        assert (h.hears(call), h.hears(first), h.hears(consulted)) == ({"hold"}, {"seat-2"}, {"seat-1"})
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.ON_CALL, AgentState.NOT_READY)
        await h.advance(15.0)
        await h.control.complete_transfer(call.invite.call_id)
        assert first.end_reason == "local bye"
        assert (h.hears(call), h.hears(consulted)) == ({"seat-2"}, {CALLER})
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.READY, AgentState.ON_CALL)
        await h.advance(20.0)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        assert consulted.end_reason == "local bye"

    h = play(tmp_path, body, seats=CONSULTING)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER, S.HOLD, S.TRANSFER,
                                         S.WRAPUP_END, S.ANSWER, S.HANGUP, S.WRAPUP_END]
    (transfer,) = h.events(Transfer)
    assert (transfer.agent, transfer.to_agent, transfer.to_queue) == ("agent-1", "agent-2", "")
    assert [e.agent for e in h.events(Answer)] == ["agent-1", "agent-2"]
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent) == (HangupParty.CALLER, "agent-2")
    # one part per agent: agent-1's includes the consultation (the caller on hold)
    assert [r.duration_seconds for r in h.call_log.recordings] == [25.0, 20.0]
    assert [(s, r) for s, r in _states(h, "agent-2")] == [
        (AgentState.NOT_READY, "login"), (AgentState.READY, ""), (AgentState.NOT_READY, "consult"),
        (AgentState.ON_CALL, ""), (AgentState.READY, "")]


def _states(h: Harness, agent: str) -> list[tuple[AgentState, str]]:
    return [(e.state, e.reason) for e in h.call_log.agent_states if e.agent == agent]


def test_a_cancelled_consultation_brings_the_caller_back_to_the_first_agent(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await consulting(h, call)
        await h.control.cancel_consultation(call.invite.call_id)
        assert h.phone("seat-2").last.end_reason == "local bye"
        assert h.hears(call) == {"seat-1"} and h.state("agent-2") is AgentState.READY
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, seats=CONSULTING)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id)[4:] == [S.ANSWER, S.HOLD, S.RESUME, S.HANGUP, S.WRAPUP_END]


def test_a_consulted_agent_who_does_not_answer_in_time_leaves_the_caller_with_the_first(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        await h.control.consult(call.invite.call_id, "agent-2")
        await refused("not_connected", h.control.complete_transfer(call.invite.call_id))  # still ringing
        await h.until(lambda: h.hears(call) == {"seat-1"}, what="back with the first agent")
        assert h.phone("seat-2").last.end_reason == "cancelled"
        assert h.state("agent-2") is AgentState.READY
        call.hang_up()

    h = play(tmp_path, body, seats=CONSULTING, ring_timeout=8.0, plans={"seat-2": Plan.RING})
    call_id = h.sip.inbound[0].invite.call_id
    hold, resume = (e for e in h.call_log.of_call(call_id) if e.kind in (S.HOLD, S.RESUME))
    assert resume.mono - hold.mono == 8.0


def test_a_busy_consulted_phone_leaves_the_caller_with_the_first_agent(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        await h.control.consult(call.invite.call_id, "agent-2")
        await h.until(lambda: h.hears(call) == {"seat-1"}, what="back with the first agent")
        assert h.state("agent-2") is AgentState.READY
        call.hang_up()

    h = play(tmp_path, body, seats=CONSULTING, plans={"seat-2": Plan.BUSY})
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id)[4:] == [
        S.ANSWER, S.HOLD, S.RESUME, S.HANGUP, S.WRAPUP_END]


def test_the_consulted_agent_hanging_up_brings_the_caller_back(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await consulting(h, call)
        h.phone("seat-2").last.hang_up()
        await h.until(lambda: h.hears(call) == {"seat-1"}, what="back with the first agent")
        assert h.state("agent-2") is AgentState.READY
        call.hang_up()

    h = play(tmp_path, body, seats=CONSULTING)
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id)[4:] == [
        S.ANSWER, S.HOLD, S.RESUME, S.HANGUP, S.WRAPUP_END]


def test_the_first_agent_hanging_up_after_consulting_completes_the_transfer(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await consulting(h, call)
        h.phone("seat-1").last.hang_up()
        await h.until(lambda: h.connected(call, "agent-2"), what="the caller with agent-2")
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.READY, AgentState.ON_CALL)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, seats=CONSULTING)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id)[4:] == [S.ANSWER, S.HOLD, S.TRANSFER, S.WRAPUP_END, S.ANSWER, S.HANGUP,
                                             S.WRAPUP_END]
    (transfer,) = h.events(Transfer)
    assert (transfer.agent, transfer.to_agent) == ("agent-1", "agent-2")


def test_the_first_agent_hanging_up_while_the_consulted_phone_rings_ends_the_call(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        await h.control.consult(call.invite.call_id, "agent-2")
        await h.until(lambda: h.phone("seat-2").calls != [], what="the consulted phone ringing")
        h.phone("seat-1").last.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        await h.settle()
        assert call.end_reason == "local bye" and h.phone("seat-2").last.end_reason == "cancelled"
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.READY, AgentState.READY)

    h = play(tmp_path, body, seats=CONSULTING, plans={"seat-2": Plan.RING})
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id)[4:] == [S.ANSWER, S.HOLD, S.HANGUP, S.WRAPUP_END]
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent) == (HangupParty.AGENT, "agent-1")


def test_the_caller_hanging_up_while_the_agents_consult_hangs_up_both_phones(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await consulting(h, call)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        assert [h.phone(name).last.end_reason for name in ("seat-1", "seat-2")] == ["local bye", "local bye"]
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.READY, AgentState.READY)

    h = play(tmp_path, body, seats=CONSULTING)
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id)[-3:] == [S.HOLD, S.HANGUP, S.WRAPUP_END]


def test_the_caller_hanging_up_while_the_consulted_phone_rings_cancels_it_and_frees_its_agent(
        tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        await h.control.consult(call.invite.call_id, "agent-2")
        await h.until(lambda: h.phone("seat-2").calls != [], what="the consulted phone ringing")
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        await h.settle()
        consulted = h.phone("seat-2").last
        consulted.answer()  # too late: the CANCEL was sent
        await h.settle()
        assert consulted.end_reason == "cancelled" and h.media.legs == {}
        assert (h.state("agent-1"), h.state("agent-2")) == (AgentState.READY, AgentState.READY)

    h = play(tmp_path, body, seats=CONSULTING, plans={"seat-2": Plan.RING})
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id)[-3:] == [S.HOLD, S.HANGUP, S.WRAPUP_END]


def test_a_consulted_phone_answering_as_the_consultation_is_cancelled_is_hung_up(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        await h.control.consult(call.invite.call_id, "agent-2")
        await h.until(lambda: h.phone("seat-2").calls != [], what="the consulted phone ringing")
        consulted = h.phone("seat-2").last
        consulted.answer()  # the 200 crosses the cancel
        await h.control.cancel_consultation(call.invite.call_id)
        await h.settle()
        assert consulted.end_reason == "local bye" and h.hears(call) == {"seat-1"}
        assert h.state("agent-2") is AgentState.READY
        call.hang_up()

    h = play(tmp_path, body, seats=CONSULTING, plans={"seat-2": Plan.RING})
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id)[4:] == [
        S.ANSWER, S.HOLD, S.RESUME, S.HANGUP, S.WRAPUP_END]


def test_while_consulting_the_reserved_agent_cannot_slip_away_and_the_call_takes_no_other_command(
        tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        call_id = call.invite.call_id
        await refused("not_allowed_now", h.control.consult(call_id, "agent-2"))  # not ready
        await refused("not_allowed_now", h.control.consult(call_id, "agent-1"))  # themselves
        await refused("not_logged_in", h.control.consult(call_id, "agent-9"))
        await consulting(h, call)
        for command in (h.control.ready("agent-2"), h.control.logout("agent-2"), h.control.not_ready("agent-2"),
                        h.control.hold(call_id), h.control.resume(call_id), h.control.consult(call_id, "agent-2"),
                        h.control.transfer(call_id, queue="after_sales")):
            await refused("not_allowed_now", command)
        assert h.hears(h.phone("seat-2").last) == {"seat-1"} and h.state("agent-2") is AgentState.NOT_READY
        call.hang_up()

    play(tmp_path, body, seats=CONSULTING)


def test_a_consulted_agent_offered_a_caller_while_the_consultation_leg_opens_is_not_taken(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        gate = h.media.gate("allocate", lambda leg: leg.tag.startswith("consult"))
        task = asyncio.ensure_future(h.control.consult(call.invite.call_id, "agent-2"))
        await gate.reached.wait()
        other = h.call_in("13800138009")  # a caller for agent-2 arrives meanwhile
        await h.until(lambda: h.logged(S.OFFER, other), what="agent-2 offered the new caller")
        gate.release()
        with pytest.raises(ControlError) as error:
            await task
        assert error.value.code == "not_allowed_now"
        assert h.hears(call) == {"seat-1"}  # back with the first agent
        await h.until(lambda: h.connected(other, "agent-2"), what="agent-2 with the new caller")
        call.hang_up()
        other.hang_up()

    h = play(tmp_path, body, seats=CONSULTING)
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id)[4:] == [
        S.ANSWER, S.HOLD, S.RESUME, S.HANGUP, S.WRAPUP_END]

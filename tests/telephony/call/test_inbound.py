"""An inbound call's main paths on fake ports: IVR → queue → agent → bridged and recorded → hang-up and
wrap-up; abandon in line; ring-out to the next agent; the races around answering and ringing."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import pytest

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
from hotline.telephony.memory import MemoryDirectory
from hotline.telephony.ports import Route

from .fake_media import FakeMediaPlane
from .fake_sip import Plan
from .harness import CALLER, DNIS, Harness, at_tick, play, prompt_length, seat

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


def test_a_silent_caller_reaches_orders_after_the_welcome_and_one_pass_of_the_menu(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.connected(call, "agent-1"), what="the agent")
        call.hang_up()

    h = play(tmp_path, body, route=Route(DNIS, flow="demo"), seats=(seat("agent-1", "seat-1"),))
    (arrive,) = [e for e in h.call_log.events if e.kind is S.ARRIVE]
    (enqueue,) = h.events(Enqueue)
    # the welcome, the menu, and its 2 s timeout (plus the engine's timer slack): docs/telephony.md
    assert enqueue.mono - arrive.mono == pytest.approx(prompt_length("welcome") + prompt_length("main_menu") + 2.0,
                                                       abs=0.1)
    assert [(e.node, e.digits) for e in h.events(IvrNode)] == [("welcome", ""), ("main_menu", ""), ("orders", "")]


def test_please_hold_plays_while_the_agent_rings_then_the_agent_is_bridged(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.logged(S.RING, call), what="the agent's phone ringing")
        assert h.hears(call) == {"prompt:please_hold"}
        h.phone("seat-1").last.answer()
        await h.until(lambda: h.connected(call, "agent-1"), what="the agent")
        call.hang_up()

    play(tmp_path, body, route=Route(DNIS, queue="orders", greeting=("please_hold",)),
         seats=(seat("agent-1", "seat-1"),), plans={"seat-1": Plan.RING})


def test_a_caller_who_hangs_up_in_line_is_an_abandon_with_their_position(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        first = h.call_in("13800138001")
        await h.until(lambda: h.engine.dispatcher.is_queued(first.invite.call_id), what="the first in line")
        second = h.call_in("13800138002")
        await h.until(lambda: h.engine.dispatcher.is_queued(second.invite.call_id), what="the second in line")
        assert h.hears(second) == {"hold"}
        assert h.engine.dispatcher.position(second.invite.call_id) == 2
        await h.advance(7.5)
        second.hang_up()
        await h.until(lambda: h.closed(second), what="the second record")
        assert h.engine.dispatcher.waiting("orders") == [first.invite.call_id]
        first.hang_up()
        await h.until(lambda: h.closed(first), what="the first record")

    h = play(tmp_path, body)
    second = h.sip.inbound[1].invite.call_id
    assert h.call_log.kinds(second) == [S.ARRIVE, S.ENQUEUE, S.ABANDON, S.HANGUP]
    (enqueue,) = h.events(Enqueue, second)
    (abandon,) = h.events(Abandon, second)
    (hangup,) = h.events(Hangup, second)
    assert (enqueue.position, abandon.queue, abandon.position) == (2, "orders", 2)
    assert abandon.mono - enqueue.mono == 7.5
    assert (hangup.by, hangup.cause, hangup.agent) == (HangupParty.CALLER, HangupCause.NORMAL, "")
    assert [e.position for e in h.events(Abandon)] == [2, 1]
    assert h.call_log.recordings == [] and h.media.legs == {}


def test_an_agent_who_does_not_answer_in_time_is_cancelled_and_the_next_agent_rings(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.connected(call, "agent-2"), what="the second agent")
        assert h.phone("seat-1").last.end_reason == "cancelled"
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    seats = (seat("agent-1", "seat-1"), seat("agent-2", "seat-2"))
    h = play(tmp_path, body, seats=seats, ring_timeout=5.0, plans={"seat-1": Plan.RING})
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.OFFER, S.RING, S.ANSWER, S.HANGUP,
                                         S.WRAPUP_END]
    assert [e.agent for e in h.events(Offer)] == ["agent-1", "agent-2"]
    first_ring, second_ring = h.events(Ring)
    assert second_ring.mono - first_ring.mono == at_tick(5.0)  # the ring timeout
    assert [(e.state, e.reason) for e in h.call_log.agent_states if e.agent == "agent-1"][-2:] == [
        (AgentState.RINGING, ""), (AgentState.READY, "")]


def test_wrap_up_ends_when_the_queue_s_wrap_up_time_has_passed(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.connected(call), what="the agent")
        call.hang_up()
        await h.until(lambda: h.state("agent-1") is AgentState.WRAP_UP, what="wrap-up")
        await h.advance(14.9)
        assert h.state("agent-1") is AgentState.WRAP_UP and not h.closed(call)  # the record waits for wrap-up
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), wrap_up=15.0)
    (hangup,), (wrapup,) = h.events(Hangup), h.events(WrapupEnd)
    assert wrapup.agent == "agent-1" and wrapup.mono - hangup.mono == at_tick(15.0)
    assert [e.state for e in h.call_log.agent_states][-4:] == [
        AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP, AgentState.READY]


def test_a_number_nobody_serves_is_refused_404_and_logs_nothing(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in(dnis="4008009999")
        await h.settle()
        assert call.responses == [404]

    h = play(tmp_path, body)
    assert h.call_log.events == []


def test_the_caller_s_rtp_stopping_ends_the_call_as_a_system_failure(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.connected(call), what="the agent")
        h.media.rtp_stops(h.leg(call))
        await h.until(lambda: h.closed(call), what="the record")
        assert call.end_reason == "local bye" and h.phone("seat-1").last.end_reason == "local bye"

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    (answer,), (hangup,) = h.events(Answer), h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.FAILED)
    assert hangup.mono - answer.mono == 60.0  # the engine's RTP timeout


# -- races ------------------------------------------------------------------------------------------------------


def test_a_caller_who_cancels_while_their_endpoint_opens_is_logged_once_as_the_caller_s_hang_up(
        tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        gate = h.media.gate("allocate", lambda leg: leg.tag == "caller")
        call = h.call_in()
        await gate.reached.wait()
        call.cancel()
        gate.release()
        await h.until(lambda: h.closed(call), what="the record")
        assert call.responses == [180, 487] and h.media.legs == {}

    h = play(tmp_path, body)
    (hangup,) = h.events(Hangup)
    assert h.call_log.kinds(hangup.call_id) == [S.ARRIVE, S.HANGUP]
    assert (hangup.by, hangup.cause) == (HangupParty.CALLER, HangupCause.NORMAL)


def test_a_force_hang_up_while_the_endpoint_opens_ends_the_call_once(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        gate = h.media.gate("allocate", lambda leg: leg.tag == "caller")
        call = h.call_in()
        await gate.reached.wait()
        await h.control.hang_up(call.invite.call_id)
        gate.release()
        await h.until(lambda: h.closed(call), what="the record")
        assert call.responses == [180, 480] and h.media.legs == {}

    h = play(tmp_path, body)
    (hangup,) = h.events(Hangup)
    assert h.call_log.kinds(hangup.call_id) == [S.ARRIVE, S.HANGUP]
    assert hangup.by is HangupParty.SYSTEM


class SlowDirectory(MemoryDirectory):
    """A directory whose route look-up waits for `gate` (a slow database)."""

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(routes)
        self.gate = asyncio.Event()

    async def route(self, dnis: str) -> Route | None:
        await self.gate.wait()
        return await super().route(dnis)


def test_a_call_cancelled_while_its_route_is_looked_up_never_arrives(tmp_path: Path) -> None:
    directory = SlowDirectory({DNIS: Route(DNIS, queue="orders")})

    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.settle()
        call.cancel()
        directory.gate.set()
        await h.settle()
        assert call.responses == [487] and h.media.every_leg == []

    h = play(tmp_path, body, directory=directory)
    assert h.call_log.events == [] and h.call_log.closed == []


def test_a_caller_who_hangs_up_while_the_hold_music_starts_is_never_put_in_line(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        gate = h.media.gate("hold")
        call = h.call_in()
        await gate.reached.wait()
        call.hang_up()
        gate.release()
        await h.until(lambda: h.closed(call), what="the record")
        assert h.engine.dispatcher.waiting("orders") == []
        assert h.phone("seat-1").calls == [] and h.state("agent-1") is AgentState.READY

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.HANGUP]


def test_an_offer_withdrawn_while_the_agent_s_leg_opens_is_never_dialled(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        gate = h.media.gate("allocate", lambda leg: leg.tag.startswith("agent"))
        call = h.call_in()
        await gate.reached.wait()
        call.hang_up()
        await h.settle()
        gate.release()
        await h.until(lambda: h.closed(call), what="the record")
        assert h.phone("seat-1").calls == [] and h.media.legs == {}
        assert h.state("agent-1") is AgentState.READY

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.ABANDON, S.HANGUP]


def test_a_caller_who_hangs_up_while_the_agent_rings_stops_the_ringing_and_frees_the_agent(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.logged(S.RING, call), what="the ring")
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        await h.settle()  # the phone's 487 comes back, then its leg is freed
        assert h.phone("seat-1").last.end_reason == "cancelled"
        assert h.state("agent-1") is AgentState.READY and h.media.legs == {}

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), plans={"seat-1": Plan.RING})
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ABANDON, S.HANGUP]
    (abandon,) = h.events(Abandon)
    assert abandon.position == 0  # the ACD's position of a caller being offered (ringing an agent)


def test_an_answer_and_the_caller_s_hang_up_at_the_same_instant_log_a_zero_second_talk(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.logged(S.RING, call), what="the ring")
        h.phone("seat-1").last.answer()  # the 200 and the caller's BYE arrive together
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        await h.settle()
        assert h.phone("seat-1").last.end_reason == "local bye"
        assert h.state("agent-1") is AgentState.READY and h.media.legs == {}

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), plans={"seat-1": Plan.RING})
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER, S.HANGUP, S.WRAPUP_END]
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent) == (HangupParty.CALLER, "agent-1")
    assert [(r.call_id, r.duration_seconds) for r in h.call_log.recordings] == [(call_id, 0.0)]


def test_an_agent_who_hangs_up_as_their_answer_is_bridged_ends_the_call_as_the_agent(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.logged(S.RING, call), what="the ring")
        phone_call = h.phone("seat-1").last
        phone_call.answer()
        await h.settle()
        phone_call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        assert call.end_reason == "local bye"

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), plans={"seat-1": Plan.RING})
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.agent) == (HangupParty.AGENT, "agent-1")


def test_a_late_prompt_done_after_the_prompt_was_stopped_is_ignored(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.hears(call) == {"prompt:welcome"}, what="the welcome")
        late = h.media.legs[h.leg(call)].player
        assert late is not None and late.on_done is not None
        h.press(call, "1")  # barge-in: the welcome stops, the key is the menu's choice
        await h.until(lambda: h.engine.dispatcher.is_queued(call.invite.call_id), what="in line")
        late.on_done()  # the welcome's "done", already on its way when it was stopped
        await h.advance(5.0)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, route=Route(DNIS, flow="demo"))
    assert [(e.node, e.digits) for e in h.events(IvrNode)] == [("welcome", ""), ("main_menu", "1"), ("orders", "")]
    assert h.call_log.kinds(h.events(IvrNode)[0].call_id) == [S.ARRIVE, S.IVR_NODE, S.IVR_NODE, S.IVR_NODE,
                                                              S.ENQUEUE, S.ABANDON, S.HANGUP]


def test_the_menu_starts_only_once_the_welcome_has_been_heard_in_full(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.hears(call) == {"prompt:welcome"}, what="the welcome")
        await h.advance(600.0)  # prompts end only when the test says so
        assert h.hears(call) == {"prompt:welcome"} and not h.logged(S.ENQUEUE, call)
        h.media.finish_prompt(h.leg(call))
        await h.until(lambda: h.hears(call) == {"prompt:main_menu"}, what="the menu")
        h.press(call, "3")
        await h.until(lambda: h.hears(call) == {"prompt:please_hold"}, what="the after-sales queue")
        call.hang_up()

    h = play(tmp_path, body, route=Route(DNIS, flow="demo"), media=FakeMediaPlane(auto_finish=False))
    assert [(e.node, e.digits) for e in h.events(IvrNode)] == [
        ("welcome", ""), ("main_menu", ""), ("after_sales", "")]  # keys pressed at a menu are not on its node
    assert [e.queue for e in h.events(Enqueue)] == ["after_sales"]


def test_a_caller_who_moves_their_media_is_followed_by_the_media_plane(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.connected(call), what="the agent")
        call.reinvite(("203.0.113.50", 40000))
        await h.settle()
        remote = h.media.legs[h.leg(call)].remote
        assert remote is not None and remote.address == ("203.0.113.50", 40000)
        assert h.connected(call, "agent-1")
        call.hang_up()

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))

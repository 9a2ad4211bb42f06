"""Agents through `EngineControl` on fake ports: log-in, ready, pauses, log-out and their refusals; state
commands while on a call; wrap-up extension; routing by VIP, last agent and skills; the engine's stop."""

from __future__ import annotations

from pathlib import Path

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.events import AgentState, CallStep, Hangup, HangupParty, Offer
from hotline.telephony.memory import MemoryDirectory
from hotline.telephony.ports import CallerProfile, Route

from .harness import DNIS, Harness, at_tick, play, refused, seat

S = CallStep


def test_an_agent_logs_in_not_ready_gets_calls_once_ready_and_logs_out(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.control.login("agent-1", "seat-1")
        await h.advance(10.0)
        assert h.phone("seat-1").calls == [] and h.engine.dispatcher.waiting("orders") == [call.invite.call_id]
        await refused("already_logged_in", h.control.login("agent-1", "seat-1"))
        await refused("seat_taken", h.control.login("agent-9", "seat-1"))
        await refused("unknown_seat", h.control.login("agent-9", "seat-9"))
        await refused("not_logged_in", h.control.ready("agent-9"))
        await h.control.ready("agent-1")
        await h.until(lambda: h.connected(call, "agent-1"), what="the answer")
        await refused("not_allowed_now", h.control.logout("agent-1"))
        await refused("not_allowed_now", h.control.ready("agent-1"))  # talking: ready would double-book
        await refused("not_allowed_now", h.control.not_ready("agent-1", "lunch"))
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        await h.control.not_ready("agent-1", "lunch")
        await h.control.logout("agent-1")
        await h.control.login("agent-2", "seat-1", ready=True)  # the seat is free again

    h = play(tmp_path, body, seats=(seat("", "seat-1"),))
    assert [(e.agent, e.state, e.reason) for e in h.call_log.agent_states] == [
        ("agent-1", AgentState.NOT_READY, "login"), ("agent-1", AgentState.READY, ""),
        ("agent-1", AgentState.RINGING, ""), ("agent-1", AgentState.ON_CALL, ""),
        ("agent-1", AgentState.READY, ""), ("agent-1", AgentState.NOT_READY, "lunch"),
        ("agent-1", AgentState.LOGGED_OUT, ""), ("agent-2", AgentState.READY, "")]
    assert [e.seat for e in h.call_log.agent_states] == ["seat-1"] * 7 + ["seat-1"]


def test_an_agent_just_signed_in_can_change_their_pause_reason(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        await h.control.login("agent-1", "seat-1")
        await h.control.not_ready("agent-1", "lunch")
        await h.control.not_ready("agent-1", "lunch")  # the same again: nothing happens
        await h.control.not_ready("agent-1", "training")

    h = play(tmp_path, body, seats=(seat("", "seat-1"),))
    assert [(e.state, e.reason) for e in h.call_log.agent_states] == [
        (AgentState.NOT_READY, "login"), (AgentState.NOT_READY, "lunch"), (AgentState.NOT_READY, "training")]


def test_repeated_or_malformed_skills_are_refused_and_an_agent_serves_only_their_skills(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        for skills in ("orders:1,orders:2", "orders:x"):
            await refused("bad_request", h.control.login("agent-1", "seat-1", skills=skills))
        await refused("unknown_queue", h.control.login("agent-1", "seat-1", skills="nowhere:2"))
        assert await h.states("agent-1") == []  # the refusals changed nothing
        await h.control.login("agent-1", "seat-1", ready=True, skills="after_sales:3")
        assert h.engine.dispatcher.membership("agent-1", "after_sales").level == 3
        call = h.call_in()  # to orders, which agent-1 does not serve
        await h.advance(60.0)
        assert h.phone("seat-1").calls == [] and h.engine.dispatcher.waiting("orders") == [call.invite.call_id]
        call.hang_up()

    play(tmp_path, body, seats=(seat("", "seat-1", "orders", "after_sales"),))


def test_an_agent_in_wrap_up_extends_it_and_the_new_end_is_logged(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        control = h.control
        await refused("not_in_wrap_up", control.extend_wrap_up("agent-1", 30))
        call = h.call_in()
        await h.until(lambda: h.connected(call), what="the answer")
        call.hang_up()
        await h.until(lambda: h.state("agent-1") is AgentState.WRAP_UP, what="wrap-up")
        end = h.engine.dispatcher.wrap_up_end("agent-1")
        assert end == at_tick(h.now + 20.0)
        await control.extend_wrap_up("agent-1", 30)
        assert h.engine.dispatcher.wrap_up_end("agent-1") == end + 30
        for seconds in (0, 301, True):
            await refused("bad_request", control.extend_wrap_up("agent-1", seconds))
        await refused("not_logged_in", control.extend_wrap_up("agent-9", 30))
        await control.extend_wrap_up("agent-1", 10)
        await control.extend_wrap_up("agent-1", 10)
        await refused("wrap_up_limit", control.extend_wrap_up("agent-1", 10))
        assert h.engine.dispatcher.wrap_up_end("agent-1") == end + 50
        await h.advance(60.0)
        assert h.state("agent-1") is AgentState.WRAP_UP and not h.closed(call)
        await control.ready("agent-1")  # wrap-up may still end early
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), wrap_up=20.0)
    wrap_ups = [e for e in h.call_log.agent_states if e.state is AgentState.WRAP_UP]
    assert [round((e.wrapup_until - wrap_ups[0].at).total_seconds()) for e in wrap_ups if e.wrapup_until] == [
        20, 50, 60, 70]
    assert h.call_log.agent_states[-1].state is AgentState.READY and h.call_log.agent_states[-1].wrapup_until is None


def test_stopping_the_engine_hangs_up_every_call_and_logs_it(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        talking = h.call_in("13800138001")
        await h.until(lambda: h.connected(talking, "agent-1"), what="the answer")
        queued = h.call_in("13800138002")
        await h.until(lambda: h.engine.dispatcher.is_queued(queued.invite.call_id), what="the second in line")

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    talking, queued = h.sip.inbound
    assert [talking.end_reason, queued.end_reason, h.phone("seat-1").last.end_reason] == ["local bye"] * 3
    assert {e.call_id: (e.by, e.agent) for e in h.events(Hangup)} == {
        talking.invite.call_id: (HangupParty.SYSTEM, "agent-1"), queued.invite.call_id: (HangupParty.SYSTEM, "")}
    assert sorted(h.call_log.closed) == sorted([talking.invite.call_id, queued.invite.call_id])
    assert len(h.call_log.recordings) == 1 and h.media.legs == {}
    # Ended by the system while waiting: not an abandon (docs/kpi.md counts it as an overflow).
    assert h.call_log.kinds(queued.invite.call_id) == [S.ARRIVE, S.ENQUEUE, S.HANGUP]


def test_a_vip_caller_is_served_before_an_earlier_ordinary_caller(tmp_path: Path) -> None:
    directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")}, callers={"13800138002": CallerProfile(vip=True)})

    async def body(h: Harness) -> None:
        first = h.call_in("13800138001")
        await h.until(lambda: len(h.engine.dispatcher.waiting("orders")) == 1, what="the first in line")
        second = h.call_in("13800138002")
        await h.until(lambda: len(h.engine.dispatcher.waiting("orders")) == 2, what="both in line")
        assert h.engine.dispatcher.waiting("orders") == [second.invite.call_id, first.invite.call_id]
        await h.control.ready("agent-1")
        await h.until(lambda: h.connected(second, "agent-1"), what="the VIP's answer")
        first.hang_up()
        second.hang_up()

    h = play(tmp_path, body, directory=directory, seats=(seat("agent-1", "seat-1", ready=False),))
    assert [offer.caller for offer in h.events(Offer)] == ["13800138002"]


def test_a_repeat_caller_goes_to_the_agent_who_served_them_last(tmp_path: Path) -> None:
    directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")},
                                callers={"13800138000": CallerProfile(last_agent="agent-2")})

    async def body(h: Harness) -> None:
        call = h.call_in()  # agent-1 has been idle longest: it would get an ordinary call
        await h.until(lambda: h.connected(call, "agent-2"), what="agent-2's answer")
        call.hang_up()

    h = play(tmp_path, body, directory=directory, queues=(QueueConfig("orders", affinity_seconds=10.0),),
             seats=(seat("agent-1", "seat-1"), seat("agent-2", "seat-2")))
    assert [offer.agent for offer in h.events(Offer)] == ["agent-2"] and h.phone("seat-1").calls == []

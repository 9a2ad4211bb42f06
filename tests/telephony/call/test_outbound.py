"""Agent-first outbound calls on fake ports: click-to-dial (agent's phone first, then the customer through
the gateway, bridged and recorded), its refusals and races, and the callback dialer working a captured
callback through a ready agent."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

from hotline.telephony.callback.model import CallbackSettings
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.callbacks import CallbackConfig
from hotline.telephony.events import AgentState, Arrive, CallStep, Direction, Hangup, HangupCause, HangupParty
from hotline.telephony.memory import MemoryCallbackStore
from hotline.telephony.sip.calls import CallState

from .fake_sip import Plan
from .harness import GATEWAY, Harness, play, refused, seat

S = CallStep
CUSTOMER = "13900139000"
AGENT = (seat("agent-1", "seat-1"),)


def test_click_to_dial_rings_the_agent_first_then_the_customer_and_bridges_them(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        await refused("bad_request", h.control.click_to_dial("agent-1", "139-0013"))
        await refused("not_logged_in", h.control.click_to_dial("agent-9", CUSTOMER))
        call_id = await h.control.click_to_dial("agent-1", CUSTOMER)
        assert h.state("agent-1") is AgentState.NOT_READY
        agent_call = h.phone("seat-1").last
        assert agent_call.caller == f"sip:{CUSTOMER}@127.0.0.1"  # the agent's phone shows whom they call
        await h.until(lambda: h.phone("gateway").calls != [], what="the customer's phone")
        customer = h.phone("gateway").last
        assert customer.uri == f"sip:{CUSTOMER}@gateway.test"
        await h.until(lambda: h.logged(S.ANSWER, call_id), what="the customer's answer")
        assert (h.hears(agent_call), h.hears(customer)) == ({"gateway"}, {"seat-1"})
        await refused("not_allowed_now", h.control.click_to_dial("agent-1", "13900139001"))  # one at a time
        await refused("not_allowed_now", h.control.ready("agent-1"))  # paused "outbound" until it ends
        await h.advance(40.0)
        customer.hang_up()
        await h.until(lambda: h.closed(call_id), what="the record")
        assert agent_call.end_reason == "local bye"
        assert h.state("agent-1") is AgentState.READY  # given back to the queues

    h = play(tmp_path, body, seats=AGENT, outbound_gateway=GATEWAY)
    (arrive,) = h.events(Arrive)
    call_id = arrive.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.RING, S.ANSWER, S.HANGUP]
    assert (arrive.direction, arrive.caller, arrive.agent, arrive.dnis) == (Direction.OUTBOUND, CUSTOMER, "agent-1", "")
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.cause, hangup.agent) == (HangupParty.CALLER, HangupCause.NORMAL, "agent-1")
    assert [(r.call_id, r.duration_seconds) for r in h.call_log.recordings] == [(call_id, 40.0)]
    assert [(e.state, e.reason) for e in h.call_log.agent_states] == [
        (AgentState.READY, ""), (AgentState.NOT_READY, "outbound"), (AgentState.READY, "")]


def test_click_to_dial_without_a_gateway_or_a_free_agent_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        await refused("no_gateway", h.control.click_to_dial("agent-1", CUSTOMER))
        assert h.state("agent-1") is AgentState.READY and h.phone("seat-1").calls == []

    h = play(tmp_path, body, seats=AGENT)
    assert h.call_log.events == []


def test_a_customer_who_is_busy_ends_the_call_as_failed_and_the_agent_is_ready_again(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call_id = await h.control.click_to_dial("agent-1", CUSTOMER)
        await h.until(lambda: h.closed(call_id), what="the record")
        assert h.phone("seat-1").last.end_reason == "local bye" and h.state("agent-1") is AgentState.READY

    h = play(tmp_path, body, seats=AGENT, outbound_gateway=GATEWAY, plans={"gateway": Plan.BUSY})
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.FAILED)
    assert h.call_log.kinds(hangup.call_id) == [S.ARRIVE, S.RING, S.HANGUP] and h.call_log.recordings == []


def test_an_agent_who_does_not_answer_their_own_dial_is_given_back_ready(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call_id = await h.control.click_to_dial("agent-1", CUSTOMER)
        await h.until(lambda: h.closed(call_id), what="the record")
        assert h.phone("seat-1").last.end_reason == "cancelled" and h.phone("gateway").calls == []
        assert h.state("agent-1") is AgentState.READY

    h = play(tmp_path, body, seats=AGENT, outbound_gateway=GATEWAY, ring_timeout=15.0, plans={"seat-1": Plan.RING})
    (arrive,), (hangup,) = h.events(Arrive), h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.AGENT, HangupCause.FAILED)
    assert hangup.mono - arrive.mono == 15.0


def test_an_agent_who_hangs_up_while_the_customer_rings_cancels_the_customer(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call_id = await h.control.click_to_dial("agent-1", CUSTOMER)
        await h.until(lambda: h.phone("gateway").calls != [], what="the customer's phone")
        h.phone("seat-1").last.hang_up()
        await h.until(lambda: h.closed(call_id), what="the record")
        await h.settle()
        assert h.phone("gateway").last.end_reason == "cancelled" and h.media.legs == {}

    h = play(tmp_path, body, seats=AGENT, outbound_gateway=GATEWAY, plans={"gateway": Plan.RING})
    (hangup,) = h.events(Hangup)
    assert hangup.by is HangupParty.AGENT and h.call_log.kinds(hangup.call_id) == [S.ARRIVE, S.RING, S.HANGUP]


def test_an_agent_who_hangs_up_while_the_customer_s_leg_opens_is_never_followed_by_a_dial(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        gate = h.media.gate("allocate", lambda leg: leg.tag == "customer")
        call_id = await h.control.click_to_dial("agent-1", CUSTOMER)
        await gate.reached.wait()
        h.phone("seat-1").last.hang_up()
        await h.settle()
        gate.release()
        await h.until(lambda: h.closed(call_id), what="the record")
        await h.settle()
        assert h.phone("gateway").calls == [] and h.media.legs == {}
        assert h.state("agent-1") is AgentState.READY

    h = play(tmp_path, body, seats=AGENT, outbound_gateway=GATEWAY)
    (hangup,) = h.events(Hangup)
    assert hangup.by is HangupParty.AGENT


def test_a_force_hang_up_ends_a_click_to_dial_call(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call_id = await h.control.click_to_dial("agent-1", CUSTOMER)
        await h.until(lambda: h.logged(S.ANSWER, call_id), what="the customer's answer")
        await h.control.hang_up(call_id)
        assert [h.phone(name).last.end_reason for name in ("seat-1", "gateway")] == ["local bye", "local bye"]

    h = play(tmp_path, body, seats=AGENT, outbound_gateway=GATEWAY)
    (hangup,) = h.events(Hangup)
    assert hangup.by is HangupParty.SYSTEM and h.call_log.closed == [hangup.call_id]


ALL_DAY = CallbackSettings(window_start=datetime.time(0), window_end=datetime.time(23, 59, 59, 999999),
                           retry_interval_seconds=600)


def test_the_dialer_calls_a_captured_caller_back_through_a_ready_agent_once_nobody_waits(tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        caller = h.call_in(CUSTOMER)  # the only agent is not ready: nobody staffs the queue, so it is captured
        await h.until(lambda: h.closed(caller), what="the captured call")
        await h.advance(30.0)
        assert h.phone("gateway").calls == []  # no agent ready: nobody calls back
        await h.control.ready("agent-1")
        await h.until(lambda: h.phone("gateway").calls != [], what="the callback's dial")
        assert h.phone("seat-1").last.caller == f"sip:{CUSTOMER}@127.0.0.1"
        customer = h.phone("gateway").last
        await h.until(lambda: customer.state is CallState.ANSWERED, what="the customer's answer")
        await h.advance(60.0)
        customer.hang_up()
        await h.until(lambda: h.state("agent-1") is AgentState.READY, what="agent-1 ready again")
        await h.engine.flush_log()

    callbacks = CallbackConfig(policy=ALL_DAY, queue="orders", tick_seconds=1.0, ring_seconds=30.0)
    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1", ready=False),), outbound_gateway=GATEWAY,
             store=store, surge=SurgeSettings(), callbacks=callbacks)
    assert [(c.kind, c.status, c.dial_attempts) for c in store.changes] == [
        ("reserved", "reserved", 0), ("dialled", "dialling", 1), ("answered", "answered", 1)]
    dial = store.changes[1].call_id
    (arrive,) = h.events(Arrive, dial)
    assert (arrive.direction, arrive.caller, arrive.agent, arrive.callback_id) == (
        Direction.OUTBOUND, CUSTOMER, "agent-1", 1)
    assert h.call_log.kinds(dial) == [S.ARRIVE, S.RING, S.ANSWER, S.HANGUP]
    reasons = [reason for state, reason in ((e.state, e.reason) for e in h.call_log.agent_states)
               if state is AgentState.NOT_READY]
    assert reasons == ["login", "callback"]


def test_an_agent_who_hangs_up_while_the_called_back_customer_rings_costs_them_no_attempt(tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        caller = h.call_in(CUSTOMER)
        await h.until(lambda: h.closed(caller), what="the captured call")
        await h.control.ready("agent-1")
        await h.until(lambda: h.phone("gateway").calls != [], what="the callback's dial")
        h.phone("seat-1").last.hang_up()
        await h.until(lambda: len(store.changes) == 3, what="the release")
        await asyncio.sleep(0)

    callbacks = CallbackConfig(policy=ALL_DAY, queue="orders", tick_seconds=1.0, ring_seconds=30.0)
    play(tmp_path, body, seats=(seat("agent-1", "seat-1", ready=False),), outbound_gateway=GATEWAY,
         store=store, surge=SurgeSettings(), callbacks=callbacks, plans={"gateway": Plan.RING})
    assert [(c.kind, c.status, c.dial_attempts) for c in store.changes] == [
        ("reserved", "reserved", 0), ("dialled", "dialling", 1), ("released", "pending", 0)]

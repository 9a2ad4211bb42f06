"""The engine restructure (issue 16 part 1) reviewed against the engine before it (ef5e5a1): each test asserts
what that engine did (each passes on c5868c7, the last commit before the restructure), and
they pin behaviour that no other call-flow test covers (the phase gating, when a caller who hangs up is
called back as an abandon, the incremental line count): two differences the review found and dee8c60
fixed, and three races that the old engine had too, fixed since."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

import pytest

from hotline.telephony.acd.queue import OverflowKind, OverflowTarget, QueueConfig
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.control import ControlError
from hotline.telephony.dial_policy import DialPolicy, DialSettings
from hotline.telephony.events import AgentState, CallStep, Hangup, HangupCause, HangupParty
from hotline.telephony.memory import MemoryCallbackStore, MemoryDirectory
from hotline.telephony.ports import CallerProfile, Route
from hotline.telephony.sip.calls import CallState

from .fake_sip import FakeInboundCall, Plan
from .harness import CALLER, DNIS, GATEWAY, GatedStore, Harness, play, refused, seat, talking

S = CallStep
CUSTOMER = "13900139000"
CONSULTING = (seat("agent-1", "seat-1", "orders"), seat("agent-2", "seat-2", "orders", ready=False),
              seat("boss", "seat-9", "after_sales"))
# Callers hanging up after 10 s unanswered are called back; pressing 1 asks for a callback.
ABANDONS = SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=10.0)
STORE_DOWN = ("could not be stored",)


async def consulting(h: Harness, call: FakeInboundCall) -> None:
    await h.control.ready("agent-2")
    await h.control.consult(call.invite.call_id, "agent-2")
    await h.until(lambda: bool(h.phone("seat-2").calls) and h.hears(h.phone("seat-2").last) == {"seat-1"},
                  what="the agents talking")


def reasons(store: MemoryCallbackStore) -> list[tuple[str, str]]:
    return [(c.number, c.reason) for c in store.captures]


# -- the phase gating: refusal codes ------------------------------------------------------------------------


def test_picking_up_a_call_whose_agent_consults_is_refused_as_not_connected(tmp_path: Path) -> None:
    """Found in review: phase.check refused every command in CONSULTING as not_allowed_now (fixed in dee8c60)."""
    async def body(h: Harness) -> None:
        call = await talking(h)
        await consulting(h, call)
        await refused("not_connected", h.control.pick_up(call.invite.call_id, "boss"))
        call.hang_up()

    play(tmp_path, body, seats=CONSULTING)


def test_picking_up_a_call_that_is_not_waiting_is_refused_as_not_connected_in_every_other_phase(
        tmp_path: Path) -> None:
    """In the IVR, talking, on hold: the old engine's "not in line" refusal, kept."""
    async def body(h: Harness) -> None:
        in_ivr = h.call_in("13800138001", "4008002000")
        await h.until(lambda: in_ivr.state is CallState.ANSWERED, what="the IVR's answer")
        await refused("not_connected", h.control.pick_up(in_ivr.invite.call_id, "boss"))
        call = await talking(h)
        await refused("not_connected", h.control.pick_up(call.invite.call_id, "boss"))
        await h.control.hold(call.invite.call_id)
        await refused("not_connected", h.control.pick_up(call.invite.call_id, "boss"))
        assert h.hears(call) == {"hold"} and h.state("agent-1") is AgentState.ON_CALL
        call.hang_up()
        in_ivr.hang_up()

    directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders"), "4008002000": Route("4008002000", flow="demo")})
    play(tmp_path, body, seats=CONSULTING, directory=directory)


def test_a_pick_up_waiting_for_a_press_1_capture_is_refused_once_the_callback_is_stored(tmp_path: Path) -> None:
    """CAPTURING allows a pick-up by the table, but the pick-up waits for the capture (the session's lock) and
    then finds the caller out of line, as the old engine's `is_queued` check did."""
    store = GatedStore()

    async def body(h: Harness) -> None:
        busy = await talking(h)
        waiting = h.call_in("13800138002")
        await h.until(lambda: h.engine.dispatcher.is_queued(waiting.invite.call_id), what="the second in line")
        h.press(waiting, "1")
        await h.until(lambda: store.waiting == 1, what="the capture to start")
        pick_up = asyncio.ensure_future(h.control.pick_up(waiting.invite.call_id, "boss"))
        await h.settle()
        assert not pick_up.done()  # behind the capture
        store.gate.set()
        await refused("not_connected", pick_up)
        await h.until(lambda: h.closed(waiting), what="the captured caller's record")
        assert h.phone("seat-9").calls == []
        busy.hang_up()

    play(tmp_path, body, seats=CONSULTING, store=store, surge=ABANDONS)


# -- the dial policy swapped on a running engine ------------------------------------------------------------


def test_a_number_barred_while_the_agent_s_phone_rings_is_not_dialled(tmp_path: Path) -> None:
    """Found in review: the dial kept the policy of its start (fixed in dee8c60)."""
    async def body(h: Harness) -> None:
        call_id = await h.control.click_to_dial("agent-1", CUSTOMER)
        h.engine.dial_policy = DialPolicy(DialSettings(deny_prefixes=("139",)), lambda: datetime.date(2026, 3, 2))
        h.phone("seat-1").last.answer()
        await h.until(lambda: h.closed(call_id) or h.phone("gateway").calls != [], what="the record, or a dial")
        assert h.phone("gateway").calls == []
        await h.engine.flush_log()
        (hangup,) = h.events(Hangup, call_id)
        assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.FAILED)

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY, plans={"seat-1": Plan.RING})


def test_a_dial_policy_swapped_between_calls_judges_and_counts_the_next_ones(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        h.engine.dial_policy = DialPolicy(DialSettings(per_number_daily=1), lambda: datetime.date(2026, 3, 2))
        first = await h.control.click_to_dial("agent-1", CUSTOMER)
        await h.until(lambda: h.logged(S.ANSWER, first), what="the customer's answer")
        h.phone("gateway").last.hang_up()
        await h.until(lambda: h.closed(first) and h.state("agent-1") is AgentState.READY, what="ready again")
        with pytest.raises(ControlError) as error:
            await h.control.click_to_dial("agent-1", CUSTOMER)
        assert (error.value.code, str(error.value)) == ("not_dialled", "number_limit")

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY)


# -- who is called back as an abandon (the old `_capturing` flag, now the CAPTURING phase) -------------------


def test_a_caller_whose_press_1_callback_could_not_be_stored_and_who_hangs_up_later_is_called_back(
        tmp_path: Path) -> None:
    """The failed capture leaves CAPTURING (back to QUEUED): the later hang-up is an abandon to call back."""
    store = MemoryCallbackStore(failing=True)

    async def body(h: Harness) -> None:
        busy = await talking(h)
        waiting = h.call_in("13800138002")
        await h.until(lambda: h.engine.dispatcher.is_queued(waiting.invite.call_id), what="the second in line")
        h.press(waiting, "1")
        await h.until(lambda: h.hears(waiting) == {"hold"} and h.sip.inbound[1].state is CallState.ANSWERED,
                      what="the caller kept in line")
        await h.settle()
        assert h.engine.sessions[waiting.invite.call_id].phase.value == "queued"
        store.failing = False
        await h.advance(20.0)
        waiting.hang_up()
        await h.until(lambda: len(store.captures) == 1, what="the abandon's callback")
        busy.hang_up()

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), store=store, surge=ABANDONS,
             allowed_errors=STORE_DOWN)
    assert reasons(store) == [("13800138002", "abandoned")]
    assert h.call_log.kinds(h.sip.inbound[1].invite.call_id) == [S.ARRIVE, S.ENQUEUE, S.ABANDON, S.HANGUP]


def test_a_caller_the_automatic_seat_could_not_store_who_hangs_up_in_line_is_called_back(tmp_path: Path) -> None:
    """The capture on enqueue fails (store down): the caller joins the queue; hanging up there later is an
    abandon like any other (CAPTURING → QUEUED)."""
    store = MemoryCallbackStore(failing=True)

    async def body(h: Harness) -> None:
        call = h.call_in()  # nobody staffs "orders": the expected wait is too long, the automatic seat tries
        await h.until(lambda: h.engine.dispatcher.is_queued(call.invite.call_id), what="in line after all")
        store.failing = False
        await h.advance(20.0)
        call.hang_up()
        await h.until(lambda: len(store.captures) == 1, what="the abandon's callback")

    h = play(tmp_path, body, store=store, surge=SurgeSettings(max_wait_seconds=60, abandon_callback_seconds=10.0),
             allowed_errors=STORE_DOWN)
    assert reasons(store) == [(CALLER, "abandoned")]
    assert h.call_log.kinds(h.sip.inbound[0].invite.call_id) == [S.ARRIVE, S.ENQUEUE, S.ABANDON, S.HANGUP]


def test_a_caller_who_hangs_up_while_a_failed_overflow_callback_says_all_busy_is_called_back(
        tmp_path: Path) -> None:
    """The queue overflows to a callback, the store is down: "all lines are busy"; a hang-up during it is an
    abandon to call back (the failed capture left CAPTURING)."""
    store = MemoryCallbackStore(failing=True)
    queues = (QueueConfig("orders", max_wait_seconds=30.0, overflow=OverflowTarget(OverflowKind.CALLBACK)),)

    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.hears(call) == {"prompt:all_busy"}, what="all lines are busy")
        store.failing = False
        call.hang_up()
        await h.until(lambda: len(store.captures) == 1, what="the abandon's callback")

    h = play(tmp_path, body, queues=queues, store=store,
             surge=SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=10.0), allowed_errors=STORE_DOWN)
    assert reasons(store) == [(CALLER, "abandoned")]
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.CALLER, HangupCause.NORMAL)


def test_a_caller_who_hangs_up_while_the_automatic_seat_stores_their_callback_is_not_called_back_twice(
        tmp_path: Path) -> None:
    """Hung up while the automatic seat (the queue's wait too long) stores the callback: one capture ("surge"),
    no "abandoned" (the old `_capturing` flag, now the CAPTURING phase)."""
    store = GatedStore()

    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: store.waiting == 1, what="the capture to start")
        await h.advance(20.0)
        call.hang_up()
        await h.settle()
        store.gate.set()
        await h.until(lambda: h.closed(call), what="the record")
        await h.advance(5.0)

    h = play(tmp_path, body, store=store, surge=SurgeSettings(max_wait_seconds=60, abandon_callback_seconds=10.0))
    assert reasons(store) == [(CALLER, "surge")]
    (hangup,) = h.events(Hangup)
    assert hangup.by is HangupParty.CALLER


# -- the line count ----------------------------------------------------------------------------------------


def old_lines_in_use(h: Harness) -> int:
    """ef5e5a1's `Engine.lines_in_use`: a pass over the calls."""
    answered = sum(1 for session in h.engine.sessions.values() if session.call.state is not CallState.OFFERED)
    return len(h.sip.offered) + answered + len(h.engine.registry.outbound)


def test_the_line_count_follows_every_kind_of_call_and_is_back_to_zero_when_they_end(tmp_path: Path) -> None:
    """Calls answered, captured, refused, transferred, dialled out: at each step the counter gives what the
    old pass over the calls gave, and every line is free again at the end."""
    store = MemoryCallbackStore()
    directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")},
                                callers={"13800000666": CallerProfile(blacklist="reject")})

    async def body(h: Harness) -> None:
        lines = h.engine.surge.lines_in_use

        def agree() -> bool:
            return lines() == old_lines_in_use(h)

        first = await talking(h)
        assert lines() == 1 and agree()
        second = h.call_in("13800138002")
        await h.until(lambda: h.engine.dispatcher.is_queued(second.invite.call_id), what="the second in line")
        assert lines() == 2 and agree()
        rejected = h.call_in("13800000666")
        await h.until(lambda: h.closed(rejected), what="the blacklisted caller's record")
        assert lines() == 2 and agree()
        await h.control.transfer(first.invite.call_id, queue="after_sales")
        await h.until(lambda: h.connected(second, "agent-1"), what="agent-1 with the second caller")
        assert lines() == 2 and agree()
        await h.control.hang_up(first.invite.call_id)
        second.hang_up()
        await h.until(lambda: h.closed(second) and h.closed(first), what="both records")
        assert lines() == 0 and agree()
        await h.until(lambda: h.state("agent-1") is AgentState.READY, what="agent-1 ready")
        dialled = await h.control.click_to_dial("agent-1", CUSTOMER)
        assert lines() == 1 and agree()
        await h.until(lambda: h.logged(S.ANSWER, dialled), what="the customer's answer")
        h.phone("gateway").last.hang_up()
        await h.until(lambda: h.closed(dialled), what="the outbound record")
        assert lines() == 0 and agree()

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), store=store, directory=directory,
         outbound_gateway=GATEWAY, surge=SurgeSettings(lines=10, max_wait_seconds=1000, abandon_callback_seconds=None))


# -- bugs the restructure kept (ef5e5a1 did the same): these assert the behaviour wanted, not the old one ----


def test_a_consultation_racing_the_caller_s_hang_up_is_refused_and_never_rings_the_other_agent(
        tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await h.control.ready("agent-2")
        gate = h.media.gate("allocate", lambda leg: leg.tag.startswith("consult"))
        run = asyncio.ensure_future(h.control.consult(call.invite.call_id, "agent-2"))
        await gate.reached.wait()
        call.hang_up()
        await h.settle()
        gate.release()
        await refused("not_connected", run)
        await h.until(lambda: h.closed(call), what="the record")
        assert h.phone("seat-2").calls == [] and h.state("agent-2") is AgentState.READY

    play(tmp_path, body, seats=CONSULTING)


def test_cancelling_a_consultation_as_the_caller_hangs_up_is_refused_as_not_connected(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        await consulting(h, call)
        gate = h.media.gate("stop_playing", lambda leg: leg == h.leg(call))
        run = asyncio.ensure_future(h.control.cancel_consultation(call.invite.call_id))
        await gate.reached.wait()
        call.hang_up()
        await h.settle()
        gate.release()
        await refused("not_connected", run)

    play(tmp_path, body, seats=CONSULTING)


def test_a_caller_told_they_will_be_called_back_is_not_then_overflowed_to_another_queue(tmp_path: Path) -> None:
    store = GatedStore()
    queues = (QueueConfig("orders", max_wait_seconds=30.0, overflow=OverflowTarget(OverflowKind.QUEUE, "after_sales")),
              QueueConfig("after_sales"))

    async def body(h: Harness) -> None:
        busy = await talking(h)
        waiting = h.call_in("13800138002")
        await h.until(lambda: h.engine.dispatcher.is_queued(waiting.invite.call_id), what="the second in line")
        await h.advance(25.0)
        h.press(waiting, "1")
        await h.until(lambda: store.waiting == 1, what="the capture to start")
        await h.advance(10.0)  # the queue's longest wait passes while the callback is stored
        store.gate.set()
        await h.until(lambda: h.closed(waiting) or h.connected(waiting), what="the confirmation's end, or an agent")
        assert waiting.end_reason == "local bye" and h.phone("seat-9").calls == []
        busy.hang_up()

    play(tmp_path, body, seats=CONSULTING, queues=queues, store=store, surge=ABANDONS)

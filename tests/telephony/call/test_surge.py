"""Surge protection on fake ports: the automatic seat (by line occupancy, by queue wait), 503 beyond the
lines, the callback key, abandons called back, the blacklist, one callback per number; and the races
between storing a callback and the caller or an agent."""

from __future__ import annotations

from pathlib import Path

from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.events import (
    Arrive,
    CallbackRequest,
    CallStep,
    Hangup,
    HangupCause,
    HangupParty,
    LinesChanged,
    Offer,
)
from hotline.telephony.memory import MemoryCallbackStore, MemoryDirectory
from hotline.telephony.ports import CallerProfile, Route
from hotline.telephony.sip.calls import CallState

from .fake_sip import FakeInboundCall
from .harness import DNIS, GatedStore, Harness, exactly, play, prompt_length, seat

S = CallStep
NOT_READY = (seat("agent-1", "seat-1", ready=False),)


def test_over_the_line_threshold_the_automatic_seat_answers_after_storing_and_beyond_the_lines_it_is_503(
        tmp_path: Path) -> None:
    store = GatedStore()

    async def body(h: Harness) -> None:
        # 1/4 and 2/4 of the lines: nobody captured; 3/4: share 0.5 (the credit reaches 0.5); 4/4: share 1
        in_ivr = []
        for n in (1, 2, 3):
            in_ivr.append(h.call_in(f"1380013800{n}"))
            await h.until(lambda: in_ivr[-1].state is CallState.ANSWERED, what="the IVR's answer")
        fourth = h.call_in("13800138004")
        await h.until(lambda: store.waiting == 1, what="the capture to start")
        await h.advance(3.0)
        assert (fourth.state, fourth.responses) == (CallState.OFFERED, [180])  # ringing while it is stored
        fifth = h.call_in("13800138005")
        assert (fifth.state, fifth.responses) == (CallState.ENDED, [503])
        for call in in_ivr:  # before they reach the queue (they are not called back: too short a call)
            call.hang_up()
        store.gate.set()
        await h.until(lambda: fourth.state is CallState.ANSWERED, what="the automatic seat's answer")
        assert h.hears(fourth) == {"prompt:callback_confirmed"}
        await h.until(lambda: h.closed(fourth), what="the captured call's record")
        assert fourth.end_reason == "local bye"
        await h.until(lambda: any(isinstance(e, LinesChanged) and e.refused == 1 for _t, e in h.bus.published),
                      what="the 503 on the wallboard")

    h = play(tmp_path, body, route=Route(DNIS, flow="demo"), store=store,
             surge=SurgeSettings(lines=4, occupancy_threshold=0.5, retry_after_seconds=45))
    captured = h.sip.inbound[3].invite.call_id
    assert [(c.number, c.reason, c.call_id) for c in store.captures] == [("13800138004", "surge", captured)]
    assert h.call_log.kinds(captured) == [S.ARRIVE, S.CALLBACK_REQUEST, S.HANGUP]
    (arrive,) = h.events(Arrive, captured)
    (hangup,) = h.events(Hangup, captured)
    assert store.captures[0].arrived_at == arrive.at
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.NORMAL)
    # the store's delay, then the whole confirmation
    assert hangup.mono - arrive.mono == exactly(3.0 + prompt_length("callback_confirmed"))
    assert h.sip.inbound[4].invite.call_id not in h.call_log.closed  # refused: never logged
    lines = {(topic, e.lines, e.refused) for topic, e in h.bus.published if isinstance(e, LinesChanged) and e.refused}
    assert lines == {("lines", 4, 1)}


def test_a_queue_with_too_long_a_wait_sends_new_callers_to_the_automatic_seat_unless_the_store_is_down(
        tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        first = h.call_in("13800138001")  # nobody staffs "orders": no wait can be promised
        await h.until(lambda: h.closed(first), what="the first record")
        store.failing = True  # nobody is told "we will call you back" unless it is stored
        second = h.call_in("13800138002")
        await h.until(lambda: h.engine.dispatcher.is_queued(second.invite.call_id), what="the second in line")
        assert h.hears(second) == {"hold"}
        second.hang_up()

    h = play(tmp_path, body, store=store, surge=SurgeSettings(max_wait_seconds=60),
             allowed_errors=("could not be stored",))
    first, second = (call.invite.call_id for call in h.sip.inbound)
    assert h.call_log.kinds(first) == [S.ARRIVE, S.CALLBACK_REQUEST, S.HANGUP]
    assert h.call_log.kinds(second) == [S.ARRIVE, S.ENQUEUE, S.ABANDON, S.HANGUP]
    assert [(c.number, c.reason) for c in store.captures] == [("13800138001", "surge")]
    (request,) = h.events(CallbackRequest)
    assert (request.queue, request.number) == ("orders", "13800138001")


async def waiting_behind(h: Harness, *, until_queued: bool = True) -> tuple[FakeInboundCall, FakeInboundCall]:
    """A first caller talks to agent-1; a second arrives behind (and is in line, with `until_queued`)."""
    talking = h.call_in("13800138001")
    await h.until(lambda: h.connected(talking, "agent-1"), what="the first caller's agent")
    waiting = h.call_in("13800138002")
    if until_queued:
        await h.until(lambda: h.engine.dispatcher.is_queued(waiting.invite.call_id), what="the second in line")
    return talking, waiting


def test_a_waiting_caller_presses_1_and_is_called_back_keeping_their_arrival_time(tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        talking, waiting = await waiting_behind(h)
        h.press(talking, "1")  # talking to an agent: the key is theirs, nothing happens
        await h.advance(4.0)
        h.press(waiting, "1")
        await h.until(lambda: h.hears(waiting) == {"prompt:callback_confirmed"}, what="the confirmation")
        assert not h.engine.dispatcher.is_queued(waiting.invite.call_id)
        await h.until(lambda: h.closed(waiting), what="the record")
        assert waiting.end_reason == "local bye" and h.connected(talking, "agent-1")
        talking.hang_up()

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), store=store,
             surge=SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=None))
    left = h.sip.inbound[1].invite.call_id
    assert h.call_log.kinds(left) == [S.ARRIVE, S.ENQUEUE, S.CALLBACK_REQUEST, S.HANGUP]
    (arrive,) = h.events(Arrive, left)
    assert [(c.number, c.reason, c.arrived_at) for c in store.captures] == [("13800138002", "requested", arrive.at)]
    (hangup,) = h.events(Hangup, left)
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.NORMAL)


def test_the_callback_key_is_not_taken_while_the_queue_s_greeting_plays(tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        _talking, call = await waiting_behind(h, until_queued=False)
        await h.until(lambda: h.hears(call) == {"prompt:please_hold"}, what="the greeting")
        h.press(call, "1")  # a menu key pressed twice, or a caller expecting a menu
        await h.until(lambda: h.hears(call) == {"hold"}, what="the hold music")
        assert store.captures == [] and h.engine.dispatcher.is_queued(call.invite.call_id)
        h.press(call, "1")
        await h.until(lambda: h.closed(call), what="the record")

    play(tmp_path, body, route=Route(DNIS, queue="orders", greeting=("please_hold",)), store=store,
         seats=(seat("agent-1", "seat-1"),),
         surge=SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=None))
    assert [c.reason for c in store.captures] == ["requested"]


def test_callers_who_hang_up_in_the_ivr_are_called_back_unless_the_abandon_was_short(tmp_path: Path) -> None:
    store = MemoryCallbackStore()

    async def body(h: Harness) -> None:
        patient, hasty = h.call_in("13800138001"), h.call_in("13800138002")
        await h.advance(1.0)
        hasty.hang_up()
        await h.advance(2.0)
        patient.hang_up()
        await h.until(lambda: len(h.call_log.closed) == 2 and len(store.captures) == 1, what="the callback")

    h = play(tmp_path, body, route=Route(DNIS, flow="demo"), store=store,
             surge=SurgeSettings(abandon_callback_seconds=2.0))
    patient = h.sip.inbound[0].invite.call_id
    assert [(c.number, c.reason, c.call_id) for c in store.captures] == [("13800138001", "abandoned", patient)]
    assert S.CALLBACK_REQUEST not in h.call_log.kinds(patient)  # still an abandon in the KPIs


def test_an_agent_who_answers_while_the_callback_is_stored_keeps_the_caller_and_the_callback_is_cancelled(
        tmp_path: Path) -> None:
    store = GatedStore()

    async def body(h: Harness) -> None:
        talking, waiting = await waiting_behind(h)
        h.press(waiting, "1")
        await h.until(lambda: store.waiting == 1, what="the capture to start")
        talking.hang_up()  # agent-1 is free: the waiting caller is offered to them and answered
        await h.until(lambda: h.connected(waiting, "agent-1"), what="the waiting caller's answer")
        store.gate.set()
        await h.until(lambda: bool(store.changes), what="the callback's cancellation")
        assert h.connected(waiting, "agent-1") and waiting.state is CallState.ANSWERED
        waiting.hang_up()

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), store=store,
             surge=SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=None))
    kept = h.sip.inbound[1].invite.call_id
    assert h.call_log.kinds(kept) == [S.ARRIVE, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER, S.HANGUP, S.WRAPUP_END]
    assert [(c.kind, c.status) for c in store.changes] == [("cancelled", "cancelled")]


def test_a_caller_who_hangs_up_while_their_callback_is_stored_keeps_it_once(tmp_path: Path) -> None:
    store = GatedStore()

    async def body(h: Harness) -> None:
        _talking, waiting = await waiting_behind(h)
        await h.advance(20.0)
        h.press(waiting, "1")
        await h.until(lambda: store.waiting == 1, what="the capture to start")
        waiting.hang_up()
        await h.settle()
        store.gate.set()
        await h.until(lambda: h.closed(waiting), what="the record")
        await h.advance(5.0)

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), store=store,
             surge=SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=10.0))
    left = h.sip.inbound[1].invite.call_id
    assert [(c.number, c.reason) for c in store.captures] == [("13800138002", "requested")]  # not also "abandoned"
    assert [c.status for c in store.callbacks.values()] == ["pending"]
    assert h.call_log.kinds(left) == [S.ARRIVE, S.ENQUEUE, S.ABANDON, S.HANGUP]


def test_the_blacklist_rejects_with_a_message_or_warns_the_agent(tmp_path: Path) -> None:
    directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")}, callers={
        "13800000001": CallerProfile(blacklist="reject"), "13800000002": CallerProfile(blacklist="warn")})

    async def body(h: Harness) -> None:
        rejected = h.call_in("13800000001")
        await h.until(lambda: h.hears(rejected) == {"prompt:blacklisted"}, what="the message")
        await h.until(lambda: h.closed(rejected), what="the rejected record")
        warned = h.call_in("13800000002")
        await h.until(lambda: h.connected(warned, "agent-1"), what="the warned caller's agent")
        warned.hang_up()

    h = play(tmp_path, body, directory=directory, seats=(seat("agent-1", "seat-1"),))
    rejected = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(rejected) == [S.ARRIVE, S.HANGUP]
    (hangup,) = h.events(Hangup, rejected)
    (arrive,) = h.events(Arrive, rejected)
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.REJECTED)
    assert hangup.mono - arrive.mono == exactly(prompt_length("blacklisted"))
    (offer,) = h.events(Offer)
    assert (offer.caller, offer.warning) == ("13800000002", "blacklist")


def test_a_caller_who_rings_three_times_in_a_surge_gets_one_callback_and_reaching_an_agent_cancels_it(
        tmp_path: Path) -> None:
    store = MemoryCallbackStore()
    same = CallerProfile(number="13800138009")  # the host's normal form of both formats
    directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")},
                                callers={"+8613800138009": same, "13800138009": same})

    async def body(h: Harness) -> None:
        for number in ("13800138009", "+8613800138009", "13800138009"):  # nobody staffs the queue
            call = h.call_in(number)
            await h.until(lambda call=call: h.closed(call), what="the captured call")  # type: ignore[misc]
        await h.control.ready("agent-1")
        reached = h.call_in("13800138009")
        await h.until(lambda: h.connected(reached, "agent-1"), what="the agent")
        reached.hang_up()
        await h.until(lambda: bool(store.changes), what="the cancellation")

    h = play(tmp_path, body, directory=directory, seats=NOT_READY, store=store, surge=SurgeSettings())
    assert [c.number for c in store.captures] == ["13800138009"] * 3
    (stored,) = store.callbacks.values()
    assert (stored.reach_attempts, stored.status) == (3, "cancelled")
    assert [change.kind for change in store.changes] == ["cancelled"]
    assert len(h.events(CallbackRequest)) == 3

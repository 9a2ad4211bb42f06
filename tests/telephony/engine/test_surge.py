"""Surge protection over real SIP: the automatic seat, 503 beyond the lines, the callback key, abandons called
back, one callback per number, the blacklist, and a callback book that survives a restart."""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass, field
from pathlib import Path

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.callback.model import Reason, Status
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.engine import Engine, SeatConfig
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
from hotline.telephony.memory import MemoryCallbackStore, MemoryCallLog, MemoryDirectory
from hotline.telephony.ports import CallbackCapture, CallbackChange, CallerProfile, Route, StoredCallback
from hotline.telephony.sip.calls import CallState

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, engine_uri, events_of, run, running, short_prompts
from .phones import Phone, until

CONFIRMATION_FRAMES = 20  # the short test confirmation: 0.4 s of tone = 20 frames of 20 ms


@dataclass
class GatedStore(MemoryCallbackStore):
    """A store whose captures wait for `gate`: a slow database, to see what the caller gets meanwhile."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    async def capture(self, capture: CallbackCapture) -> StoredCallback:
        self.waiting += 1
        await self.gate.wait()
        return await super().capture(capture)


async def started(*names: str, mark: int = CALLER_MARK) -> list[Phone]:
    return [await Phone(name, mark).start() for name in names]


async def reach_agent_1(engine: Engine, call_log: MemoryCallLog, phone: Phone) -> None:
    """agent-1 goes ready, `phone` calls and is answered by them, hangs up, and the log is written."""
    engine.apply(engine.dispatcher.ready("agent-1"))
    reached = await call_in(engine, phone)
    await until(lambda: engine.sessions[reached.invite.call_id].agent_leg is not None, what="answer")
    reached.hangup()
    await until(lambda: reached.invite.call_id in call_log.closed, what="the record")
    await engine.flush_log()


async def closed(phones: list[Phone]) -> None:
    for phone in phones:
        await phone.close()


def test_over_the_line_threshold_the_automatic_seat_answers_after_storing_and_beyond_the_lines_it_is_503(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        phones = await started(*(f"1380013800{n}" for n in range(1, 6)))
        store = GatedStore()
        surge = SurgeSettings(lines=4, occupancy_threshold=0.5, retry_after_seconds=45)
        prompts = short_prompts(tmp_path / "prompts", 0.4, "callback_confirmed")
        try:
            async with running(tmp_path, Route(DNIS, flow="demo"), (), surge=surge, callback_store=store,
                               prompts=prompts) as (engine, call_log):
                # 1/4 and 2/4 of the lines: nobody captured; 3/4: share 0.5 (the credit reaches 0.5); 4/4: share 1.
                in_ivr = [await call_in(engine, phone) for phone in phones[:3]]
                fourth = phones[3].dial(engine_uri(engine))
                await until(lambda: store.waiting == 1, what="the capture to start")
                await asyncio.sleep(0.3)
                assert (fourth.state, fourth.final_status) == (CallState.RINGING, None)  # ringing while it is stored
                fifth = phones[4].dial(engine_uri(engine))
                assert await fifth.wait_answer() == 503
                assert fifth.rejection is not None and fifth.rejection.headers.get("Retry-After") == "45"
                store.gate.set()
                assert await fourth.wait_answer() == 200
                phones[3].rtp.start(fourth.media)
                assert await asyncio.wait_for(fourth.wait_ended(), 5) == "remote bye"
                for call in in_ivr:
                    call.hangup()
                captured = fourth.invite.call_id
                await until(lambda: captured in call_log.closed, what="the captured call's record")
                assert engine.refused == 1
                await until(lambda: any(isinstance(event, LinesChanged) and event.refused == 1
                                        for _topic, event in engine.bus.published), what="the 503 on the wallboard")
                (lines,) = {(topic, event.lines, event.refused) for topic, event in engine.bus.published
                            if isinstance(event, LinesChanged) and event.refused == 1}
                assert lines == ("lines", 4, 1)
        finally:
            await closed(phones)
        assert [(c.number, c.reason, c.call_id) for c in store.captures] == [("13800138004", "surge", captured)]
        assert call_log.kinds(captured) == [CallStep.ARRIVE, CallStep.CALLBACK_REQUEST, CallStep.HANGUP]
        (arrive,) = [e for e in events_of(call_log, Arrive) if e.call_id == captured]
        assert store.captures[0].arrived_at == arrive.at
        (hangup,) = [e for e in events_of(call_log, Hangup) if e.call_id == captured]
        assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.NORMAL)
        assert phones[3].rtp.received == CONFIRMATION_FRAMES  # the whole confirmation, then the BYE
        assert [c.kind for c in events_of(call_log, CallbackRequest)] == [CallStep.CALLBACK_REQUEST]

    run(scenario)


def test_a_queue_with_too_long_a_wait_sends_new_callers_to_the_automatic_seat_unless_the_store_is_down(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        phones = await started("13800138001", "13800138002")
        store = MemoryCallbackStore()
        prompts = short_prompts(tmp_path / "prompts", 0.4, "callback_confirmed")
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), (), surge=SurgeSettings(max_wait_seconds=60),
                               callback_store=store, prompts=prompts) as (engine, call_log):
                # Nobody staffs "orders": no wait can be promised, so the caller is called back instead.
                first = await call_in(engine, phones[0])
                assert await asyncio.wait_for(first.wait_ended(), 5) == "remote bye"
                store.failing = True  # a caller must never be told "we will call you back" unless it is stored
                second = await call_in(engine, phones[1])
                await until(lambda: engine.dispatcher.is_queued(second.invite.call_id), what="the second in line")
                second.hangup()
                await until(lambda: second.invite.call_id in call_log.closed, what="the second record")
        finally:
            await closed(phones)
        assert call_log.kinds(first.invite.call_id) == [CallStep.ARRIVE, CallStep.CALLBACK_REQUEST, CallStep.HANGUP]
        assert call_log.kinds(second.invite.call_id) == [
            CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.ABANDON, CallStep.HANGUP]
        assert [(c.number, c.reason) for c in store.captures] == [("13800138001", "surge")]

    run(scenario)


def test_a_waiting_caller_presses_1_and_is_called_back_keeping_their_arrival_time(tmp_path: Path) -> None:
    async def scenario() -> None:
        phones = await started("13800138001", "13800138002")
        (agent,) = await started("8001", mark=AGENT_MARK)
        store = MemoryCallbackStore()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        prompts = short_prompts(tmp_path / "prompts", 0.4, "callback_confirmed")
        surge = SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=None)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, surge=surge, callback_store=store,
                               prompts=prompts) as (engine, call_log):
                talking = await call_in(engine, phones[0])
                await until(lambda: engine.sessions[talking.invite.call_id].agent_leg is not None, what="answer")
                waiting = await call_in(engine, phones[1])
                await until(lambda: engine.dispatcher.is_queued(waiting.invite.call_id), what="the second in line")
                phones[0].rtp.dtmf("1")  # talking to an agent: the key goes to the agent, nothing else happens
                phones[1].rtp.dtmf("1")
                assert await asyncio.wait_for(waiting.wait_ended(), 5) == "remote bye"
                assert engine.sessions[talking.invite.call_id].agent == "agent-1"
                talking.hangup()
                await until(lambda: talking.invite.call_id in call_log.closed, what="the first record")
        finally:
            await closed([*phones, agent])
        left = waiting.invite.call_id
        assert call_log.kinds(left) == [CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.CALLBACK_REQUEST, CallStep.HANGUP]
        (arrive,) = [e for e in events_of(call_log, Arrive) if e.call_id == left]
        assert [(c.number, c.reason, c.arrived_at) for c in store.captures] == [
            ("13800138002", "requested", arrive.at)]
        (request,) = events_of(call_log, CallbackRequest)
        assert (request.queue, request.number) == ("orders", "13800138002")

    run(scenario)


def test_callers_who_hang_up_in_the_ivr_are_called_back_unless_the_abandon_was_short(tmp_path: Path) -> None:
    async def scenario() -> None:
        phones = await started("13800138001", "13800138002")
        store = MemoryCallbackStore()
        surge = SurgeSettings(abandon_callback_seconds=2.0)  # the hasty caller is well under it, even on a slow machine
        try:
            async with running(tmp_path, Route(DNIS, flow="demo"), (), surge=surge, callback_store=store) as (
                    engine, call_log):
                patient, hasty = [await call_in(engine, phone) for phone in phones]
                await asyncio.sleep(0.1)
                hasty.hangup()
                await asyncio.sleep(2.0)  # at least that much on the engine's clock (the same loop): past the bar
                patient.hangup()
                await until(lambda: len(call_log.closed) == 2, what="both records")
                await until(lambda: len(store.captures) == 1, what="the abandon's callback")
                await asyncio.sleep(0.2)
        finally:
            await closed(phones)
        assert [(c.number, c.reason, c.call_id) for c in store.captures] == [
            ("13800138001", "abandoned", patient.invite.call_id)]
        assert CallStep.CALLBACK_REQUEST not in call_log.kinds(patient.invite.call_id)  # still an abandon in KPIs

    run(scenario)


def test_a_caller_who_rings_three_times_in_a_surge_gets_one_callback_and_reaching_an_agent_cancels_it(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        (caller,) = await started("13800138009")
        (agent,) = await started("8001", mark=AGENT_MARK)
        store = MemoryCallbackStore()
        prompts = short_prompts(tmp_path / "prompts", 0.2, "callback_confirmed")
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",), ready=False),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, surge=SurgeSettings(),
                               callback_store=store, prompts=prompts) as (engine, call_log):
                for _ in range(3):  # the only agent is not ready: nobody staffs the queue
                    call = await call_in(engine, caller)
                    assert await asyncio.wait_for(call.wait_ended(), 5) == "remote bye"
                live = engine.callbacks.book.live_for("13800138009")
                assert live is not None and (live.reach_attempts, live.status) == (3, Status.PENDING)
                await reach_agent_1(engine, call_log, caller)
        finally:
            await closed([caller, agent])
        (stored,) = store.callbacks.values()
        assert (stored.reach_attempts, stored.status) == (3, "cancelled")
        assert [change.kind for change in store.changes] == ["cancelled"]
        assert len(events_of(call_log, CallbackRequest)) == 3

    run(scenario)


def test_the_blacklist_rejects_with_a_message_or_warns_the_agent(tmp_path: Path) -> None:
    async def scenario() -> None:
        rejected, warned = await started("13800000001", "13800000002")
        (agent,) = await started("8001", mark=AGENT_MARK)
        directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")}, callers={
            "13800000001": CallerProfile(blacklist="reject"), "13800000002": CallerProfile(blacklist="warn")})
        prompts = short_prompts(tmp_path / "prompts", 0.4, "blacklisted")
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS), seats, directory=directory, prompts=prompts) as (
                    engine, call_log):
                first = await call_in(engine, rejected)
                assert await asyncio.wait_for(first.wait_ended(), 5) == "remote bye"
                second = await call_in(engine, warned)
                await until(lambda: bool(events_of(call_log, Offer)), what="the offer")
                second.hangup()
                await until(lambda: second.invite.call_id in call_log.closed, what="the record")
        finally:
            await closed([rejected, warned, agent])
        assert call_log.kinds(first.invite.call_id) == [CallStep.ARRIVE, CallStep.HANGUP]
        hangup = next(e for e in events_of(call_log, Hangup) if e.call_id == first.invite.call_id)
        assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.REJECTED)
        assert rejected.rtp.received == CONFIRMATION_FRAMES
        (offer,) = events_of(call_log, Offer)
        assert (offer.caller, offer.warning) == ("13800000002", "blacklist")

    run(scenario)


def test_after_a_restart_the_stored_live_callbacks_are_back_in_the_book_and_a_dial_under_way_is_pending(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        now = datetime.datetime.now(datetime.UTC)
        store = MemoryCallbackStore()
        for callback_id, (number, status) in enumerate((("13800000001", "pending"), ("13800000002", "dialling"),
                                                        ("13800000003", "reserved")), start=7):
            store.callbacks[callback_id] = StoredCallback(
                callback_id=callback_id, number=number, hotline_number=DNIS, airing_id=None, reason="surge",
                call_id=f"c{callback_id}", arrived_at=now - datetime.timedelta(minutes=5), captured_at=now,
                status=status, dial_attempts=1 if status == "dialling" else 0)
        store.callbacks[10] = StoredCallback(callback_id=10, number="13800000004", hotline_number=DNIS,
                                             airing_id=None, reason="surge", call_id="c10", arrived_at=now,
                                             captured_at=now, status="answered")
        async with running(tmp_path, Route(DNIS, queue="orders"), (), surge=SurgeSettings(), callback_store=store,
                           queues=(QueueConfig("orders"),)) as (engine, _log):
            book = engine.callbacks.book
            restored = [book.live_for(f"1380000000{n}") for n in range(1, 5)]
        assert [(c.callback_id, c.status, c.dial_attempts) for c in restored if c is not None] == [
            (7, Status.PENDING, 0), (8, Status.PENDING, 1), (9, Status.PENDING, 0)]
        assert restored[3] is None  # answered: final, not restored

    run(scenario)


@dataclass
class SlowRecordStore(MemoryCallbackStore):
    """A store whose state changes wait for `gate`: a call log backed up in a surge."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)

    async def record(self, change: CallbackChange) -> None:
        await self.gate.wait()
        await super().record(change)


def test_a_repeat_capture_waits_until_the_cancel_still_queued_for_that_number_is_saved(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = SlowRecordStore()
        number = "13800138009"
        async with running(tmp_path, Route(DNIS, queue="orders"), (), callback_store=store) as (engine, _log):
            desk = engine.callbacks
            first = await desk.capture(number, DNIS, None, "c-1", Reason.SURGE, engine.wall())
            desk.reached_agent(number)  # the cancel is queued behind a slow write
            second = asyncio.ensure_future(desk.capture(number, DNIS, None, "c-2", Reason.SURGE, engine.wall()))
            await asyncio.sleep(0.3)
            assert not second.done() and len(store.captures) == 1  # not stored as a repeat of a closed one
            store.gate.set()
            caught = await second
            live = desk.book.live_for(number)
        assert first is not None and caught is not None
        assert (first.callback_id, caught.callback_id, caught.repeat) == (1, 2, False)
        assert live is not None and (live.callback_id, live.status) == (2, Status.PENDING)
        assert {c.callback_id: c.status for c in store.callbacks.values()} == {1: "cancelled", 2: "pending"}

    run(scenario)


def test_one_caller_dialling_in_two_number_formats_has_one_callback_and_reaching_an_agent_cancels_it(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        plus, plain = await started("+8613800138009", "13800138009")
        (agent,) = await started("8001", mark=AGENT_MARK)
        store = MemoryCallbackStore()
        same = CallerProfile(number="13800138009")  # the host's normal form of both
        directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")}, callers={"+8613800138009": same,
                                                                                   "13800138009": same})
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",), ready=False),)
        prompts = short_prompts(tmp_path / "prompts", 0.2, "callback_confirmed")
        try:
            async with running(tmp_path, Route(DNIS), seats, directory=directory, surge=SurgeSettings(),
                               callback_store=store, prompts=prompts) as (engine, call_log):
                for phone in (plus, plain):
                    call = await call_in(engine, phone)
                    assert await asyncio.wait_for(call.wait_ended(), 5) == "remote bye"
                await reach_agent_1(engine, call_log, plus)
        finally:
            await closed([plus, plain, agent])
        assert [c.number for c in store.captures] == ["13800138009", "13800138009"]
        (stored,) = store.callbacks.values()
        assert (stored.reach_attempts, stored.status) == (2, "cancelled")

    run(scenario)

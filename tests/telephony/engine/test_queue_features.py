"""Queue behaviour over real SIP: position announcements, overflow to another queue or to "all busy",
and the airing a call is attributed to travelling on its arrive and offer events."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.telephony.acd.queue import OverflowKind, OverflowTarget, QueueConfig
from hotline.telephony.control import ControlError, EngineControl
from hotline.telephony.engine import Engine, SeatConfig
from hotline.telephony.events import (
    Answer,
    Arrive,
    CallStep,
    Enqueue,
    Hangup,
    HangupCause,
    HangupParty,
    Offer,
    QueueStatsChanged,
    Transfer,
)
from hotline.telephony.media.plane import LegKey
from hotline.telephony.memory import MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Attribution, CallerProfile, Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, events_of, run, running
from .phones import Phone, until


def spy_on_playback(engine: Engine) -> list[tuple[str, str]]:
    """Record (call id, prompt name or "hold") for everything the media plane is asked to play."""
    played: list[tuple[str, str]] = []
    media = engine.local_media
    play, hold = media.play, media.hold

    async def playing(leg: LegKey, prompt: Path, on_done: object = None) -> None:
        played.append((leg.call_id, prompt.stem))
        await play(leg, prompt, on_done)  # type: ignore[arg-type]

    async def holding(leg: LegKey) -> None:
        played.append((leg.call_id, "hold"))
        await hold(leg)

    media.play, media.hold = playing, holding  # type: ignore[method-assign]
    return played


def of_call(played: list[tuple[str, str]], call_id: str) -> list[str]:
    return [name for cid, name in played if cid == call_id]


def test_a_waiting_caller_hears_how_many_are_ahead_every_n_seconds_then_hold_music_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        first, second = Phone("13800138001", CALLER_MARK), Phone("13800138002", CALLER_MARK)
        await first.start()
        await second.start()
        queues = (QueueConfig("orders", announce_seconds=0.6),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), (), queues=queues) as (engine, _log):
                played = spy_on_playback(engine)
                one = await call_in(engine, first)
                # the first caller is in line before the second arrives: a call takes its place in line once
                # its hold music has started, which a loaded machine can delay past the next call's arrival
                await until(lambda: engine.dispatcher.is_queued(one.invite.call_id), what="the first in line")
                two = await call_in(engine, second)
                await until(lambda: of_call(played, two.invite.call_id).count("hold") >= 3, what="two announcements")
                one.hangup()
                two.hangup()
        finally:
            await first.close()
            await second.close()
        # Nobody is ahead of the first caller: it only ever hears hold music.
        assert set(of_call(played, one.invite.call_id)) == {"hold"}
        # One caller ahead, no agent staffed (so no expected wait): "您前面还有 一 位", then the music again.
        assert of_call(played, two.invite.call_id)[:7] == [
            "hold", "queue_ahead", "num_1", "unit_people", "hold", "queue_ahead", "num_1"]

    run(scenario)


def test_a_caller_who_waits_too_long_overflows_to_the_next_queue_and_reaches_its_agent(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, agent = Phone("13800138000", CALLER_MARK), Phone("8002", AGENT_MARK)
        await caller.start()
        await agent.start()
        queues = (QueueConfig("orders", max_wait_seconds=0.5,
                              overflow=OverflowTarget(OverflowKind.QUEUE, "after_sales")),
                  QueueConfig("after_sales"))
        seats = (SeatConfig("agent-2", "seat-2", fixed_uri=agent.uri, queues=("after_sales",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, queues=queues) as (engine, call_log):
                call = await call_in(engine, caller)
                await until(lambda: CallStep.ANSWER in call_log.kinds(call.invite.call_id), what="the answer")
                call.hangup()
                await until(lambda: CallStep.HANGUP in call_log.kinds(call.invite.call_id), what="the hang-up")
        finally:
            await caller.close()
            await agent.close()
        assert call_log.kinds(call.invite.call_id) == [
            CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.TRANSFER, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING,
            CallStep.ANSWER, CallStep.HANGUP, CallStep.WRAPUP_END]
        (transfer,) = events_of(call_log, Transfer)
        assert (transfer.queue, transfer.to_queue, transfer.to_agent) == ("orders", "after_sales", "")
        assert [(e.queue, e.position) for e in events_of(call_log, Enqueue)] == [("orders", 1), ("after_sales", 1)]
        assert transfer.mono - events_of(call_log, Enqueue)[0].mono >= 0.5

    run(scenario)


def test_a_full_queue_tells_the_caller_all_lines_are_busy_before_hanging_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        first, second = Phone("13800138001", CALLER_MARK), Phone("13800138002", CALLER_MARK)
        await first.start()
        await second.start()
        queues = (QueueConfig("orders", max_length=1),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), (), queues=queues) as (engine, call_log):
                played = spy_on_playback(engine)
                one = await call_in(engine, first)
                two = await call_in(engine, second)
                assert await asyncio.wait_for(two.wait_ended(), 20) == "remote bye"
                one.hangup()
                await until(lambda: len(events_of(call_log, Hangup)) == 2, what="both hang-ups")
        finally:
            await first.close()
            await second.close()
        assert of_call(played, two.invite.call_id) == ["hold", "all_busy", "goodbye"]
        assert call_log.kinds(two.invite.call_id) == [CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.HANGUP]
        hangup = next(e for e in events_of(call_log, Hangup) if e.call_id == two.invite.call_id)
        assert (hangup.by, hangup.cause, hangup.queue) == (HangupParty.SYSTEM, HangupCause.REJECTED, "orders")
        # The all-busy prompt and goodbye were heard in full before the BYE (about 5 s of audio).
        assert hangup.mono - events_of(call_log, Enqueue)[1].mono >= 3.0

    run(scenario)


def test_the_airing_of_the_call_is_on_its_arrive_and_its_offer_with_the_numbers(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, agent = Phone("13800138000", CALLER_MARK), Phone("8001", AGENT_MARK)
        await caller.start()
        await agent.start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")}, airings={DNIS: Attribution(42, "HN")})
        try:
            async with running(tmp_path, Route(DNIS), seats, directory=directory) as (engine, call_log):
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Offer)), what="the offer")
                call.hangup()
                await until(lambda: CallStep.HANGUP in call_log.kinds(call.invite.call_id), what="the hang-up")
        finally:
            await caller.close()
            await agent.close()
        (arrive,), (offer,) = events_of(call_log, Arrive), events_of(call_log, Offer)
        assert (arrive.caller, arrive.dnis, arrive.airing_id) == ("13800138000", DNIS, 42)
        assert (offer.agent, offer.caller, offer.dnis, offer.airing_id) == ("agent-1", "13800138000", DNIS, 42)

    run(scenario)


def test_a_vip_caller_is_served_before_an_earlier_ordinary_caller(tmp_path: Path) -> None:
    async def scenario() -> None:
        ordinary, vip, agent = (Phone("13800138001", CALLER_MARK), Phone("13800138002", CALLER_MARK),
                                Phone("8001", AGENT_MARK))
        for phone in (ordinary, vip, agent):
            await phone.start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",), ready=False),)
        directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")},
                                    callers={"13800138002": CallerProfile(vip=True)})
        try:
            async with running(tmp_path, Route(DNIS), seats, directory=directory) as (engine, call_log):
                first = await call_in(engine, ordinary)
                await until(lambda: len(engine.dispatcher.waiting("orders")) == 1, what="the first in line")
                second = await call_in(engine, vip)
                await until(lambda: len(engine.dispatcher.waiting("orders")) == 2, what="both callers in line")
                assert engine.dispatcher.waiting("orders") == [second.invite.call_id, first.invite.call_id]
                await EngineControl(engine).ready("agent-1")
                await until(lambda: bool(events_of(call_log, Offer)), what="the offer")
                first.hangup()
                second.hangup()
                await until(lambda: len(events_of(call_log, Hangup)) == 2, what="both hang-ups")
        finally:
            for phone in (ordinary, vip, agent):
                await phone.close()
        assert [offer.call_id for offer in events_of(call_log, Offer)][:1] == [second.invite.call_id]

    run(scenario)


def test_a_repeat_caller_goes_to_the_agent_who_served_them_last(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, first, second = Phone("13800138000", CALLER_MARK), Phone("8001", AGENT_MARK), Phone("8002", 0x44)
        for phone in (caller, first, second):
            await phone.start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=first.uri, queues=("orders",)),
                 SeatConfig("agent-2", "seat-2", fixed_uri=second.uri, queues=("orders",)))
        queues = (QueueConfig("orders", affinity_seconds=10.0),)
        directory = MemoryDirectory({DNIS: Route(DNIS, queue="orders")},
                                    callers={"13800138000": CallerProfile(last_agent="agent-2")})
        try:
            async with running(tmp_path, Route(DNIS), seats, queues=queues, directory=directory) as (
                    engine, call_log):
                call = await call_in(engine, caller)  # agent-1 has been idle longest: it would get an ordinary call
                await until(lambda: bool(events_of(call_log, Answer)), what="the answer")
                call.hangup()
                await until(lambda: CallStep.HANGUP in call_log.kinds(call.invite.call_id), what="the hang-up")
        finally:
            for phone in (caller, first, second):
                await phone.close()
        assert [offer.agent for offer in events_of(call_log, Offer)] == ["agent-2"]
        assert first.incoming == []

    run(scenario)


def test_an_agent_logged_in_with_skills_serves_only_those_queues_at_those_levels(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, agent = Phone("13800138000", CALLER_MARK), Phone("8001", AGENT_MARK)
        for phone in (caller, agent):
            await phone.start()
        seats = (SeatConfig("", "seat-1", fixed_uri=agent.uri, queues=("orders", "after_sales")),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
                control = EngineControl(engine)
                with pytest.raises(ControlError) as error:
                    await control.login("agent-1", "seat-1", skills="nowhere:2")
                assert error.value.code == "unknown_queue" and engine.seat_of("agent-1") == ""
                await control.login("agent-1", "seat-1", ready=True, skills="after_sales:3")
                assert engine.dispatcher.membership("agent-1", "after_sales").level == 3
                call = await call_in(engine, caller)
                await asyncio.sleep(0.5)
                assert agent.incoming == [] and engine.dispatcher.waiting("orders") == [call.invite.call_id]
                call.hangup()
                await until(lambda: bool(events_of(call_log, Hangup)), what="the hang-up")
        finally:
            for phone in (caller, agent):
                await phone.close()

    run(scenario)


def test_queue_figures_go_out_on_the_bus_once_a_second_when_they_change(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = Phone("13800138000", CALLER_MARK)
        await caller.start()
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), ()) as (engine, _log):
                bus = engine.bus
                assert isinstance(bus, MemoryEventBus)
                call = await call_in(engine, caller)
                await until(lambda: any(e.waiting == 1 for e in queue_figures(bus, "orders")), what="figures")
                # figures at least two seconds into the wait, however late a loaded machine sends them
                await until(lambda: any(e.waiting == 1 and e.longest_wait_seconds >= 2.0
                                        for e in queue_figures(bus, "orders")), what="figures after 2 s of waiting")
                call.hangup()
                await until(lambda: queue_figures(bus, "orders")[-1].waiting == 0, what="the empty queue")
        finally:
            await caller.close()
        figures = [(e.waiting, e.agents_ready, e.agents_busy) for e in queue_figures(bus, "orders")]
        waits = [e.longest_wait_seconds for e in queue_figures(bus, "orders") if e.waiting]
        assert figures[0] == (1, 0, 0) and figures[-1] == (0, 0, 0)
        assert waits == sorted(waits) and waits[-1] >= 2.0  # the longest wait grows while the caller waits
        assert queue_figures(bus, "after_sales") == []  # nothing changed there: nothing sent

    run(scenario)


def queue_figures(bus: MemoryEventBus, queue: str) -> list[QueueStatsChanged]:
    return [event for topic, event in bus.published
            if topic == "queues" and isinstance(event, QueueStatsChanged) and event.queue == queue]

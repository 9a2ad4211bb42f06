"""End to end over real SIP on 127.0.0.1: test phones call the engine, pass the IVR, queue and reach agents."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path

from hotline.calls.kpi import KpiSettings, queue_kpis
from hotline.calls.timeline import Step, seconds
from hotline.telephony.engine import SeatConfig
from hotline.telephony.events import Abandon, Answer, CallStep, Enqueue, Hangup, HangupParty, IvrNode, Offer
from hotline.telephony.memory import MemoryCallLog
from hotline.telephony.ports import Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, engine_uri, events_of, run, running
from .phones import Phone, until


async def phones(*specs: tuple[str, int, str]) -> list[Phone]:
    return [await Phone(name, mark, plan).start() for name, mark, plan in specs]


async def closing(items: list[Phone], body: Callable[[], Awaitable[None]]) -> None:
    try:
        await body()
    finally:
        for phone in items:
            await phone.close()


def test_caller_passes_the_ivr_with_dtmf_reaches_the_agent_and_is_recorded_and_logged(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, agent = await phones(("13800138000", CALLER_MARK, "answer"), ("8001", AGENT_MARK, "answer"))
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)

        async def body() -> None:
            async with running(tmp_path, Route(DNIS, flow="demo"), seats) as (engine, call_log):
                call = await call_in(engine, caller)
                await until(lambda: any(e.node == "main_menu" for e in events_of(call_log, IvrNode)), what="menu")
                caller.rtp.dtmf("1")
                await until(lambda: bool(events_of(call_log, Answer)), what="the agent's answer")
                before = caller.rtp.by_mark[AGENT_MARK], agent.rtp.by_mark[CALLER_MARK]
                # 2 s of 20 ms frames each way, however long a loaded machine takes to carry them
                await until(lambda: min(caller.rtp.by_mark[AGENT_MARK] - before[0],
                                        agent.rtp.by_mark[CALLER_MARK] - before[1]) >= 100, what="2 s of talk")
                after = caller.rtp.by_mark[AGENT_MARK], agent.rtp.by_mark[CALLER_MARK]
                call.hangup()
                await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up end")
                await until(lambda: bool(agent.incoming) and agent.incoming[0].end_reason == "remote bye",
                            what="the agent's leg to end")
            assert after[0] - before[0] >= 100 and after[1] - before[1] >= 100
            assert_logged_and_recorded(call_log, call.invite.call_id)
            assert_kpis(call_log)

        await closing([caller, agent], body)

    run(scenario)


def assert_logged_and_recorded(call_log: MemoryCallLog, call_id: str) -> None:
    assert call_log.kinds(call_id) == [
        CallStep.ARRIVE, CallStep.IVR_NODE, CallStep.IVR_NODE, CallStep.IVR_NODE, CallStep.ENQUEUE,
        CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP, CallStep.WRAPUP_END,
    ]
    assert [e.node for e in events_of(call_log, IvrNode)] == ["welcome", "main_menu", "orders"]
    assert [e.agent for e in events_of(call_log, Offer)] == ["agent-1"]
    (hangup,) = events_of(call_log, Hangup)
    (answer,) = events_of(call_log, Answer)
    assert hangup.by is HangupParty.CALLER and hangup.agent == "agent-1" and hangup.queue == "orders"
    monos = [event.mono for event in call_log.of_call(call_id)]
    assert monos == sorted(monos)
    (link,) = call_log.recordings
    with wave.open(link.path) as recording:
        seconds = recording.getnframes() / recording.getframerate()
    assert abs(seconds - (hangup.mono - answer.mono)) <= 0.1
    assert abs(link.duration_seconds - seconds) < 0.001
    assert call_log.closed == [call_id]


BASE_FIELDS = {"call_id", "at", "mono", "queue", "agent"}


def steps_of(call_log: MemoryCallLog) -> dict[str, list[Step]]:
    """The logged events as the KPI code reads them (what `calls.host.call_log` stores, minus the ORM)."""
    calls: dict[str, list[Step]] = {}
    for seq, event in enumerate(call_log.events):
        detail = {k: v for k, v in dataclasses.asdict(event).items() if k not in BASE_FIELDS}
        calls.setdefault(event.call_id, []).append(
            Step(event.call_id, seq, str(event.kind), event.at, event.mono, event.queue, event.agent, detail))
    return calls


def whole_day() -> tuple[datetime.datetime, datetime.datetime]:
    now = datetime.datetime.now(datetime.UTC)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=1)


def assert_kpis(call_log: MemoryCallLog) -> None:
    (enqueue,), (answer,) = events_of(call_log, Enqueue), events_of(call_log, Answer)
    (hangup,) = events_of(call_log, Hangup)
    (wrapup,) = [e for e in call_log.events if e.kind is CallStep.WRAPUP_END]
    kpis = queue_kpis(steps_of(call_log), "orders", *whole_day(), KpiSettings())
    wait = seconds(answer.mono) - seconds(enqueue.mono)
    handle = seconds(wrapup.mono) - seconds(answer.mono)
    assert (kpis.queued, kpis.answered, kpis.abandoned, kpis.short_abandons, kpis.handled) == (1, 1, 0, 0, 1)
    assert kpis.answered_within == (1 if wait <= 20 else 0)
    assert kpis.asa == wait and kpis.aht == handle
    assert kpis.acw == seconds(wrapup.mono) - seconds(hangup.mono)
    assert kpis.abandon_rate == 0


def test_caller_who_hangs_up_in_the_queue_is_logged_as_an_abandon_with_its_wait(tmp_path: Path) -> None:
    async def scenario() -> None:
        (caller,) = await phones(("13800138000", CALLER_MARK, "answer"))

        async def body() -> None:
            async with running(tmp_path, Route(DNIS, queue="orders"), ()) as (engine, call_log):
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Enqueue)), what="enqueue")
                await asyncio.sleep(0.5)
                call.hangup()
                await until(lambda: bool(events_of(call_log, Hangup)), what="hang-up")
                assert engine.dispatcher.waiting("orders") == []
            assert call_log.kinds(call.invite.call_id) == [
                CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.ABANDON, CallStep.HANGUP]
            (enqueue,), (abandon,) = events_of(call_log, Enqueue), events_of(call_log, Abandon)
            assert abandon.queue == "orders" and abandon.position == 1
            assert abandon.mono - enqueue.mono >= 0.5  # the wait, as KPIs compute it from the log
            assert call_log.recordings == [] and call_log.closed == [call.invite.call_id]
            kpis = queue_kpis(steps_of(call_log), "orders", *whole_day(), KpiSettings(short_abandon_seconds=0))
            assert (kpis.queued, kpis.answered, kpis.abandoned, kpis.short_abandons) == (1, 0, 1, 0)
            assert kpis.abandon_rate == 1 and kpis.average_abandon_time == seconds(abandon.mono) - seconds(enqueue.mono)

        await closing([caller], body)

    run(scenario)


def test_agent_who_does_not_answer_is_cancelled_and_the_call_passes_to_the_next(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, deaf, agent = await phones(
            ("13800138000", CALLER_MARK, "answer"), ("8001", 0x33, "ring"), ("8002", AGENT_MARK, "answer"))
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=deaf.uri, queues=("orders",)),
                 SeatConfig("agent-2", "seat-2", fixed_uri=agent.uri, queues=("orders",)))

        async def body() -> None:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, ring_timeout=1.0) as (engine, call_log):
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Answer)), what="the second agent's answer")
                await until(lambda: bool(deaf.incoming) and deaf.incoming[0].end_reason == "cancelled",
                            what="the CANCEL to the first phone")
                await asyncio.sleep(0.3)
                call.hangup()
                await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up end")
            assert call_log.kinds(call.invite.call_id) == [
                CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.OFFER, CallStep.RING,
                CallStep.ANSWER, CallStep.HANGUP, CallStep.WRAPUP_END]
            assert [e.agent for e in events_of(call_log, Offer)] == ["agent-1", "agent-2"]
            assert [e.agent for e in events_of(call_log, Answer)] == ["agent-2"]

        await closing([caller, deaf, agent], body)

    run(scenario)


def test_a_call_from_outside_the_trunks_is_refused_403_and_logs_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        (caller,) = await phones(("13800138000", CALLER_MARK, "answer"))

        async def body() -> None:
            async with running(tmp_path, Route(DNIS, queue="orders"), (), trunk="192.0.2.1") as (engine, call_log):
                call = caller.dial(engine_uri(engine))
                assert await call.wait_answer() == 403
            assert call_log.events == []

        await closing([caller], body)

    run(scenario)


def test_wrap_up_ends_when_the_queue_s_wrap_up_time_has_passed_after_the_hang_up(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, agent = await phones(("13800138000", CALLER_MARK, "answer"), ("8001", AGENT_MARK, "answer"))
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)

        async def body() -> None:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, wrap_up=0.5) as (engine, call_log):
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Answer)), what="the agent's answer")
                call.hangup()
                await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up end")
                assert call_log.closed == [call.invite.call_id]
            (hangup,) = events_of(call_log, Hangup)
            (wrapup,) = [e for e in call_log.events if e.kind is CallStep.WRAPUP_END]
            assert wrapup.agent == "agent-1" and wrapup.mono - hangup.mono >= 0.5
            states = [(e.agent, str(e.state)) for e in call_log.agent_states]
            assert states[-4:] == [("agent-1", "ringing"), ("agent-1", "on_call"), ("agent-1", "wrap_up"),
                                   ("agent-1", "ready")]

        await closing([caller, agent], body)

    run(scenario)

"""The callback dialer over real SIP: agent first, then the customer; outcomes, retries, missed agents, holds."""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

from hotline.telephony.acd.agent import NO_ANSWER_REASON
from hotline.telephony.callback.model import CallbackSettings, DialResult, Reason, Status
from hotline.telephony.callbacks import CallbackConfig
from hotline.telephony.engine import Engine, SeatConfig
from hotline.telephony.events import AgentState, Arrive, CallStep, Direction
from hotline.telephony.memory import MemoryCallbackStore
from hotline.telephony.ports import Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, events_of, run, running
from .phones import Phone, until

CUSTOMER = "13900139000"
ALL_DAY = CallbackSettings(window_start=datetime.time(0), window_end=datetime.time(23, 59, 59, 999999),
                           retry_interval_seconds=600)


async def capture(engine: Engine, number: str = CUSTOMER) -> int:
    caught = await engine.callbacks.capture(number, DNIS, None, "c-1", Reason.SURGE, engine.wall())
    assert caught is not None
    return caught.callback_id


def window_excluding(now: datetime.time) -> CallbackSettings:
    """A calling window of one hour on the same day that does not hold `now` (UTC, the dialer's default zone):
    the afternoon when it is morning, the small hours otherwise. A window built from now + 2 h would cross
    midnight late in the evening, which the settings refuse."""
    start = datetime.time(13) if now < datetime.time(12) else datetime.time(1)
    return CallbackSettings(window_start=start, window_end=start.replace(hour=start.hour + 1))


def test_the_window_used_to_close_the_dialer_never_holds_the_hour_it_is_built_for() -> None:
    for hour in range(24):
        for now in (datetime.time(hour), datetime.time(hour, 59, 59)):
            window = window_excluding(now)
            assert window.window_start < window.window_end and not window.window_start <= now < window.window_end


def dialer(policy: CallbackSettings = ALL_DAY) -> CallbackConfig:
    return CallbackConfig(policy=policy, queue="orders", tick_seconds=0.1, ring_seconds=1.0)


def test_the_dialer_rings_a_ready_agent_first_then_the_customer_and_logs_the_answer(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent, customer = await Phone("8001", AGENT_MARK).start(), await Phone("customer", CALLER_MARK).start()
        gateway = f"sip:{{number}}@127.0.0.1:{customer.listeners.udp_address[1]}"
        store = MemoryCallbackStore()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, outbound_gateway=gateway,
                               callbacks=dialer(), callback_store=store) as (engine, call_log):
                callback_id = await capture(engine)
                await until(lambda: len(customer.incoming) == 1, what="the customer's phone")
                assert engine.dispatcher.agent("agent-1").state is AgentState.NOT_READY  # reserved meanwhile
                assert agent.incoming[0].caller == f"sip:{CUSTOMER}@127.0.0.1"  # the agent sees whom they call
                await until(lambda: engine.callbacks.book.get(callback_id).status is Status.ANSWERED, what="answer")
                customer.incoming[0].hangup()
                await until(lambda: engine.dispatcher.agent("agent-1").state is AgentState.READY, what="ready again")
                await engine.flush_log()
        finally:
            await agent.close()
            await customer.close()
        assert [(c.kind, c.status, c.dial_attempts) for c in store.changes] == [
            ("reserved", "reserved", 0), ("dialled", "dialling", 1), ("answered", "answered", 1)]
        dial_call = store.changes[1].call_id
        assert store.changes[2].call_id == dial_call and store.changes[2].last_result == "answered"
        (arrive,) = events_of(call_log, Arrive)
        assert (arrive.call_id, arrive.direction, arrive.caller, arrive.agent, arrive.callback_id) == (
            dial_call, Direction.OUTBOUND, CUSTOMER, "agent-1", callback_id)
        assert call_log.kinds(dial_call) == [CallStep.ARRIVE, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP]

    run(scenario)


def test_a_busy_customer_is_retried_later_and_an_agent_who_does_not_answer_costs_no_attempt(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent, customer = await Phone("8001", AGENT_MARK).start(), await Phone("customer", CALLER_MARK, "busy").start()
        lazy = await Phone("8002", AGENT_MARK, "ring").start()
        gateway = f"sip:{{number}}@127.0.0.1:{customer.listeners.udp_address[1]}"
        store = MemoryCallbackStore()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),
                 SeatConfig("agent-2", "seat-2", fixed_uri=lazy.uri, queues=("orders",), ready=False))
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, outbound_gateway=gateway,
                               callbacks=dialer(), callback_store=store, ring_timeout=0.5) as (engine, _log):
                busy = await capture(engine)
                await until(lambda: engine.callbacks.book.get(busy).last_result is DialResult.BUSY, what="busy")
                retry = engine.callbacks.book.get(busy)
                assert (retry.status, retry.dial_attempts) == (Status.PENDING, 1)
                assert retry.not_before - engine.clock.now() > 590  # not again for ten minutes
                await until(lambda: engine.dispatcher.agent("agent-1").state is AgentState.READY, what="agent back")
                engine.apply(engine.dispatcher.not_ready("agent-1", "lunch"))
                engine.apply(engine.dispatcher.ready("agent-2"))
                missed = await capture(engine, "13900139001")
                await until(lambda: engine.dispatcher.agent("agent-2").state is AgentState.NOT_READY
                            and engine.dispatcher.agent("agent-2").reason == NO_ANSWER_REASON, what="the miss")
                await engine.flush_log()
                after_miss = engine.callbacks.book.get(missed)
        finally:
            for phone in (agent, customer, lazy):
                await phone.close()
        assert (after_miss.status, after_miss.dial_attempts) == (Status.PENDING, 0)
        assert [(c.callback_id, c.kind) for c in store.changes] == [
            (busy, "reserved"), (busy, "dialled"), (busy, "retry_scheduled"), (missed, "reserved"),
            (missed, "released")]
        assert store.changes[2].last_result == "busy" and store.changes[2].not_before is not None
        assert len(lazy.incoming) == 1 and [c.called.split("@")[0] for c in customer.incoming] == [f"sip:{CUSTOMER}"]

    run(scenario)


def test_the_dialer_waits_while_a_live_caller_waits_anywhere_and_outside_the_calling_window(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, agent = await Phone("13800138001", CALLER_MARK).start(), await Phone("8001", AGENT_MARK).start()
        customer = await Phone("customer", CALLER_MARK).start()
        gateway = f"sip:{{number}}@127.0.0.1:{customer.listeners.udp_address[1]}"
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        closed_now = window_excluding(datetime.datetime.now(datetime.UTC).time())
        try:
            async with running(tmp_path, Route(DNIS, queue="after_sales"), seats, outbound_gateway=gateway,
                               callbacks=dialer()) as (engine, _log):
                # A caller waits in after_sales, which nobody staffs; agent-1 (orders) is ready and idle.
                waiting = await call_in(engine, caller)
                await until(lambda: engine.dispatcher.is_queued(waiting.invite.call_id), what="a caller in line")
                await capture(engine)
                await asyncio.sleep(0.5)  # five dialer ticks: a live caller waiting anywhere comes first
                assert customer.incoming == [] and agent.incoming == []
                assert engine.dispatcher.agent("agent-1").state is AgentState.READY
                waiting.hangup()
                await until(lambda: len(customer.incoming) == 1, what="the callback once nobody waits")
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, outbound_gateway=gateway,
                               callbacks=dialer(closed_now)) as (engine, _log):
                await capture(engine)
                await asyncio.sleep(0.5)
                assert len(customer.incoming) == 1 and engine.callbacks.book.in_calling_window() is False
        finally:
            for phone in (caller, agent, customer):
                await phone.close()

    run(scenario)


def test_an_agent_who_hangs_up_while_the_customer_rings_costs_the_customer_no_attempt(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent, customer = await Phone("8001", AGENT_MARK).start(), await Phone("customer", CALLER_MARK, "ring").start()
        gateway = f"sip:{{number}}@127.0.0.1:{customer.listeners.udp_address[1]}"
        store = MemoryCallbackStore()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, outbound_gateway=gateway,
                               callbacks=dialer(), callback_store=store) as (engine, _log):
                callback_id = await capture(engine)
                await until(lambda: len(customer.incoming) == 1, what="the customer's phone ringing")
                engine.callbacks.stop()  # no second dial in this test
                engine.callbacks.stopping = False
                agent.incoming[0].hangup()
                await until(lambda: engine.callbacks.book.get(callback_id).status is Status.PENDING, what="aborted")
                await engine.flush_log()
                after = engine.callbacks.book.get(callback_id)
        finally:
            await agent.close()
            await customer.close()
        assert (after.dial_attempts, after.last_result) == (0, None)
        assert [(c.kind, c.status, c.dial_attempts) for c in store.changes] == [
            ("reserved", "reserved", 0), ("dialled", "dialling", 1), ("released", "pending", 0)]

    run(scenario)

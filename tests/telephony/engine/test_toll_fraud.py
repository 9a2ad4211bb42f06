"""Toll fraud through callbacks, over real SIP: callers presenting international, premium or no caller IDs who
hang up in the queue are captured and held for a person, never dialled, while a Chinese mobile is called back
as before; a caller whose number we cannot read hears that we could not read it; click-to-dial and the
callback dialer share one policy and one daily count."""

from __future__ import annotations

import asyncio
import datetime
import shutil
from pathlib import Path

import pytest

from hotline.telephony.callback.model import CallbackSettings, Reason, Status
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.callbacks import CallbackConfig
from hotline.telephony.control import ControlError, EngineControl
from hotline.telephony.dial_policy import DialPolicy, DialSettings
from hotline.telephony.engine import SeatConfig
from hotline.telephony.memory import MemoryCallbackStore
from hotline.telephony.ports import Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, run, running, short_prompts
from .phones import Phone, until

ALL_DAY = CallbackSettings(window_start=datetime.time(0), window_end=datetime.time(23, 59, 59, 999999))
DIALLER = CallbackConfig(policy=ALL_DAY, queue="orders", tick_seconds=0.1, ring_seconds=2.0)
FRAUD = {"00882130000001": "international", "9001234567": "premium", "anonymous": "no_caller_id"}
CUSTOMER = "13800138001"


def test_foreign_premium_and_anonymous_abandons_are_held_never_dialled_and_a_chinese_mobile_is(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        callers = [await Phone(name, CALLER_MARK).start() for name in (*FRAUD, CUSTOMER)]
        talker = await Phone("13800138999", CALLER_MARK).start()  # keeps the only agent busy meanwhile
        agent = await Phone("8001", AGENT_MARK).start()
        gateway_phone = await Phone("gateway", CALLER_MARK).start()  # the outbound gateway: every dial lands here
        gateway = f"sip:{{number}}@127.0.0.1:{gateway_phone.listeners.udp_address[1]}"
        store = MemoryCallbackStore()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        surge = SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=0.3, offer_key="")
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, surge=surge, callback_store=store,
                               outbound_gateway=gateway, callbacks=DIALLER) as (engine, _log):
                talking = await call_in(engine, talker)
                await until(lambda: engine.sessions[talking.invite.call_id].agent_leg is not None, what="answer")
                calls = [await call_in(engine, caller) for caller in callers]
                await until(lambda: all(engine.dispatcher.is_queued(c.invite.call_id) for c in calls), what="queued")
                await asyncio.sleep(0.5)  # past the short-abandon threshold: each hang-up asks for a callback
                for call in calls:
                    call.hangup()
                await until(lambda: len(store.captures) == 4, what="four abandons captured")
                talking.hangup()  # the agent is free: the dialer may call back now
                await until(lambda: len(gateway_phone.incoming) == 1, what="the Chinese caller dialled")
                customer_id = next(c.callback_id for c in store.callbacks.values() if c.number == CUSTOMER)
                await until(lambda: engine.callbacks.book.get(customer_id).status is Status.ANSWERED, what="answer")
                gateway_phone.incoming[0].hangup()
                await until(lambda: engine.dispatcher.agent("agent-1").state.value == "ready", what="ready again")
                await asyncio.sleep(1.0)  # ten dialer ticks with a ready agent: nothing else is dialled
                await engine.flush_log()
        finally:
            for phone in (*callers, talker, agent, gateway_phone):
                await phone.close()
        assert [call.called.split("@")[0] for call in gateway_phone.incoming] == [f"sip:{CUSTOMER}"]
        assert len(agent.incoming) == 2  # the talker's call, then the Chinese caller's callback only
        rows = {c.number: (c.status, c.not_dialled, c.reason) for c in store.callbacks.values()}
        assert rows == {
            "00882130000001": ("held", "international", "abandoned"),
            "9001234567": ("held", "premium", "abandoned"),
            "anonymous": ("held", "no_caller_id", "abandoned"),
            CUSTOMER: ("answered", "", "abandoned"),
        }
        held_ids = {c.callback_id for c in store.callbacks.values() if c.status == "held"}
        assert not any(change.callback_id in held_ids for change in store.changes)  # the dialer never touched them

    run(scenario)


def test_a_caller_without_a_caller_id_taken_by_the_automatic_seat_hears_that_we_could_not_read_the_number(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        prompts = short_prompts(tmp_path / "prompts", 0.4, "callback_confirmed")  # 20 frames
        no_number = short_prompts(tmp_path / "other", 0.2, "callback_no_number")  # 10 frames
        (prompts / "callback_no_number.wav").unlink()
        shutil.copy(no_number / "callback_no_number.wav", prompts / "callback_no_number.wav")
        callers = [await Phone(name, CALLER_MARK).start() for name in ("anonymous", CUSTOMER)]
        store = MemoryCallbackStore()
        surge = SurgeSettings(abandon_callback_seconds=None)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), (), surge=surge, callback_store=store,
                               prompts=prompts) as (engine, _log):
                for caller in callers:  # nobody staffs the queue: the automatic seat takes each caller
                    call = await call_in(engine, caller)
                    assert await asyncio.wait_for(call.wait_ended(), 10) == "remote bye"
        finally:
            for phone in callers:
                await phone.close()
        confirmation = [caller.rtp.received for caller in callers]
        assert confirmation == [10, 20]  # the whole "we could not read your number", then the BYE
        assert [(c.number, c.reason, c.not_dialled) for c in store.captures] == [
            ("anonymous", Reason.SURGE.value, "no_caller_id"), (CUSTOMER, Reason.SURGE.value, "")]

    run(scenario)


def test_one_policy_for_every_path_click_to_dial_refuses_and_counts_against_the_callbacks_daily_limit(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        agent = await Phone("8001", AGENT_MARK).start()
        gateway_phone = await Phone("gateway", CALLER_MARK).start()
        gateway = f"sip:{{number}}@127.0.0.1:{gateway_phone.listeners.udp_address[1]}"
        store = MemoryCallbackStore()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, outbound_gateway=gateway,
                               callbacks=DIALLER, callback_store=store) as (engine, call_log):
                engine.dial_policy = DialPolicy(DialSettings(per_number_daily=1), lambda: datetime.date(2026, 12, 7))
                control = EngineControl(engine)
                for number, why in (("00882130000001", "international"), ("9001234567", "premium"),
                                    ("95588", "service")):
                    with pytest.raises(ControlError) as error:
                        await control.click_to_dial("agent-1", number)
                    assert (error.value.code, str(error.value)) == ("not_dialled", why)
                assert engine.dispatcher.agent("agent-1").state.value == "ready" and agent.incoming == []
                first = await control.click_to_dial("agent-1", CUSTOMER)  # the number's one dial of the day
                await until(lambda: len(gateway_phone.incoming) == 1, what="the customer's phone")
                gateway_phone.incoming[0].hangup()
                await until(lambda: first in call_log.closed, what="the outbound record")
                await until(lambda: engine.dispatcher.agent("agent-1").state.value == "ready", what="ready again")
                with pytest.raises(ControlError) as error:
                    await control.click_to_dial("agent-1", CUSTOMER)
                assert (error.value.code, str(error.value)) == ("not_dialled", "number_limit")
                caught = await engine.callbacks.capture(CUSTOMER, DNIS, None, "c-1", Reason.ABANDONED, engine.wall())
                assert caught is not None and caught.confirmation == "callback_confirmed"
                await until(lambda: store.callbacks[caught.callback_id].status == "held", what="the hold")
                await engine.flush_log()
        finally:
            for phone in (agent, gateway_phone):
                await phone.close()
        assert len(gateway_phone.incoming) == 1 and len(agent.incoming) == 1
        assert store.callbacks[caught.callback_id].not_dialled == "number_limit"
        assert [(c.kind, c.status, c.not_dialled, c.dial_attempts) for c in store.changes] == [
            ("not_dialled", "held", "number_limit", 0)]

    run(scenario)

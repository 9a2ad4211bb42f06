"""The automatic seat on a trunk that takes early media: the confirmation is heard before any answer (183),
then the call is refused (480), so the caller is not charged and the line is free at once."""

from __future__ import annotations

from pathlib import Path

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.config import EngineConfig
from hotline.telephony.engine import Engine
from hotline.telephony.events import CallStep, Hangup, HangupCause, HangupParty
from hotline.telephony.memory import MemoryCallbackStore, MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Route
from hotline.telephony.sip.trunks import Trunk

from .helpers import CALLER_MARK, DNIS, engine_uri, events_of, run, short_prompts
from .phones import Phone, until

CONFIRMATION_FRAMES = 20  # the test confirmation: 0.4 s of tone = 20 frames of 20 ms


def test_a_caller_captured_on_an_early_media_trunk_hears_the_confirmation_unanswered_then_480(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await Phone("13800138001", CALLER_MARK).start()
        store = MemoryCallbackStore()
        call_log = MemoryCallLog()
        config = EngineConfig(
            sip_port=0, trunks=(Trunk.of("carrier", ["127.0.0.1"], early_media_capture=True),),
            queues=(QueueConfig("orders"),), recordings=tmp_path, hold_music=None,
            surge=SurgeSettings(lines=1, occupancy_threshold=0.5),  # the one line in use: every caller captured
            prompts=short_prompts(tmp_path / "prompts", 0.4, "callback_confirmed"))
        engine = Engine(config, call_log, MemoryDirectory({DNIS: Route(DNIS, queue="orders")}), MemoryEventBus(),
                        callback_store=store)
        await engine.start()
        try:
            call = caller.dial(engine_uri(engine))
            assert await call.wait_answer() == 480  # refused after the confirmation: never answered
            await until(lambda: call.invite.call_id in call_log.closed, what="the record")
            await until(lambda: engine.surge.lines_in_use() == 0, what="the line freed")
            await engine.flush_log()
        finally:
            await engine.stop()
            await caller.close()
        assert call.dialog is None  # no 2xx: no dialog, nothing charged
        assert caller.rtp.received == CONFIRMATION_FRAMES  # the whole confirmation, as early media (183)
        assert [(c.number, c.reason) for c in store.captures] == [("13800138001", "surge")]
        assert call_log.kinds(call.invite.call_id) == [CallStep.ARRIVE, CallStep.CALLBACK_REQUEST, CallStep.HANGUP]
        (hangup,) = events_of(call_log, Hangup)
        assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.NORMAL)

    run(scenario)

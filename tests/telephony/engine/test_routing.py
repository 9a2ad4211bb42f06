"""Engine set-up and routing: a bad config fails at construction; a number we do not serve gets 404."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.engine import EngineConfig, SeatConfig
from hotline.telephony.ports import Route

from .helpers import CALLER_MARK, DNIS, run, running
from .phones import Phone


def test_a_seat_in_an_unknown_queue_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown queues"):
        seat = SeatConfig("a1", "s1", fixed_uri="sip:a@h", queues=("x",))
        EngineConfig(queues=(QueueConfig("orders"),), seats=(seat,))


def test_a_seat_without_a_phone_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="fixed URI or a SIP user name"):
        EngineConfig(seats=(SeatConfig("a1", "s1"),))


def test_a_call_to_a_number_without_a_route_gets_404_and_logs_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await Phone("13800138000", CALLER_MARK).start()
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), ()) as (engine, call_log):
                host, port = engine.sip_address
                call = caller.dial(f"sip:4009999999@{host}:{port}")
                assert await call.wait_answer() == 404
                assert engine.sessions == {}
        finally:
            await caller.close()
        assert call_log.events == []

    run(scenario)

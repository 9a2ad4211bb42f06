"""RFC 4733 digits from real packets, and the RTP-timeout callback."""

from __future__ import annotations

import asyncio
import logging

import pytest

from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import LegKey

from .helpers import Phone, eventually, run
from .test_relay import CALLER, bridged_pair

LEG = LegKey("c1", "caller")


def test_telephone_events_become_one_digit_each_with_end_packets_deduplicated() -> None:
    async def main() -> str:
        plane = LocalMediaPlane()
        phone = await Phone.open(await plane.allocate(LEG))
        await plane.set_remote(LEG, phone.remote(event_pt=96))
        digits: list[str] = []
        plane.on_dtmf(LEG, digits.append)
        for digit in "1123456789*0#ABCD":
            phone.send_digit(digit, event_pt=96)
            phone.send_audio(bytes(160))
        phone.send_digit("5", event_pt=101)  # not the negotiated event type: audio, not a digit
        await eventually(lambda: len(digits) >= 17 and plane._legs[LEG].rx_packets == 17 * 7 + 6)
        await plane.close()
        return "".join(digits)

    assert run(main) == "1123456789*0#ABCD"


def test_rtp_timeout_fires_once_after_packets_stop() -> None:
    async def main() -> tuple[int, int]:
        plane = LocalMediaPlane(watch_interval=0.02)
        phone = await Phone.open(await plane.allocate(LEG))
        await plane.set_remote(LEG, phone.remote())
        fired: list[int] = []
        plane.on_timeout(LEG, 0.1, lambda: fired.append(plane._legs[LEG].rx_packets))
        for _ in range(5):
            phone.send_audio(bytes(160))
        await eventually(lambda: bool(fired))
        await asyncio.sleep(0.2)
        await plane.close()
        return len(fired), fired[0]

    assert run(main) == (1, 5)


def test_a_failing_dtmf_listener_does_not_stop_the_relay(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[int, str]:
        plane = LocalMediaPlane()
        caller, agent = await bridged_pair(plane)
        heard: list[str] = []

        def broken(digit: str) -> None:
            raise RuntimeError("listener bug")

        plane.on_dtmf(CALLER, broken)
        plane.on_dtmf(CALLER, heard.append)
        caller.send_digit("7")
        await agent.wait_for(6)
        await plane.close()
        return len(agent.received), "".join(heard)

    with caplog.at_level(logging.ERROR):
        assert run(main) == (6, "7")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["DTMF listener for leg LegKey(call_id='c1', tag='caller') failed"]

"""Two fake phones bridged through the in-process media plane over real UDP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import LegKey, MediaPlane, MediaPlaneError, Remote
from hotline.telephony.media.rtp import packet

from .helpers import Phone, run

CALLER, AGENT = LegKey("c1", "caller"), LegKey("c2", "agent")


async def bridged_pair(plane: LocalMediaPlane, caller_codec: Codec = Codec.PCMA,
                       agent_codec: Codec = Codec.PCMA) -> tuple[Phone, Phone]:
    caller = await Phone.open(await plane.allocate(CALLER), caller_codec, ssrc=111)
    agent = await Phone.open(await plane.allocate(AGENT), agent_codec, ssrc=222)
    await plane.set_remote(CALLER, caller.remote())
    await plane.set_remote(AGENT, agent.remote())
    await plane.bridge(CALLER, AGENT)
    return caller, agent


async def exchange(caller: Phone, agent: Phone, count: int) -> None:
    """Send `count` frames each way in bursts of 10, waiting for each burst to arrive (no loss by pacing)."""
    for burst in range(0, count, 10):
        for _ in range(burst, min(count, burst + 10)):
            caller.send_audio(bytes([0x11]) * 160)
            agent.send_audio(bytes([0x22]) * 160)
        await agent.wait_for(min(count, burst + 10))
        await caller.wait_for(min(count, burst + 10))


@pytest.mark.parametrize("loop_factory", [None, asyncio.new_event_loop], ids=["uvloop", "asyncio"])
def test_bridged_phones_hear_each_other_with_exact_counts_and_unchanged_bytes(loop_factory: object) -> None:
    async def main() -> tuple[int, int, bool, bool]:
        plane = LocalMediaPlane()
        caller, agent = await bridged_pair(plane)
        await exchange(caller, agent, 50)
        await asyncio.sleep(0.05)
        sent_by_caller = packet(8, 0, 0, 111, bytes([0x11]) * 160)
        result = (len(caller.received), len(agent.received), agent.received[0] == sent_by_caller,
                  all(p[12:] == bytes([0x22]) * 160 for p in caller.received))
        await plane.close()
        return result

    assert run(main, loop_factory) == (50, 50, True, True)  # type: ignore[arg-type]


def test_relay_latches_to_the_actual_source_address_and_ignores_others() -> None:
    async def main() -> tuple[int, int, int]:
        plane = LocalMediaPlane()
        caller, agent = await bridged_pair(plane)
        stranger = await Phone.open(await plane.allocate(LegKey("x", "x")))
        natted = await Phone.open(await plane.allocate(LegKey("x", "y")))
        natted.target = caller.target  # the caller's real packets come from another port than its SDP said
        await plane.set_remote(CALLER, Remote(stranger.address, Codec.PCMA))
        natted.send_audio(bytes(160))
        await agent.wait_for(1)
        caller.send_audio(bytes(160))  # now a stranger for the latched leg: dropped
        agent.send_audio(bytes(160))
        await natted.wait_for(1)
        await asyncio.sleep(0.05)
        result = (len(natted.received), len(stranger.received), len(agent.received))
        await plane.close()
        return result

    assert run(main) == (1, 0, 1)


def test_the_sdp_address_takes_over_from_a_stale_sender_that_latched_first() -> None:
    async def main() -> tuple[int, int]:
        plane = LocalMediaPlane()
        caller, agent = await bridged_pair(plane)
        stale = await Phone.open(await plane.allocate(LegKey("x", "x")))
        stale.target = caller.target  # a call cut by a restart, still streaming to this (reused) port
        stale.send_audio(bytes(160))
        await agent.wait_for(1)
        caller.send_audio(bytes(160))  # the phone the SDP named: latched from now on
        await agent.wait_for(2)
        agent.send_audio(bytes(160))
        await caller.wait_for(1)
        stale.send_audio(bytes(160))  # the stale sender is now the stranger, dropped
        await asyncio.sleep(0.05)
        result = (len(caller.received), len(agent.received))
        await plane.close()
        return result

    assert run(main) == (1, 2)


def test_different_codecs_are_transcoded_and_payload_types_rewritten() -> None:
    async def main() -> tuple[tuple[int, bytes], tuple[int, bytes]]:
        plane = LocalMediaPlane()
        caller, agent = await bridged_pair(plane, Codec.PCMA, Codec.PCMU)
        caller.send_audio(bytes([0xD5]) * 160)
        agent.send_audio(bytes([0xFF]) * 160)
        await agent.wait_for(1)
        await caller.wait_for(1)
        result = ((agent.received[0][1], agent.received[0][12:]), (caller.received[0][1], caller.received[0][12:]))
        await plane.close()
        return result

    to_agent, to_caller = run(main)
    assert to_agent == (0, bytes([g711.linear_to_ulaw(8)]) * 160)
    assert to_caller == (8, bytes([0xD5]) * 160)


def test_unbridged_legs_relay_nothing_and_unknown_legs_are_refused() -> None:
    async def main() -> int:
        plane = LocalMediaPlane()
        caller, agent = await bridged_pair(plane)
        await plane.unbridge(AGENT)
        caller.send_audio(bytes(160))
        agent.send_audio(bytes(160))
        await asyncio.sleep(0.1)
        with pytest.raises(MediaPlaneError):
            await plane.bridge(CALLER, LegKey("nope", "x"))
        await plane.release(CALLER)
        with pytest.raises(MediaPlaneError):
            await plane.play(CALLER, Path("x.wav"))
        result = len(caller.received) + len(agent.received)
        await plane.close()
        return result

    assert run(main) == 0


def test_the_local_plane_implements_the_media_plane_protocol() -> None:
    async def main() -> bool:
        plane: MediaPlane = LocalMediaPlane()  # checked by mypy
        endpoint = await plane.allocate(CALLER)
        await plane.release(CALLER)
        return endpoint.port > 0

    assert run(main)

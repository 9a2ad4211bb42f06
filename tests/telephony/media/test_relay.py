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

from .helpers import FakeClock, Phone, eventually, run

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


def test_an_address_the_sdp_did_not_name_latches_after_the_latch_wait_and_the_old_one_is_dropped() -> None:
    clock = FakeClock()

    async def main() -> tuple[int, int, int, int]:
        plane = LocalMediaPlane(clock=clock)  # latch wait: 0.5 s
        caller, agent = await bridged_pair(plane)
        leg = plane._legs[CALLER]
        silent = await Phone.open(await plane.allocate(LegKey("x", "x")))
        natted = await Phone.open(await plane.allocate(LegKey("x", "y")))
        natted.target = caller.target  # the caller's real packets come from another port than its SDP said
        await plane.set_remote(CALLER, Remote(silent.address, Codec.PCMA))
        natted.send_audio(bytes(160))  # the first packet from there: dropped, the wait starts
        await eventually(lambda: leg.strays == 1)
        clock.now += 0.49
        natted.send_audio(bytes(160))  # still within the wait: dropped
        await eventually(lambda: leg.strays == 2)
        clock.now += 0.01
        natted.send_audio(bytes(160))  # the SDP address stayed silent for the wait: latched and relayed
        await agent.wait_for(1)
        caller.send_audio(bytes(160))  # now a stranger for the latched leg: dropped
        agent.send_audio(bytes(160))  # goes to the latched address, not to the silent SDP one
        await natted.wait_for(1)
        await eventually(lambda: leg.strays == 3)
        result = (len(natted.received), len(silent.received), len(agent.received), leg.strays)
        await plane.close()
        return result

    assert run(main) == (1, 0, 1, 3)


STALE, REAL = bytes([0x55]) * 160, bytes([0x11]) * 160


def test_a_stale_sender_to_a_reused_port_is_never_relayed_nor_latched_while_the_sdp_phone_talks() -> None:
    """The SIGKILL run: callers cut by the restart still stream to ports the new engine gives to new calls."""
    clock = FakeClock()

    async def main() -> tuple[list[bytes], int, list[bytes], int]:
        plane = LocalMediaPlane(clock=clock)
        caller, agent = await bridged_pair(plane)
        leg = plane._legs[CALLER]
        stale = await Phone.open(await plane.allocate(LegKey("x", "x")), ssrc=999)
        stale.target = caller.target
        for _ in range(5):  # the stale sender gets there first, 0.4 s before the caller's phone
            stale.send_audio(STALE)
            clock.now += 0.08
        await eventually(lambda: leg.strays == 5)
        for _ in range(10):
            stale.send_audio(STALE)
            caller.send_audio(REAL)
            agent.send_audio(bytes([0x22]) * 160)
        await agent.wait_for(10)
        await caller.wait_for(10)
        clock.now += 5.0  # long past the latch wait: the stale sender still never latches
        for _ in range(5):
            stale.send_audio(STALE)
        await eventually(lambda: leg.strays == 20)
        result = ([data[12:] for data in agent.received], len(stale.received), caller.received, leg.strays)
        await plane.close()
        return result

    to_agent, to_stale, to_caller, strays = run(main)
    assert (to_agent, to_stale, len(to_caller), strays) == ([REAL] * 10, 0, 10, 20)


def test_a_stale_sender_latches_only_when_the_sdp_phone_is_silent_for_the_wait_and_loses_the_port_to_it() -> None:
    """The residual risk, bounded: a phone that sends nothing for the latch wait, then the SDP address wins."""
    clock = FakeClock()

    async def main() -> tuple[list[bytes], int, int]:
        plane = LocalMediaPlane(clock=clock)
        caller, agent = await bridged_pair(plane)
        leg = plane._legs[CALLER]
        stale = await Phone.open(await plane.allocate(LegKey("x", "x")), ssrc=999)
        stale.target = caller.target
        stale.send_audio(STALE)
        await eventually(lambda: leg.strays == 1)
        clock.now += 0.5
        stale.send_audio(STALE)  # latched: the SDP phone sent nothing for the whole wait
        await agent.wait_for(1)
        agent.send_audio(bytes([0x22]) * 160)
        await stale.wait_for(1)
        caller.send_audio(REAL)  # the phone the SDP named takes over at its first packet
        await agent.wait_for(2)
        stale.send_audio(STALE)
        agent.send_audio(bytes([0x22]) * 160)
        await caller.wait_for(1)
        await eventually(lambda: leg.strays == 2)
        result = ([data[12:] for data in agent.received], len(stale.received), len(caller.received))
        await plane.close()
        return result

    assert run(main) == ([STALE, REAL], 1, 1)


def test_a_remote_without_nat_latches_only_its_sdp_address_however_long_another_one_sends() -> None:
    clock = FakeClock()

    async def main() -> tuple[list[bytes], int, int]:
        plane = LocalMediaPlane(clock=clock)
        caller, agent = await bridged_pair(plane)
        leg = plane._legs[CALLER]
        await plane.set_remote(CALLER, Remote(caller.address, Codec.PCMA, nat=False))  # a trunk: the SDP is right
        stale = await Phone.open(await plane.allocate(LegKey("x", "x")), ssrc=999)
        stale.target = caller.target
        for _ in range(10):  # 9 s of a stale sender and a silent phone
            stale.send_audio(STALE)
            clock.now += 1.0
        await eventually(lambda: leg.strays == 10)
        agent.send_audio(bytes([0x22]) * 160)  # to the SDP address: the phone gets it, the stale sender not
        await caller.wait_for(1)
        caller.send_audio(REAL)
        await agent.wait_for(1)
        result = ([data[12:] for data in agent.received], len(stale.received), leg.strays)
        await plane.close()
        return result

    assert run(main) == ([REAL], 0, 10)


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

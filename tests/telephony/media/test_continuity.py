"""What a phone receives is one RTP stream across prompts, the relay, hold music and a new agent.

A phone's jitter buffer (baresip's among them) drops or resets on a new SSRC or a sequence jump; the plane
keeps one SSRC, sequence numbers +1, and timestamps that advance by the time that passed (here on a fake
clock, so the exact steps are known).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import LegKey
from hotline.telephony.media.rtp import packet

from .helpers import FakeClock, Phone, eventually, header, run, stream_steps, tone, write_wav
from .test_relay import AGENT, CALLER

SECOND_AGENT = LegKey("c3", "agent")
FIRST, SECOND = bytes([0x22]) * 160, bytes([0x33]) * 160


async def opened(plane: LocalMediaPlane, leg: LegKey, ssrc: int) -> Phone:
    phone = await Phone.open(await plane.allocate(leg), Codec.PCMA, ssrc)
    await plane.set_remote(leg, phone.remote())
    return phone


async def talk(phone: Phone, payload: bytes, frames: int, listener: Phone) -> None:
    """`frames` frames, each waited for at the listener (so the clock moves only between segments); counted
    by payload, as a frame of hold music may still be on its way."""

    def heard() -> int:
        return sum(1 for data in listener.received if data[12:] == payload)

    before = heard()
    for index in range(frames):
        phone.send_audio(payload)
        await eventually(lambda index=index: heard() == before + index + 1)


def test_prompt_agent_hold_agent_and_a_new_agent_reach_the_caller_as_one_stream(tmp_path: Path) -> None:
    clock = FakeClock()
    prompt = write_wav(tmp_path / "welcome.wav", tone(440, 5))
    music = write_wav(tmp_path / "music.wav", tone(300, 7))

    async def main() -> list[bytes]:
        plane = LocalMediaPlane(clock=clock, hold_music=music)
        caller = await opened(plane, CALLER, 111)
        agent, second = await opened(plane, AGENT, 222), await opened(plane, SECOND_AGENT, 333)
        done = asyncio.Event()
        await plane.play(CALLER, prompt, done.set)
        await done.wait()  # 5 frames; the prompt ends at 100.0
        clock.now += 1.0
        await plane.bridge(CALLER, AGENT)
        await talk(agent, FIRST, 3, caller)  # relayed: 1 s after the prompt ended
        await plane.hold(CALLER)  # the relay stops at 101.0, the music follows at once
        await caller.wait_for(12)
        await plane.stop_playing(CALLER)  # at 101.0
        clock.now += 2.0
        await talk(agent, FIRST, 3, caller)  # 2 s after the music stopped
        await plane.bridge(CALLER, SECOND_AGENT)  # a transfer at 103.0
        clock.now += 0.5
        await talk(second, SECOND, 2, caller)
        await plane.close()
        return caller.received

    received = run(main)
    ssrcs, seq_steps, ts_steps = stream_steps(received)
    payloads = [data[12:] for data in received]
    held = payloads.index(FIRST, 8) - 8
    assert (ssrcs, seq_steps) == ({header(received[0])[3]}, [1] * (len(received) - 1))
    assert payloads[5:8] == [FIRST] * 3 and payloads[8 + held:] == [FIRST] * 3 + [SECOND] * 2
    assert FIRST not in payloads[8 : 8 + held] and held >= 4
    assert ts_steps == ([160] * 4 + [160 + 8000] + [160] * 2  # prompt, then the agent a second later
                        + [160] * held  # the music right after the relay
                        + [160 + 16000] + [160] * 2  # the agent again, two seconds later
                        + [160 + 4000] + [160])  # the second agent, half a second later


def test_a_bridged_phone_that_heard_nothing_else_gets_the_far_phone_s_packets_unchanged() -> None:
    async def main() -> list[bytes]:
        plane = LocalMediaPlane()
        caller, agent = await opened(plane, CALLER, 111), await opened(plane, AGENT, 222)
        await plane.bridge(CALLER, AGENT)
        for index in range(3):
            await talk(agent, bytes([index]) * 160, 1, caller)
        await plane.close()
        return caller.received

    assert run(main) == [packet(8, index, 160 * index, 222, bytes([index]) * 160) for index in range(3)]

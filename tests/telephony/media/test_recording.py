"""Recording a bridged call to WAV: length by bridged time, gaps as silence, the right party per channel."""

from __future__ import annotations

import logging
import math
import struct
import wave
from pathlib import Path

import pytest

from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import RecordingMode

from .helpers import FakeClock, Phone, goertzel, run, tone_frames
from .test_relay import AGENT, CALLER, bridged_pair


async def talk(caller: Phone, agent: Phone, caller_frames: list[bytes], agent_frames: list[bytes]) -> None:
    """Both parties send their frames in bursts of 10; each burst is awaited at the far end (no loss)."""
    heard_by_agent, heard_by_caller = len(agent.received), len(caller.received)
    for start in range(0, max(len(caller_frames), len(agent_frames)), 10):
        for index in range(start, start + 10):
            if index < len(caller_frames):
                caller.send_audio(caller_frames[index])
            if index < len(agent_frames):
                agent.send_audio(agent_frames[index])
        await agent.wait_for(heard_by_agent + min(len(caller_frames), start + 10))
        await caller.wait_for(heard_by_caller + min(len(agent_frames), start + 10))


def read(path: Path) -> tuple[int, int, list[int]]:
    with wave.open(str(path), "rb") as reader:
        frames = reader.getnframes()
        data = reader.readframes(frames)
        return reader.getnchannels(), frames, list(struct.unpack(f"<{len(data) // 2}h", data))


def test_stereo_recording_of_a_3_second_call_has_its_length_and_each_party_on_its_channel(tmp_path: Path) -> None:
    clock = FakeClock()

    async def main() -> Path:
        plane = LocalMediaPlane(clock=clock)
        caller, agent = await bridged_pair(plane, Codec.PCMA, Codec.PCMU)
        await plane.start_recording("r1", CALLER, AGENT, tmp_path / "r1.wav", RecordingMode.STEREO)
        await talk(caller, agent, tone_frames(600, 150, Codec.PCMA), tone_frames(1500, 150, Codec.PCMU))
        clock.now += 3.0
        path = await plane.stop_recording("r1")
        await plane.close()
        return path

    channels, frames, samples = read(run(main))
    left, right = samples[0::2], samples[1::2]
    assert (channels, abs(frames - 24000) <= 160) == (2, True)
    assert goertzel(left, 600) > 100 * goertzel(left, 1500)
    assert goertzel(right, 1500) > 100 * goertzel(right, 600)


def test_mono_recording_fills_a_timestamp_gap_with_silence_and_ends_at_hang_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    frames = tone_frames(800, 100, Codec.PCMA)

    async def main() -> None:
        plane = LocalMediaPlane(clock=clock)
        caller, agent = await bridged_pair(plane)
        await plane.start_recording("r2", CALLER, AGENT, tmp_path / "r2.wav", RecordingMode.MONO)
        await talk(caller, agent, frames[:50], [])
        caller.timestamp += 50 * 160  # 1 s of silence suppression: nothing sent
        await talk(caller, agent, frames[50:], [])
        clock.now += 3.0
        await plane.release(CALLER)  # hang-up writes the recording, once
        await plane.release(AGENT)
        await plane.flush()
        await plane.close()

    with caplog.at_level(logging.WARNING):
        run(main)
    assert caplog.records == []
    channels, length, samples = read(tmp_path / "r2.wav")

    def rms(part: list[int]) -> float:
        return math.sqrt(sum(s * s for s in part) / len(part))

    assert (channels, abs(length - 24000) <= 160) == (1, True)
    assert rms(samples[: 50 * 160]) > 3000
    assert rms(samples[50 * 160 : 100 * 160]) < 20
    assert rms(samples[100 * 160 : 150 * 160]) > 3000


def test_a_recording_is_cut_at_the_bridged_time_and_padded_with_silence(tmp_path: Path) -> None:
    clock = FakeClock()

    async def main() -> Path:
        plane = LocalMediaPlane(clock=clock)
        caller, agent = await bridged_pair(plane)
        await plane.start_recording("r3", CALLER, AGENT, tmp_path / "r3.wav", RecordingMode.STEREO)
        await talk(caller, agent, tone_frames(600, 20, Codec.PCMA), [])
        clock.now += 1.0
        path = await plane.stop_recording("r3")
        caller.send_audio(bytes(160))  # after the stop: relayed, not recorded
        await agent.wait_for(21)
        await plane.close()
        return path

    channels, frames, samples = read(run(main))
    assert (channels, frames) == (2, 8000)
    assert max(abs(s) for s in samples[1::2]) <= 8

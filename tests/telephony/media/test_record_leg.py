"""Recording one leg (voicemail): a mono WAV of exactly what that leg sent, finished by stop or hang-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import LegKey, MediaPlaneError, RecordingMode
from hotline.telephony.media.tones import hears, tone_frames

from .helpers import Phone, eventually, run
from .test_recording import FakeClock, read, talk
from .test_relay import AGENT, CALLER, bridged_pair

VOICEMAIL = LegKey("v1", "caller")


async def voicemail_phone(plane: LocalMediaPlane, codec: Codec) -> Phone:
    phone = await Phone.open(await plane.allocate(VOICEMAIL), codec, ssrc=555)
    await plane.set_remote(VOICEMAIL, phone.remote())
    return phone


async def leave_message(plane: LocalMediaPlane, phone: Phone, frames: list[bytes]) -> None:
    """Send the frames in bursts of 10, each burst waited for at the plane (nobody relays them back)."""
    for start in range(0, len(frames), 10):
        for frame in frames[start : start + 10]:
            phone.send_audio(frame)
        await arrived(plane, min(len(frames), start + 10))


async def arrived(plane: LocalMediaPlane, count: int) -> None:
    leg = plane._legs[VOICEMAIL]
    await eventually(lambda: leg.rx_packets == count)


@pytest.mark.parametrize("codec", list(Codec), ids=lambda codec: codec.name)
def test_a_one_second_message_is_a_mono_wav_of_exactly_the_decoded_frames(tmp_path: Path, codec: Codec) -> None:
    clock = FakeClock()
    frames = tone_frames(400, 1.0, codec)

    async def main() -> Path:
        plane = LocalMediaPlane(clock=clock)
        phone = await voicemail_phone(plane, codec)
        await plane.record_leg("vm1", VOICEMAIL, tmp_path / "vm1.wav")
        await leave_message(plane, phone, frames)
        clock.now += 1.0
        path = await plane.stop_recording("vm1")
        await plane.close()
        return path

    channels, length, samples = read(run(main))
    assert (channels, length) == (1, 8000)
    assert samples == list(memoryview(g711.decode(b"".join(frames), codec)).cast("h"))
    assert (hears(samples, 400), hears(samples, 1000)) == (True, False)


def test_hanging_up_finishes_the_message_at_its_length(tmp_path: Path) -> None:
    clock = FakeClock()

    async def main() -> None:
        plane = LocalMediaPlane(clock=clock)
        phone = await voicemail_phone(plane, Codec.PCMU)
        await plane.record_leg("vm2", VOICEMAIL, tmp_path / "vm2.wav")
        await leave_message(plane, phone, tone_frames(400, 0.5, Codec.PCMU))
        clock.now += 0.75  # a quarter second of silence before the hang-up
        await plane.release(VOICEMAIL)
        await plane.flush()
        with pytest.raises(MediaPlaneError):
            await plane.stop_recording("vm2")  # already finished by the hang-up
        await plane.close()

    run(main)
    channels, length, samples = read(tmp_path / "vm2.wav")
    assert (channels, length) == (1, 6000)
    assert (hears(samples[:4000], 400), max(abs(sample) for sample in samples[4000:])) == (True, 0)


def test_recording_one_leg_of_a_bridge_keeps_only_what_that_leg_sends(tmp_path: Path) -> None:
    clock = FakeClock()

    async def main() -> Path:
        plane = LocalMediaPlane(clock=clock)
        caller, agent = await bridged_pair(plane)
        await plane.record_leg("vm3", CALLER, tmp_path / "vm3.wav")
        await talk(caller, agent, tone_frames(400, 1.0, Codec.PCMA), tone_frames(1000, 1.0, Codec.PCMA))
        clock.now += 1.0
        path = await plane.stop_recording("vm3")
        await plane.close()
        return path

    channels, length, samples = read(run(main))
    assert (channels, length, hears(samples, 400), hears(samples, 1000)) == (1, 8000, True, False)


def test_a_leg_already_recorded_a_taken_id_and_an_unknown_leg_are_refused_and_change_nothing(tmp_path: Path) -> None:
    clock = FakeClock()

    async def main() -> tuple[int, Path]:
        plane = LocalMediaPlane(clock=clock)
        await bridged_pair(plane)
        await plane.start_recording("call", CALLER, AGENT, tmp_path / "call.wav", RecordingMode.STEREO)
        await voicemail_phone(plane, Codec.PCMA)
        refused = 0
        for recording_id, leg in (("vm4", AGENT), ("call", VOICEMAIL), ("vm4", LegKey("nope", "x"))):
            with pytest.raises(MediaPlaneError):
                await plane.record_leg(recording_id, leg, tmp_path / "vm4.wav")
            refused += 1
        await plane.record_leg("vm4", VOICEMAIL, tmp_path / "vm4.wav")  # the refusals left the leg free
        clock.now += 0.5
        await plane.stop_recording("vm4")
        path = await plane.stop_recording("call")
        await plane.close()
        return refused, path

    refused, path = run(main)
    assert (refused, read(path)[:2], read(tmp_path / "vm4.wav")[:2]) == (3, (2, 4000), (1, 4000))

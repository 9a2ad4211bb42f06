"""Recordings grow on disk during the call: a complete WAV after every spill, the same bytes as `wave` at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import RecordingMode
from hotline.telephony.media.tones import tone_frames

from .helpers import FakeClock, eventually, run, write_wav
from .test_record_leg import VOICEMAIL, arrived, voicemail_phone
from .test_recording import read, talk
from .test_relay import AGENT, CALLER, bridged_pair

HEADER = 44


def test_a_message_spilled_in_chunks_is_byte_for_byte_the_wav_of_all_its_frames(tmp_path: Path) -> None:
    clock = FakeClock()
    frames = tone_frames(400, 4.0, Codec.PCMU)
    path = tmp_path / "vm.wav"

    async def main() -> list[int]:
        plane = LocalMediaPlane(clock=clock, spill_every=0.01)
        phone = await voicemail_phone(plane, Codec.PCMU)
        await plane.record_leg("vm", VOICEMAIL, path)
        sizes = []
        for second in range(4):  # each second arrives, then the clock moves on and a spill writes what is settled
            for frame in frames[50 * second : 50 * (second + 1)]:
                phone.send_audio(frame)
            await arrived(plane, 50 * (second + 1))
            clock.now += 1.0
            written = HEADER + 2 * 8000 * max(0, second - 1)  # two seconds stay in memory (the margin)
            await eventually(lambda size=written: path.exists() and path.stat().st_size == size)
            sizes.append(path.stat().st_size)
        await plane.stop_recording("vm")
        await plane.close()
        return sizes

    sizes = run(main)
    expected = write_wav(tmp_path / "expected.wav", g711.decode(b"".join(frames), Codec.PCMU))
    assert sizes == [HEADER, HEADER, HEADER + 16000, HEADER + 32000]
    assert path.read_bytes() == expected.read_bytes()


def test_during_a_stereo_call_the_file_is_a_readable_wav_of_everything_spilled(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "call.wav"

    async def main() -> tuple[tuple[int, int, list[int]], tuple[int, int, list[int]]]:
        plane = LocalMediaPlane(clock=clock, spill_every=0.01)
        caller, agent = await bridged_pair(plane)
        await plane.start_recording("call", CALLER, AGENT, path, RecordingMode.STEREO)
        await talk(caller, agent, tone_frames(600, 3.0, Codec.PCMA), tone_frames(1500, 3.0, Codec.PCMA))
        clock.now += 3.0
        # 1 s spilled, the last 2 s still in memory
        await eventually(lambda: path.exists() and path.stat().st_size == HEADER + 4 * 8000)
        during = read(path)  # what a crash now would leave
        await plane.stop_recording("call")
        await plane.close()
        return during, read(path)

    (channels, frames, samples), (final_channels, final_frames, final_samples) = run(main)
    assert (channels, frames, final_channels, final_frames) == (2, 8000, 2, 24000)
    assert samples == final_samples[: 2 * 8000]


CRASHING = textwrap.dedent("""
    import asyncio, os, signal, sys
    from pathlib import Path
    from hotline.telephony.media.g711 import Codec
    from hotline.telephony.media.local import LocalMediaPlane
    from hotline.telephony.media.plane import LegKey, Remote
    from hotline.telephony.media.rtp import packet

    async def main():
        now = [100.0]
        plane = LocalMediaPlane(clock=lambda: now[0], spill_every=0.01)
        leg = LegKey("v", "caller")
        await plane.allocate(leg)
        await plane.set_remote(leg, Remote(("127.0.0.1", 9), Codec.PCMA))
        path = Path(sys.argv[1])
        await plane.record_leg("vm", leg, path)
        for index in range(250):  # 5 s of frames of the byte 0x2A, straight into the leg
            plane._legs[leg].datagram_received(packet(8, index, 160 * index, 7, bytes([0x2A]) * 160),
                                               ("127.0.0.1", 9))
        now[0] += 5.0
        while not path.exists() or path.stat().st_size < 44 + 2 * 3 * 8000:
            await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGKILL)

    asyncio.run(main())
""")


def test_a_sigkilled_engine_leaves_a_readable_recording_up_to_the_last_spill(tmp_path: Path) -> None:
    path = tmp_path / "vm.wav"
    ended = subprocess.run([sys.executable, "-c", CRASHING, str(path)], cwd=Path(__file__).parents[3], timeout=60,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])}, check=False)
    channels, frames, samples = read(path)
    assert (ended.returncode, channels, frames) == (-signal.SIGKILL, 1, 3 * 8000)
    assert set(samples) == {g711.alaw_to_linear(0x2A)}

"""Prompts and hold music from the shared 20 ms ticker: frame counts, RTP headers, shared position."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path

import pytest

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import LegKey, MediaPlaneError

from .helpers import Phone, header, run, tone, write_wav

LEG, OTHER = LegKey("c1", "caller"), LegKey("c2", "caller")


def test_prompt_of_n_frames_is_sent_as_n_packets_with_consecutive_headers(tmp_path: Path) -> None:
    pcm = tone(440, 25)
    prompt = write_wav(tmp_path / "welcome.wav", pcm)

    async def main() -> tuple[list[bytes], int]:
        plane = LocalMediaPlane()
        phone = await Phone.open(await plane.allocate(LEG), Codec.PCMU)
        await plane.set_remote(LEG, phone.remote())
        done = asyncio.Event()
        calls: list[int] = []

        def finished() -> None:
            calls.append(1)
            done.set()

        await plane.play(LEG, prompt, finished)
        await done.wait()
        await asyncio.sleep(0.05)
        await plane.close()
        return phone.received, len(calls)

    received, done_calls = run(main)
    headers = [header(p) for p in received]
    first_seq, first_ts, ssrc = headers[0][1], headers[0][2], headers[0][3]
    assert (len(received), done_calls) == (25, 1)
    assert [h[0] for h in headers] == [0] * 25
    assert [h[1] for h in headers] == [(first_seq + i) & 0xFFFF for i in range(25)]
    assert [h[2] for h in headers] == [(first_ts + 160 * i) & 0xFFFFFFFF for i in range(25)]
    assert [h[3] for h in headers] == [ssrc] * 25
    assert [h[4] for h in headers] == [True] + [False] * 24
    assert b"".join(p[12:] for p in received) == g711.encode(pcm, Codec.PCMU)


def test_a_short_last_frame_is_padded_and_a_stopped_prompt_does_not_call_back(tmp_path: Path) -> None:
    prompt = write_wav(tmp_path / "short.wav", tone(440, 3)[:-100])

    async def main() -> tuple[int, int, bool]:
        plane = LocalMediaPlane()
        phone = await Phone.open(await plane.allocate(LEG))
        await plane.set_remote(LEG, phone.remote())
        done = asyncio.Event()
        await plane.play(LEG, prompt, done.set)
        await done.wait()
        last = len(phone.received[-1])
        await plane.play(LEG, write_wav(tmp_path / "long.wav", tone(300, 500)), done.clear)
        await phone.wait_for(5)
        await plane.stop_playing(LEG)
        await asyncio.sleep(0.1)
        result = (len(phone.received) < 10, last, done.is_set())
        await plane.close()
        return result[1], int(result[0]), result[2]

    assert run(main) == (172, 1, True)


def test_hold_music_is_one_shared_stream(tmp_path: Path) -> None:
    # 150 frames (3 s), each starting with two levels that say its position, so a frame tells where it is
    pcm = b"".join(struct.pack("<160h", (i // 16) * 1000, (i % 16) * 1000, *([0] * 158)) for i in range(150))
    music = write_wav(tmp_path / "hold.wav", pcm)

    async def main() -> tuple[list[bytes], list[bytes]]:
        plane = LocalMediaPlane(hold_music=music)
        first = await Phone.open(await plane.allocate(LEG))
        second = await Phone.open(await plane.allocate(OTHER))
        await plane.set_remote(LEG, first.remote())
        await plane.set_remote(OTHER, second.remote())
        await plane.hold(LEG)
        await first.wait_for(7)
        await plane.hold(OTHER)
        await second.wait_for(20)
        await plane.stop_playing(LEG)
        await plane.stop_playing(OTHER)
        await plane.close()
        return [p[12:] for p in first.received], [p[12:] for p in second.received]

    first, second = run(main)
    offset = first.index(second[0])
    assert offset >= 7
    assert second[:10] == first[offset : offset + 10]
    assert len(set(second[:20])) == 20


def test_a_prompt_that_is_not_8khz_mono_is_refused(tmp_path: Path) -> None:
    stereo = write_wav(tmp_path / "stereo.wav", tone(440, 2), channels=2)
    wideband = write_wav(tmp_path / "wide.wav", tone(440, 2), rate=16000)

    async def main() -> int:
        plane = LocalMediaPlane()
        await plane.allocate(LEG)
        refused = 0
        for path in (stereo, wideband, tmp_path / "missing.wav"):
            with pytest.raises(MediaPlaneError):
                await plane.play(LEG, path)
            refused += 1
        with pytest.raises(MediaPlaneError):
            await plane.hold(LEG)
        await plane.close()
        return refused

    assert run(main) == 3

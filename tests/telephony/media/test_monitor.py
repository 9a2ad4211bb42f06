"""Supervisor monitoring over real UDP: three fake phones, each sending its own tone; who hears which tones.

The caller sends 400 Hz, the agent 1000 Hz and the supervisor 1700 Hz, as paced 20 ms RTP frames. What
each phone receives is decoded and checked with Goertzel (hotline/telephony/media/tones.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.mixer import mix_frame
from hotline.telephony.media.plane import LegKey, MediaPlaneError, MonitorMode, RecordingMode
from hotline.telephony.media.players import SLOTS
from hotline.telephony.media.rtp import packet
from hotline.telephony.media.tones import hears, tone_frames

from .helpers import Phone, eventually, header, run, stream_steps
from .test_recording import read
from .test_relay import AGENT, CALLER

SUPERVISOR = LegKey("s1", "supervisor")
TONES = {"caller": 400, "agent": 1000, "supervisor": 1700}
SSRCS = {"caller": 111, "agent": 222, "supervisor": 333}
IDLE = (0,) * SLOTS


class Call:
    """A bridged caller and agent plus a supervisor leg, each with its fake phone, on one plane."""

    def __init__(self, plane: LocalMediaPlane, phones: dict[str, Phone]) -> None:
        self.plane = plane
        self.phones = phones
        self.caller, self.agent, self.supervisor = phones["caller"], phones["agent"], phones["supervisor"]

    @classmethod
    async def open(cls, plane: LocalMediaPlane, caller: Codec = Codec.PCMA, agent: Codec = Codec.PCMA,
                   supervisor: Codec = Codec.PCMA) -> Call:
        phones = {}
        for name, key, codec in (("caller", CALLER, caller), ("agent", AGENT, agent),
                                 ("supervisor", SUPERVISOR, supervisor)):
            phones[name] = await Phone.open(await plane.allocate(key), codec, SSRCS[name])
            await plane.set_remote(key, phones[name].remote())
        await plane.bridge(CALLER, AGENT)
        return cls(plane, phones)

    async def speak(self, seconds: float, who: Sequence[str] = ("caller", "agent", "supervisor")) -> None:
        """Every phone in `who` sends its tone, one frame every 20 ms on absolute deadlines."""
        frames = {name: tone_frames(TONES[name], seconds, self.phones[name].codec) for name in who}
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index in range(round(seconds / 0.02)):
            await asyncio.sleep(max(0.0, start + index * 0.02 - loop.time()))
            for name in who:
                self.phones[name].send_audio(frames[name][index])
        await asyncio.sleep(0.1)  # the last mixed frames

    def marks(self) -> dict[str, int]:
        return {name: len(phone.received) for name, phone in self.phones.items()}


def heard(phone: Phone, start: int = 0, end: int | None = None) -> set[int]:
    """The test tones in what the phone received (packets start..end), decoded with its codec."""
    packets = phone.received[start:end]
    pcm = g711.decode(b"".join(data[12:] for data in packets), phone.codec)
    return {frequency for frequency in TONES.values() if hears(pcm, frequency)}


def ssrcs(phone: Phone, start: int = 0, end: int | None = None) -> set[int]:
    return {header(data)[3] for data in phone.received[start:end]}


EXPECTED = {
    MonitorMode.LISTEN: {"caller": {1000}, "agent": {400}, "supervisor": {400, 1000}},
    MonitorMode.WHISPER: {"caller": {1000}, "agent": {400, 1700}, "supervisor": {400, 1000}},
    MonitorMode.BARGE: {"caller": {1000, 1700}, "agent": {400, 1700}, "supervisor": {400, 1000}},
}


@pytest.mark.parametrize("mode", list(MonitorMode), ids=lambda mode: mode.value)
def test_each_phone_hears_exactly_the_parties_its_mode_lets_it_hear(mode: MonitorMode) -> None:
    async def main() -> tuple[dict[str, set[int]], dict[str, set[int]]]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, mode)
        await call.speak(1.0)
        result = ({name: heard(phone) for name, phone in call.phones.items()},
                  {name: ssrcs(phone) for name, phone in call.phones.items()})
        await plane.close()
        return result

    tones, sources = run(main)
    assert tones == EXPECTED[mode]
    # who gets the relay (the far phone's own stream) and who gets a mix (one stream of the plane's)
    assert sources["caller"] == ({222} if mode is not MonitorMode.BARGE else sources["caller"] - {111, 222, 333})
    assert sources["agent"] == ({111} if mode is MonitorMode.LISTEN else sources["agent"] - {111, 222, 333})
    assert [len(found) for found in sources.values()] == [1, 1, 1]


def test_a_party_that_hears_one_other_keeps_the_byte_identical_relay() -> None:
    async def main() -> tuple[list[bytes], list[bytes]]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.WHISPER)
        frames = tone_frames(1000, 0.2, Codec.PCMA)
        for index, frame in enumerate(frames):
            call.agent.send_audio(frame)
            await call.caller.wait_for(index + 1)
        await plane.close()
        return call.caller.received, [packet(8, index, 160 * index, 222, frame) for index, frame in enumerate(frames)]

    received, sent = run(main)
    assert received == sent


def test_mode_switches_live_and_the_supervisor_stream_never_breaks() -> None:
    modes = [MonitorMode.LISTEN, MonitorMode.WHISPER, MonitorMode.BARGE, MonitorMode.LISTEN]

    async def main() -> tuple[list[dict[str, set[int]]], list[tuple[int, int, int, int, bool]]]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, modes[0])
        talking = asyncio.create_task(call.speak(2.4))
        marks = [call.marks()]
        for mode in modes[1:]:
            await asyncio.sleep(0.6)
            await plane.monitor(SUPERVISOR, CALLER, AGENT, mode)
            marks.append(call.marks())
        await talking
        marks.append(call.marks())
        # each period without the packets around its switches (in flight, or mixed from before)
        tones = [{name: heard(phone, before[name] + 3, after[name] - 3) for name, phone in call.phones.items()}
                 for before, after in itertools.pairwise(marks)]
        headers = [header(data) for data in call.supervisor.received]
        await plane.close()
        return tones, headers

    tones, headers = run(main)
    assert tones == [EXPECTED[mode] for mode in modes]
    first = headers[0]
    assert [h[1:4] for h in headers] == [((first[1] + index) & 0xFFFF, (first[2] + 160 * index) & 0xFFFFFFFF,
                                          first[3]) for index in range(len(headers))]
    assert [h[4] for h in headers] == [True] + [False] * (len(headers) - 1)


async def _relay_check(call: Call) -> tuple[list[bytes], list[bytes], list[bytes], list[bytes]]:
    """Caller and agent send 10 frames each: (agent received, caller sent, caller received, agent sent).

    First a barrier frame each way: a mixed frame sent before the monitoring ended may still be on its way,
    and the plane sends to a phone in order, so once the barrier is in, everything earlier is.
    """
    barrier = bytes([0x7F]) * 160
    call.caller.send_audio(barrier)
    call.agent.send_audio(barrier)
    await eventually(lambda: all(phone.received and phone.received[-1][12:] == barrier
                                 for phone in (call.caller, call.agent)))
    marks = call.marks()
    caller_sent: list[bytes] = []
    agent_sent: list[bytes] = []
    for index in range(10):
        for phone, sent in ((call.caller, caller_sent), (call.agent, agent_sent)):
            payload = bytes([0x10 + index]) * 160
            sent.append(packet(phone.codec.value, phone.seq, phone.timestamp, phone.ssrc, payload))
            phone.send_audio(payload)
        await call.agent.wait_for(marks["agent"] + index + 1)
        await call.caller.wait_for(marks["caller"] + index + 1)
    return (call.agent.received[marks["agent"]:], caller_sent, call.caller.received[marks["caller"]:], agent_sent)


def test_stop_monitor_restores_the_plain_byte_identical_relay_and_idles_the_ticker() -> None:
    async def main() -> tuple[tuple[list[bytes], list[bytes], list[bytes], list[bytes]], int, int, tuple[int, ...],
                              list[tuple[int, bool, bool]]]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.BARGE)
        await call.speak(0.3)
        await plane.stop_monitor(SUPERVISOR)
        await plane.stop_monitor(SUPERVISOR)  # twice: nothing to stop, no error
        await asyncio.sleep(0.05)
        to_supervisor = len(call.supervisor.received)
        relayed = await _relay_check(call)
        await asyncio.sleep(0.05)
        result = (relayed, to_supervisor, len(call.supervisor.received), plane.ticker.slots,
                  [one_stream(call.caller), one_stream(call.agent)])
        await plane.close()
        return result

    (agent_got, caller_sent, caller_got, agent_sent), before, after, slots, streams = run(main)
    # The payloads unchanged; the headers go on from the mixed frames each phone heard (one stream).
    assert ([p[12:] for p in agent_got], [p[12:] for p in caller_got]) == (
        [p[12:] for p in caller_sent], [p[12:] for p in agent_sent])
    assert streams == [(1, True, True)] * 2
    assert (after - before, slots) == (0, IDLE)


def one_stream(phone: Phone) -> tuple[int, bool, bool]:
    """(SSRCs, every sequence step 1, timestamps never back) of what the phone received (the packets of one
    DTMF event share their timestamp)."""
    ssrcs, seq_steps, ts_steps = stream_steps(phone.received)
    return len(ssrcs), set(seq_steps) == {1}, max(ts_steps) < 1 << 31


def test_releasing_the_supervisor_leg_ends_monitoring_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[tuple[list[bytes], list[bytes], list[bytes], list[bytes]], tuple[int, ...],
                              tuple[int, bool, bool]]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.WHISPER)
        await call.speak(0.3)
        await plane.release(SUPERVISOR)
        await plane.stop_monitor(SUPERVISOR)  # the engine may still say so: a released leg is no error
        relayed = await _relay_check(call)
        result = relayed, plane.ticker.slots, one_stream(call.agent)
        await plane.close()
        return result

    with caplog.at_level(logging.WARNING):
        (agent_got, caller_sent, caller_got, agent_sent), slots, agent_stream = run(main)
    # The caller never heard a mix: the agent's packets byte for byte. The agent heard one (whisper): the
    # caller's payloads, in the agent's one stream.
    assert (caller_got, [p[12:] for p in agent_got]) == (agent_sent, [p[12:] for p in caller_sent])
    assert (agent_stream, slots, caplog.records) == ((1, True, True), IDLE, [])


@pytest.mark.parametrize("ending", ["release agent", "unbridge caller", "bridge agent elsewhere"])
def test_hanging_up_or_rebridging_a_monitored_leg_ends_the_monitoring(ending: str) -> None:
    other = LegKey("c3", "other")

    async def main() -> tuple[int, tuple[int, ...]]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.allocate(other)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.BARGE)
        await call.speak(0.2)
        if ending == "release agent":
            await plane.release(AGENT)
        elif ending == "unbridge caller":
            await plane.unbridge(CALLER)
        else:
            await plane.bridge(AGENT, other)
        await asyncio.sleep(0.05)
        before = len(call.supervisor.received)
        await call.speak(0.2)
        result = len(call.supervisor.received) - before, plane.ticker.slots
        await plane.close()
        return result

    assert run(main) == (0, IDLE)


def test_pcma_and_pcmu_legs_each_get_their_own_codec_in_a_barge() -> None:
    async def main() -> tuple[dict[str, set[int]], dict[str, set[int]]]:
        plane = LocalMediaPlane()
        call = await Call.open(plane, caller=Codec.PCMA, agent=Codec.PCMU, supervisor=Codec.PCMU)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.BARGE)
        await call.speak(1.0)
        result = ({name: heard(phone) for name, phone in call.phones.items()},
                  {name: {header(data)[0] for data in phone.received} for name, phone in call.phones.items()})
        await plane.close()
        return result

    tones, payload_types = run(main)
    assert tones == EXPECTED[MonitorMode.BARGE]
    assert payload_types == {"caller": {8}, "agent": {0}, "supervisor": {0}}


def test_dtmf_between_caller_and_agent_still_flows_while_both_hear_a_mix() -> None:
    async def main() -> tuple[str, str, list[bytes], list[bytes], Phone, Phone]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        from_caller: list[str] = []
        from_agent: list[str] = []
        plane.on_dtmf(CALLER, from_caller.append)
        plane.on_dtmf(AGENT, from_agent.append)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.BARGE)
        call.caller.send_digit("5")
        call.agent.send_digit("#")

        def events() -> tuple[list[bytes], list[bytes]]:
            return ([data for data in call.agent.received if data[1] & 0x7F == 101],
                    [data for data in call.caller.received if data[1] & 0x7F == 101])

        # each digit decoded, and its six packets relayed to the far phone (more would be a bug, caught below)
        await eventually(lambda: bool(from_caller and from_agent) and min(len(found) for found in events()) >= 6)
        await plane.close()
        return "".join(from_caller), "".join(from_agent), *events(), call.agent, call.caller

    caller_digits, agent_digits, agent_events, caller_events, agent, caller = run(main)
    assert (caller_digits, agent_digits) == ("5", "#")
    # The events come inside each phone's one (mixed) stream: its SSRC, sequence numbers +1 between the frames.
    assert (len(agent_events), len(caller_events)) == (6, 6)
    assert (one_stream(agent), one_stream(caller)) == ((1, True, True), (1, True, True))


def test_the_jitter_queue_keeps_the_three_newest_frames_of_a_burst() -> None:
    async def main() -> tuple[list[bytes], int]:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.LISTEN)
        for index in range(5):  # one burst, read by the plane before its next tick
            call.caller.send_audio(bytes([0x10 + index]) * 160)
        await call.agent.wait_for(5)
        silence = bytes([Codec.PCMA.silence]) * 160

        def mixed() -> list[bytes]:
            return [data[12:] for data in call.supervisor.received if data[12:] != silence]

        await eventually(lambda: len(mixed()) >= 3)
        # five more ticks after the third frame: a fourth frame of the burst would be among them
        await call.supervisor.wait_for(len(call.supervisor.received) + 5)
        await plane.close()
        return mixed(), len(call.agent.received)

    mixed, relayed = run(main)
    assert (mixed, relayed) == ([bytes([0x12]) * 160, bytes([0x13]) * 160, bytes([0x14]) * 160], 5)


def test_a_monitored_call_is_still_recorded_from_what_caller_and_agent_send(tmp_path: Path) -> None:
    async def main() -> Path:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.BARGE)
        await plane.start_recording("m1", CALLER, AGENT, tmp_path / "m1.wav", RecordingMode.STEREO)
        await call.speak(1.0)
        path = await plane.stop_recording("m1")
        await plane.close()
        return path

    channels, _length, samples = read(run(main))
    left, right = samples[0::2], samples[1::2]
    assert channels == 2
    assert {frequency for frequency in TONES.values() if hears(left, frequency)} == {400}
    assert {frequency for frequency in TONES.values() if hears(right, frequency)} == {1000}


def test_monitor_refuses_legs_that_are_not_a_bridged_pair_and_a_second_supervisor() -> None:
    second = LegKey("s2", "supervisor")

    async def main() -> int:
        plane = LocalMediaPlane()
        call = await Call.open(plane)
        await plane.allocate(second)
        refused = 0
        for legs in ((SUPERVISOR, CALLER, SUPERVISOR), (SUPERVISOR, CALLER, second), (CALLER, AGENT, CALLER),
                     (SUPERVISOR, LegKey("nope", "x"), AGENT)):
            with pytest.raises(MediaPlaneError):
                await plane.monitor(*legs, MonitorMode.LISTEN)
            refused += 1
        await plane.monitor(SUPERVISOR, CALLER, AGENT, MonitorMode.LISTEN)
        with pytest.raises(MediaPlaneError):
            await plane.monitor(second, CALLER, AGENT, MonitorMode.LISTEN)
        refused += 1
        call.caller.send_audio(bytes(160))
        await call.agent.wait_for(1)
        await plane.close()
        return refused

    assert run(main) == 5


@pytest.mark.parametrize("codecs", [(first, second, out) for first in Codec for second in Codec for out in Codec])
def test_a_mixed_frame_is_the_clipped_sum_of_both_decoded_frames_encoded_for_the_listener(
    codecs: tuple[Codec, Codec, Codec],
) -> None:
    first_codec, second_codec, out = codecs
    chooser = random.Random(7)
    first = bytes(chooser.randrange(256) for _ in range(160))
    second = bytes(chooser.randrange(256) for _ in range(160))
    decode_first, decode_second = g711.decode_table(first_codec), g711.decode_table(second_codec)
    encode = g711.encode_table(out)
    expected = bytes(encode[max(-32768, min(32767, decode_first[a] + decode_second[b])) & 0xFFFF]
                     for a, b in zip(first, second, strict=True))
    loud = bytes([0x80 if first_codec is Codec.PCMU else 0xAA]) * 160  # near full scale, positive
    assert mix_frame(first, first_codec, second, second_codec, out) == expected
    assert mix_frame(loud, first_codec, loud, first_codec, out) == bytes([encode[0x7FFF]]) * 160
    assert mix_frame(None, first_codec, second, second_codec, out) == second.translate(
        g711.transcode_table(second_codec, out))
    assert mix_frame(None, first_codec, None, second_codec, out) == bytes([out.silence]) * 160

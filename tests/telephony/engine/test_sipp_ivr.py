"""Real SIP on both ends: a SIPp trunk caller passes the demo IVR with an RFC 4733 digit, a registered SIPp
agent phone answers, and RTP is counted on the wire, in the stereo recording and in the call log.

Both SIPp processes replay RTP from pcap files the test writes, so every packet each side sends is known:

caller (from the ACK)  0 s ─ audio ─ 3 s DTMF "1" · · · · · · quiet · · · · · · 10 s ─ 100 frames ─ 12 s
agent  (ACK + 0.5 s)   ─ 100 frames (2 s) ─

The welcome prompt lasts 1.9 s, then the main menu takes a key while its 3.3 s prompt plays, so the digit at
3 s is heard by the menu; the caller joins the orders queue at once ("please hold" plays while the agent's
phone rings), so the agent answers just after 3 s, inside the caller's quiet gap: of the caller's audio,
exactly the last 100 frames are relayed to the agent and recorded, and all of the agent's 100 frames reach
the caller.
"""

from __future__ import annotations

import asyncio
import secrets
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from hotline.telephony.engine import PROMPTS, SeatConfig
from hotline.telephony.events import CallStep, IvrNode
from hotline.telephony.ivr.timing import prompt_seconds
from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import RecordingMode
from hotline.telephony.memory import MemoryCallLog
from hotline.telephony.ports import Route

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, events_of, run, running
from .pcap import PCMA, TELEPHONE_EVENT, LoopbackSniffer, RtpTimeline, read_pcap, write_pcap
from .phones import until
from .test_call_e2e import assert_kpis, assert_logged_and_recorded
from .test_sipp import AOR, free_port, sipp, succeeded

IVR_FRAMES, DIGIT_AT, AFTER_DIGIT_FRAMES, QUIET_FRAMES, TALK_FRAMES = 150, 3.0, 0, 346, 100
DIGIT_FRAMES, DIGIT_PACKETS = 4, 6  # a start packet, two updates, the end packet three times
TALK_AT = (IVR_FRAMES + DIGIT_FRAMES + AFTER_DIGIT_FRAMES + QUIET_FRAMES) * 0.02
T = TypeVar("T")
# seconds: a key pressed later than this after the menu started came too late
MAIN_MENU_PROMPT = prompt_seconds(PROMPTS, ["main_menu"])["main_menu"]


def caller_timeline() -> RtpTimeline:
    """The caller's RTP: audio through the IVR with "1" at 6 s, a quiet gap, then 100 frames to the agent."""
    timeline = RtpTimeline(ssrc=secrets.randbits(32)).audio(CALLER_MARK, IVR_FRAMES).digit("1", DIGIT_FRAMES)
    return timeline.audio(CALLER_MARK, AFTER_DIGIT_FRAMES).silence(QUIET_FRAMES).audio(CALLER_MARK, TALK_FRAMES)


def test_the_pcap_writer_writes_what_sipp_replays(tmp_path: Path) -> None:
    timeline = caller_timeline()
    records = read_pcap(write_pcap(tmp_path / "caller.pcap", timeline.packets))
    assert records == timeline.packets
    assert len(records) == IVR_FRAMES + DIGIT_PACKETS + AFTER_DIGIT_FRAMES + TALK_FRAMES
    events = [(at, rtp) for at, rtp in records if rtp[1] & 0x7F == TELEPHONE_EVENT]
    assert [round(at - DIGIT_AT, 2) for at, _ in events] == [0.0, 0.02, 0.04, 0.06, 0.06, 0.06]
    assert [rtp[1] & 0x80 for _, rtp in events] == [0x80, 0, 0, 0, 0, 0]  # the marker starts the event
    assert {rtp[4:8] for _, rtp in events} == {records[IVR_FRAMES][1][4:8]}  # one timestamp for the event
    assert [rtp[12:] for _, rtp in events[-3:]] == [bytes((1, 0x8A, 0x02, 0x80))] * 3  # end, 640 samples
    assert round(records[-TALK_FRAMES][0], 2) == TALK_AT == 10.0 and round(records[-1][0], 2) == 11.98


def test_a_sipp_caller_presses_1_in_the_ivr_and_talks_to_a_registered_sipp_agent(tmp_path: Path) -> None:
    write_pcap(tmp_path / "caller.pcap", caller_timeline().packets)
    write_pcap(tmp_path / "agent.pcap", RtpTimeline(ssrc=secrets.randbits(32)).audio(AGENT_MARK, TALK_FRAMES).packets)
    (tmp_path / "recordings").mkdir()

    async def scenario() -> tuple[MemoryCallLog, LoopbackSniffer, int, int]:
        seats = (SeatConfig("agent-1", "seat-1", username="8001", password="s3cret", aor=AOR, queues=("orders",)),)
        caller_media, agent_media, agent_port = free_port(), free_port(), free_port()
        sniffer = LoopbackSniffer({caller_media, agent_media})
        try:
            async with running(tmp_path / "recordings", Route(DNIS, flow="demo"), seats,
                               recording_mode=RecordingMode.STEREO) as (engine, call_log):
                phone = await sipp(engine, "agent_answer_pcap.xml", tmp_path, "-p", str(agent_port),
                                   "-mp", str(agent_media))
                credentials = ("-s", "8001", "-au", "8001", "-ap", "s3cret", "-key", "agent_port", str(agent_port))
                await succeeded(await sipp(engine, "agent_register.xml", tmp_path, *credentials))
                caller = await sipp(engine, "caller_pcap_dtmf.xml", tmp_path, "-s", DNIS, "-mp", str(caller_media))
                await succeeded(caller)
                await succeeded(phone)
                await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call_log.events[0].call_id),
                            what="wrap-up end")
                await asyncio.sleep(0.2)  # the last relayed packets are on the wire already; let the sniffer read
        finally:
            sniffer.close()
        return call_log, sniffer, caller_media, agent_media

    call_log, sniffer, caller_media, agent_media = run_returning(scenario)
    call_id = call_log.events[0].call_id
    assert_logged_and_recorded(call_log, call_id)
    assert_kpis(call_log)
    assert_the_digit_was_pressed_in_the_menu(call_log)
    assert_rtp_on_the_wire(sniffer, caller_media, agent_media)
    assert_each_party_recorded_on_its_channel(Path(call_log.recordings[0].path))


def run_returning(scenario: Callable[[], Awaitable[T]]) -> T:
    """`run` for a scenario with a result."""
    results: list[T] = []

    async def keep() -> None:
        results.append(await scenario())

    run(keep)
    return results[0]


def assert_the_digit_was_pressed_in_the_menu(call_log: MemoryCallLog) -> None:
    """The menu took "1" while its prompt played: no timeout, no retry, no fallback to the orders queue."""
    menu, orders = [event for event in events_of(call_log, IvrNode) if event.node in ("main_menu", "orders")]
    assert orders.mono - menu.mono < MAIN_MENU_PROMPT


def assert_rtp_on_the_wire(sniffer: LoopbackSniffer, caller: int, agent: int) -> None:
    """Every packet each SIPp sent reached the engine; exactly the bridged ones were relayed to the other."""
    caller_audio = IVR_FRAMES + AFTER_DIGIT_FRAMES + TALK_FRAMES
    assert sniffer.between(caller, None, PCMA, CALLER_MARK) == caller_audio
    assert sniffer.between(caller, None, PCMA, None) == caller_audio
    assert sniffer.between(caller, None, TELEPHONE_EVENT, 1) == DIGIT_PACKETS
    assert sniffer.between(None, agent, PCMA, CALLER_MARK) == TALK_FRAMES  # caller → engine → agent
    assert sniffer.between(None, agent, PCMA, None) == TALK_FRAMES  # nothing else: no prompt leaks to the agent
    assert sniffer.between(None, agent, TELEPHONE_EVENT, None) == 0  # the digit stayed in the IVR
    assert sniffer.between(agent, None, PCMA, AGENT_MARK) == TALK_FRAMES
    assert sniffer.between(None, caller, PCMA, AGENT_MARK) == TALK_FRAMES  # agent → engine → caller


def assert_each_party_recorded_on_its_channel(path: Path) -> None:
    """Stereo: the caller's 100 frames on the left, the agent's 100 on the right, silence everywhere else."""
    with wave.open(str(path)) as recording:
        assert (recording.getnchannels(), recording.getsampwidth(), recording.getframerate()) == (2, 2, 8000)
        frames = recording.readframes(recording.getnframes())
    samples = memoryview(frames).cast("h")
    left, right = samples[0::2].tolist(), samples[1::2].tolist()
    caller_sample, agent_sample, silence = (g711.alaw_to_linear(byte) for byte in (CALLER_MARK, AGENT_MARK, 0xD5))
    assert silence != caller_sample != agent_sample != silence
    assert (left.count(caller_sample), left.count(silence)) == (TALK_FRAMES * 160, len(left) - TALK_FRAMES * 160)
    assert (right.count(agent_sample), right.count(silence)) == (TALK_FRAMES * 160, len(right) - TALK_FRAMES * 160)
    start = left.index(caller_sample)
    assert left[start : start + TALK_FRAMES * 160] == [caller_sample] * (TALK_FRAMES * 160)  # one unbroken stretch
    start = right.index(agent_sample)
    assert right[start : start + TALK_FRAMES * 160] == [agent_sample] * (TALK_FRAMES * 160)
    assert Codec.PCMA.silence == 0xD5

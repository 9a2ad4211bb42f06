"""Real SIP: what a phone receives from the engine is one RTP stream from the IVR prompts to the agent,
through hold music and back (a jitter buffer such as baresip's drops a frame at a new SSRC or a sequence
jump); and a stale sender streaming to a new call's port is never latched."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from hotline.telephony.control import EngineControl
from hotline.telephony.engine import SeatConfig
from hotline.telephony.events import Answer, CallStep, IvrNode
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.rtp import FRAME_SAMPLES, SEQ_TS_SSRC, packet
from hotline.telephony.ports import Route

from .baresip import baresip
from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, engine_uri, events_of, run, running
from .phones import Phone, Rtp, until
from .test_baresip import BARESIP_HEARS, CALLER_ACCOUNT, SOURCE_SAMPLE, count, waited


class Listening(Rtp):
    """The test phone's RTP, keeping (arrival time, sequence, timestamp, SSRC, first payload byte) per packet."""

    def __init__(self, mark: int) -> None:
        super().__init__(mark)
        self.headers: list[tuple[float, int, int, int, int]] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        super().datagram_received(data, addr)
        self.headers.append((asyncio.get_running_loop().time(), *SEQ_TS_SSRC.unpack_from(data, 2), data[12]))

    def agent_frames(self) -> int:
        return sum(1 for header in self.headers if header[4] == AGENT_MARK)


def test_the_caller_hears_one_rtp_stream_from_the_ivr_to_the_agent_through_hold_and_back(tmp_path: Path) -> None:
    caller, agent = Phone("13800138000", CALLER_MARK), Phone("8001", AGENT_MARK)
    caller.rtp = listening = Listening(CALLER_MARK)

    async def scenario() -> None:
        await caller.start()
        await agent.start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, flow="demo"), seats) as (engine, call_log):
                control = EngineControl(engine)
                call = await call_in(engine, caller)
                await until(lambda: any(e.node == "main_menu" for e in events_of(call_log, IvrNode)), what="menu")
                caller.rtp.dtmf("1")
                await until(lambda: bool(events_of(call_log, Answer)), what="the agent's answer")
                await until(lambda: listening.agent_frames() >= 25, what="the agent")
                await control.hold(call.invite.call_id)
                held = len(listening.headers)
                await until(lambda: len(listening.headers) - held >= 25, what="hold music")
                await control.resume(call.invite.call_id)
                resumed = listening.agent_frames()
                await until(lambda: listening.agent_frames() - resumed >= 25, what="the agent again")
                call.hangup()
                await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up")
        finally:
            await caller.close()
            await agent.close()

    run(scenario)
    headers = listening.headers
    segments = [(agent_frame, len(list(group)))
                for agent_frame, group in itertools.groupby(headers, key=lambda h: h[4] == AGENT_MARK)]
    seq_steps = {(b[1] - a[1]) & 0xFFFF for a, b in itertools.pairwise(headers)}
    ts_steps = [(b[2] - a[2]) & 0xFFFFFFFF for a, b in itertools.pairwise(headers)]
    # prompts, the agent, hold music, the agent again: one SSRC, no sequence jump, no timestamp going back
    assert [agent_frame for agent_frame, _ in segments] == [False, True, False, True]
    assert (len({h[3] for h in headers}), seq_steps, min(ts_steps) >= 160) == (1, {1}, True)
    # the timestamps follow the time that passed (silence between prompts and ringing included), not the
    # number of packets: the span of the stream in timestamps is its span in arrival time, within a second
    arrival_span = headers[-1][0] - headers[0][0]
    assert abs(sum(ts_steps) / 8000 - arrival_span) < 1.0


class Burst(Rtp):
    """An agent phone's RTP that stays silent until `go`, then sends exactly `frames` marked frames, then
    silence (a frame of silence pushes the last marked one out of the far phone's jitter buffer)."""

    def __init__(self, mark: int, frames: int) -> None:
        super().__init__(mark)
        self.frames = frames
        self.go = asyncio.Event()

    async def _send_forever(self) -> None:
        await self.go.wait()
        marked, silence = bytes((self.mark,)) * FRAME_SAMPLES, bytes((Codec.PCMA.silence,)) * FRAME_SAMPLES
        for index in itertools.count():
            frame = marked if index < self.frames else silence
            self._send(packet(self._payload_type, next(self._seq) & 0xFFFF, self._timestamp, 0x1234, frame))
            self._timestamp += FRAME_SAMPLES
            await asyncio.sleep(0.02)


def test_baresip_decodes_every_frame_of_the_agent_from_the_first_one_after_the_ivr(tmp_path: Path) -> None:
    """baresip's jitter buffer dropped the first relayed frame when a new SSRC and sequence followed the
    engine's prompts; as one stream, every frame the agent sends after the bridge is decoded."""
    agent = Phone("8001", AGENT_MARK)
    agent.rtp = burst = Burst(AGENT_MARK, 50)

    async def scenario() -> int:
        await agent.start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with (
                running(tmp_path, Route(DNIS, flow="demo"), seats) as (engine, call_log),
                baresip(tmp_path / "baresip", CALLER_ACCOUNT, SOURCE_SAMPLE) as phone,
            ):
                phone.command("dial", engine_uri(engine))
                await waited(phone, lambda: any(e.node == "main_menu" for e in events_of(call_log, IvrNode)),
                             "the main menu")
                await phone.dtmf("1")
                await waited(phone, lambda: bool(events_of(call_log, Answer)), "the agent's answer")
                burst.go.set()  # bridged before the answer is logged: every frame from now on is relayed
                await until(lambda: burst.sent >= 60, what="the agent's 50 frames and 10 of silence")
                await asyncio.sleep(0.3)  # the last frames through baresip's jitter buffer
                phone.command("hangup")
                await waited(phone, lambda: "CALL_CLOSED" in phone.types(), "baresip's hang-up")
                await until(lambda: CallStep.WRAPUP_END in [e.kind for e in call_log.events], what="wrap-up")
                return count(phone.decoded_samples(), BARESIP_HEARS)
        finally:
            await agent.close()

    heard: list[int] = []

    async def scenario_run() -> None:
        heard.append(await scenario())

    run(scenario_run)
    assert heard == [50 * FRAME_SAMPLES]


STALE_MARK = 0x44


def test_a_stale_sender_streaming_to_a_new_call_s_port_is_neither_latched_nor_relayed(tmp_path: Path) -> None:
    """The SIGKILL run's cut callers: a sender still streaming to a port the engine gives a new call, from
    before the new caller's phone starts. The engine sends nothing to it and relays none of its frames."""
    caller, agent = Phone("13800138000", CALLER_MARK), Phone("8001", AGENT_MARK)
    stale = Rtp(STALE_MARK)
    heard: dict[str, int] = {}

    async def scenario() -> None:
        await caller.start()
        await agent.start()
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: stale, local_addr=("127.0.0.1", 0))
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, flow="demo"), seats) as (engine, call_log):
                call = caller.dial(engine_uri(engine))
                assert await call.wait_answer() == 200
                stale.start(call.media)  # to the port the engine just gave the call, for the whole call
                await until(lambda: stale.sent >= 3, what="the stale sender's first frames")
                caller.rtp.start(call.media)  # the phone the SDP named starts after it
                await until(lambda: any(e.node == "main_menu" for e in events_of(call_log, IvrNode)), what="menu")
                caller.rtp.dtmf("1")
                await until(lambda: agent.rtp.by_mark[CALLER_MARK] >= 50, what="the caller heard by the agent")
                call.hangup()
                await until(lambda: CallStep.WRAPUP_END in call_log.kinds(call.invite.call_id), what="wrap-up")
                heard.update(stale=stale.received, agent_heard_stale=agent.rtp.by_mark[STALE_MARK],
                             caller=caller.rtp.received)
        finally:
            stale.stop()
            await caller.close()
            await agent.close()

    run(scenario)
    assert (heard["stale"], heard["agent_heard_stale"], heard["caller"] > 0) == (0, 0, True)

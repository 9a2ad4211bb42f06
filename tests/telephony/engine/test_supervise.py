"""Supervisors over real SIP, checked by ear: each party sends its own tone (caller 400 Hz, agent 1000 Hz,
supervisor 1700 Hz) and what each phone receives is analysed (Goertzel) to see exactly who hears whom in
listen, whisper and barge; then pick-up (代接) of a ringing call."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from hotline.telephony.control import ControlError, EngineControl
from hotline.telephony.engine import Engine, SeatConfig
from hotline.telephony.events import AgentState, CallStep, Transfer
from hotline.telephony.media.g711 import Codec, decode
from hotline.telephony.media.rtp import FRAME_SAMPLES, packet
from hotline.telephony.media.tones import hears, tone_frames
from hotline.telephony.ports import Route
from hotline.telephony.sip.calls import OutboundCall

from .helpers import DNIS, call_in, events_of, run, running
from .phones import Phone, Rtp, until

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 400, 1000, 1700
TONES = (CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ, 2300)


class ToneRtp(Rtp):
    """Sends a continuous tone and keeps the audio it receives (payloads of 20 ms G.711 frames)."""

    def __init__(self, frequency: int) -> None:
        super().__init__(mark=0)
        self.frequency = frequency
        self.payloads: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        super().datagram_received(data, addr)
        if len(data) == 12 + FRAME_SAMPLES and data[1] & 0x7F in (0, 8):
            self.payloads.append(data[12:])

    async def _send_forever(self) -> None:
        codec = Codec(self._payload_type)
        for frame in itertools.cycle(tone_frames(self.frequency, 1.0, codec)):
            self._send(packet(self._payload_type, next(self._seq) & 0xFFFF, self._timestamp, 0x4321, frame))
            self._timestamp += FRAME_SAMPLES
            await asyncio.sleep(0.02)

    def heard(self) -> set[int]:
        """The tones in what arrived since the last call, then forget it."""
        audio = decode(b"".join(self.payloads), Codec(self._payload_type))
        self.payloads.clear()
        return {frequency for frequency in TONES if hears(audio, frequency)}


class TonePhone(Phone):
    def __init__(self, name: str, frequency: int, plan: str = "answer") -> None:
        super().__init__(name, 0, plan)
        self.rtp: ToneRtp = ToneRtp(frequency)


async def listening(*phones: TonePhone, frames: int = 40) -> list[set[int]]:
    """Forget what came before, listen for `frames` frames, and say which tones each phone heard. Time is
    counted in the frames that reach the phones (the one that receives most: some wait in silence), not in
    seconds, so a loaded machine only takes longer."""
    await frames_received(phones, 15, "a mode change to settle")
    for phone in phones:
        phone.rtp.payloads.clear()
    await frames_received(phones, frames, "the phones to listen")
    return [phone.rtp.heard() for phone in phones]


async def frames_received(phones: tuple[TonePhone, ...], count: int, what: str) -> None:
    """Wait until one of `phones` has received `count` more packets."""
    start = [phone.rtp.received for phone in phones]
    await until(lambda: max(phone.rtp.received - before for phone, before in zip(phones, start, strict=True)) >= count,
                what=f"{what} ({count} frames)")


async def connected_call(engine: Engine, caller: TonePhone) -> OutboundCall:
    call = await call_in(engine, caller)
    await until(lambda: call.invite.call_id in engine.sessions
                and engine.sessions[call.invite.call_id].agent_leg is not None, what="the agent's answer")
    return call


def test_listen_whisper_and_barge_each_let_exactly_the_right_parties_hear_each_other(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await TonePhone("13800138001", CALLER_HZ).start()
        agent = await TonePhone("8001", AGENT_HZ).start()
        supervisor = await TonePhone("8009", SUPERVISOR_HZ).start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),
                 SeatConfig("", "seat-9", fixed_uri=supervisor.uri))
        heard: dict[str, list[set[int]]] = {}
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, _log):
                control = EngineControl(engine)
                call = await connected_call(engine, caller)
                call_id = call.invite.call_id
                heard["before"] = await listening(caller, agent, supervisor)
                for mode in ("listen", "whisper", "barge", "listen"):
                    await control.monitor(call_id, "boss", mode, seat="seat-9")
                    await until(lambda: engine.monitors["boss"].joined, what="the supervisor's phone")
                    heard[mode] = await listening(caller, agent, supervisor)
                await control.hold(call_id)
                await control.resume(call_id)  # hold unbridged the call; the supervisor is joined again
                heard["resumed"] = await listening(caller, agent, supervisor)
                assert len(supervisor.incoming) == 1  # one phone call, whatever the mode changes
                assert supervisor.incoming[0].caller == "sip:13800138001@127.0.0.1"  # showing who is on the line
                await control.stop_monitor("boss")
                assert await asyncio.wait_for(supervisor.incoming[0].wait_ended(), 5) == "remote bye"
                heard["after"] = await listening(caller, agent)
                await control.monitor(call_id, "boss", "barge", seat="seat-9")
                await until(lambda: engine.monitors["boss"].joined, what="the supervisor again")
                call.hangup()  # the call ends: the supervisor's phone is hung up too
                assert await asyncio.wait_for(supervisor.incoming[1].wait_ended(), 5) == "remote bye"
                await until(lambda: "boss" not in engine.monitors, what="the monitoring to end")
        finally:
            for phone in (caller, agent, supervisor):
                await phone.close()
        # (caller, agent, supervisor) hear:
        assert heard["before"] == [{AGENT_HZ}, {CALLER_HZ}, set()]
        assert heard["listen"] == [{AGENT_HZ}, {CALLER_HZ}, {CALLER_HZ, AGENT_HZ}]
        assert heard["whisper"] == [{AGENT_HZ}, {CALLER_HZ, SUPERVISOR_HZ}, {CALLER_HZ, AGENT_HZ}]
        assert heard["barge"] == [{AGENT_HZ, SUPERVISOR_HZ}, {CALLER_HZ, SUPERVISOR_HZ}, {CALLER_HZ, AGENT_HZ}]
        assert heard["resumed"] == heard["listen"]
        assert heard["after"] == [{AGENT_HZ}, {CALLER_HZ}]

    run(scenario)


def test_a_supervisor_picks_up_a_call_ringing_at_an_agent_who_does_not_answer(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = await TonePhone("13800138001", CALLER_HZ).start()
        agent = await TonePhone("8001", AGENT_HZ, plan="ring").start()
        supervisor = await TonePhone("8009", SUPERVISOR_HZ).start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),
                 SeatConfig("boss", "seat-9", fixed_uri=supervisor.uri))
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats) as (engine, call_log):
                control = EngineControl(engine)
                call = await call_in(engine, caller)
                await until(lambda: CallStep.RING in call_log.kinds(call.invite.call_id), what="the agent ringing")
                await control.pick_up(call.invite.call_id, "boss")
                await until(lambda: engine.sessions[call.invite.call_id].agent == "boss", what="the pick-up")
                assert await asyncio.wait_for(agent.incoming[0].wait_ended(), 5) == "cancelled"
                talk = await listening(caller, supervisor)
                call.hangup()
                await until(lambda: call.invite.call_id in call_log.closed, what="the record")
        finally:
            for phone in (caller, agent, supervisor):
                await phone.close()
        assert talk == [{SUPERVISOR_HZ}, {CALLER_HZ}]
        assert call_log.kinds(call.invite.call_id) == [
            CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING, CallStep.TRANSFER, CallStep.ENQUEUE,
            CallStep.OFFER, CallStep.RING, CallStep.ANSWER, CallStep.HANGUP, CallStep.WRAPUP_END]
        (transfer,) = events_of(call_log, Transfer)
        assert (transfer.queue, transfer.to_agent) == ("orders", "boss")

    run(scenario)


B_HZ = 2300  # the consulted agent's tone


async def transfer_phones() -> tuple[TonePhone, TonePhone, TonePhone, tuple[SeatConfig, ...]]:
    """A caller, the agent who answers them (agent-1), and the agent to consult (agent-2, not ready yet)."""
    caller = await TonePhone("13800138001", CALLER_HZ).start()
    first = await TonePhone("8001", AGENT_HZ).start()
    second = await TonePhone("8002", B_HZ).start()
    seats = (SeatConfig("agent-1", "seat-1", fixed_uri=first.uri, queues=("orders",)),
             SeatConfig("agent-2", "seat-2", fixed_uri=second.uri, queues=("orders",), ready=False))
    return caller, first, second, seats


def test_an_attended_transfer_lets_the_agents_talk_first_then_hands_the_caller_over_or_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, first, second, seats = await transfer_phones()
        phones = (caller, first, second)
        heard: dict[str, list[set[int]]] = {}
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, hold_music=None) as (engine, call_log):
                control = EngineControl(engine)
                call = await connected_call(engine, caller)
                call_id = call.invite.call_id
                engine.apply(engine.dispatcher.ready("agent-2"))
                await control.consult(call_id, "agent-2")
                await until(lambda: engine.sessions[call_id].consultation is not None
                            and engine.sessions[call_id].consultation.rang, what="the consulted agent's answer")
                heard["consulting"] = await listening(*phones)
                await control.cancel_consultation(call_id)  # back to the caller
                assert await asyncio.wait_for(second.incoming[0].wait_ended(), 5) == "remote bye"
                heard["cancelled"] = await listening(*phones)
                await until(lambda: engine.dispatcher.agent("agent-2").state is AgentState.READY, what="ready")
                await control.consult(call_id, "agent-2")
                await until(lambda: engine.sessions[call_id].consultation is not None
                            and engine.sessions[call_id].consultation.rang, what="the second consultation")
                await control.complete_transfer(call_id)
                assert await asyncio.wait_for(first.incoming[0].wait_ended(), 5) == "remote bye"
                heard["transferred"] = await listening(caller, second)
                assert engine.dispatcher.agent("agent-2").state is AgentState.ON_CALL
                call.hangup()
                await until(lambda: call_id in call_log.closed, what="the record")
        finally:
            for phone in phones:
                await phone.close()
        # (caller, first agent, consulted agent) hear:
        assert heard["consulting"] == [set(), {B_HZ}, {AGENT_HZ}]  # the caller waits; the agents talk
        assert heard["cancelled"] == [{AGENT_HZ}, {CALLER_HZ}, set()]
        assert heard["transferred"] == [{B_HZ}, {CALLER_HZ}]
        kinds = call_log.kinds(call_id)
        assert kinds[kinds.index(CallStep.ANSWER) + 1:] == [
            CallStep.HOLD, CallStep.RESUME, CallStep.HOLD, CallStep.TRANSFER, CallStep.WRAPUP_END,
            CallStep.ANSWER, CallStep.HANGUP, CallStep.WRAPUP_END]
        transfer = next(e for e in events_of(call_log, Transfer))
        assert (transfer.agent, transfer.to_agent) == ("agent-1", "agent-2")
        assert [r.call_id for r in call_log.recordings] == [call_id, call_id]  # one part per agent

    run(scenario)


def test_a_consultation_ends_cleanly_whoever_hangs_up_and_the_reserved_agent_cannot_slip_away(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller, first, second, seats = await transfer_phones()
        phones = (caller, first, second)
        try:
            async with running(tmp_path, Route(DNIS, queue="orders"), seats, hold_music=None) as (engine, call_log):
                control = EngineControl(engine)
                call = await connected_call(engine, caller)
                call_id = call.invite.call_id
                session = engine.sessions[call_id]
                engine.apply(engine.dispatcher.ready("agent-2"))
                await control.consult(call_id, "agent-2")
                await until(lambda: session.consultation is not None and session.consultation.rang, what="answer")
                for command in (control.ready("agent-2"), control.logout("agent-2"), control.hold(call_id),
                                control.consult(call_id, "agent-2")):
                    with pytest.raises(ControlError) as refused:
                        await command
                    assert refused.value.code == "not_allowed_now"
                second.incoming[0].hangup()  # the consulted agent hangs up: the caller is back with the first
                await until(lambda: session.consultation is None and not session.on_hold, what="back to the caller")
                back = await listening(caller, first)
                await until(lambda: engine.dispatcher.agent("agent-2").state is AgentState.READY, what="ready")
                await control.consult(call_id, "agent-2")
                await until(lambda: session.consultation is not None and session.consultation.rang, what="again")
                call.hangup()  # the caller hangs up while the agents consult: both phones are hung up
                assert await asyncio.wait_for(second.incoming[1].wait_ended(), 5) == "remote bye"
                assert await asyncio.wait_for(first.incoming[0].wait_ended(), 5) == "remote bye"
                await until(lambda: call_id in call_log.closed, what="the record")
                states = [engine.dispatcher.agent(agent).state for agent in ("agent-1", "agent-2")]
        finally:
            for phone in phones:
                await phone.close()
        assert back == [{AGENT_HZ}, {CALLER_HZ}]
        assert states == [AgentState.READY, AgentState.READY]
        assert call_log.kinds(call_id)[-3:] == [CallStep.HOLD, CallStep.HANGUP, CallStep.WRAPUP_END]

    run(scenario)

"""Voicemail over real SIP: a queue that overflows to voicemail plays the greeting and the tone, records the
caller alone until # or hang-up, files the message, and the call ends as a voicemail (not an abandon)."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path
from typing import NamedTuple

from hotline.telephony.acd.queue import OverflowKind, OverflowTarget, QueueConfig
from hotline.telephony.events import CallStep, Hangup, HangupCause, HangupParty
from hotline.telephony.media.g711 import Codec, decode
from hotline.telephony.memory import MemoryCallLog
from hotline.telephony.ports import Route

from .helpers import CALLER_MARK, DNIS, call_in, events_of, run, running, short_prompts
from .phones import Phone, until

VOICEMAIL_QUEUE = QueueConfig("orders", max_wait_seconds=0.3, overflow=OverflowTarget(OverflowKind.VOICEMAIL))


def without_silence(samples: bytes) -> bytes:
    """16-bit samples without the A-law silence they start and end with."""
    silence = decode(bytes((Codec.PCMA.silence,)), Codec.PCMA)
    start, end = 0, len(samples)
    while start < end and samples[start:start + 2] == silence:
        start += 2
    while end > start and samples[end - 2:end] == silence:
        end -= 2
    return samples[start:end]


def message_samples(path: str) -> bytes:
    with wave.open(path, "rb") as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth()) == (1, 8000, 2)
        return reader.readframes(reader.getnframes())


class Left(NamedTuple):
    """A message left: the call, its log once the record is closed, the seconds from the answer to the end of
    the call as the test saw them (a message can be no longer), and the frames the caller sent after the tone."""

    call_id: str
    call_log: MemoryCallLog
    spent: float
    talked: int


async def leave_message(tmp_path: Path, seconds: float, finish: str) -> Left:
    """Call a queue that overflows to voicemail, talk for `seconds` after the tone (and at least that many
    20 ms frames, however slowly a loaded machine sends them), then press # ("hash") or hang up ("hang_up")."""
    loop = asyncio.get_running_loop()
    caller = await Phone("13800138001", CALLER_MARK).start()
    prompts = short_prompts(tmp_path / "prompts", 0.2, "voicemail_greeting", "beep")
    try:
        async with running(tmp_path, Route(DNIS, queue="orders"), (), queues=(VOICEMAIL_QUEUE,),
                           prompts=prompts) as (engine, call_log):
            call = await call_in(engine, caller)
            answered = loop.time()  # the engine's media clock is this loop's
            session = engine.sessions[call.invite.call_id]
            await until(lambda: bool(session.message_id), what="the recording to start")
            recording_from = caller.rtp.sent
            await asyncio.sleep(seconds)
            await until(lambda: caller.rtp.sent - recording_from >= round(seconds * 50), what="the caller's talk")
            talked = caller.rtp.sent - recording_from
            if finish == "hash":
                caller.rtp.dtmf("#")
                assert await asyncio.wait_for(call.wait_ended(), 5) == "remote bye"
            else:
                call.hangup()
            spent = loop.time() - answered
            await until(lambda: call.invite.call_id in call_log.closed, what="the record")
            await engine.flush_log()
    finally:
        await caller.close()
    return Left(call.invite.call_id, call_log, spent, talked)


def test_a_caller_leaves_a_message_ended_by_the_hash_key_and_it_reaches_the_worklist(tmp_path: Path) -> None:
    async def scenario() -> None:
        call_id, call_log, spent, talked = await leave_message(tmp_path, 1.0, "hash")
        assert call_log.kinds(call_id) == [CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.HANGUP]
        (hangup,) = events_of(call_log, Hangup)
        assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.VOICEMAIL)
        (message,) = call_log.voicemails
        assert message.call_id == call_id and Path(message.path).parent.name == "voicemail"
        samples = message_samples(message.path)
        # from the tone to the # key: at least the second talked, at most the call (however slow the machine)
        assert 1.0 <= message.duration_seconds < spent
        assert len(samples) == round(message.duration_seconds * 8000) * 2
        # The caller's marked audio, every frame sent after the tone, is all the message holds between the
        # silence before its first frame and after its last (a loaded machine's sender falls behind the clock).
        talk = without_silence(samples)
        assert talk == decode(bytes((CALLER_MARK,)), Codec.PCMA) * (len(talk) // 2)
        assert len(talk) // 2 >= talked * 160

    run(scenario)


def test_a_caller_who_hangs_up_after_the_tone_has_left_a_message_not_abandoned(tmp_path: Path) -> None:
    async def scenario() -> None:
        call_id, call_log, _spent, _talked = await leave_message(tmp_path, 0.5, "hang_up")
        (hangup,) = events_of(call_log, Hangup)
        assert (hangup.by, hangup.cause) == (HangupParty.CALLER, HangupCause.VOICEMAIL)
        assert [m.call_id for m in call_log.voicemails] == [call_id]

    run(scenario)

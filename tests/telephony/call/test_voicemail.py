"""Voicemail on fake ports: a queue overflowing to voicemail plays the greeting and the tone, records the
caller's leg alone until #, hang-up or the two-minute limit, and files the message; all busy otherwise."""

from __future__ import annotations

import wave
from pathlib import Path

from hotline.telephony.acd.queue import OverflowKind, OverflowTarget, QueueConfig
from hotline.telephony.events import CallStep, Enqueue, Hangup, HangupCause, HangupParty, Transfer

from .fake_sip import FakeInboundCall
from .harness import Harness, at_tick, exactly, play, prompt_length, seat

S = CallStep
VOICEMAIL = (QueueConfig("orders", max_wait_seconds=30.0, overflow=OverflowTarget(OverflowKind.VOICEMAIL)),)


async def recording_message(h: Harness) -> FakeInboundCall:
    """A caller waits until the queue overflows, hears the greeting and the tone, and is being recorded."""
    call = h.call_in()
    await h.until(lambda: h.hears(call) == {"prompt:voicemail_greeting"}, what="the greeting")
    await h.until(lambda: bool(h.media.recordings), what="the recording to start")
    assert h.played(call) == ["hold", "voicemail_greeting", "beep"]
    (recording,) = h.media.recordings.values()
    assert recording.legs == (h.leg(call),)  # the caller alone
    return call


def test_a_caller_leaves_a_message_ended_by_the_hash_key_and_it_reaches_the_worklist(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await recording_message(h)
        await h.advance(12.0)
        h.press(call, "#")
        await h.until(lambda: h.closed(call), what="the record")
        assert call.end_reason == "local bye"

    h = play(tmp_path, body, queues=VOICEMAIL)
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.HANGUP]
    (enqueue,), (hangup,) = h.events(Enqueue), h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.VOICEMAIL)
    greeting = prompt_length("voicemail_greeting") + prompt_length("beep")
    assert hangup.mono - enqueue.mono == at_tick(30.0 + greeting + 12.0)
    (message,) = h.call_log.voicemails
    assert (message.call_id, message.duration_seconds) == (call_id, 12.0)
    assert message.path == str(tmp_path / "rec" / "voicemail" / "in-1_fake.wav")
    with wave.open(message.path) as reader:
        assert (reader.getnchannels(), reader.getnframes()) == (1, 12 * 8000)
    assert h.call_log.recordings == []


def test_a_caller_who_hangs_up_after_the_tone_has_left_a_message_not_abandoned(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await recording_message(h)
        await h.advance(5.0)
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")

    h = play(tmp_path, body, queues=VOICEMAIL)
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.CALLER, HangupCause.VOICEMAIL)
    assert [(m.call_id, m.duration_seconds) for m in h.call_log.voicemails] == [(hangup.call_id, 5.0)]
    assert h.call_log.kinds(hangup.call_id) == [S.ARRIVE, S.ENQUEUE, S.HANGUP]


def test_a_message_is_cut_after_two_minutes(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = await recording_message(h)
        await h.until(lambda: h.closed(call), within=200.0, what="the record")

    h = play(tmp_path, body, queues=VOICEMAIL)
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.SYSTEM, HangupCause.VOICEMAIL)
    assert [m.duration_seconds for m in h.call_log.voicemails] == [120.0]


def test_a_caller_who_hangs_up_during_the_greeting_is_an_abandon_and_leaves_no_message(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.hears(call) == {"prompt:voicemail_greeting"}, what="the greeting")
        call.hang_up()
        await h.until(lambda: h.closed(call), what="the record")
        assert h.media.recordings == {} and h.media.finished == []

    h = play(tmp_path, body, queues=VOICEMAIL)
    (hangup,) = h.events(Hangup)
    assert (hangup.by, hangup.cause) == (HangupParty.CALLER, HangupCause.NORMAL)
    assert h.call_log.voicemails == []


def test_a_full_queue_tells_the_caller_all_lines_are_busy_before_hanging_up(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        first = h.call_in("13800138001")
        await h.until(lambda: h.engine.dispatcher.is_queued(first.invite.call_id), what="the first in line")
        second = h.call_in("13800138002")
        await h.until(lambda: h.closed(second), what="the second record")
        assert h.played(first) == ["hold"]
        first.hang_up()

    h = play(tmp_path, body, queues=(QueueConfig("orders", max_length=1),))
    second = h.sip.inbound[1].invite.call_id
    assert h.call_log.kinds(second) == [S.ARRIVE, S.ENQUEUE, S.HANGUP]
    assert [leg.played for leg in h.media.every_leg if leg.key.call_id == second] == [
        ["hold", "all_busy", "goodbye"]]
    (enqueue,), (hangup,) = h.events(Enqueue, second), h.events(Hangup, second)
    assert (hangup.by, hangup.cause, hangup.queue) == (HangupParty.SYSTEM, HangupCause.REJECTED, "orders")
    assert hangup.mono - enqueue.mono == exactly(prompt_length("all_busy") + prompt_length("goodbye"))


def test_a_caller_who_waits_too_long_overflows_to_the_next_queue_and_reaches_its_agent(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        call = h.call_in()
        await h.until(lambda: h.connected(call, "agent-2"), what="the after-sales agent")
        call.hang_up()

    queues = (QueueConfig("orders", max_wait_seconds=45.0, overflow=OverflowTarget(OverflowKind.QUEUE, "after_sales")),
              QueueConfig("after_sales"))
    h = play(tmp_path, body, queues=queues, seats=(seat("agent-2", "seat-2", "after_sales"),))
    call_id = h.sip.inbound[0].invite.call_id
    assert h.call_log.kinds(call_id) == [S.ARRIVE, S.ENQUEUE, S.TRANSFER, S.ENQUEUE, S.OFFER, S.RING, S.ANSWER,
                                         S.HANGUP, S.WRAPUP_END]
    (transfer,) = h.events(Transfer)
    first, second = h.events(Enqueue)
    assert (transfer.queue, transfer.to_queue, transfer.to_agent) == ("orders", "after_sales", "")
    assert [(e.queue, e.position) for e in (first, second)] == [("orders", 1), ("after_sales", 1)]
    assert transfer.mono - first.mono == at_tick(45.0)


def test_a_waiting_caller_hears_how_many_are_ahead_every_n_seconds_then_hold_music_again(tmp_path: Path) -> None:
    async def body(h: Harness) -> None:
        one = h.call_in("13800138001")
        await h.until(lambda: h.engine.dispatcher.is_queued(one.invite.call_id), what="the first in line")
        two = h.call_in("13800138002")
        await h.until(lambda: h.played(two).count("hold") >= 3, what="two announcements")
        assert h.played(one) == ["hold"]  # nobody ahead: only the music
        one.hang_up()
        two.hang_up()

    h = play(tmp_path, body, queues=(QueueConfig("orders", announce_seconds=30.0),))
    two = h.sip.inbound[1].invite.call_id
    (leg,) = [leg for leg in h.media.every_leg if leg.key.call_id == two]
    # One caller ahead, no agent staffed (no expected wait): "您前面还有 一 位", then the music again.
    assert leg.played[:7] == ["hold", "queue_ahead", "num_1", "unit_people", "hold", "queue_ahead", "num_1"]

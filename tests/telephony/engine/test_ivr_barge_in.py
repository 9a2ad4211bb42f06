"""Impulse buyers reach the order queue fast, over real SIP on 127.0.0.1 (issue 11).

* "1" sent (RFC 4733) during the welcome stops it, and the menu takes it without playing its prompt;
* a caller who presses nothing is put through to orders after one pass of the menu, no "no input" prompt;
* during an airing of a number set to skip its menu, the caller hears the short welcome and is queued at
  once (routed by the ORM directory, from a hotline number and an airing in the database);
* "please hold" plays while the caller already waits in line: a key pressed again meanwhile is not taken
  for the callback key.

The welcome and the menu are replaced by constant tones whose G.711 byte the caller's phone counts, so
what the caller heard is known frame by frame; everything the media plane was asked to play is recorded.
"""

from __future__ import annotations

import datetime
import wave
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from hotline.calls.host.directory import OrmDirectory
from hotline.calls.models import Queue
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.engine import PROMPTS, SeatConfig
from hotline.telephony.events import Answer, Arrive, CallbackRequest, CallStep, Enqueue, Hangup, IvrNode
from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.memory import MemoryCallbackStore, MemoryCallLog
from hotline.telephony.ports import Route
from tests import factories

from .helpers import AGENT_MARK, CALLER_MARK, DNIS, call_in, events_of, run, running, short_prompts
from .phones import Phone, until
from .test_queue_features import of_call, spy_on_playback

WELCOME_SAMPLE, MENU_SAMPLE = 3000, -3000
WELCOME_SECONDS = 10.0  # 500 frames: a welcome cut short is heard for far fewer
FRAMES_PER_SECOND = 50


def tone_prompts(folder: Path, **tones: tuple[float, int]) -> Path:
    """The engine's prompts in `folder`, with each of `tones` (name -> seconds, sample) one constant sample."""
    folder.mkdir(parents=True, exist_ok=True)
    for prompt in PROMPTS.glob("*.wav"):
        if prompt.stem not in tones:
            (folder / prompt.name).symlink_to(prompt)
    for name, (seconds, sample) in tones.items():
        with wave.open(str(folder / f"{name}.wav"), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(8000)
            writer.writeframes(sample.to_bytes(2, "little", signed=True) * round(seconds * 8000))
    return folder


def byte_of(sample: int, payload_type: int) -> int:
    """The G.711 byte a constant `sample` is sent as, in the negotiated codec."""
    codec = Codec(payload_type)
    return g711.linear_to_alaw(sample) if codec is Codec.PCMA else g711.linear_to_ulaw(sample)


async def phones() -> tuple[Phone, Phone]:
    return await Phone("13800138000", CALLER_MARK).start(), await Phone("8001", AGENT_MARK).start()


def visits(call_log: MemoryCallLog) -> list[tuple[str, str]]:
    return [(event.node, event.digits) for event in events_of(call_log, IvrNode)]


def test_1_pressed_during_the_welcome_stops_it_and_reaches_the_orders_agent_without_the_menu(tmp_path: Path) -> None:
    prompts = tone_prompts(tmp_path / "prompts", welcome=(WELCOME_SECONDS, WELCOME_SAMPLE),
                           main_menu=(3.0, MENU_SAMPLE))
    heard: dict[str, int] = {}

    async def scenario() -> None:
        caller, agent = await phones()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, flow="demo"), seats, prompts=prompts) as (engine, call_log):
                played = spy_on_playback(engine)
                call = await call_in(engine, caller)
                assert call.media is not None
                welcome, menu = (byte_of(s, call.media.codec.payload_type) for s in (WELCOME_SAMPLE, MENU_SAMPLE))
                await until(lambda: caller.rtp.by_mark[welcome] >= 10, what="the welcome playing")
                caller.rtp.dtmf("1")
                await until(lambda: bool(events_of(call_log, Answer)), what="the orders agent's answer")
                call.hangup()
                await until(lambda: bool(events_of(call_log, Hangup)), what="the hang-up")
                heard.update(welcome=caller.rtp.by_mark[welcome], menu=caller.rtp.by_mark[menu])
        finally:
            await caller.close()
            await agent.close()
        call_id = call.invite.call_id
        assert call_log.kinds(call_id)[:8] == [CallStep.ARRIVE, CallStep.IVR_NODE, CallStep.IVR_NODE,
                                               CallStep.IVR_NODE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING,
                                               CallStep.ANSWER]
        assert visits(call_log) == [("welcome", ""), ("main_menu", "1"), ("orders", "")]
        assert [e.queue for e in events_of(call_log, Enqueue)] == ["orders"]
        assert of_call(played, call_id)[:2] == ["welcome", "please_hold"]  # "please hold" while the agent rings
        assert "main_menu" not in of_call(played, call_id)

    run(scenario)
    assert heard["menu"] == 0  # the menu prompt never reached the caller
    assert 10 <= heard["welcome"] < WELCOME_SECONDS * FRAMES_PER_SECOND  # the welcome was cut short


def test_a_caller_who_presses_nothing_reaches_the_orders_agent_after_one_pass_of_the_menu(tmp_path: Path) -> None:
    prompts = short_prompts(tmp_path / "prompts", 0.4, "welcome", "main_menu")

    async def scenario() -> None:
        caller, agent = await phones()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, flow="demo"), seats, prompts=prompts) as (engine, call_log):
                played = spy_on_playback(engine)
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Answer)), timeout=40, what="the orders agent's answer")
                call.hangup()
                await until(lambda: bool(events_of(call_log, Hangup)), what="the hang-up")
        finally:
            await caller.close()
            await agent.close()
        call_id = call.invite.call_id
        assert visits(call_log) == [("welcome", ""), ("main_menu", ""), ("orders", "")]
        assert [(e.queue, e.agent) for e in events_of(call_log, Answer)] == [("orders", "agent-1")]
        assert of_call(played, call_id)[:3] == ["welcome", "main_menu", "please_hold"]  # one pass, no "no input"
        assert "no_input" not in of_call(played, call_id)

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_during_an_airing_the_number_skips_the_menu_for_a_short_welcome_in_the_orders_queue(tmp_path: Path) -> None:
    station = factories.make_station()
    number = factories.make_hotline(DNIS, station)
    number.skip_menu_during_airing, number.airing_queue = True, Queue.objects.create(name="orders")
    number.save()
    airing = factories.make_airing(station, starts_at=timezone.now() - datetime.timedelta(minutes=1))
    directory: Any = OrmDirectory()

    async def scenario() -> None:
        caller, agent = await phones()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS), seats, directory=directory) as (engine, call_log):
                played = spy_on_playback(engine)
                call = await call_in(engine, caller)
                await until(lambda: bool(events_of(call_log, Answer)), what="the orders agent's answer")
                call.hangup()
                await until(lambda: bool(events_of(call_log, Hangup)), what="the hang-up")
        finally:
            await caller.close()
            await agent.close()
        call_id = call.invite.call_id
        assert call_log.kinds(call_id)[:5] == [CallStep.ARRIVE, CallStep.ENQUEUE, CallStep.OFFER, CallStep.RING,
                                               CallStep.ANSWER]  # no IVR node at all
        assert [e.airing_id for e in events_of(call_log, Arrive)] == [airing.pk]
        assert [e.queue for e in events_of(call_log, Enqueue)] == ["orders"]
        assert of_call(played, call_id)[0] == "welcome_short"
        assert not {"welcome", "main_menu"} & set(of_call(played, call_id))

    try:
        run(scenario)
    finally:
        directory.close()


def test_a_key_pressed_again_while_please_hold_plays_is_not_a_callback_request_but_one_after_it_is(
        tmp_path: Path) -> None:
    prompts = tone_prompts(tmp_path / "prompts", welcome=(WELCOME_SECONDS, WELCOME_SAMPLE))
    store = MemoryCallbackStore()
    surge = SurgeSettings(max_wait_seconds=1000, abandon_callback_seconds=None)  # the callback key is "1"
    requests_during_greeting: list[int] = []

    async def scenario() -> None:
        caller, agent = await Phone("13800138000", CALLER_MARK).start(), await Phone("8001", AGENT_MARK, "ring").start()
        seats = (SeatConfig("agent-1", "seat-1", fixed_uri=agent.uri, queues=("orders",)),)
        try:
            async with running(tmp_path, Route(DNIS, flow="demo"), seats, prompts=prompts, surge=surge,
                               callback_store=store) as (engine, call_log):
                played = spy_on_playback(engine)
                call = await call_in(engine, caller)
                assert call.media is not None
                welcome = byte_of(WELCOME_SAMPLE, call.media.codec.payload_type)
                await until(lambda: caller.rtp.by_mark[welcome] >= 10, what="the welcome playing")
                caller.rtp.dtmf("1")  # the menu's 1, typed ahead
                await until(lambda: engine.dispatcher.is_queued(call.invite.call_id), what="the caller in line")
                caller.rtp.dtmf("1")  # again, while "please hold" plays
                await until(lambda: "hold" in of_call(played, call.invite.call_id), what="the hold music")
                requests_during_greeting.append(len(events_of(call_log, CallbackRequest)))
                caller.rtp.dtmf("1")  # on hold now: the callback key
                await until(lambda: bool(events_of(call_log, CallbackRequest)), what="the callback request")
                call.hangup()
        finally:
            await caller.close()
            await agent.close()

    run(scenario)
    assert requests_during_greeting == [0]
    assert [(c.number, c.reason) for c in store.captures] == [("13800138000", "requested")]

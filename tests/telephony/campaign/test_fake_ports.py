"""The campaign dialer and the post-call survey on fake ports and virtual time (tests/telephony/call/)."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

from hotline.telephony.callbacks import CallbackConfig
from hotline.telephony.config import CampaignConfig
from hotline.telephony.engine import Engine
from hotline.telephony.events import AgentState, Hangup, HangupParty
from hotline.telephony.memory import MemoryCampaignStore
from hotline.telephony.ports import CampaignContactDue, RunningCampaign
from tests.telephony.call import harness
from tests.telephony.call.fake_sip import Plan
from tests.telephony.call.harness import GATEWAY, Harness, play, seat, talking

ALL_DAY = (datetime.time(0), datetime.time(23, 59, 59))


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> MemoryCampaignStore:
    """The harness's engines get this campaign store (and fast campaign ticks)."""
    campaigns = MemoryCampaignStore()
    monkeypatch.setattr(harness, "Engine", functools.partial(Engine, campaign_store=campaigns))
    original = harness.EngineConfig

    def config(**fields: Any) -> Any:
        return original(**fields, campaigns=CampaignConfig(tick_seconds=0.5, refresh_seconds=2, ring_seconds=5,
                                                           survey_answer_seconds=6))
    monkeypatch.setattr(harness, "EngineConfig", config)
    return campaigns


def campaign(*numbers: str, max_attempts: int = 2) -> RunningCampaign:
    return RunningCampaign(campaign_id=3, queue="orders", window_start=ALL_DAY[0], window_end=ALL_DAY[1],
                           retry_interval_seconds=300, max_attempts=max_attempts,
                           contacts=tuple(CampaignContactDue(n + 1, number) for n, number in enumerate(numbers)))


def test_the_dialer_rings_the_agent_first_then_the_customer_and_records_the_reach(
        tmp_path: Path, store: MemoryCampaignStore) -> None:
    store.campaigns[3] = campaign("13900000001")

    async def body(h: Harness) -> None:
        await h.until(lambda: len(h.phone("gateway").calls) == 1, what="the customer's phone")
        assert len(h.phone("seat-1").calls) == 1  # the agent's phone rang first
        await h.until(lambda: any(c.kind == "reached" for c in store.changes), what="the reach")
        h.phone("gateway").last.hang_up()
        await h.until(lambda: h.state("agent-1") is AgentState.READY, what="the agent back")
        await h.engine.flush_log()

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY)
    assert [(c.kind, c.status, c.attempts, c.agent) for c in store.changes] == [
        ("reserved", "reserved", 0, "agent-1"), ("dialled", "dialling", 1, "agent-1"),
        ("reached", "reached", 1, "agent-1")]
    assert store.changes[1].call_id == store.changes[2].call_id != ""


def test_a_busy_customer_is_retried_after_the_interval_then_given_up(tmp_path: Path,
                                                                     store: MemoryCampaignStore) -> None:
    store.campaigns[3] = campaign("13900000001")

    async def body(h: Harness) -> None:
        await h.until(lambda: len(h.phone("gateway").calls) == 1, what="the first attempt")
        await h.advance(200)
        assert len(h.phone("gateway").calls) == 1  # not before the retry interval
        await h.until(lambda: len(h.phone("gateway").calls) == 2, within=400, what="the retry")
        await h.until(lambda: any(c.kind == "gave_up" for c in store.changes), what="giving up")
        await h.advance(900)
        assert len(h.phone("gateway").calls) == 2

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY, plans={"gateway": Plan.BUSY})
    assert [(c.kind, c.attempts, c.result) for c in store.changes] == [
        ("reserved", 0, ""), ("dialled", 1, ""), ("retry_scheduled", 1, "busy"), ("reserved", 1, "busy"),
        ("dialled", 2, "busy"), ("gave_up", 2, "busy")]
    assert store.changes[2].not_before is not None


def test_the_dialer_waits_while_a_caller_waits_and_in_the_quiet_before_an_airing(
        tmp_path: Path, store: MemoryCampaignStore) -> None:
    store.campaigns[3] = campaign("13900000001", "13900000002")

    async def body(h: Harness) -> None:
        await h.until(lambda: any(c.kind == "reached" for c in store.changes), what="the first customer")
        caller = h.call_in()  # agent-1 talks to the first customer: the live caller waits in line
        await h.until(lambda: h.engine.dispatcher.is_queued(caller.invite.call_id), what="the caller in line")
        h.phone("gateway").last.hang_up()
        await h.until(lambda: h.connected(caller, "agent-1"), what="the live caller first")
        assert len(h.phone("gateway").calls) == 1
        store.airings.append(h.engine.wall() + datetime.timedelta(seconds=200))
        await h.advance(3)  # the dialer re-reads the airings
        caller.hang_up()
        await h.until(lambda: h.state("agent-1") is AgentState.READY, what="the agent free")
        await h.advance(150)
        assert len(h.phone("gateway").calls) == 1  # quiet before the airing
        await h.until(lambda: len(h.phone("gateway").calls) == 2, within=120, what="the next customer after")
        assert h.engine.wall() >= store.airings[0]

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY)


def test_the_caller_who_agreed_presses_4_after_the_agent_hangs_up(tmp_path: Path,
                                                                  store: MemoryCampaignStore) -> None:
    async def body(h: Harness) -> None:
        call = await talking(h)
        store.survey_calls.add(call.invite.call_id)
        h.phone("seat-1").last.hang_up()
        await h.until(lambda: "survey_question" in h.played(call), what="the question")
        assert h.state("agent-1") is AgentState.READY  # let go at once (no wrap-up in this queue)
        h.press(call, "4")
        await h.until(lambda: h.closed(call), what="the end after thanks")
        assert h.played(call)[-2:] == ["survey_question", "survey_thanks"]
        (hangup,) = h.events(Hangup, call)
        assert hangup.by is HangupParty.SYSTEM

    h = play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    assert [(a.agent, a.queue, a.score) for a in store.answers] == [("agent-1", "orders", 4)]
    assert store.answers[0].call_id == h.sip.inbound[0].invite.call_id


def test_without_consent_the_agent_s_hang_up_ends_the_call_and_a_silent_caller_gives_no_answer(
        tmp_path: Path, store: MemoryCampaignStore) -> None:
    async def body(h: Harness) -> None:
        plain = await talking(h)
        h.phone("seat-1").last.hang_up()
        await h.until(lambda: h.closed(plain), what="the plain end")
        assert "survey_question" not in h.played(plain)
        silent = await talking(h)
        store.survey_calls.add(silent.invite.call_id)
        h.phone("seat-1").last.hang_up()
        await h.until(lambda: "survey_question" in h.played(silent), what="the question")
        h.press(silent, "9")  # not a score: ignored
        await h.until(lambda: h.closed(silent), what="the end without an answer")

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))
    assert store.answers == []


def test_the_calling_window_is_local_time_in_the_callback_dialer_s_zone(tmp_path: Path,
                                                                       store: MemoryCampaignStore) -> None:
    # The virtual wall clock starts at 01:00 UTC, 09:00 in Shanghai: inside 09:00–10:00 there, not in UTC.
    store.campaigns[3] = dataclasses.replace(campaign("13900000001"), window_start=datetime.time(9),
                                             window_end=datetime.time(10))

    async def body(h: Harness) -> None:
        await h.until(lambda: len(h.phone("gateway").calls) == 1, what="the dial inside the local window")

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY,
         callbacks=CallbackConfig(timezone=zoneinfo.ZoneInfo("Asia/Shanghai")))
    store.changes.clear()
    store.campaigns[3] = dataclasses.replace(campaign("13900000001"), window_start=datetime.time(9),
                                             window_end=datetime.time(10))

    async def closed(h: Harness) -> None:
        await h.advance(30)
        assert h.phone("gateway").calls == [] and store.campaigns[3].contacts != ()  # 01:00 in UTC: closed

    play(tmp_path, closed, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY)


def test_a_store_that_is_down_does_not_stop_the_engine_and_is_read_again(tmp_path: Path,
                                                                         store: MemoryCampaignStore) -> None:
    store.campaigns[3] = campaign("13900000001")
    reads: list[int] = []
    working = store.running

    async def flaky(now: datetime.datetime) -> list[RunningCampaign]:
        reads.append(1)
        if len(reads) == 1:
            raise ConnectionError("the database is down")
        return await working(now)

    store.running = flaky  # type: ignore[method-assign]

    async def body(h: Harness) -> None:
        await h.until(lambda: len(h.phone("gateway").calls) == 1, what="the dial once the store answers")
        assert len(reads) >= 2

    play(tmp_path, body, seats=(seat("agent-1", "seat-1"),), outbound_gateway=GATEWAY,
         allowed_errors=("could not be read",))

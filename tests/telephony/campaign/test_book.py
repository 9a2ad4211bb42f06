"""The campaign book's decisions on a fake clock: holds in order, agent first, retries, giving up, pausing."""

from __future__ import annotations

import datetime

import pytest

from hotline.telephony.campaign.model import CampaignSettings, ChangeKind, Contact, DialResult, Hold, Status
from hotline.telephony.campaign.policy import CampaignBook, IllegalContactMove


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t


NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)
SETTINGS = CampaignSettings(queue="orders", retry_interval_seconds=600, max_attempts=2)


def book_with(*numbers: str, settings: CampaignSettings = SETTINGS, wall: datetime.datetime = NOON,
              ) -> tuple[CampaignBook, Clock]:
    clock = Clock()
    book = CampaignBook(clock, lambda: wall, quiet_before_airing_seconds=300)
    book.load({7: (settings, [Contact(n + 1, 7, number) for n, number in enumerate(numbers)])})
    return book, clock


def ready(*agents: str):  # type: ignore[no-untyped-def]
    return lambda queue: list(agents) if queue == "orders" else []


def test_the_first_contact_goes_to_the_first_ready_agent() -> None:
    book, _clock = book_with("13900000001", "13900000002")
    decision = book.next_due(ready=ready("agent-1", "agent-2"), live_callers_waiting=0)
    assert (decision.contact.contact_id if decision.contact else None, decision.agent) == (1, "agent-1")


def test_live_callers_then_the_quiet_before_an_airing_then_the_window_then_agents_hold_the_dialer() -> None:
    book, clock = book_with("13900000001")
    assert book.next_due(ready=ready("agent-1"), live_callers_waiting=1).holds == (Hold.LIVE_CALLERS_WAITING,)
    airing = clock.t + 200
    assert book.next_due(ready=ready("agent-1"), live_callers_waiting=0,
                         upcoming_airings=[airing]).holds == (Hold.QUIET_BEFORE_AIRING,)
    assert book.next_due(ready=ready(), live_callers_waiting=0).holds == (Hold.NO_READY_AGENT,)
    clock.t = airing  # the airing started: the dialer is no longer quiet for it
    assert book.next_due(ready=ready("agent-1"), live_callers_waiting=0, upcoming_airings=[airing]).contact
    evening = CampaignSettings(queue="orders", window_start=datetime.time(18), window_end=datetime.time(21))
    closed, _c = book_with("13900000001", settings=evening)
    assert closed.next_due(ready=ready("agent-1"), live_callers_waiting=0).holds == (Hold.OUTSIDE_CALLING_WINDOW,)
    empty, _c = book_with()
    assert empty.next_due(ready=ready("agent-1"), live_callers_waiting=0).holds == (Hold.NOTHING_DUE,)


def test_busy_is_retried_after_the_interval_and_given_up_after_the_last_attempt() -> None:
    book, clock = book_with("13900000001")
    book.reserve(1, "agent-1")
    book.dialled(1)
    book.outcome(1, DialResult.BUSY)
    contact = book.get(1)
    assert (contact.status, contact.attempts, contact.not_before) == (Status.PENDING, 1, 1600.0)
    assert book.next_due(ready=ready("agent-1"), live_callers_waiting=0).holds == (Hold.NOTHING_DUE,)
    clock.t = 1600.0
    book.reserve(1, "agent-2")
    book.dialled(1)
    book.outcome(1, DialResult.NO_ANSWER)
    assert (contact.status, contact.attempts, contact.last_result) == (Status.GAVE_UP, 2, DialResult.NO_ANSWER)
    assert [c.kind for c in book.take_changes()] == [
        ChangeKind.RESERVED, ChangeKind.DIALLED, ChangeKind.RETRY_SCHEDULED, ChangeKind.RESERVED,
        ChangeKind.DIALLED, ChangeKind.GAVE_UP]


def test_a_missed_agent_costs_no_attempt_and_a_hang_up_while_ringing_gives_the_attempt_back() -> None:
    book, clock = book_with("13900000001")
    book.reserve(1, "agent-1")
    book.release(1, "the agent did not answer")
    assert (book.get(1).status, book.get(1).attempts) == (Status.PENDING, 0)
    book.reserve(1, "agent-2")
    book.dialled(1)
    book.abort(1, "the agent hung up")
    assert (book.get(1).status, book.get(1).attempts, book.get(1).not_before) == (Status.PENDING, 0, clock.t + 60)
    with pytest.raises(IllegalContactMove):
        book.outcome(1, DialResult.ANSWERED)  # not dialling: a late result changes nothing
    assert book.get(1).status is Status.PENDING


def test_answered_is_reached_with_its_agent_and_a_paused_campaign_leaves_the_book() -> None:
    book, _clock = book_with("13900000001", "13900000002")
    book.reserve(1, "agent-1")
    book.dialled(1)
    book.outcome(1, DialResult.ANSWERED)
    assert (book.get(1).status, book.get(1).agent) == (Status.REACHED, "agent-1")
    book.load({})  # paused: its pending contact goes, the finished one stays known
    assert [c.contact_id for c in book.live()] == []
    assert book.next_due(ready=ready("agent-1"), live_callers_waiting=0).holds == (Hold.NOTHING_DUE,)
    with pytest.raises(IllegalContactMove):
        book.get(2)
    with pytest.raises(ValueError):
        CampaignSettings(queue="orders", max_attempts=0)

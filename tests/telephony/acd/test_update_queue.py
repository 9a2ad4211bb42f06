"""New settings for a running queue (`Dispatcher.update_queue`), as Asterisk's `queue reload parameters`:
strategy, widening and overflow apply to callers already waiting; what a caller got on entering (its
maximum wait) stays; the length limit counts for callers entering after the change."""

from __future__ import annotations

import pytest

from hotline.telephony.acd import AgentState, QueueConfig, Strategy
from hotline.telephony.acd.queue import OverflowKind, OverflowReason, OverflowTarget, WideningStep
from tests.telephony.acd.helpers import build, call, pairs, ready_at

VOICEMAIL = OverflowTarget(OverflowKind.VOICEMAIL, "box-1")


def test_a_new_strategy_re_sorts_the_ready_agents_for_the_next_caller() -> None:
    # given a1 idle longest (level 1) and a2 (level 3), longest idle first
    dispatcher, clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}, "a2": {"sales": 3}})
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    # when the queue switches to skills-based routing
    clock.set(10.0)
    assert dispatcher.update_queue(QueueConfig("sales", strategy=Strategy.SKILLS)).offers == []
    # then the next caller goes to the most skilled agent, not to the one idle longest
    assert pairs(dispatcher.enqueue(call("c1"))) == [("c1", "a2")]
    assert dispatcher.ready_agents("sales") == ["a1"]


def test_a_widening_step_added_while_a_caller_waits_reaches_it_at_its_time_or_at_once() -> None:
    # given c1 wanting level 2 and only a level-1 agent ready: c1 waits
    dispatcher, clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1", min_level=2))
    dispatcher.enqueue(call("c2", min_level=2))
    clock.set(10.0)
    # when the queue widens to level 1 after 30 s in line
    widened = QueueConfig("sales", widening=(WideningStep(30.0, 1),))
    assert dispatcher.update_queue(widened).offers == []
    # then at 30 s the first caller is offered to a1, by the timer the update scheduled
    clock.set(29.9)
    assert pairs(dispatcher.tick()) == []
    clock.set(30.0)
    assert pairs(dispatcher.tick()) == [("c1", "a1")]
    assert dispatcher.waiting("sales") == ["c2"]


def test_a_step_already_reached_offers_the_waiting_caller_in_the_update_s_decision() -> None:
    dispatcher, clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1", min_level=2))
    clock.set(40.0)
    decision = dispatcher.update_queue(QueueConfig("sales", widening=(WideningStep(30.0, 1),)))
    assert pairs(decision) == [("c1", "a1")]
    assert [change.new for change in decision.changes] == [AgentState.RINGING]


def test_callers_keep_their_maximum_wait_and_the_new_overflow_target_applies_to_all() -> None:
    # given c1 in a queue with a 60 s maximum wait, nobody staffed
    dispatcher, clock = build(QueueConfig("sales", max_wait_seconds=60.0), members={})
    dispatcher.enqueue(call("c1"))
    # when the maximum wait becomes 10 s and overflow goes to voicemail
    clock.set(5.0)
    dispatcher.update_queue(QueueConfig("sales", max_wait_seconds=10.0, overflow=VOICEMAIL))
    clock.set(20.0)
    dispatcher.enqueue(call("c2"))
    # then c1 still waits at 20 s, c2 (entered under the new setting) leaves at 30 s, c1 at 60 s
    assert dispatcher.waiting("sales") == ["c1", "c2"]
    clock.set(30.0)
    assert [(o.caller_id, o.reason, o.target) for o in dispatcher.tick().overflows] == [
        ("c2", OverflowReason.TIMEOUT, VOICEMAIL)]
    clock.set(60.0)
    assert [(o.caller_id, o.reason, o.target) for o in dispatcher.tick().overflows] == [
        ("c1", OverflowReason.TIMEOUT, VOICEMAIL)]


def test_a_smaller_length_limit_turns_nobody_waiting_away_but_counts_for_the_next_caller() -> None:
    dispatcher, _clock = build(QueueConfig("sales"), members={})
    for caller_id in ("c1", "c2", "c3"):
        dispatcher.enqueue(call(caller_id))
    decision = dispatcher.update_queue(QueueConfig("sales", max_length=2, overflow=VOICEMAIL))
    assert (decision.overflows, dispatcher.waiting("sales")) == ([], ["c1", "c2", "c3"])
    refused = dispatcher.enqueue(call("c4"))
    assert [(o.caller_id, o.reason, o.target) for o in refused.overflows] == [("c4", OverflowReason.FULL, VOICEMAIL)]
    assert dispatcher.line_length("sales") == 3


def test_a_wrap_up_in_progress_keeps_its_end_and_the_next_call_gets_the_new_wrap_up() -> None:
    dispatcher, clock = build(QueueConfig("sales", wrap_up_seconds=30.0), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1"))
    dispatcher.answer("a1")
    clock.set(10.0)
    dispatcher.hang_up("a1")
    dispatcher.update_queue(QueueConfig("sales", wrap_up_seconds=5.0))
    assert dispatcher.wrap_up_end("a1") == 40.0
    clock.set(40.0)
    assert [change.new for change in dispatcher.tick().changes] == [AgentState.READY]
    dispatcher.enqueue(call("c2"))
    dispatcher.answer("a1")
    clock.set(50.0)
    dispatcher.hang_up("a1")
    assert dispatcher.wrap_up_end("a1") == 55.0


def test_an_unknown_queue_is_refused_and_nothing_changes() -> None:
    dispatcher, _clock = build(QueueConfig("sales"), members={})
    with pytest.raises(KeyError):
        dispatcher.update_queue(QueueConfig("support"))
    assert dispatcher.line_length("sales") == 0
    with pytest.raises(KeyError):
        dispatcher.line_length("support")

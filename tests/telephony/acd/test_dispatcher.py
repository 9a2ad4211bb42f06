"""The dispatcher: wrap-up, ring-out, missed offers, multi-queue agents, abandons, timers."""

from __future__ import annotations

import pytest

from hotline.telephony.acd import AgentState, IllegalTransition, QueueConfig, Strategy
from tests.telephony.acd.helpers import build, call, pairs, ready_at

S = AgentState


def test_wrap_up_ends_by_timer_at_the_queues_seconds_and_the_agent_takes_the_next_caller() -> None:
    # given a queue with 15 s wrap-up; a1 talks to c1 from 10 to 40; c2 waits
    dispatcher, clock = build(QueueConfig("sales", wrap_up_seconds=15.0), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    clock.set(10.0)
    dispatcher.enqueue(call("c1"))
    dispatcher.answer("a1")
    dispatcher.enqueue(call("c2"))
    clock.set(40.0)
    hang_up = dispatcher.hang_up("a1")
    assert ([c.new for c in hang_up.changes], hang_up.offers) == ([S.WRAP_UP], [])
    # when 14.9 s pass, then still wrapping up
    clock.set(54.9)
    assert dispatcher.tick().changes == []
    # when the timer is checked late (at 70), then wrap-up ended at 55 exactly and c2 is offered
    clock.set(70.0)
    decision = dispatcher.tick()
    assert [(c.old, c.new, c.at, c.previous_seconds) for c in decision.changes] == [
        (S.WRAP_UP, S.READY, 55.0, 15.0),
        (S.READY, S.RINGING, 55.0, 0.0),
    ]
    assert pairs(decision) == [("c2", "a1")]


def test_the_agent_can_end_wrap_up_early_and_the_stale_timer_does_nothing() -> None:
    dispatcher, clock = build(QueueConfig("sales", wrap_up_seconds=30.0), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1"))
    dispatcher.answer("a1")
    clock.set(10.0)
    dispatcher.hang_up("a1")
    clock.set(12.0)
    change = dispatcher.ready("a1").changes[0]
    assert (change.old, change.new, change.previous_seconds) == (S.WRAP_UP, S.READY, 2.0)
    dispatcher.not_ready("a1", "toilet")
    clock.set(41.0)
    assert dispatcher.tick().changes == []
    assert dispatcher.agent("a1").state is S.NOT_READY


def test_a_ring_out_offers_the_call_to_the_next_agent_and_not_again_to_the_first_during_cooldown() -> None:
    # given a1 (idle longest) and a2 ready, cooldown 30 s, pause after 3 misses
    config = QueueConfig("sales", ring_cooldown_seconds=30.0, max_misses=3)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    clock.set(10.0)
    assert pairs(dispatcher.enqueue(call("c1"))) == [("c1", "a1")]
    # when a1 does not answer, then c1 goes to a2 and a1 is ready again
    clock.set(25.0)
    decision = dispatcher.no_answer("a1")
    assert pairs(decision) == [("c1", "a2")]
    assert dispatcher.agent("a1").state is S.READY
    # when a2 does not answer either, then c1 waits: a1 is still cooling down for it
    clock.set(40.0)
    assert dispatcher.no_answer("a2").offers == []
    assert dispatcher.waiting("sales") == ["c1"]
    # when a1's cooldown ends at 55, then c1 is offered to a1 again
    clock.set(55.0)
    assert pairs(dispatcher.tick()) == [("c1", "a1")]


def test_a_cooled_down_agent_still_gets_other_callers() -> None:
    config = QueueConfig("sales", ring_cooldown_seconds=30.0, max_misses=3)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1"))
    clock.set(1.0)
    dispatcher.enqueue(call("c2"))
    clock.set(5.0)
    assert pairs(dispatcher.no_answer("a1")) == [("c2", "a1")]
    assert dispatcher.waiting("sales") == ["c1"]


def test_after_n_consecutive_misses_the_agent_goes_not_ready_with_reason_no_answer() -> None:
    # given a queue pausing agents after 2 consecutive misses, no cooldown
    config = QueueConfig("sales", max_misses=2, ring_cooldown_seconds=0.0)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1"))
    # when the first offer rings out, then a1 is offered the same caller again (no cooldown)
    clock.set(20.0)
    assert pairs(dispatcher.no_answer("a1")) == [("c1", "a1")]
    # when the second rings out, then a1 is paused with reason "no answer" and c1 waits
    clock.set(40.0)
    decision = dispatcher.no_answer("a1")
    assert [(c.new, c.reason) for c in decision.changes] == [(S.NOT_READY, "no answer")]
    assert (decision.offers, dispatcher.waiting("sales")) == ([], ["c1"])


def test_abandon_while_ringing_cancels_the_offer_without_counting_a_miss() -> None:
    config = QueueConfig("sales", max_misses=1)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1"))
    clock.set(3.0)
    dispatcher.enqueue(call("c2"))
    decision = dispatcher.abandon("c1")
    assert [(o.caller_id, o.agent_id) for o in decision.cancelled] == [("c1", "a1")]
    assert pairs(decision) == [("c2", "a1")]
    assert (dispatcher.agent("a1").consecutive_misses, dispatcher.is_queued("c1")) == (0, False)


def test_abandon_while_waiting_removes_the_caller_from_the_line() -> None:
    dispatcher, _clock = build(QueueConfig("sales"), members={})
    for caller_id in ("c1", "c2", "c3"):
        dispatcher.enqueue(call(caller_id))
    dispatcher.abandon("c2")
    assert dispatcher.waiting("sales") == ["c1", "c3"]
    assert dispatcher.line_length("sales") == 2
    assert dispatcher.position("c3") == 2


MULTI = (
    QueueConfig("sales"),
    QueueConfig("service"),
    QueueConfig("vip", weight_seconds=60.0),
)


def test_an_agent_in_several_queues_gets_the_longest_waiting_caller_across_them() -> None:
    # given callers in sales at 10 and in service at 5, and a1 serving both
    dispatcher, clock = build(*MULTI, members={"a1": {"sales": 1, "service": 1}})
    clock.set(5.0)
    dispatcher.enqueue(call("s1", "service"))
    clock.set(10.0)
    dispatcher.enqueue(call("c1", "sales"))
    # when a1 becomes ready, then the service caller (waited longer) is offered
    clock.set(20.0)
    assert pairs(dispatcher.login("a1", ready=True)) == [("s1", "a1")]


def test_queue_weight_credits_its_callers_seconds_of_waiting() -> None:
    # given a sales caller waiting since 0 and a vip-queue caller since 50 (weight 60 s)
    dispatcher, clock = build(*MULTI, members={"a1": {"sales": 1, "vip": 1}})
    dispatcher.enqueue(call("c1", "sales"))
    clock.set(50.0)
    dispatcher.enqueue(call("v1", "vip"))
    # when a1 becomes ready at 100, then v1 wins (50 + 60 > 100)
    clock.set(100.0)
    assert pairs(dispatcher.login("a1", ready=True)) == [("v1", "a1")]


def test_queue_weight_is_not_enough_against_a_much_longer_wait() -> None:
    dispatcher, clock = build(*MULTI, members={"a1": {"sales": 1, "vip": 1}})
    dispatcher.enqueue(call("c1", "sales"))
    clock.set(61.0)
    dispatcher.enqueue(call("v1", "vip"))
    clock.set(100.0)
    assert pairs(dispatcher.login("a1", ready=True)) == [("c1", "a1")]


def test_caller_priority_beats_waiting_time_across_queues() -> None:
    dispatcher, clock = build(*MULTI, members={"a1": {"sales": 1, "service": 1}})
    dispatcher.enqueue(call("c1", "sales"))
    clock.set(90.0)
    dispatcher.enqueue(call("p1", "service", priority=1))
    assert pairs(dispatcher.login("a1", ready=True)) == [("p1", "a1")]


def test_a_multi_queue_agent_ringing_for_one_queue_is_not_offered_by_another() -> None:
    dispatcher, clock = build(*MULTI, members={"a1": {"sales": 1, "service": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1", "sales"))
    assert dispatcher.enqueue(call("s1", "service")).offers == []
    assert dispatcher.staffed("sales") == dispatcher.staffed("service") == 1


def test_joining_a_queue_while_ready_takes_a_waiting_caller() -> None:
    dispatcher, clock = build(*MULTI, members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("s1", "service"))
    assert pairs(dispatcher.join("a1", "service")) == [("s1", "a1")]


def test_leaving_a_queue_stops_offers_from_it() -> None:
    dispatcher, clock = build(*MULTI, members={"a1": {"sales": 1, "service": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.leave("a1", "sales")
    assert dispatcher.enqueue(call("c1", "sales")).offers == []
    assert dispatcher.staffed("sales") == 0


def test_an_illegal_command_raises_and_timer_results_come_with_the_next_decision() -> None:
    # given a1 in wrap-up until 15 and a caller waiting
    dispatcher, clock = build(QueueConfig("sales", wrap_up_seconds=15.0), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    dispatcher.enqueue(call("c1"))
    dispatcher.answer("a1")
    dispatcher.enqueue(call("c2"))
    dispatcher.hang_up("a1")
    # when at 20 the agent asks to hang up again (illegal: the wrap-up timer already made it ringing)
    clock.set(20.0)
    with pytest.raises(ValueError, match="not on a call"):
        dispatcher.hang_up("a1")
    # then the offer made by the timer is handed over with the next decision
    assert pairs(dispatcher.tick()) == [("c2", "a1")]
    assert dispatcher.tick().offers == []


def test_answer_by_an_agent_who_is_not_ringing_is_refused() -> None:
    dispatcher, _clock = build(QueueConfig("sales"), members={"a1": {"sales": 1}})
    dispatcher.login("a1", ready=True)
    with pytest.raises(ValueError, match="not being offered"):
        dispatcher.answer("a1")
    with pytest.raises(IllegalTransition, match="agent a1 cannot log in while ready"):
        dispatcher.login("a1")
    assert dispatcher.agent("a1").state is S.READY


def test_ring_all_agent_freeing_up_gets_the_next_waiting_caller_alone() -> None:
    config = QueueConfig("sales", strategy=Strategy.RING_ALL)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    dispatcher.enqueue(call("c1"))
    clock.set(5.0)
    assert pairs(dispatcher.login("a2", ready=True)) == [("c1", "a2")]

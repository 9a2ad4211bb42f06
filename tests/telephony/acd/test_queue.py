"""Queue ordering, position, expected wait and overflow."""

from __future__ import annotations

import pytest

from hotline.telephony.acd import (
    AgentState,
    CallerSpec,
    OverflowKind,
    OverflowReason,
    OverflowTarget,
    QueueConfig,
    WideningStep,
    expected_wait,
)
from hotline.telephony.acd.dispatcher import Overflow
from tests.telephony.acd.helpers import build, call, pairs, ready_at

SALES = QueueConfig("sales")


def test_callers_wait_in_arrival_order_when_nobody_is_ready() -> None:
    dispatcher, clock = build(SALES, members={})
    for number in range(3):
        clock.set(float(number))
        dispatcher.enqueue(call(f"c{number}"))
    assert dispatcher.waiting("sales") == ["c0", "c1", "c2"]


def test_vip_callers_go_before_everyone_and_keep_arrival_order_among_themselves() -> None:
    # given two ordinary callers, then two VIPs, arriving one second apart
    dispatcher, clock = build(SALES, members={"a1": {"sales": 1}})
    for second, (caller_id, priority) in enumerate([("c1", 0), ("c2", 0), ("v1", 5), ("v2", 5), ("p1", 1)]):
        clock.set(float(second))
        dispatcher.enqueue(call(caller_id, priority=priority))
    # then the line is VIPs first, by priority then arrival
    assert dispatcher.waiting("sales") == ["v1", "v2", "p1", "c1", "c2"]
    # when the only agent becomes ready, then the first VIP is offered
    clock.set(10.0)
    assert pairs(dispatcher.login("a1", ready=True)) == [("v1", "a1")]


def test_a_callback_keeps_its_original_arrival_time() -> None:
    # given callers who arrived at 100 and 110
    dispatcher, clock = build(SALES, members={})
    clock.set(100.0)
    dispatcher.enqueue(call("c1"))
    clock.set(110.0)
    dispatcher.enqueue(call("c2"))
    # when at 300 a callback of a call that arrived at 105 re-enters the queue
    clock.set(300.0)
    dispatcher.enqueue(call("cb", arrival=105.0))
    # then it is placed between them, position 2
    assert dispatcher.waiting("sales") == ["c1", "cb", "c2"]
    assert dispatcher.position("cb") == 2


def test_equal_arrival_times_keep_entry_order() -> None:
    dispatcher, _clock = build(SALES, members={})
    for caller_id in ("x", "a", "m"):
        dispatcher.enqueue(call(caller_id, arrival=50.0))
    assert dispatcher.waiting("sales") == ["x", "a", "m"]


def test_position_counts_higher_priorities_and_earlier_callers() -> None:
    dispatcher, clock = build(SALES, members={})
    for second, (caller_id, priority) in enumerate([("c1", 0), ("c2", 0), ("v1", 1), ("c3", 0)]):
        clock.set(float(second))
        dispatcher.enqueue(call(caller_id, priority=priority))
    assert [dispatcher.position(c) for c in ("v1", "c1", "c2", "c3")] == [1, 2, 3, 4]


def test_expected_wait_formula() -> None:
    # EWT = ceil((ahead + 1) / staffed) × AHT
    assert expected_wait(0, 4, 120.0) == 120.0
    assert expected_wait(3, 4, 120.0) == 120.0
    assert expected_wait(4, 4, 120.0) == 240.0
    assert expected_wait(9, 2, 60.0) == 300.0
    assert expected_wait(5, 0, 60.0) is None


def test_expected_wait_uses_recent_handle_times_of_the_queue() -> None:
    # given a queue with 10 s wrap-up and two agents, who handle one call each (talk 50 s and 70 s)
    config = QueueConfig("sales", wrap_up_seconds=10.0, default_handle_seconds=300.0)
    dispatcher, clock = build(config, members={"a1": {"sales": 1}, "a2": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1", "a2")
    clock.set(10.0)
    dispatcher.enqueue(call("c1"))
    dispatcher.enqueue(call("c2"))
    dispatcher.answer("a1")
    dispatcher.answer("a2")
    clock.set(60.0)
    dispatcher.hang_up("a1")
    clock.set(80.0)
    dispatcher.hang_up("a2")
    # when both wrap-ups end by timer (70 and 90) and three callers wait behind busy agents
    clock.set(90.0)
    dispatcher.tick()
    for caller_id in ("d1", "d2", "d3", "d4", "d5"):
        dispatcher.enqueue(call(caller_id))
    # then AHT = (60 + 80) / 2 = 70 (talk + wrap-up), and the 5th caller waits ceil(3/2) waves
    assert [dispatcher.agent(a).state for a in ("a1", "a2")] == [AgentState.RINGING, AgentState.RINGING]
    assert dispatcher.waiting("sales") == ["d3", "d4", "d5"]
    assert dispatcher.expected_wait("d5") == 140.0
    assert dispatcher.expected_wait("d3") == 70.0
    assert dispatcher.expected_wait("d1") == 0.0
    assert dispatcher.position("d1") == 0


def test_expected_wait_is_unknown_when_nobody_is_staffed() -> None:
    dispatcher, _clock = build(SALES, members={"a1": {"sales": 1}})
    dispatcher.enqueue(call("c1"))
    assert dispatcher.expected_wait("c1") is None
    assert dispatcher.staffed("sales") == 0


def test_a_full_queue_overflows_the_next_caller_to_its_target_and_keeps_it_out() -> None:
    # given a queue of max length 2 overflowing to voicemail box 800
    target = OverflowTarget(OverflowKind.VOICEMAIL, "800")
    dispatcher, _clock = build(QueueConfig("sales", max_length=2, overflow=target), members={})
    dispatcher.enqueue(call("c1"))
    dispatcher.enqueue(call("c2"))
    # when a third caller arrives
    decision = dispatcher.enqueue(call("c3"))
    # then it overflows for being full, and the line is unchanged
    assert decision.overflows == [Overflow("c3", "sales", OverflowReason.FULL, target)]
    assert dispatcher.waiting("sales") == ["c1", "c2"]
    assert not dispatcher.is_queued("c3")


def test_a_caller_leaving_makes_room_in_a_full_queue() -> None:
    dispatcher, _clock = build(QueueConfig("sales", max_length=1), members={})
    dispatcher.enqueue(call("c1"))
    dispatcher.abandon("c1")
    assert dispatcher.enqueue(call("c2")).overflows == []


def test_max_wait_overflows_exactly_at_the_limit() -> None:
    # given a queue with a 60 s max wait overflowing to the callback queue
    target = OverflowTarget(OverflowKind.CALLBACK)
    dispatcher, clock = build(QueueConfig("sales", max_wait_seconds=60.0, overflow=target), members={})
    clock.set(5.0)
    dispatcher.enqueue(call("c1"))
    # when 59.9 s have passed nothing happens; at 65 it overflows
    clock.set(64.9)
    assert dispatcher.tick().overflows == []
    assert dispatcher.next_due() == 65.0
    clock.set(65.0)
    assert dispatcher.tick().overflows == [Overflow("c1", "sales", OverflowReason.TIMEOUT, target)]
    assert dispatcher.waiting("sales") == []


def test_max_wait_counts_from_entering_the_queue_not_from_a_callbacks_original_arrival() -> None:
    dispatcher, clock = build(QueueConfig("sales", max_wait_seconds=60.0), members={})
    clock.set(1000.0)
    dispatcher.enqueue(call("cb", arrival=10.0))
    clock.set(1059.0)
    assert dispatcher.tick().overflows == []
    clock.set(1060.0)
    assert [o.caller_id for o in dispatcher.tick().overflows] == ["cb"]


def test_a_ringing_caller_past_max_wait_overflows_when_the_ring_fails() -> None:
    # given a caller offered at 50 with a 60 s max wait
    dispatcher, clock = build(QueueConfig("sales", max_wait_seconds=60.0), members={"a1": {"sales": 1}})
    dispatcher.enqueue(call("c1"))
    clock.set(50.0)
    assert pairs(dispatcher.login("a1", ready=True)) == [("c1", "a1")]
    # when the limit passes while ringing, nothing happens; then the agent does not answer
    clock.set(61.0)
    assert dispatcher.tick().overflows == []
    decision = dispatcher.no_answer("a1")
    # then the caller overflows instead of going back in line
    assert [(o.caller_id, o.reason) for o in decision.overflows] == [("c1", OverflowReason.TIMEOUT)]
    assert not dispatcher.is_queued("c1")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_length"):
        QueueConfig("q", max_length=0)
    with pytest.raises(ValueError, match="negative"):
        QueueConfig("q", max_misses=-1)
    with pytest.raises(ValueError, match="time order"):
        QueueConfig("q", widening=(WideningStep(30, 2), WideningStep(10, 1)))


def test_unknown_queue_and_duplicate_caller_are_refused() -> None:
    dispatcher, _clock = build(SALES, members={})
    with pytest.raises(KeyError, match="unknown queue nope"):
        dispatcher.enqueue(CallerSpec("c1", "nope"))
    dispatcher.enqueue(call("c1"))
    with pytest.raises(ValueError, match="already queued"):
        dispatcher.enqueue(call("c1"))
    assert dispatcher.waiting("sales") == ["c1"]

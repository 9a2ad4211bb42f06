"""Extending wrap-up: the agent asks for more after-call time, within limits, on the fake clock."""

from __future__ import annotations

import pytest

from hotline.telephony.acd import (
    MAX_WRAP_UP_EXTENSION_SECONDS,
    MAX_WRAP_UP_EXTENSIONS,
    AgentState,
    IllegalTransition,
    QueueConfig,
    WrapUpLimit,
)
from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.acd.dispatcher import Dispatcher
from tests.telephony.acd.helpers import build, call, pairs, ready_at

S = AgentState


def wrapping_up(wrap_up: float = 15.0) -> tuple[Dispatcher, ManualClock]:
    """a1 hung up c1 at 40 (wrap-up until 40 + `wrap_up`); c2 waits."""
    dispatcher, clock = build(QueueConfig("sales", wrap_up_seconds=wrap_up), members={"a1": {"sales": 1}})
    ready_at(dispatcher, clock, 0.0, "a1")
    clock.set(10.0)
    dispatcher.enqueue(call("c1"))
    dispatcher.answer("a1")
    dispatcher.enqueue(call("c2"))
    clock.set(40.0)
    dispatcher.hang_up("a1")
    return dispatcher, clock


def test_an_extension_moves_the_end_of_wrap_up_and_the_next_caller_waits_until_then() -> None:
    dispatcher, clock = wrapping_up()
    assert dispatcher.wrap_up_end("a1") == 55.0
    # when the agent asks for 30 s more at 50
    clock.set(50.0)
    decision = dispatcher.extend_wrap_up("a1", 30)
    assert (decision.changes, decision.offers) == ([], [])
    assert dispatcher.wrap_up_end("a1") == 85.0
    # then at the old end nothing happens
    clock.set(55.0)
    assert dispatcher.tick().changes == []
    assert dispatcher.agent("a1").state is S.WRAP_UP
    # and at the new end the agent is ready and c2 rings
    clock.set(85.0)
    ended = dispatcher.tick()
    assert [(c.old, c.new, c.at, c.previous_seconds) for c in ended.changes] == [
        (S.WRAP_UP, S.READY, 85.0, 45.0), (S.READY, S.RINGING, 85.0, 0.0)]
    assert pairs(ended) == [("c2", "a1")]
    assert dispatcher.wrap_up_end("a1") is None


def test_at_most_three_extensions_per_wrap_up() -> None:
    dispatcher, _clock = wrapping_up()
    for _ in range(MAX_WRAP_UP_EXTENSIONS):
        dispatcher.extend_wrap_up("a1", 10)
    assert dispatcher.wrap_up_end("a1") == 85.0
    with pytest.raises(WrapUpLimit):
        dispatcher.extend_wrap_up("a1", 10)
    assert dispatcher.wrap_up_end("a1") == 85.0


def test_extensions_add_up_to_at_most_300_seconds_the_last_one_cut_to_what_is_left() -> None:
    assert MAX_WRAP_UP_EXTENSION_SECONDS == 300.0
    dispatcher, _clock = wrapping_up()
    dispatcher.extend_wrap_up("a1", 200)
    dispatcher.extend_wrap_up("a1", 200)
    assert dispatcher.wrap_up_end("a1") == 55.0 + 300.0
    with pytest.raises(WrapUpLimit):
        dispatcher.extend_wrap_up("a1", 1)


def test_the_next_wrap_up_starts_with_no_extensions_used() -> None:
    dispatcher, clock = wrapping_up()
    for _ in range(MAX_WRAP_UP_EXTENSIONS):
        dispatcher.extend_wrap_up("a1", 10)
    clock.set(85.0)
    assert pairs(dispatcher.tick()) == [("c2", "a1")]
    dispatcher.answer("a1")
    clock.set(100.0)
    dispatcher.hang_up("a1")
    dispatcher.extend_wrap_up("a1", 20)
    assert dispatcher.wrap_up_end("a1") == 135.0


def test_outside_wrap_up_an_extension_is_refused_and_changes_nothing() -> None:
    dispatcher, clock = wrapping_up()
    clock.set(56.0)  # the wrap-up ended at 55; c2 rings a1 now
    with pytest.raises(IllegalTransition):
        dispatcher.extend_wrap_up("a1", 30)
    # the timer's effects are not lost: the next decision carries them
    assert dispatcher.agent("a1").state is S.RINGING
    assert pairs(dispatcher.tick()) == [("c2", "a1")]
    with pytest.raises(IllegalTransition):
        dispatcher.extend_wrap_up("a1", 30)


def test_a_non_positive_extension_is_refused() -> None:
    dispatcher, _clock = wrapping_up()
    with pytest.raises(ValueError):
        dispatcher.extend_wrap_up("a1", 0)
    assert dispatcher.wrap_up_end("a1") == 55.0


def test_ending_an_extended_wrap_up_early_leaves_its_timers_without_effect() -> None:
    dispatcher, clock = wrapping_up()
    dispatcher.extend_wrap_up("a1", 30)
    clock.set(60.0)
    dispatcher.not_ready("a1", "toilet")
    clock.set(90.0)
    assert dispatcher.tick().changes == []
    assert dispatcher.agent("a1").state is S.NOT_READY and dispatcher.wrap_up_end("a1") is None

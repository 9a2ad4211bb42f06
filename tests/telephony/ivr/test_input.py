"""Menus and digit collection: keys, barge-in, retries, silent passes and timeouts to the exact second."""

from __future__ import annotations

from typing import Any

from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.ivr.actions import EnqueueCall, PlayPrompts, StopPlayback, WaitForDigits
from hotline.telephony.ivr.interpreter import IvrSession, Phase
from tests.telephony.ivr.helpers import CALL, flow_of, make_session, steps, visits

MENU: dict[str, Any] = {
    "type": "menu", "prompts": ["main_menu"], "options": {1: "orders", "#": "service"}, "timeout": 5,
    "retries": 2, "invalid_prompt": "invalid_key", "no_input_prompt": "no_input", "fallback": "fallback",
}
QUEUES: dict[str, dict[str, Any]] = {
    "orders": {"type": "queue", "queue": "orders"},
    "service": {"type": "queue", "queue": "after_sales"},
    "fallback": {"type": "queue", "queue": "overflow"},
}


def menu_session(clock: ManualClock, **changes: Any) -> IvrSession:
    session = make_session(flow_of("menu", menu={**MENU, **changes}, **QUEUES), clock)
    session.start(CALL)
    return session


def test_menu_listens_after_its_prompt_and_branches_on_a_key() -> None:
    clock = ManualClock()
    session = menu_session(clock)
    assert session.on_prompt_done() == [WaitForDigits(5.0)]
    actions = session.on_digit("#")
    assert visits(actions) == ["service"]
    assert steps(actions) == [EnqueueCall("after_sales")]


def test_a_key_during_the_menu_prompt_stops_it_and_counts() -> None:
    session = menu_session(ManualClock())
    actions = session.on_digit("1")
    assert steps(actions) == [StopPlayback(), EnqueueCall("orders")]
    assert session.on_prompt_done() == []  # a late "done" from the stopped prompt changes nothing


def test_menu_timeout_fires_at_the_exact_second_not_before() -> None:
    clock = ManualClock(10.0)
    session = menu_session(clock, no_input_passes=2)
    session.on_prompt_done()
    clock.set(14.999)
    assert session.on_timeout() == []  # an early timer is ignored
    assert session.phase is Phase.LISTENING
    clock.set(15.0)
    assert session.on_timeout() == [PlayPrompts(("no_input", "main_menu"), barge_in=True)]


def test_one_silent_pass_goes_to_the_fallback_at_once_by_default() -> None:
    clock = ManualClock()
    session = menu_session(clock)
    assert session.on_prompt_done() == [WaitForDigits(5.0)]
    clock.set(4.999)
    assert session.on_timeout() == []
    clock.set(5.0)
    actions = session.on_timeout()
    assert visits(actions) == ["fallback"]
    assert steps(actions) == [EnqueueCall("overflow")]  # no "no input" prompt on the way out


def test_menu_invalid_keys_use_up_retries_then_go_to_the_fallback() -> None:
    session = menu_session(ManualClock())
    session.on_prompt_done()
    for _ in range(2):
        assert session.on_digit("7") == [PlayPrompts(("invalid_key", "main_menu"), barge_in=True)]
        assert session.on_prompt_done() == [WaitForDigits(5.0)]
    assert session.on_digit("*") == [PlayPrompts(("invalid_key",), barge_in=True)]  # third: retries (2) are spent
    last = session.on_prompt_done()
    assert visits(last) == ["fallback"]
    assert steps(last) == [EnqueueCall("overflow")]


def test_silences_and_wrong_keys_are_counted_apart() -> None:
    clock = ManualClock()
    session = menu_session(clock, retries=1, no_input_passes=2)
    session.on_prompt_done()
    assert session.on_digit("7") == [PlayPrompts(("invalid_key", "main_menu"), barge_in=True)]
    session.on_prompt_done()
    clock.advance(5)
    assert session.on_timeout() == [PlayPrompts(("no_input", "main_menu"), barge_in=True)]  # silent pass 1 of 2
    session.on_prompt_done()
    clock.advance(5)
    last = session.on_timeout()  # silent pass 2 of 2; the wrong key before it used a try, not a pass
    assert visits(last) == ["fallback"]
    assert steps(last) == [EnqueueCall("overflow")]


def test_menu_timeouts_alone_reach_the_fallback_at_15_seconds_of_silence() -> None:
    clock = ManualClock()
    session = menu_session(clock, invalid_prompt="", no_input_prompt="", no_input_passes=3)
    times = []
    for _ in range(3):
        session.on_prompt_done()
        clock.advance(5)
        times.append(clock.now())
        actions = session.on_timeout()
    assert times == [5.0, 10.0, 15.0]
    assert steps(actions) == [EnqueueCall("overflow")]


def test_a_stale_timer_after_leaving_the_menu_changes_nothing() -> None:
    clock = ManualClock()
    session = menu_session(clock)
    session.on_prompt_done()
    session.on_digit("1")
    clock.advance(60)
    assert session.on_timeout() == []
    assert session.outcome == EnqueueCall("orders")


COLLECT: dict[str, Any] = {
    "type": "collect", "prompts": ["enter_order_number"], "variable": "order_no", "min_length": 3,
    "max_length": 6, "timeout": 8, "inter_digit_timeout": 3, "retries": 1, "invalid_prompt": "invalid_key",
    "no_input_prompt": "no_input", "next": "done", "fallback": "fallback",
}


def collect_session(clock: ManualClock, **changes: Any) -> IvrSession:
    nodes = {"ask": {**COLLECT, **changes}, "done": {"type": "queue", "queue": "orders"},
             "fallback": QUEUES["fallback"]}
    session = make_session(flow_of("ask", **nodes), clock)
    session.start(CALL)
    session.on_prompt_done()
    return session


def test_collect_ends_on_the_terminator_and_stores_the_digits() -> None:
    session = collect_session(ManualClock())
    assert session.on_digit("4") == [WaitForDigits(3.0)]  # from the first key on, the inter-digit timeout
    session.on_digit("2")
    session.on_digit("1")
    actions = session.on_digit("#")
    assert visits(actions) == ["done"]
    assert session.variables == {"order_no": "421"}


def test_collect_ends_by_itself_at_max_length() -> None:
    session = collect_session(ManualClock())
    for key in "12345":
        session.on_digit(key)
    assert visits(session.on_digit("6")) == ["done"]
    assert session.variables == {"order_no": "123456"}


def test_collect_ignores_star_when_the_terminator_is_hash() -> None:
    session = collect_session(ManualClock())
    assert session.on_digit("*") == []
    for key in "123#":
        session.on_digit(key)
    assert session.variables == {"order_no": "123"}


def test_collect_without_terminator_ends_on_the_inter_digit_timeout() -> None:
    clock = ManualClock()
    session = collect_session(clock, terminator="")
    for key in "1234#":
        session.on_digit(key)
    clock.set(2.999)
    assert session.on_timeout() == []
    clock.set(3.0)
    assert visits(session.on_timeout()) == ["done"]
    assert session.variables == {"order_no": "1234"}


def test_collect_too_short_retries_then_falls_back() -> None:
    session = collect_session(ManualClock())
    session.on_digit("1")
    assert session.on_digit("#") == [PlayPrompts(("invalid_key", "enter_order_number"), barge_in=True)]
    session.on_prompt_done()
    session.on_digit("2")
    assert session.on_digit("#") == [PlayPrompts(("invalid_key",), barge_in=True)]
    assert steps(session.on_prompt_done()) == [EnqueueCall("overflow")]
    assert session.variables == {}


def test_collect_first_key_timeout_is_the_long_one() -> None:
    clock = ManualClock()
    session = collect_session(clock)
    clock.set(7.999)
    assert session.on_timeout() == []
    clock.set(8.0)
    assert session.on_timeout() == [PlayPrompts(("no_input", "enter_order_number"), barge_in=True)]

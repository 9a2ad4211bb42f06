"""The demo flow end to end, for each menu choice, for a caller who types ahead and for one who presses nothing."""

from __future__ import annotations

import pytest

from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.ivr.actions import (
    Action,
    EnqueueCall,
    HangUpCall,
    LogEvent,
    OrderResult,
    OrderStatusRequest,
    PlayPrompts,
    StopPlayback,
    WaitForDigits,
)
from hotline.telephony.ivr.interpreter import IvrSession
from hotline.telephony.ivr.loader import load_demo_flow
from tests.telephony.ivr.helpers import CALL, make_session, steps, visits

DEMO = load_demo_flow()
HOLD = ("please_hold",)


def at_main_menu(clock: ManualClock) -> tuple[IvrSession, list[Action]]:
    session = make_session(DEMO, clock)
    log = session.start(CALL)
    assert steps(log) == [PlayPrompts(("welcome",), barge_in=True)]
    clock.advance(4)
    log += session.on_prompt_done()
    clock.advance(8)
    log += session.on_prompt_done()
    assert steps(log)[-1] == WaitForDigits(2.0)
    return session, log


@pytest.mark.parametrize(("key", "node", "queue"), [("1", "orders", "orders"), ("3", "after_sales", "after_sales")])
def test_keys_1_and_3_go_to_their_queues(key: str, node: str, queue: str) -> None:
    clock = ManualClock()
    session, log = at_main_menu(clock)
    log += session.on_digit(key)
    assert steps(log)[-1] == EnqueueCall(queue, 0, HOLD)  # "please hold" plays in line, agents already ringing
    assert visits(log) == ["welcome", "main_menu", node]
    assert session.outcome == EnqueueCall(queue, 0, HOLD)


def test_1_pressed_during_the_welcome_goes_to_orders_without_the_menu() -> None:
    clock = ManualClock()
    session = make_session(DEMO, clock)
    session.start(CALL)
    clock.advance(1)
    actions = session.on_digit("1")
    assert steps(actions) == [StopPlayback(), EnqueueCall("orders", 0, HOLD)]
    assert [(a.event.node, a.event.digits, a.event.mono) for a in actions if isinstance(a, LogEvent)] == [
        ("main_menu", "1", 1.0), ("orders", "", 1.0)]


def test_visit_events_carry_the_flow_and_the_monotonic_time() -> None:
    clock = ManualClock(1000.0)
    session, log = at_main_menu(clock)
    log += session.on_digit("1")
    events = [(a.event.flow, a.event.node, a.event.mono, a.event.call_id) for a in log if isinstance(a, LogEvent)]
    assert events == [("demo", "welcome", 1000.0, "c1"), ("demo", "main_menu", 1004.0, "c1"),
                      ("demo", "orders", 1012.0, "c1")]


def test_key_2_finds_the_callers_order_and_offers_an_agent() -> None:
    clock = ManualClock()
    session, log = at_main_menu(clock)
    log += session.on_digit("2")
    assert steps(log)[-1] == OrderStatusRequest(caller="13800138000")
    log += session.on_result(OrderResult("delivered"))
    assert steps(log)[-1] == PlayPrompts(("order_status_intro", "status_delivered"), barge_in=True)
    log += session.on_prompt_done()
    log += session.on_digit("0")
    assert visits(log) == ["welcome", "main_menu", "status_by_caller", "status_menu", "status_agent"]
    assert session.outcome == EnqueueCall("after_sales", 0, HOLD)


def test_key_2_asks_for_the_order_number_when_the_caller_has_none() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)
    session.on_digit("2")
    assert steps(session.on_result(OrderResult(""))) == [PlayPrompts(("enter_order_number",), barge_in=True)]
    session.on_prompt_done()
    for key in "20261124000123":
        actions = session.on_digit(key)
    assert steps(actions) == [OrderStatusRequest(order_no="20261124000123")]
    assert session.on_result(OrderResult("")) == [PlayPrompts(("order_not_found",), barge_in=True)]
    assert steps(session.on_prompt_done()) == [PlayPrompts(("status_menu",), barge_in=True)]
    actions = session.on_digit("9")  # back to the main menu, then to orders
    assert visits(actions) == ["main_menu"]
    session.on_digit("1")
    assert session.outcome == EnqueueCall("orders", 0, HOLD)


def test_a_silent_caller_is_put_through_to_orders_after_one_pass_of_the_menu() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)  # the menu listens from 12 s
    clock.set(13.999)
    assert session.on_timeout() == []
    clock.set(14.0)
    actions = session.on_timeout()
    assert visits(actions) == ["orders"]
    assert steps(actions) == [EnqueueCall("orders", 0, HOLD)]


def test_wrong_keys_end_in_the_orders_queue_too() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)
    for _ in range(2):
        session.on_digit("8")
        session.on_prompt_done()
    assert session.on_digit("#") == [PlayPrompts(("invalid_key",), barge_in=True)]
    session.on_prompt_done()
    assert session.outcome == EnqueueCall("orders", 0, HOLD)


def test_status_menu_silence_ends_with_goodbye() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)
    session.on_digit("2")
    session.on_result(OrderResult("shipped"))
    session.on_prompt_done()
    session.on_prompt_done()
    clock.advance(5)
    assert session.on_timeout() == [PlayPrompts(("no_input", "status_menu"), barge_in=True)]  # two passes here
    session.on_prompt_done()
    clock.advance(5)
    assert steps(session.on_timeout()) == [PlayPrompts(("goodbye",), barge_in=True)]
    assert session.on_prompt_done() == [HangUpCall()]
    assert session.outcome == HangUpCall()

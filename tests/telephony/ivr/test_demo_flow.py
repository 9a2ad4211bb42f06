"""The demo flow end to end, for each menu choice and for a caller who presses nothing."""

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
    WaitForDigits,
)
from hotline.telephony.ivr.interpreter import IvrSession
from hotline.telephony.ivr.loader import load_demo_flow
from tests.telephony.ivr.helpers import CALL, make_session, steps, visits

DEMO = load_demo_flow()


def at_main_menu(clock: ManualClock) -> tuple[IvrSession, list[Action]]:
    session = make_session(DEMO, clock)
    log = session.start(CALL)
    assert steps(log) == [PlayPrompts(("welcome",))]
    clock.advance(4)
    log += session.on_prompt_done()
    clock.advance(8)
    log += session.on_prompt_done()
    assert steps(log)[-1] == WaitForDigits(5.0)
    return session, log


@pytest.mark.parametrize(("key", "node", "queue"), [("1", "orders", "orders"), ("3", "after_sales", "after_sales")])
def test_keys_1_and_3_go_to_their_queues(key: str, node: str, queue: str) -> None:
    clock = ManualClock()
    session, log = at_main_menu(clock)
    log += session.on_digit(key)
    assert steps(log)[-1] == PlayPrompts(("please_hold",))
    log += session.on_prompt_done()
    assert visits(log) == ["welcome", "main_menu", node]
    assert session.outcome == EnqueueCall(queue)


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
    assert steps(log)[-1] == PlayPrompts(("order_status_intro", "status_delivered"))
    log += session.on_prompt_done()
    log += session.on_digit("0")
    log += session.on_prompt_done()
    assert visits(log) == ["welcome", "main_menu", "status_by_caller", "status_menu", "status_agent"]
    assert session.outcome == EnqueueCall("after_sales")


def test_key_2_asks_for_the_order_number_when_the_caller_has_none() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)
    session.on_digit("2")
    assert steps(session.on_result(OrderResult(""))) == [PlayPrompts(("enter_order_number",), barge_in=True)]
    session.on_prompt_done()
    for key in "20261124000123":
        actions = session.on_digit(key)
    assert steps(actions) == [OrderStatusRequest(order_no="20261124000123")]
    assert session.on_result(OrderResult("")) == [PlayPrompts(("order_not_found",))]
    assert steps(session.on_prompt_done()) == [PlayPrompts(("status_menu",), barge_in=True)]
    actions = session.on_digit("9")  # back to the main menu, then to orders
    assert visits(actions) == ["main_menu"]
    session.on_digit("1")
    session.on_prompt_done()
    assert session.outcome == EnqueueCall("orders")


def test_a_silent_caller_is_put_through_to_orders_after_three_timeouts() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)
    for second in (17.0, 22.0):  # menu listening from 12 s; each re-prompt restarts the 5 s wait
        clock.set(second)
        assert session.on_timeout() == [PlayPrompts(("no_input", "main_menu"), barge_in=True)]
        assert session.on_prompt_done() == [WaitForDigits(5.0)]
    clock.set(26.999)
    assert session.on_timeout() == []
    clock.set(27.0)
    assert session.on_timeout() == [PlayPrompts(("no_input",))]
    actions = session.on_prompt_done()
    assert visits(actions) == ["orders"]
    session.on_prompt_done()
    assert session.outcome == EnqueueCall("orders")


def test_wrong_keys_end_in_the_orders_queue_too() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)
    for _ in range(2):
        session.on_digit("8")
        session.on_prompt_done()
    assert session.on_digit("#") == [PlayPrompts(("invalid_key",))]
    session.on_prompt_done()
    session.on_prompt_done()
    assert session.outcome == EnqueueCall("orders")


def test_status_menu_silence_ends_with_goodbye() -> None:
    clock = ManualClock()
    session, _ = at_main_menu(clock)
    session.on_digit("2")
    session.on_result(OrderResult("shipped"))
    session.on_prompt_done()
    session.on_prompt_done()
    clock.advance(5)
    session.on_timeout()
    session.on_prompt_done()
    clock.advance(5)
    assert session.on_timeout() == [PlayPrompts(("no_input",))]
    assert steps(session.on_prompt_done()) == [PlayPrompts(("goodbye",))]
    assert session.on_prompt_done() == [HangUpCall()]
    assert session.outcome == HangUpCall()

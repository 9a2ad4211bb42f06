"""Barge-in and type-ahead: a key stops an interruptible prompt, and the next menu or collect node uses it."""

from __future__ import annotations

from typing import Any

from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.ivr.actions import (
    EnqueueCall,
    HangUpCall,
    LogEvent,
    OrderStatusRequest,
    PlayPrompts,
    StopPlayback,
    WaitForDigits,
)
from hotline.telephony.ivr.interpreter import IvrSession, Phase
from tests.telephony.ivr.helpers import CALL, flow_of, make_session, steps, visits

WELCOME: dict[str, Any] = {"type": "play", "prompts": ["welcome"], "next": "menu"}
MENU: dict[str, Any] = {"type": "menu", "prompts": ["main_menu"], "options": {1: "orders", 2: "ask"},
                        "invalid_prompt": "invalid_key", "fallback": "orders"}
NODES: dict[str, Any] = {
    "orders": {"type": "queue", "queue": "orders", "prompts": ["please_hold"]},
    "ask": {"type": "collect", "prompts": ["enter_order_number"], "variable": "order_no", "min_length": 3,
            "max_length": 3, "next": "lookup", "fallback": "orders"},
    "lookup": {"type": "order_status", "lookup": "variable", "variable": "order_no", "found": "bye",
               "not_found": "bye", "not_found_prompt": "order_not_found"},
    "bye": {"type": "hangup", "prompts": ["goodbye"]},
}


def session_of(*, welcome: dict[str, Any] | None = None, menu: dict[str, Any] | None = None) -> IvrSession:
    flow = flow_of("welcome", welcome={**WELCOME, **(welcome or {})}, menu={**MENU, **(menu or {})}, **NODES)
    session = make_session(flow, ManualClock())
    interruptible = (welcome or {}).get("interruptible", True)
    assert steps(session.start(CALL)) == [PlayPrompts(("welcome",), barge_in=interruptible)]
    return session


def test_a_key_during_the_welcome_stops_it_and_the_menu_acts_on_it_without_playing_its_prompt() -> None:
    session = session_of()
    actions = session.on_digit("1")
    assert visits(actions) == ["menu", "orders"]
    assert steps(actions) == [StopPlayback(), EnqueueCall("orders", 0, ("please_hold",))]
    menu_visit = next(a.event for a in actions if isinstance(a, LogEvent) and a.event.node == "menu")
    assert menu_visit.digits == "1"  # the log shows the menu was answered by a key typed ahead
    assert session.on_prompt_done() == []  # the stopped welcome's late "done" changes nothing


def test_a_wrong_key_typed_ahead_counts_as_the_menus_first_wrong_key() -> None:
    session = session_of()
    actions = session.on_digit("9")
    assert visits(actions) == ["menu"]
    assert steps(actions) == [StopPlayback(), PlayPrompts(("invalid_key", "main_menu"), barge_in=True)]


def test_keys_typed_ahead_into_a_collect_node_are_its_first_digits() -> None:
    flow = flow_of("intro", intro={"type": "play", "prompts": ["order_status_intro"], "next": "ask"}, **NODES)
    session = make_session(flow, ManualClock())
    session.start(CALL)
    actions = session.on_digit("4")
    assert visits(actions) == ["ask"]
    assert steps(actions) == [StopPlayback(), WaitForDigits(3.0)]  # its prompt skipped, the next digit awaited
    assert [a.event.digits for a in actions if isinstance(a, LogEvent)] == [""]  # collected digits are never logged
    session.on_digit("5")
    assert steps(session.on_digit("6")) == [OrderStatusRequest(order_no="456")]


def test_a_prompt_not_marked_interruptible_ignores_keys_and_keeps_none() -> None:
    session = session_of(welcome={"interruptible": False})
    assert session.on_digit("1") == []
    assert session.phase is Phase.PLAYING
    actions = session.on_prompt_done()
    assert visits(actions) == ["menu"]
    assert steps(actions) == [PlayPrompts(("main_menu",), barge_in=True)]  # the 1 was not typed ahead


def test_a_menu_not_marked_interruptible_plays_in_full_and_drops_keys_typed_before_it() -> None:
    session = session_of(menu={"interruptible": False})
    actions = session.on_digit("1")  # during the (interruptible) welcome
    assert steps(actions) == [StopPlayback(), PlayPrompts(("main_menu",), barge_in=False)]
    assert [a.event.digits for a in actions if isinstance(a, LogEvent)] == [""]
    assert session.on_digit("1") == []  # during its own prompt
    assert session.on_prompt_done() == [WaitForDigits(5.0)]
    assert steps(session.on_digit("1")) == [EnqueueCall("orders", 0, ("please_hold",))]


def test_a_key_during_a_goodbye_ends_the_call_at_once() -> None:
    session = make_session(flow_of("bye", bye=NODES["bye"]), ManualClock())
    assert steps(session.start(CALL)) == [PlayPrompts(("goodbye",), barge_in=True)]
    assert session.on_digit("5") == [StopPlayback(), HangUpCall()]


def test_a_key_during_a_host_look_up_is_ignored() -> None:
    session = session_of()
    session.on_digit("2")
    session.on_digit("1")
    session.on_digit("2")
    assert steps(session.on_digit("3")) == [OrderStatusRequest(order_no="123")]
    assert session.on_digit("7") == []
    assert session.phase is Phase.AWAITING_RESULT

"""Each node type on its own, on a manual clock."""

from __future__ import annotations

import datetime

import pytest

from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.events import IvrNode
from hotline.telephony.ivr.actions import (
    Action,
    EnqueueCall,
    HangUpCall,
    LogEvent,
    MemberResult,
    OrderResult,
    OrderStatusRequest,
    PlayPrompts,
    VerifyMemberRequest,
)
from hotline.telephony.ivr.interpreter import IvrSession, IvrStateError, Phase
from tests.telephony.ivr.helpers import CALL, EPOCH, flow_of, make_session, steps, visits

BYE = {"type": "hangup", "prompts": ["goodbye"]}


def test_play_then_next_node_logs_each_visit_with_its_times() -> None:
    clock = ManualClock(100.0)
    session = make_session(flow_of("hello", hello={"type": "play", "prompts": ["welcome", "please_hold"],
                                                   "next": "bye"}, bye=BYE), clock)
    first = session.start(CALL)
    assert first == [
        LogEvent(IvrNode(call_id="c1", at=EPOCH + datetime.timedelta(seconds=100), mono=100.0, flow="t",
                         node="hello")),
        PlayPrompts(("welcome", "please_hold"), barge_in=True),
    ]
    clock.advance(4.5)
    second = session.on_prompt_done()
    assert second == [
        LogEvent(IvrNode(call_id="c1", at=EPOCH + datetime.timedelta(seconds=104.5), mono=104.5, flow="t",
                         node="bye")),
        PlayPrompts(("goodbye",), barge_in=True),
    ]
    assert session.on_prompt_done() == [HangUpCall()]
    assert session.outcome == HangUpCall()
    assert session.phase is Phase.DONE
    assert session.on_prompt_done() == []


def test_hangup_without_prompt_ends_at_once() -> None:
    session = make_session(flow_of("bye", bye={"type": "hangup"}), ManualClock())
    assert steps(session.start(CALL)) == [HangUpCall()]


def test_queue_node_enqueues_at_once_with_priority_and_its_prompt_to_play_in_line() -> None:
    session = make_session(flow_of("q", q={"type": "queue", "queue": "vip", "priority": 5,
                                           "prompts": ["please_hold"]}), ManualClock())
    assert steps(session.start(CALL)) == [EnqueueCall("vip", 5, ("please_hold",))]
    assert session.outcome == EnqueueCall("vip", 5, ("please_hold",))
    assert session.phase is Phase.DONE


def test_start_twice_is_refused() -> None:
    session = make_session(flow_of("bye", bye={"type": "hangup"}), ManualClock())
    session.start(CALL)
    with pytest.raises(IvrStateError, match="already started"):
        session.start(CALL)


def test_caller_hangup_stops_the_session() -> None:
    session = make_session(flow_of("hello", hello={"type": "play", "prompts": ["welcome"], "next": "bye"},
                                   bye=BYE), ManualClock())
    session.start(CALL)
    assert session.on_caller_hangup() == []
    assert session.on_prompt_done() == []
    assert session.phase is Phase.DONE


def test_a_result_nobody_asked_for_is_refused() -> None:
    session = make_session(flow_of("bye", bye={"type": "hangup"}), ManualClock())
    session.start(CALL)
    with pytest.raises(IvrStateError, match="no host request is pending"):
        session.on_result(MemberResult("cust-1"))


# -- verify member

VERIFY_NODES = {
    "member": {"type": "collect", "prompts": ["enter_member_number"], "variable": "member_no", "min_length": 4,
               "max_length": 8, "next": "pin", "fallback": "agent"},
    "pin": {"type": "collect", "prompts": ["enter_pin"], "variable": "pin", "min_length": 4, "max_length": 4,
            "next": "check", "fallback": "agent"},
    "check": {"type": "verify_member", "member_variable": "member_no", "pin_variable": "pin", "success": "vip",
              "failure": "agent", "retry": "member", "max_attempts": 2, "failure_prompt": "verification_failed"},
    "vip": {"type": "queue", "queue": "vip", "priority": 10},
    "agent": {"type": "queue", "queue": "orders"},
}


def _enter_credentials(session: IvrSession, member: str, pin: str) -> list[Action]:
    session.on_prompt_done()
    for key in f"{member}#":
        session.on_digit(key)
    session.on_prompt_done()
    actions: list[Action] = []
    for key in pin:
        actions = list(session.on_digit(key))
    return actions


def test_verify_member_success_stores_the_customer_and_forgets_the_pin() -> None:
    session = make_session(flow_of("member", **VERIFY_NODES), ManualClock())
    session.start(CALL)
    actions = _enter_credentials(session, "123456", "4321")
    assert visits(actions) == ["check"]
    assert steps(actions) == [VerifyMemberRequest("123456", "4321")]
    assert "pin" not in session.variables
    done = session.on_result(MemberResult("customer-42"))
    assert visits(done) == ["vip"]
    assert steps(done) == [EnqueueCall("vip", 10)]
    assert session.variables == {"member_no": "123456", "customer": "customer-42"}


def test_verify_member_failure_retries_then_gives_up_after_max_attempts() -> None:
    session = make_session(flow_of("member", **VERIFY_NODES), ManualClock())
    session.start(CALL)
    _enter_credentials(session, "123456", "0000")
    assert session.on_result(MemberResult("")) == [PlayPrompts(("verification_failed",), barge_in=True)]
    again = session.on_prompt_done()
    assert visits(again) == ["member"]
    assert steps(again) == [PlayPrompts(("enter_member_number",), barge_in=True)]
    _enter_credentials(session, "123456", "1111")
    assert session.on_result(MemberResult("")) == [PlayPrompts(("verification_failed",), barge_in=True)]
    last = session.on_prompt_done()
    assert visits(last) == ["agent"]
    assert steps(last) == [EnqueueCall("orders", 0)]


def test_a_result_of_the_wrong_kind_is_refused() -> None:
    session = make_session(flow_of("member", **VERIFY_NODES), ManualClock())
    session.start(CALL)
    _enter_credentials(session, "123456", "4321")
    with pytest.raises(IvrStateError, match="OrderResult does not answer node 'check'"):
        session.on_result(OrderResult("shipped"))
    assert session.phase is Phase.AWAITING_RESULT  # the right answer is still expected
    assert steps(session.on_result(MemberResult("customer-1"))) == [EnqueueCall("vip", 10)]


# -- order status

STATUS_NODES = {
    "by_caller": {"type": "order_status", "lookup": "caller", "intro_prompts": ["order_status_intro"],
                  "found": "bye", "not_found": "ask"},
    "ask": {"type": "collect", "prompts": ["enter_order_number"], "variable": "order_no", "min_length": 6,
            "max_length": 14, "next": "by_number", "fallback": "bye"},
    "by_number": {"type": "order_status", "lookup": "variable", "variable": "order_no",
                  "not_found_prompt": "order_not_found", "found": "bye", "not_found": "bye"},
    "bye": {"type": "hangup"},
}


def test_order_status_by_caller_number_reads_the_status_back() -> None:
    session = make_session(flow_of("by_caller", **STATUS_NODES), ManualClock())
    assert steps(session.start(CALL)) == [OrderStatusRequest(caller="13800138000")]
    read_back = PlayPrompts(("order_status_intro", "status_shipped"), barge_in=True)
    assert session.on_result(OrderResult("shipped")) == [read_back]
    assert session.variables == {"order_status": "shipped"}
    assert steps(session.on_prompt_done()) == [HangUpCall()]


def test_order_status_by_order_number_when_the_caller_number_finds_nothing() -> None:
    session = make_session(flow_of("by_caller", **STATUS_NODES), ManualClock())
    session.start(CALL)
    assert steps(session.on_result(OrderResult(""))) == [PlayPrompts(("enter_order_number",), barge_in=True)]
    session.on_prompt_done()
    for key in "20261124000123":
        actions = session.on_digit(key)
    assert visits(actions) == ["by_number"]
    assert steps(actions) == [OrderStatusRequest(order_no="20261124000123")]
    assert session.on_result(OrderResult("refused")) == [PlayPrompts(("status_refused",), barge_in=True)]


@pytest.mark.parametrize("status", ["", "lost_in_space"])
def test_no_order_or_a_status_without_a_phrase_plays_not_found(status: str) -> None:
    nodes = {k: v for k, v in STATUS_NODES.items() if k != "by_caller"}
    session = make_session(flow_of("ask", **nodes), ManualClock())
    session.start(CALL)
    session.on_prompt_done()
    for key in "123456#":
        session.on_digit(key)
    assert session.on_result(OrderResult(status)) == [PlayPrompts(("order_not_found",), barge_in=True)]
    assert steps(session.on_prompt_done()) == [HangUpCall()]
    assert session.variables == {"order_no": "123456"}

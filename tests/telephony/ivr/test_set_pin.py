"""The IVR's `set_pin` node: a verified member types a new PIN twice; the host sets it. The PINs never stay in
the session, two different entries or a refusal go to `failure`. Driven through `ask_host` on a fake host."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from hotline.telephony.acd.clock import ManualClock
from hotline.telephony.ivr.actions import (
    Action,
    PinResult,
    PlayPrompts,
    SetPinRequest,
    VerifyMemberRequest,
)
from hotline.telephony.ivr.host import ask_host
from hotline.telephony.ivr.interpreter import IvrSession
from hotline.telephony.ivr.loader import FlowError, load_flow

from .helpers import CALL, flow_of, make_session, steps, visits

NODES: dict[str, dict[str, Any]] = {
    "member": {"type": "collect", "prompts": ["enter_member_number"], "variable": "member_no", "min_length": 4,
               "max_length": 8, "next": "pin", "fallback": "agent"},
    "pin": {"type": "collect", "prompts": ["enter_pin"], "variable": "pin", "min_length": 4, "max_length": 4,
            "next": "check", "fallback": "agent"},
    "check": {"type": "verify_member", "member_variable": "member_no", "pin_variable": "pin", "success": "new_pin",
              "failure": "agent", "retry": "member", "max_attempts": 1},
    "new_pin": {"type": "collect", "prompts": ["enter_new_pin"], "variable": "new_pin", "min_length": 4,
                "max_length": 8, "next": "again", "fallback": "agent"},
    "again": {"type": "collect", "prompts": ["enter_pin_again"], "variable": "again", "min_length": 4,
              "max_length": 8, "next": "save", "fallback": "agent"},
    "save": {"type": "set_pin", "pin_variable": "new_pin", "confirm_variable": "again", "success": "done",
             "failure": "new_pin", "mismatch_prompt": "pins_differ", "failure_prompt": "pin_refused"},
    "done": {"type": "hangup", "prompts": ["pin_changed"]},
    "agent": {"type": "queue", "queue": "orders"},
}


class FakeHost:
    """One member (1001, PIN 2468, customer 7) whose PIN changes; a PIN of 0000 is refused."""

    def __init__(self) -> None:
        self.pins = {"1001": "2468"}
        self.asked: list[tuple[str, str]] = []

    async def verify_member(self, member_no: str, pin: str) -> str | None:
        return "7" if self.pins.get(member_no) == pin else None

    async def order_status(self, *, caller: str = "", order_no: str = "") -> str | None:
        return None

    async def set_member_pin(self, customer: str, pin: str) -> bool:
        self.asked.append((customer, pin))
        if customer != "7" or pin == "0000":
            return False
        self.pins["1001"] = pin
        return True


def _type(session: IvrSession, keys: str) -> list[Action]:
    """Let the node's prompt end, then press `keys`; the actions of the last key."""
    session.on_prompt_done()
    actions: list[Action] = []
    for key in keys:
        actions = list(session.on_digit(key))
    return actions


def _answer(session: IvrSession, actions: list[Action], host: FakeHost) -> list[Action]:
    """Carry out the host request among `actions` on the fake host and hand its answer back."""
    [request] = [a for a in actions if isinstance(a, VerifyMemberRequest | SetPinRequest)]
    return session.on_result(asyncio.run(ask_host(request, host)))


def _verified(host: FakeHost) -> IvrSession:
    session = make_session(flow_of("member", **NODES), ManualClock())
    session.start(CALL)
    _type(session, "1001#")
    assert visits(_answer(session, _type(session, "2468"), host)) == ["new_pin"]
    return session


def test_a_verified_member_changes_the_pin_and_it_is_forgotten() -> None:
    host = FakeHost()
    session = _verified(host)
    _type(session, "1357#")
    actions = _type(session, "1357#")
    assert steps(actions) == [SetPinRequest("7", "1357")]
    assert "new_pin" not in session.variables and "again" not in session.variables
    done = _answer(session, actions, host)
    assert visits(done) == ["done"]
    assert steps(done) == [PlayPrompts(("pin_changed",), barge_in=True)]
    assert (host.pins, host.asked) == ({"1001": "1357"}, [("7", "1357")])
    assert asyncio.run(host.verify_member("1001", "1357")) == "7"


def test_two_different_entries_are_said_and_asked_again_without_asking_the_host() -> None:
    host = FakeHost()
    session = _verified(host)
    _type(session, "1357#")
    assert steps(_type(session, "1358#")) == [PlayPrompts(("pins_differ",), barge_in=True)]
    assert visits(session.on_prompt_done()) == ["new_pin"]
    assert (host.pins, host.asked) == ({"1001": "2468"}, [])


def test_a_pin_the_host_refuses_is_said_and_the_old_pin_stays() -> None:
    host = FakeHost()
    session = _verified(host)
    _type(session, "0000#")
    refused = _answer(session, _type(session, "0000#"), host)
    assert steps(refused) == [PlayPrompts(("pin_refused",), barge_in=True)]
    assert visits(session.on_prompt_done()) == ["new_pin"]
    assert host.pins == {"1001": "2468"}


def test_without_a_verified_member_nothing_is_set() -> None:
    host = FakeHost()
    nodes = {name: node for name, node in NODES.items() if name not in ("pin", "check")}
    nodes["member"] = {**NODES["member"], "next": "new_pin"}
    session = make_session(flow_of("member", **nodes), ManualClock())
    session.start(CALL)
    _type(session, "1001#")
    _type(session, "1357#")
    actions = _type(session, "1357#")
    assert steps(actions) == [PlayPrompts(("pin_refused",), barge_in=True)]
    assert host.asked == []
    assert steps(session.on_prompt_done()) == [PlayPrompts(("enter_new_pin",), barge_in=True)]


def test_the_loader_wants_both_pin_variables_collected() -> None:
    nodes = {**NODES, "again": {**NODES["again"], "variable": "other"}}
    with pytest.raises(FlowError, match="node 'save': variable 'again' is not collected by any node"):
        load_flow({"name": "t", "start": "member", "nodes": nodes})


def test_ask_host_wraps_the_answer() -> None:
    host = FakeHost()
    assert asyncio.run(ask_host(SetPinRequest("7", "1357"), host)) == PinResult(True)
    assert asyncio.run(ask_host(SetPinRequest("8", "1357"), host)) == PinResult(False)

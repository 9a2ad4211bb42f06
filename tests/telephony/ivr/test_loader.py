"""The flow loader refuses bad flows with every problem named, and builds good ones."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.telephony.ivr.loader import (
    FLOWS_DIR,
    NOT_COUNT,
    NOT_FLAG,
    UNKNOWN_FIELD,
    FieldProblem,
    FlowError,
    load_flow,
    load_flow_file,
    load_flow_yaml,
)
from hotline.telephony.ivr.model import Menu, OrderLookup, OrderStatus, Play
from hotline.telephony.ivr.phrases import ORDER_STATUS_PHRASES

BYE = {"type": "hangup"}


def problems(start: str = "a", **nodes: Any) -> list[str]:
    with pytest.raises(FlowError) as caught:
        load_flow({"name": "t", "start": start, "nodes": nodes})
    return caught.value.problems


def test_demo_flow_loads() -> None:
    flow = load_flow_file(FLOWS_DIR / "demo.yaml")
    assert flow.name == "demo"
    assert flow.start == "welcome"
    menu = flow.node("main_menu")
    assert isinstance(menu, Menu)
    assert dict(menu.options) == {"1": "orders", "2": "status_by_caller", "3": "after_sales"}
    assert (menu.timeout, menu.no_input_passes, menu.retries, menu.interruptible) == (2.0, 1, 2, True)
    status = flow.node("status_by_caller")
    assert isinstance(status, OrderStatus)
    assert status.lookup is OrderLookup.CALLER
    assert status.phrases == ORDER_STATUS_PHRASES


def test_not_a_mapping() -> None:
    with pytest.raises(FlowError, match=r"^a flow must be a mapping with 'name', 'start' and 'nodes'$"):
        load_flow(["play"])


def test_flow_level_fields() -> None:
    with pytest.raises(FlowError) as caught:
        load_flow({"name": "", "begin": "a", "nodes": {}})
    assert caught.value.problems == [
        "flow: unknown field 'begin'",
        "flow: 'name' must be a non-empty string",
        "flow: 'nodes' must be a non-empty mapping",
    ]


def test_missing_start_node() -> None:
    assert problems("nowhere", a=BYE) == ["flow: 'start' must name a node, got 'nowhere'"]


def test_unknown_node_type() -> None:
    assert problems(a={"type": "voicemail"}) == [
        "node 'a': unknown type 'voicemail' (expected one of: collect, hangup, menu, order_status, play, queue, "
        "set_pin, verify_member)",
    ]


def test_bad_node_name() -> None:
    assert problems("a", a=BYE, **{"Bad-Name": BYE}) == [
        "node 'Bad-Name': a node name is lower-case letters, digits and '_'",
    ]


def test_missing_and_unknown_fields() -> None:
    assert problems(a={"type": "play", "prompt": "welcome"}) == [
        "node 'a': unknown field 'prompt' for type 'play'",
        "node 'a': missing 'prompts'",
        "node 'a': missing 'next'",
    ]


def test_missing_target() -> None:
    assert problems(a={"type": "play", "prompts": ["welcome"], "next": "b"}) == [
        "node 'a': goes to missing node 'b'",
    ]


def test_unreachable_node() -> None:
    assert problems(a=BYE, b=BYE) == ["node 'b' is unreachable from start 'a'"]


def test_loop_without_input() -> None:
    assert problems(
        a={"type": "play", "prompts": ["welcome"], "next": "b"},
        b={"type": "order_status", "lookup": "caller", "found": "a", "not_found": "c"},
        c=BYE,
    ) == ["loop without input: a -> b -> a"]


def test_a_loop_through_a_menu_is_fine() -> None:
    flow = load_flow({"name": "t", "start": "a", "nodes": {
        "a": {"type": "play", "prompts": ["welcome"], "next": "m"},
        "m": {"type": "menu", "prompts": ["main_menu"], "options": {"9": "a", "0": "z"}, "fallback": "z"},
        "z": BYE,
    }})
    assert sorted(flow.nodes) == ["a", "m", "z"]


def test_bad_digits_and_ranges() -> None:
    assert problems(a={"type": "menu", "prompts": ["main_menu"], "options": {"12": "z", "A": "z", 3: "z"},
                       "fallback": "z", "timeout": 0, "retries": -1}, z=BYE) == [
        "node 'a': 'options' has keys that are not one DTMF key (0-9, * or #): 12, A",
        "node 'a': 'timeout' must be a number of seconds in (0, 300]",
        "node 'a': 'retries' must be a whole number from 0 to 99",
    ]


def test_collect_lengths_and_terminator() -> None:
    assert problems(a={"type": "collect", "prompts": ["enter_pin"], "variable": "pin", "min_length": 6,
                       "max_length": 4, "terminator": "5", "next": "z", "fallback": "z"}, z=BYE) == [
        "node 'a': 'min_length' 6 is more than 'max_length' 4",
        "node 'a': 'terminator' must be '#', '*' or empty, got '5'",
    ]


def test_variables_must_be_collected_somewhere() -> None:
    assert problems(a={"type": "verify_member", "member_variable": "member_no", "pin_variable": "pin",
                       "success": "z", "failure": "z", "retry": "z"}, z=BYE) == [
        "node 'a': variable 'member_no' is not collected by any node",
        "node 'a': variable 'pin' is not collected by any node",
    ]


def test_order_status_lookup_and_variable_go_together() -> None:
    assert problems(a={"type": "order_status", "lookup": "phone", "found": "z", "not_found": "z"}, z=BYE) == [
        "node 'a': 'lookup' must be 'caller' or 'variable'",
    ]
    assert problems(a={"type": "order_status", "lookup": "variable", "found": "z", "not_found": "z"},
                    z=BYE) == ["node 'a': 'variable' is needed with lookup 'variable' and only then"]


def test_bad_prompt_ids() -> None:
    assert problems(a={"type": "hangup", "prompts": ["Good Bye"]}) == [
        "node 'a': 'prompts' must be a prompt id or a list of prompt ids (lower-case letters, digits, '_')",
    ]


def test_invalid_yaml() -> None:
    with pytest.raises(FlowError, match=r"^invalid YAML: "):
        load_flow_yaml("nodes: [unclosed")


def test_yaml_with_a_single_prompt_and_unquoted_keys() -> None:
    flow = load_flow_yaml("""
name: small
start: m
nodes:
  m: {type: menu, prompts: main_menu, options: {1: z}, fallback: z}
  z: {type: hangup, prompts: goodbye}
""")
    menu = flow.node("m")
    assert isinstance(menu, Menu)
    assert menu.prompts == ("main_menu",)
    assert dict(menu.options) == {"1": "z"}
    assert flow.prompt_ids() == {"main_menu", "goodbye"}


def test_barge_in_and_silent_passes_are_set_per_node_with_their_defaults() -> None:
    flow = load_flow_yaml("""
name: notice
start: notice
nodes:
  notice: {type: play, prompts: welcome, next: m, interruptible: false}
  m: {type: menu, prompts: main_menu, options: {1: z}, fallback: z, no_input_passes: 3}
  z: {type: hangup}
""")
    notice, menu = flow.node("notice"), flow.node("m")
    assert isinstance(notice, Play) and isinstance(menu, Menu)
    assert (notice.interruptible, menu.interruptible) == (False, True)
    assert (menu.no_input_passes, menu.retries, menu.timeout) == (3, 2, 5.0)
    assert Menu(name="m", prompts=(), options={}, fallback="z").no_input_passes == 1


def test_bad_barge_in_and_silent_passes_are_refused_naming_the_node_and_the_field() -> None:
    with pytest.raises(FlowError) as caught:
        load_flow({"name": "t", "start": "m", "nodes": {
            "m": {"type": "menu", "prompts": ["main_menu"], "options": {"1": "z"}, "fallback": "z",
                  "no_input_passes": 0, "interruptible": "no", "no_input_pases": 2},
            "z": BYE}})
    assert caught.value.problems == [
        "node 'm': 'no_input_passes' must be a whole number from 1 to 99",
        "node 'm': 'interruptible' must be true or false",
        "node 'm': unknown field 'no_input_pases' for type 'menu'",
    ]
    assert caught.value.details == [  # in parts, for the back office to translate
        FieldProblem(NOT_COUNT, {"node": "m", "field": "no_input_passes", "low": 1}),
        FieldProblem(NOT_FLAG, {"node": "m", "field": "interruptible"}),
        FieldProblem(UNKNOWN_FIELD, {"node": "m", "field": "no_input_pases", "type": "menu"}),
    ]

"""Build a `Flow` from a dict or YAML, and refuse a bad one with every problem spelled out.

Checks: known node types and fields, required fields, value ranges, DTMF keys, every target exists,
every node is reachable from the start, variables read are collected somewhere, and no loop can spin
without waiting for the caller's input.

A problem with one field of a node is a `FieldProblem`: an English template from `FIELD_REASONS` and its
values, so the web side can show it translated (the engine imports no translation machinery).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from hotline.telephony.ivr.model import (
    DTMF_KEYS,
    INPUT_NODES,
    Collect,
    Flow,
    Hangup,
    Menu,
    Node,
    OrderLookup,
    OrderStatus,
    Play,
    Queue,
    SetPin,
    VerifyMember,
)
from hotline.telephony.ivr.phrases import ORDER_STATUS_PHRASES

NODE_TYPES: Mapping[str, type[Node]] = {
    "play": Play, "menu": Menu, "collect": Collect, "verify_member": VerifyMember,
    "order_status": OrderStatus, "queue": Queue, "hangup": Hangup, "set_pin": SetPin,
}
TARGET_FIELDS = ("next", "fallback", "success", "failure", "retry", "found", "not_found")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
FLOWS_DIR = Path(__file__).resolve().parent / "flows"


@dataclasses.dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one field of one node: `template` (one of `FIELD_REASONS`) filled with `params`,
    which always hold `node` and `field`."""

    template: str
    params: Mapping[str, object]

    def __str__(self) -> str:
        return self.template % self.params


Problem = str | FieldProblem

UNKNOWN_FIELD = "node '%(node)s': unknown field '%(field)s' for type '%(type)s'"
MISSING_FIELD = "node '%(node)s': missing '%(field)s'"
NOT_TEXT = "node '%(node)s': '%(field)s' must be a string"
NOT_PROMPTS = ("node '%(node)s': '%(field)s' must be a prompt id or a list of prompt ids "
               "(lower-case letters, digits, '_')")
NOT_OPTIONS = "node '%(node)s': '%(field)s' must map keys to node names"
NOT_DTMF = "node '%(node)s': '%(field)s' has keys that are not one DTMF key (0-9, * or #): %(keys)s"
NOT_PHRASES = "node '%(node)s': '%(field)s' must map status codes to prompt ids"
NOT_SECONDS = "node '%(node)s': '%(field)s' must be a number of seconds in (0, 300]"
NOT_COUNT = "node '%(node)s': '%(field)s' must be a whole number from %(low)d to 99"
NOT_WHOLE = "node '%(node)s': '%(field)s' must be a whole number"
NOT_LOOKUP = "node '%(node)s': '%(field)s' must be 'caller' or 'variable'"
NOT_FLAG = "node '%(node)s': '%(field)s' must be true or false"
FIELD_REASONS = (UNKNOWN_FIELD, MISSING_FIELD, NOT_TEXT, NOT_PROMPTS, NOT_OPTIONS, NOT_DTMF, NOT_PHRASES,
                 NOT_SECONDS, NOT_COUNT, NOT_WHOLE, NOT_LOOKUP, NOT_FLAG)


class FlowError(ValueError):
    """A flow definition was refused; `problems` lists every reason, one English sentence each, and
    `details` the same problems with the field ones as `FieldProblem`s."""

    def __init__(self, problems: list[Problem]) -> None:
        self.details = problems
        self.problems = [str(problem) for problem in problems]
        super().__init__("; ".join(self.problems))


def load_flow_file(path: Path) -> Flow:
    """Read and validate a YAML flow file."""
    return load_flow_yaml(path.read_text(encoding="utf-8"))


def load_flow_yaml(text: str) -> Flow:
    """Validate a flow written in YAML."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FlowError([f"invalid YAML: {exc}"]) from exc
    return load_flow(data)


def load_flow(data: object) -> Flow:
    """Validate a flow given as a mapping: `name`, `start` and `nodes` (node name -> fields with `type`)."""
    if not isinstance(data, Mapping):
        raise FlowError(["a flow must be a mapping with 'name', 'start' and 'nodes'"])
    problems: list[Problem] = [f"flow: unknown field '{k}'" for k in data if k not in ("name", "start", "nodes")]
    name, start, raw_nodes = data.get("name"), data.get("start"), data.get("nodes")
    if not isinstance(name, str) or not name:
        problems.append("flow: 'name' must be a non-empty string")
    if not isinstance(raw_nodes, Mapping) or not raw_nodes:
        problems.append("flow: 'nodes' must be a non-empty mapping")
        raise FlowError(problems)
    nodes = {}
    for node_name, fields in raw_nodes.items():
        node = _build_node(node_name, fields, problems)
        if node is not None:
            nodes[node_name] = node
    if not isinstance(start, str) or start not in raw_nodes:
        problems.append(f"flow: 'start' must name a node, got {start!r}")
    elif len(nodes) == len(raw_nodes):
        _check_graph(start, nodes, problems)
    if problems:
        raise FlowError(problems)
    return Flow(name=str(name), start=str(start), nodes=nodes)


def _build_node(name: object, fields: object, problems: list[Problem]) -> Node | None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.append(f"node {name!r}: a node name is lower-case letters, digits and '_'")
        return None
    if not isinstance(fields, Mapping):
        problems.append(f"node '{name}': must be a mapping of fields")
        return None
    node_type = fields.get("type")
    cls = NODE_TYPES.get(str(node_type))
    if cls is None:
        known = ", ".join(sorted(NODE_TYPES))
        problems.append(f"node '{name}': unknown type {node_type!r} (expected one of: {known})")
        return None
    before = len(problems)
    kwargs = _convert_fields(name, cls, fields, problems)
    if len(problems) > before:
        return None
    node = cls(name=name, **kwargs)
    _check_node(node, problems)
    return None if len(problems) > before else node


def _convert_fields(name: str, cls: type[Node], fields: Mapping[Any, Any],
                    problems: list[Problem]) -> dict[str, Any]:
    declared = {f.name: f for f in dataclasses.fields(cls) if f.name != "name"}
    kwargs: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "type":
            continue
        if key not in declared:
            problems.append(FieldProblem(UNKNOWN_FIELD, {"node": name, "field": key, "type": fields["type"]}))
            continue
        converted = _CONVERTERS.get(key, _text)(value)
        if isinstance(converted, _Bad):
            problems.append(FieldProblem(converted.template, {"node": name, "field": key, **converted.params}))
        else:
            kwargs[key] = converted
    for field_name, f in declared.items():
        if field_name not in kwargs and f.default is dataclasses.MISSING and field_name not in fields:
            if field_name == "phrases":
                kwargs["phrases"] = ORDER_STATUS_PHRASES
            else:
                problems.append(FieldProblem(MISSING_FIELD, {"node": name, "field": field_name}))
    return kwargs


@dataclasses.dataclass(frozen=True, slots=True)
class _Bad:
    template: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)


def _text(value: object) -> object:
    return value if isinstance(value, str) else _Bad(NOT_TEXT)


def _prompts(value: object) -> object:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(p, str) and NAME_RE.match(p) for p in items):
        return _Bad(NOT_PROMPTS)
    return tuple(items)


def _options(value: object) -> object:
    if not isinstance(value, Mapping) or not value:
        return _Bad(NOT_OPTIONS)
    options = {str(k): v for k, v in value.items()}  # YAML reads an unquoted 1 as an int
    bad = [k for k in options if len(k) != 1 or k not in DTMF_KEYS]
    if bad:
        return _Bad(NOT_DTMF, {"keys": ", ".join(bad)})
    if not all(isinstance(v, str) for v in options.values()):
        return _Bad(NOT_OPTIONS)
    return options


def _phrases(value: object) -> object:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return _Bad(NOT_PHRASES)
    return dict(value)


def _seconds(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 300:
        return float(value)
    return _Bad(NOT_SECONDS)


def _count(low: int) -> Callable[[object], object]:
    def convert(value: object) -> object:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= 99
        return value if ok else _Bad(NOT_COUNT, {"low": low})
    return convert


def _priority(value: object) -> object:
    return value if isinstance(value, int) and not isinstance(value, bool) else _Bad(NOT_WHOLE)


def _lookup(value: object) -> object:
    try:
        return OrderLookup(str(value))
    except ValueError:
        return _Bad(NOT_LOOKUP)


def _flag(value: object) -> object:
    return value if isinstance(value, bool) else _Bad(NOT_FLAG)  # YAML true/false; a quoted "false" is text


_CONVERTERS: Mapping[str, Callable[[object], object]] = {
    "prompts": _prompts, "intro_prompts": _prompts, "options": _options, "phrases": _phrases,
    "timeout": _seconds, "inter_digit_timeout": _seconds, "retries": _count(0), "min_length": _count(1),
    "max_length": _count(1), "max_attempts": _count(1), "priority": _priority, "lookup": _lookup,
    "no_input_passes": _count(1), "interruptible": _flag,
}


def _check_node(node: Node, problems: list[Problem]) -> None:
    where = f"node '{node.name}'"
    if isinstance(node, Collect):
        if node.min_length > node.max_length:
            problems.append(f"{where}: 'min_length' {node.min_length} is more than 'max_length' {node.max_length}")
        if node.terminator not in ("#", "*", ""):
            problems.append(f"{where}: 'terminator' must be '#', '*' or empty, got {node.terminator!r}")
    if isinstance(node, OrderStatus) and (node.lookup is OrderLookup.VARIABLE) != bool(node.variable):
        problems.append(f"{where}: 'variable' is needed with lookup 'variable' and only then")
    single = [p for p in ("invalid_prompt", "no_input_prompt", "failure_prompt", "not_found_prompt")
              if getattr(node, p, "") and not NAME_RE.match(getattr(node, p))]
    problems.extend(f"{where}: '{p}' must be a prompt id (lower-case letters, digits, '_')" for p in single)


def _check_graph(start: str, nodes: Mapping[str, Node], problems: list[Problem]) -> None:
    for node in nodes.values():
        missing = sorted({t for t in node.targets() if t not in nodes})
        problems.extend(f"node '{node.name}': goes to missing node '{t}'" for t in missing)
    if problems:
        return
    reached = _reachable(start, nodes)
    problems.extend(f"node '{n}' is unreachable from start '{start}'" for n in nodes if n not in reached)
    _check_variables(nodes, problems)
    loop = _loop_without_input(nodes)
    if loop:
        problems.append(f"loop without input: {' -> '.join(loop)}")


def _reachable(start: str, nodes: Mapping[str, Node]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in nodes[todo.pop()].targets():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _check_variables(nodes: Mapping[str, Node], problems: list[Problem]) -> None:
    collected = {n.variable for n in nodes.values() if isinstance(n, Collect)}
    for node in nodes.values():
        needed: tuple[str, ...] = ()
        if isinstance(node, VerifyMember):
            needed = (node.member_variable, node.pin_variable)
        elif isinstance(node, OrderStatus) and node.variable:
            needed = (node.variable,)
        elif isinstance(node, SetPin):
            needed = (node.pin_variable, node.confirm_variable)
        problems.extend(f"node '{node.name}': variable '{v}' is not collected by any node"
                        for v in needed if v not in collected)


def _loop_without_input(nodes: Mapping[str, Node]) -> list[str]:
    """A cycle through nodes that never wait for a key, as a path that ends where it starts; [] if none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for target in nodes[name].targets():
            if isinstance(nodes[target], INPUT_NODES):
                continue
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[name] = 2
        return []

    for name, node in nodes.items():
        if name not in state and not isinstance(node, INPUT_NODES) and (found := visit(name)):
            return found
    return []


def load_demo_flow() -> Flow:
    """The demo hotline's flow (flows/demo.yaml), used by `hotline demo` until flows are stored per number."""
    return load_flow_file(FLOWS_DIR / "demo.yaml")

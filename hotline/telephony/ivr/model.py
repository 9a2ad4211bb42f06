"""An IVR flow as data: frozen node dataclasses, one per node type, and the flow that holds them.

A flow is a graph of named nodes. Input nodes (menu, collect) wait for the caller's keys; every other
node moves on by itself. Flows are built by `hotline.telephony.ivr.loader`, which validates them, so the
interpreter can trust every target it follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

DTMF_KEYS = "0123456789*#"


class OrderLookup(StrEnum):
    """What an order-status node searches by."""

    CALLER = "caller"
    VARIABLE = "variable"


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """Common part of every node: its name in the flow, and whether a key cuts its prompts short.

    With `interruptible` (the default) a key pressed during any of the node's prompts stops the prompt
    (barge-in); in a menu or collect node it is the node's input, anywhere else it is kept as type-ahead
    for the next menu or collect node, which then acts on it without playing its own prompt. A node marked
    `interruptible: false` plays its prompts to the end and ignores keys pressed meanwhile (a legal notice).
    """

    name: str
    interruptible: bool = True

    def targets(self) -> tuple[str, ...]:
        """Names of the nodes this one can lead to."""
        return ()

    def prompt_ids(self) -> tuple[str, ...]:
        """Ids of the prompts this node can play."""
        return ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Play(Node):
    """Play prompts, then go to `next`."""

    prompts: tuple[str, ...]
    next: str

    def targets(self) -> tuple[str, ...]:
        return (self.next,)

    def prompt_ids(self) -> tuple[str, ...]:
        return self.prompts


@dataclass(frozen=True, slots=True, kw_only=True)
class Menu(Node):
    """Play `prompts`, wait `timeout` seconds after them for one key, branch on it.

    Silence and wrong keys are counted apart. A pass that ends in silence (the prompts, then `timeout`
    seconds without a key) uses one of `no_input_passes`: after the last one the caller goes to `fallback`
    at once; before it, `no_input_prompt` and the menu play again. An invalid key uses one try: after
    `retries` further tries, `invalid_prompt` plays and the caller goes to `fallback`.
    """

    prompts: tuple[str, ...]
    options: Mapping[str, str]
    fallback: str
    timeout: float = 5.0
    retries: int = 2
    no_input_passes: int = 1
    invalid_prompt: str = ""
    no_input_prompt: str = ""

    def targets(self) -> tuple[str, ...]:
        return (*self.options.values(), self.fallback)

    def prompt_ids(self) -> tuple[str, ...]:
        return tuple(p for p in (*self.prompts, self.invalid_prompt, self.no_input_prompt) if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class Collect(Node):
    """Collect `min_length`..`max_length` digits into `variable`, ended by `terminator` or the inter-digit timeout.

    `timeout` waits for the first key, `inter_digit_timeout` for each following one. Too few digits or
    no input uses one try; after `retries` further tries the caller goes to `fallback`.
    """

    prompts: tuple[str, ...]
    variable: str
    next: str
    fallback: str
    min_length: int = 1
    max_length: int = 20
    terminator: str = "#"
    timeout: float = 5.0
    inter_digit_timeout: float = 3.0
    retries: int = 2
    invalid_prompt: str = ""
    no_input_prompt: str = ""

    def targets(self) -> tuple[str, ...]:
        return (self.next, self.fallback)

    def prompt_ids(self) -> tuple[str, ...]:
        return tuple(p for p in (*self.prompts, self.invalid_prompt, self.no_input_prompt) if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyMember(Node):
    """Check the member number and PIN held in two variables with the host.

    On success the customer reference is stored in `customer_variable` and the caller goes to `success`.
    On failure `failure_prompt` plays; the caller goes back to `retry` until `max_attempts` failures,
    then to `failure`.
    """

    member_variable: str
    pin_variable: str
    success: str
    failure: str
    retry: str
    max_attempts: int = 3
    failure_prompt: str = ""
    customer_variable: str = "customer"

    def targets(self) -> tuple[str, ...]:
        return (self.success, self.retry, self.failure)

    def prompt_ids(self) -> tuple[str, ...]:
        return (self.failure_prompt,) if self.failure_prompt else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SetPin(Node):
    """Set the verified member's new PIN, typed twice into two variables (both forgotten at once).

    The member is the one a `verify_member` node stored in `customer_variable`: only a caller who proved the
    old PIN changes it (a first PIN is set at the desk). Two entries that differ play `mismatch_prompt`, a
    refusal by the host (say, too short) `failure_prompt`; either goes to `failure`, a set PIN to `success`.
    """

    pin_variable: str
    confirm_variable: str
    success: str
    failure: str
    customer_variable: str = "customer"
    mismatch_prompt: str = ""
    failure_prompt: str = ""

    def targets(self) -> tuple[str, ...]:
        return (self.success, self.failure)

    def prompt_ids(self) -> tuple[str, ...]:
        return tuple(p for p in (self.mismatch_prompt, self.failure_prompt) if p)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderStatus(Node):
    """Ask the host for an order's status, by caller number or by the order number in `variable`.

    A known status is read back (`intro_prompts`, then the status's phrase from `phrases`) and the caller
    goes to `found`; no order, or a status without a phrase, plays `not_found_prompt` and goes to `not_found`.
    """

    lookup: OrderLookup
    found: str
    not_found: str
    phrases: Mapping[str, str]
    variable: str = ""
    intro_prompts: tuple[str, ...] = ()
    not_found_prompt: str = ""

    def targets(self) -> tuple[str, ...]:
        return (self.found, self.not_found)

    def prompt_ids(self) -> tuple[str, ...]:
        extra = (self.not_found_prompt,) if self.not_found_prompt else ()
        return (*self.intro_prompts, *self.phrases.values(), *extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class Queue(Node):
    """Leave the IVR for an ACD queue; a higher `priority` is served first."""

    queue: str
    priority: int = 0
    prompts: tuple[str, ...] = ()

    def prompt_ids(self) -> tuple[str, ...]:
        return self.prompts


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup(Node):
    """Play the optional prompts and end the call."""

    prompts: tuple[str, ...] = ()

    def prompt_ids(self) -> tuple[str, ...]:
        return self.prompts


INPUT_NODES = (Menu, Collect)


@dataclass(frozen=True, slots=True)
class Flow:
    """A validated flow: its name, the node calls start at, and the nodes by name."""

    name: str
    start: str
    nodes: Mapping[str, Node] = field(default_factory=dict)

    def node(self, name: str) -> Node:
        return self.nodes[name]

    def prompt_ids(self) -> frozenset[str]:
        """Every prompt id the flow can play (the prompt files must exist for each)."""
        return frozenset(p for node in self.nodes.values() for p in node.prompt_ids())

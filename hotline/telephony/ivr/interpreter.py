"""The IVR interpreter: walks a validated flow for one call, as a pure state machine.

It does no I/O and knows no event loop. Each entry point returns the actions the host must perform,
in order. Time comes from the injected clock: a timer the host fires early, late or twice is judged
against the deadline the interpreter set, so a stale timer never moves a caller on.

Callers type ahead: a key pressed during an interruptible prompt stops it. In a menu or collect node the
key is the node's input; anywhere else it is kept and the next menu or collect node acts on it without
playing its own prompt (the welcome need not be sat through to reach the menu's option 1).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from enum import Enum

from hotline.telephony.acd.clock import Clock
from hotline.telephony.events import IvrNode
from hotline.telephony.ivr.actions import (
    Action,
    EnqueueCall,
    HangUpCall,
    IvrCall,
    LogEvent,
    MemberResult,
    OrderResult,
    OrderStatusRequest,
    PinResult,
    PlayPrompts,
    Result,
    SetPinRequest,
    StopPlayback,
    VerifyMemberRequest,
    WaitForDigits,
)
from hotline.telephony.ivr.model import (
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

Then = Callable[[], list[Action]]


class Phase(Enum):
    """Where the session stands: what it waits for next."""

    IDLE = "idle"
    PLAYING = "playing"
    LISTENING = "listening"
    AWAITING_RESULT = "awaiting_result"
    DONE = "done"


class IvrStateError(RuntimeError):
    """The host called the interpreter out of turn (a bug in the host, not the caller's doing)."""


class IvrSession:
    """One call's walk through a flow. Create one per call, then `start(call)`."""

    def __init__(self, flow: Flow, clock: Clock, wall: Callable[[], datetime.datetime]) -> None:
        self.flow = flow
        self.variables: dict[str, str] = {}
        self.outcome: EnqueueCall | HangUpCall | None = None
        self._clock = clock
        self._wall = wall
        self._call: IvrCall | None = None
        self._node: Node | None = None
        self._phase = Phase.IDLE
        self._then: Then = list
        self._barge_in = False
        self._deadline = 0.0
        self._tries = 0  # invalid keys (menu) or failed entries (collect) in the current node
        self._silent = 0  # menu passes that ended in silence in the current node
        self._buffer = ""
        self._typed_ahead = ""  # keys pressed during prompts, not used yet
        self._failures: dict[str, int] = {}

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def node(self) -> str:
        """Name of the node the caller is in ("" before start)."""
        return self._node.name if self._node else ""

    def start(self, call: IvrCall) -> list[Action]:
        """Answering is done; enter the flow's start node."""
        if self._phase is not Phase.IDLE:
            raise IvrStateError("the session has already started")
        self._call = call
        return self._goto(self.flow.start)

    def on_prompt_done(self) -> list[Action]:
        """The prompts of the last `PlayPrompts` have finished playing."""
        if self._phase is not Phase.PLAYING:
            return []
        self._phase = Phase.IDLE
        return self._then()

    def on_digit(self, digit: str) -> list[Action]:
        """The caller pressed a key (RFC 4733 or in-band, decoded by the media layer).

        During an interruptible prompt the prompt stops and the key is typed ahead: the session goes on as
        if the prompt had ended, and the next input (this menu, or the next one) uses the key. During a
        prompt that may not be interrupted, or a host look-up, the key is ignored.
        """
        if self._phase is Phase.PLAYING and self._barge_in:
            self._phase, self._typed_ahead = Phase.IDLE, self._typed_ahead + digit
            return [StopPlayback(), *self._then()]
        if self._phase is Phase.LISTENING:
            return self._on_key(digit)
        return []

    def on_timeout(self) -> list[Action]:
        """The timer of the last `WaitForDigits` fired; ignored unless its deadline has really passed."""
        if self._phase is not Phase.LISTENING or self._clock.now() < self._deadline:
            return []
        if isinstance(self._node, Menu):
            return self._silence(self._node)
        if isinstance(self._node, Collect):
            return self._retry(self._node, self._node.no_input_prompt) if not self._buffer else self._finish()
        return []

    def on_result(self, result: Result) -> list[Action]:
        """The host's answer to a `VerifyMemberRequest` or `OrderStatusRequest`."""
        node = self._node
        if self._phase is not Phase.AWAITING_RESULT:
            raise IvrStateError("no host request is pending")
        if isinstance(node, VerifyMember) and isinstance(result, MemberResult):
            self._phase = Phase.IDLE
            return self._verified(node, result)
        if isinstance(node, OrderStatus) and isinstance(result, OrderResult):
            self._phase = Phase.IDLE
            return self._order_found(node, result)
        if isinstance(node, SetPin) and isinstance(result, PinResult):
            self._phase = Phase.IDLE
            return self._leave(node.success if result.ok else node.failure, "" if result.ok else node.failure_prompt)
        raise IvrStateError(f"{type(result).__name__} does not answer node '{self.node}'")

    def on_caller_hangup(self) -> list[Action]:
        """The caller hung up in the IVR: nothing more to do."""
        self._phase = Phase.DONE
        return []

    # -- moving between nodes

    def _goto(self, name: str) -> list[Action]:
        node = self.flow.node(name)
        self._node, self._tries, self._silent, self._buffer = node, 0, 0, ""
        if not node.interruptible:
            self._typed_ahead = ""  # its prompts are heard in full before any key counts
        return [LogEvent(self._visit_event(node)), *self._enter(node)]

    def _visit_event(self, node: Node) -> IvrNode:
        """The visit, with the menu key typed ahead when the menu acts on one instead of playing its prompt
        (never collected digits: order numbers and PINs stay out of the log)."""
        call_id = self._call.call_id if self._call else ""
        typed = self._typed_ahead[:1] if isinstance(node, Menu) else ""
        return IvrNode(call_id=call_id, at=self._wall(), mono=self._clock.now(), flow=self.flow.name,
                       node=node.name, digits=typed)

    def _enter(self, node: Node) -> list[Action]:
        if isinstance(node, Play):
            return self._play(node.prompts, lambda: self._goto(node.next))
        if isinstance(node, Menu | Collect):
            return self._play(node.prompts, self._listen)
        if isinstance(node, VerifyMember):
            return self._verify(node)
        if isinstance(node, OrderStatus):
            return self._lookup(node)
        if isinstance(node, SetPin):
            return self._set_pin(node)
        if isinstance(node, Queue):  # its prompts play in line, while agents' phones already ring
            return self._finish_with(EnqueueCall(node.queue, node.priority, node.prompts))
        if isinstance(node, Hangup):
            return self._play(node.prompts, lambda: self._finish_with(HangUpCall()))
        raise IvrStateError(f"unknown node type {type(node).__name__}")

    def _play(self, prompts: tuple[str, ...], then: Then) -> list[Action]:
        """Play the current node's prompts, then go on with `then`; a key typed ahead skips them."""
        interruptible = self._node is None or self._node.interruptible
        if not prompts or (interruptible and self._typed_ahead):
            return then()
        self._phase, self._then, self._barge_in = Phase.PLAYING, then, interruptible
        return [PlayPrompts(prompts, interruptible)]

    def _listen(self) -> list[Action]:
        """Wait for a key, or first use the keys typed ahead (one that does nothing here is dropped)."""
        self._phase = Phase.LISTENING
        while self._typed_ahead:
            key, self._typed_ahead = self._typed_ahead[0], self._typed_ahead[1:]
            actions = self._on_key(key)
            if actions:
                return actions
        timeout = self._timeout()
        self._deadline = self._clock.now() + timeout
        return [WaitForDigits(timeout)]

    def _timeout(self) -> float:
        node = self._node
        if isinstance(node, Collect) and self._buffer:
            return node.inter_digit_timeout
        return node.timeout if isinstance(node, Menu | Collect) else 0.0

    def _finish_with(self, outcome: EnqueueCall | HangUpCall) -> list[Action]:
        self._phase, self.outcome, self._typed_ahead = Phase.DONE, outcome, ""
        return [outcome]

    # -- input nodes

    def _on_key(self, digit: str) -> list[Action]:
        node = self._node
        if isinstance(node, Menu):
            target = node.options.get(digit)
            return self._goto(target) if target else self._retry(node, node.invalid_prompt)
        if isinstance(node, Collect):
            return self._collect_key(node, digit)
        return []

    def _collect_key(self, node: Collect, digit: str) -> list[Action]:
        if node.terminator and digit == node.terminator:
            return self._finish()
        if not digit.isdigit():
            return []
        self._buffer += digit
        return self._finish() if len(self._buffer) >= node.max_length else self._listen()

    def _finish(self) -> list[Action]:
        node = self._node
        assert isinstance(node, Collect)
        if len(self._buffer) < node.min_length:
            return self._retry(node, node.invalid_prompt)
        self.variables[node.variable] = self._buffer
        return self._goto(node.next)

    def _retry(self, node: Menu | Collect, complaint: str) -> list[Action]:
        """One try used up: say why, then offer the node again, or leave by its fallback."""
        self._tries += 1
        self._buffer = ""
        said = (complaint,) if complaint else ()
        if self._tries > node.retries:
            return self._play(said, lambda: self._goto(node.fallback))
        return self._play((*said, *node.prompts), self._listen)

    def _silence(self, node: Menu) -> list[Action]:
        """A pass of the menu ended without a key: play it again, or after the last pass leave by the
        fallback at once (the fallback's own prompt says what happens next)."""
        self._silent += 1
        if self._silent >= node.no_input_passes:
            return self._goto(node.fallback)
        said = (node.no_input_prompt,) if node.no_input_prompt else ()
        return self._play((*said, *node.prompts), self._listen)

    # -- host requests

    def _verify(self, node: VerifyMember) -> list[Action]:
        member_no = self.variables.get(node.member_variable, "")
        pin = self.variables.pop(node.pin_variable, "")  # a PIN is checked once, never kept
        self._phase = Phase.AWAITING_RESULT
        return [VerifyMemberRequest(member_no, pin)]

    def _verified(self, node: VerifyMember, result: MemberResult) -> list[Action]:
        if result.customer:
            self.variables[node.customer_variable] = result.customer
            return self._goto(node.success)
        failures = self._failures[node.name] = self._failures.get(node.name, 0) + 1
        target = node.failure if failures >= node.max_attempts else node.retry
        said = (node.failure_prompt,) if node.failure_prompt else ()
        return self._play(said, lambda: self._goto(target))

    def _set_pin(self, node: SetPin) -> list[Action]:
        pin = self.variables.pop(node.pin_variable, "")  # PINs are never kept in the session
        confirm = self.variables.pop(node.confirm_variable, "")
        customer = self.variables.get(node.customer_variable, "")
        if not customer or not pin:
            return self._leave(node.failure, node.failure_prompt)
        if pin != confirm:
            return self._leave(node.failure, node.mismatch_prompt)
        self._phase = Phase.AWAITING_RESULT
        return [SetPinRequest(customer, pin)]

    def _leave(self, target: str, prompt: str) -> list[Action]:
        """Say `prompt` (if any), then go to `target`."""
        return self._play((prompt,) if prompt else (), lambda: self._goto(target))

    def _lookup(self, node: OrderStatus) -> list[Action]:
        self._phase = Phase.AWAITING_RESULT
        if node.lookup is OrderLookup.CALLER:
            return [OrderStatusRequest(caller=self._call.caller if self._call else "")]
        return [OrderStatusRequest(order_no=self.variables.get(node.variable, ""))]

    def _order_found(self, node: OrderStatus, result: OrderResult) -> list[Action]:
        phrase = node.phrases.get(result.status)
        if phrase:
            self.variables["order_status"] = result.status
            return self._play((*node.intro_prompts, phrase), lambda: self._goto(node.found))
        said = (node.not_found_prompt,) if node.not_found_prompt else ()
        return self._play(said, lambda: self._goto(node.not_found))

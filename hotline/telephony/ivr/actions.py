"""What the IVR interpreter asks its host to do, and the results the host hands back.

The interpreter never performs I/O: it returns these actions in order, and the host (the engine's call
handler) carries them out, then reports back through `on_prompt_done`, `on_digit`, `on_timeout` and
`on_result`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.telephony.events import IvrNode


@dataclass(frozen=True, slots=True)
class IvrCall:
    """The call the IVR serves: its id, the caller's number (ANI) and the dialled number (DNIS)."""

    call_id: str
    caller: str
    dnis: str


@dataclass(frozen=True, slots=True)
class LogEvent:
    """Append this node-visit event to the call log (ARCHITECTURE rule 4)."""

    event: IvrNode


@dataclass(frozen=True, slots=True)
class PlayPrompts:
    """Play these prompts in order, then call `on_prompt_done`; with `barge_in`, a key may cut them short.

    Keys pressed meanwhile go to `on_digit` either way: the session decides whether they count.
    """

    prompts: tuple[str, ...]
    barge_in: bool = False


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Stop the prompt being played (the caller pressed a key); do not report it as done."""


@dataclass(frozen=True, slots=True)
class WaitForDigits:
    """Listen for keys and call `on_timeout` after `timeout` seconds; replaces any earlier timer."""

    timeout: float


@dataclass(frozen=True, slots=True)
class VerifyMemberRequest:
    """Ask the host's `verify_member(member_no, pin)`; answer with `on_result(MemberResult(...))`."""

    member_no: str
    pin: str


@dataclass(frozen=True, slots=True)
class SetPinRequest:
    """Ask the host's `set_member_pin(customer, pin)`; answer with `on_result(PinResult(...))`."""

    customer: str
    pin: str


@dataclass(frozen=True, slots=True)
class OrderStatusRequest:
    """Ask the host for an order's status by caller number or by order number (one of them is set).

    Answer with `on_result(OrderResult(...))`.
    """

    caller: str = ""
    order_no: str = ""


@dataclass(frozen=True, slots=True)
class EnqueueCall:
    """The IVR is finished: put the call in `queue` with `priority`.

    `prompts` (the queue node's "please hold") play as the caller joins the line, in place of the hold
    music until they end: agents' phones already ring meanwhile, so they cost the caller no time.
    """

    queue: str
    priority: int = 0
    prompts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HangUpCall:
    """The IVR is finished: end the call."""


Action = LogEvent | PlayPrompts | StopPlayback | WaitForDigits | VerifyMemberRequest | OrderStatusRequest \
    | SetPinRequest | EnqueueCall | HangUpCall


@dataclass(frozen=True, slots=True)
class MemberResult:
    """The host's answer to `VerifyMemberRequest`: the customer reference, or "" when refused."""

    customer: str = ""


@dataclass(frozen=True, slots=True)
class OrderResult:
    """The host's answer to `OrderStatusRequest`: the order's status code, or "" when no order was found."""

    status: str = ""


@dataclass(frozen=True, slots=True)
class PinResult:
    """The host's answer to `SetPinRequest`: whether the PIN was set."""

    ok: bool = False


Result = MemberResult | OrderResult | PinResult

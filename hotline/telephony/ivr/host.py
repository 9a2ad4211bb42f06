"""The IVR's own host port: what the engine's call handler asks the web side during a flow.

It lives here rather than in `telephony/ports.py` because only the IVR uses it; `calls.host.ivr`
implements it with the ORM (member number + PIN against the customer record, orders by phone or number).
"""

from __future__ import annotations

from typing import Protocol

from hotline.telephony.ivr.actions import (
    MemberResult,
    OrderResult,
    OrderStatusRequest,
    PinResult,
    SetPinRequest,
    VerifyMemberRequest,
)


class IvrHost(Protocol):
    """Look-ups an IVR flow needs from the customer and order records."""

    async def verify_member(self, member_no: str, pin: str) -> str | None:
        """The customer reference when the member number and PIN match, else None."""

    async def order_status(self, *, caller: str = "", order_no: str = "") -> str | None:
        """The status code of the caller's latest order, or of the order keyed in; None when none is found.

        `order_no` holds digits only (DTMF has no letters): the implementation matches it against the
        digits of the order numbers.
        """

    async def set_member_pin(self, customer: str, pin: str) -> bool:
        """Set the PIN of the customer a `verify_member` node returned; False when refused (its rules)."""


HostRequest = VerifyMemberRequest | OrderStatusRequest | SetPinRequest


async def ask_host(request: HostRequest, host: IvrHost) -> MemberResult | OrderResult | PinResult:
    """Carry out one host request and wrap the answer for `IvrSession.on_result`."""
    if isinstance(request, SetPinRequest):
        return PinResult(await host.set_member_pin(request.customer, request.pin))
    if isinstance(request, VerifyMemberRequest):
        return MemberResult(await host.verify_member(request.member_no, request.pin) or "")
    return OrderResult(await host.order_status(caller=request.caller, order_no=request.order_no) or "")

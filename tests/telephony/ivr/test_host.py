"""`ask_host` turns the interpreter's requests into host calls and wraps the answers."""

from __future__ import annotations

import asyncio

from hotline.telephony.ivr.actions import MemberResult, OrderResult, OrderStatusRequest, VerifyMemberRequest
from hotline.telephony.ivr.host import ask_host


class FakeHost:
    """Members and orders in dicts; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []

    async def verify_member(self, member_no: str, pin: str) -> str | None:
        self.asked.append(("verify", member_no, pin))
        return "customer-7" if (member_no, pin) == ("1001", "2468") else None

    async def order_status(self, *, caller: str = "", order_no: str = "") -> str | None:
        self.asked.append(("order", caller, order_no))
        return {"13800138000": "shipped"}.get(caller) or {"20261124000123": "settled"}.get(order_no)


def test_ask_host_wraps_each_answer() -> None:
    host = FakeHost()

    async def run() -> list[MemberResult | OrderResult]:
        return [
            await ask_host(VerifyMemberRequest("1001", "2468"), host),
            await ask_host(VerifyMemberRequest("1001", "0000"), host),
            await ask_host(OrderStatusRequest(caller="13800138000"), host),
            await ask_host(OrderStatusRequest(order_no="20261124000123"), host),
            await ask_host(OrderStatusRequest(caller="13900000000"), host),
        ]

    assert asyncio.run(run()) == [MemberResult("customer-7"), MemberResult(""), OrderResult("shipped"),
                                  OrderResult("settled"), OrderResult("")]
    assert host.asked == [("verify", "1001", "2468"), ("verify", "1001", "0000"), ("order", "13800138000", ""),
                          ("order", "", "20261124000123"), ("order", "13900000000", "")]

"""The engine tests' phones: a preset of `hotline.phones`, one SIP socket and one RTP port per phone.

A phone's RTP line sends 20 ms frames whose payload bytes all equal its `mark`, and counts every packet that
reaches its port by payload byte, so the far end counts exactly the frames that came through the bridge
(prompts and hold music have other bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from hotline import phones
from hotline.phones import HOST, SipEndpoint, marked
from hotline.phones.rtp import RtpLine
from hotline.telephony.sip.calls import InboundCall, OutboundCall
from hotline.telephony.sip.transport import Listeners

__all__ = ["HOST", "Phone", "Rtp", "until"]


class Rtp(RtpLine):
    """A phone's RTP port: counts what arrives by mark and, once started, sends its marked frames every 20 ms."""

    def __init__(self, mark: int) -> None:
        super().__init__(HOST, marked(mark), mark=mark)
        self.mark = mark

    def send_forever(self) -> Coroutine[Any, Any, None]:
        return self._send_forever()

    # What test_supervise's tone sender builds on (it replaces `_send_forever`).
    async def _send_forever(self) -> None:
        await super().send_forever()

    @property
    def _payload_type(self) -> int:
        return self.line.payload_type

    @property
    def _seq(self) -> Iterator[int]:
        return self.line.sequence

    @property
    def _timestamp(self) -> int:
        return self.line.timestamp

    @_timestamp.setter
    def _timestamp(self, value: int) -> None:
        self.line.timestamp = value & 0xFFFFFFFF

    def _send(self, data: bytes) -> None:
        self.line.send_packet(data)


class Phone:
    """A SIP phone on 127.0.0.1: dials (caller) or answers (agent) whatever number it is called on. `plan` for
    incoming calls: answer, ring (forever), or busy (486)."""

    def __init__(self, name: str, mark: int, plan: str = "answer") -> None:
        self.name = name
        self.plan = plan
        self.rtp = Rtp(mark)
        self.incoming: list[InboundCall] = []
        self.endpoint = SipEndpoint(HOST, name="Hotline")

    async def start(self) -> Phone:
        await self.endpoint.start()
        self.endpoint.catch_all = self.on_call
        await self.rtp.open()
        return self

    @property
    def listeners(self) -> Listeners:
        return self.endpoint.listeners

    @property
    def uri(self) -> str:
        return self.endpoint.contact(self.name)

    async def on_call(self, call: InboundCall) -> None:
        self.incoming.append(call)
        if self.plan == "busy":
            call.reject(486, "Busy Here")
            return
        call.ring()
        if self.plan == "answer":
            self.rtp.start(call.answer(HOST, self.rtp.port))

    def dial(self, uri: str) -> OutboundCall:
        return self.endpoint.calls.dial(uri, (HOST, self.rtp.port), caller=f"sip:{self.name}@{HOST}")

    async def close(self) -> None:
        self.rtp.stop()
        await self.endpoint.close()


async def until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Wait for `condition` (polled every 20 ms); fail the test after a generous `timeout`."""
    await phones.until(condition, timeout, what, failure=AssertionError)

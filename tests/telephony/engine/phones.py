"""The engine's own test phones: real SIP from the engine's `sip/` pieces, and a small RTP sender/counter.

A phone has its own SIP core and UDP socket on 127.0.0.1 and an RTP socket. It sends 20 ms frames whose
payload bytes all equal its `mark`, so the far end can count exactly the packets that came through the
bridge (prompts and hold music have other bytes).
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import Callable

from hotline.telephony.media.rtp import FRAME_SAMPLES, event_payload, packet
from hotline.telephony.sip import sdp
from hotline.telephony.sip.calls import CallManager, InboundCall, OutboundCall
from hotline.telephony.sip.clock import LoopScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.transport import Listeners, listen
from hotline.telephony.sip.trunks import Trunk, TrunkList

HOST = "127.0.0.1"


class Rtp(asyncio.DatagramProtocol):
    """Counts received audio packets by payload byte and sends marked frames every 20 ms once started."""

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.by_mark: collections.Counter[int] = collections.Counter()
        self.received = 0
        self.sent = 0
        self.transport: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task[None] | None = None
        self._seq = itertools.count(1)
        self._timestamp = 0
        self._remote: tuple[str, int] = ("", 0)
        self._payload_type = 8

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received += 1
        if len(data) == 12 + FRAME_SAMPLES:
            self.by_mark[data[12]] += 1

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def start(self, media: sdp.Negotiated | None) -> None:
        assert media is not None
        self._remote = (media.remote_address, media.remote_port)
        self._payload_type = media.codec.payload_type
        self._event_type = media.telephone_event or 101
        if self._task is not None:  # a phone that calls again: one sender at a time, none left behind
            self._task.cancel()
        self._task = asyncio.ensure_future(self._send_forever())

    async def _send_forever(self) -> None:
        frame = bytes((self.mark,)) * FRAME_SAMPLES
        while True:
            self._send(packet(self._payload_type, next(self._seq) & 0xFFFF, self._timestamp, 0x1234, frame))
            self._timestamp += FRAME_SAMPLES
            await asyncio.sleep(0.02)

    def _send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.sendto(data, self._remote)
        self.sent += 1

    def dtmf(self, digit: str) -> None:
        """An RFC 4733 event: a start packet, then the end packet three times (as phones send it)."""
        timestamp = self._timestamp
        self._send(packet(self._event_type, next(self._seq), timestamp, 0x1234, event_payload(digit, 160, False),
                          marker=True))
        for _ in range(3):
            self._send(packet(self._event_type, next(self._seq), timestamp, 0x1234, event_payload(digit, 800, True)))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.transport is not None:
            self.transport.close()


class Phone:
    """A SIP phone on 127.0.0.1: dials (caller) or answers (agent). `plan` for incoming calls: answer, ring
    (forever), or busy (486)."""

    def __init__(self, name: str, mark: int, plan: str = "answer") -> None:
        self.name = name
        self.plan = plan
        self.rtp = Rtp(mark)
        self.incoming: list[InboundCall] = []

    async def start(self) -> Phone:
        loop = asyncio.get_running_loop()
        self.core = SipCore(LoopScheduler(loop))
        self.listeners: Listeners = await listen(HOST, 0, 0, self.core.receive)
        trunks = TrunkList([Trunk.of("engine", [HOST])])
        self.manager = CallManager(self.core, self, self.listeners.udp_address, self.listeners.udp_channel,
                                   trunks=trunks)
        await loop.create_datagram_endpoint(lambda: self.rtp, local_addr=(HOST, 0))
        return self

    @property
    def uri(self) -> str:
        return f"sip:{self.name}@{HOST}:{self.listeners.udp_address[1]}"

    async def on_call(self, call: InboundCall) -> None:
        self.incoming.append(call)
        if self.plan == "busy":
            call.reject(486, "Busy Here")
            return
        call.ring()
        if self.plan == "answer":
            self.rtp.start(call.answer(HOST, self.rtp.port))

    def dial(self, uri: str) -> OutboundCall:
        return self.manager.dial(uri, (HOST, self.rtp.port), caller=f"sip:{self.name}@{HOST}")

    async def close(self) -> None:
        self.rtp.stop()
        await self.listeners.close()


async def until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Wait for `condition` (polled every 20 ms); fail the test after a generous `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)

"""The benchmark's load: many trunk callers and agent phones, built from the engine's own SIP pieces.

Two user agents, each one `SipCore` + `CallManager` on its own UDP port: `Callers` dials the engine as a
trunk; `Agents` answers every INVITE for `sip:agent-N@…` at once, and notes when each agent's INVITE
arrived (the routing measurement). Each call side has its own RTP socket (`MeasuredLeg`); `RtpMeter`
sends a stamped G.711-sized frame every 20 ms on the legs it is given and counts, per phase, the frames
that come back through the engine's bridge, with their delay, so loss and delay are exact per packet.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self, cast

from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.rtp import FRAME_SAMPLES, FRAME_SECONDS, packet
from hotline.telephony.sip.calls import CallManager, InboundCall, OutboundCall
from hotline.telephony.sip.clock import LoopScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.transport import Listeners, listen
from hotline.telephony.sip.trunks import Trunk, TrunkList

HOST = "127.0.0.1"
Address = tuple[str, int]
# After the 12-byte RTP header: magic, phase, padding, the sender's perf_counter_ns; then filler to 160 bytes.
STAMP = struct.Struct("!4sB3xQ")
MAGIC = b"HLBN"
FILLER = bytes(FRAME_SAMPLES - STAMP.size)
GROUPS = 10  # sends are spread over the 20 ms frame in this many groups, as independent phones would be


@dataclass
class PhaseCount:
    """Frames stamped with one phase: sent, received back through the engine, and their delays (ns)."""

    sent: int = 0
    received: int = 0
    delays: list[int] = field(default_factory=list)


class RtpMeter:
    """Counts stamped frames per phase; phase 0 is warm-up, later phases are measured separately."""

    def __init__(self) -> None:
        self.phases: dict[int, PhaseCount] = {}
        self.other = 0  # packets that are not ours (hold music before the bridge)

    def count(self, phase: int) -> PhaseCount:
        return self.phases.setdefault(phase, PhaseCount())

    def received(self, data: bytes) -> None:
        now = time.perf_counter_ns()
        if len(data) != 12 + FRAME_SAMPLES or data[12:16] != MAGIC:
            self.other += 1
            return
        _magic, phase, stamp = STAMP.unpack_from(data, 12)
        count = self.count(phase)
        count.received += 1
        count.delays.append(now - stamp)


class MeasuredLeg(asyncio.DatagramProtocol):
    """One call side's RTP socket: hands what it receives to the meter; `remote` is where it sends."""

    def __init__(self, meter: RtpMeter) -> None:
        self.meter = meter
        self.remote: Address | None = None
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.meter.received(data)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_leg(meter: RtpMeter) -> MeasuredLeg:
    leg = MeasuredLeg(meter)
    await asyncio.get_running_loop().create_datagram_endpoint(lambda: leg, local_addr=(HOST, 0))
    return leg


async def send_frames(legs: list[MeasuredLeg], meter: RtpMeter, phase: int, seconds: float) -> None:
    """Every leg sends a stamped frame every 20 ms for `seconds`, counted as sent in `phase`."""
    loop = asyncio.get_running_loop()
    count = meter.count(phase)
    start = loop.time()
    for frame in range(round(seconds / FRAME_SECONDS)):
        for group in range(GROUPS):
            due = start + (frame * GROUPS + group) * FRAME_SECONDS / GROUPS
            await asyncio.sleep(max(0.0, due - loop.time()))
            for index in range(group, len(legs), GROUPS):
                leg = legs[index]
                if leg.transport is None or leg.remote is None:
                    continue
                payload = STAMP.pack(MAGIC, phase, time.perf_counter_ns()) + FILLER
                leg.transport.sendto(packet(Codec.PCMA.value, frame & 0xFFFF, frame * FRAME_SAMPLES, index, payload),
                                     leg.remote)
                count.sent += 1


class UserAgent:
    """A SIP user agent on 127.0.0.1 that trusts the engine as its trunk; subclasses decide on INVITEs."""

    async def start(self) -> Self:
        loop = asyncio.get_running_loop()
        self.core = SipCore(LoopScheduler(loop))
        self.listeners: Listeners = await listen(HOST, 0, 0, self.core.receive)
        self.manager = CallManager(self.core, self, self.listeners.udp_address, self.listeners.udp_channel,
                                   trunks=TrunkList([Trunk.of("engine", [HOST])]))
        return self

    @property
    def port(self) -> int:
        return self.listeners.udp_address[1]

    async def on_call(self, call: InboundCall) -> None:
        call.reject(486, "Busy Here")

    async def close(self) -> None:
        await self.listeners.close()


class Callers(UserAgent):
    """Trunk callers: `dial` one call to a number of the engine, offering RTP at the given leg."""

    def dial(self, engine: Address, number: str, caller: int, media: Address) -> OutboundCall:
        return self.manager.dial(f"sip:{number}@{engine[0]}:{engine[1]}", media, caller=f"sip:139{caller:08d}@{HOST}")


class Agents(UserAgent):
    """Agent phones `agent-0`…: each answers at once with its own RTP leg and remembers its current call.

    `invited[agent]` is the `perf_counter` time the agent's latest INVITE arrived; `on_invite` (if set) is
    told the agent's name first, before answering.
    """

    def __init__(self, legs: list[MeasuredLeg]) -> None:
        self.legs = legs
        self.calls: dict[int, InboundCall] = {}
        self.invited: dict[int, float] = {}
        self.answered = 0
        self.on_invite: Callable[[int], None] | None = None

    def uri(self, agent: int) -> str:
        return f"sip:agent-{agent}@{HOST}:{self.port}"

    async def on_call(self, call: InboundCall) -> None:
        arrived = time.perf_counter()
        agent = agent_of(call.invite.uri)
        if agent is None or agent >= len(self.legs) or agent in self.calls:
            call.reject(486, "Busy Here")
            return
        self.invited[agent] = arrived
        if self.on_invite is not None:
            self.on_invite(agent)
        leg = self.legs[agent]
        negotiated = call.answer(HOST, leg.port)
        leg.remote = (negotiated.remote_address, negotiated.remote_port)
        self.calls[agent] = call
        self.answered += 1
        call.on_ended = lambda reason: self._ended(agent, call)

    def _ended(self, agent: int, call: InboundCall) -> None:
        if self.calls.get(agent) is call:
            del self.calls[agent]
            self.legs[agent].remote = None


def agent_of(uri: str) -> int | None:
    """The agent number of `sip:agent-N@host:port`, else None."""
    user = uri.partition(":")[2].partition("@")[0]
    prefix, _dash, number = user.partition("-")
    return int(number) if prefix == "agent" and number.isdigit() else None


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for `condition` (polled every 10 ms); raise after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)

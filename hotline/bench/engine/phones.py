"""The benchmark's load, a preset of `hotline.phones`: trunk callers and agent phones, each side one SIP user
agent on its own UDP port, and one RTP line per call side.

`Agents` answers every INVITE for `sip:agent-N@…` at once and notes when each agent's INVITE arrived (the
routing measurement). Every line sends time-stamped frames (`Stamps`) when `send_frames` says so, and counts,
per phase, the frames that come back through the engine's bridge with their delay, so loss and delay are
exact per packet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from hotline.phones import HOST, SipEndpoint, Stamps, user_of
from hotline.phones import until as _until
from hotline.phones.rtp import PhaseCount, RtpLine
from hotline.telephony.media.rtp import FRAME_SECONDS
from hotline.telephony.sip.calls import InboundCall, OutboundCall

__all__ = ["Agents", "Callers", "PhaseCount", "Stamps", "agent_of", "open_leg", "send_frames", "until"]

Address = tuple[str, int]
GROUPS = 10  # sends are spread over the 20 ms frame in this many groups, as independent phones would be


async def open_leg(meter: Stamps) -> RtpLine:
    """One call side's RTP line: sends `meter`'s stamped frames, hands what it receives to the meter."""
    return await RtpLine(HOST, meter.payload, hear=meter.received).open()


async def send_frames(legs: list[RtpLine], meter: Stamps, phase: int, seconds: float) -> None:
    """Every leg with a far end sends a stamped frame every 20 ms for `seconds`, counted as sent in `phase`."""
    loop = asyncio.get_running_loop()
    meter.phase = phase
    start = loop.time()
    for frame in range(round(seconds / FRAME_SECONDS)):
        for group in range(GROUPS):
            due = start + (frame * GROUPS + group) * FRAME_SECONDS / GROUPS
            await asyncio.sleep(max(0.0, due - loop.time()))
            for index in range(group, len(legs), GROUPS):
                if legs[index].line.remote is not None:
                    legs[index].line.tick()


class Callers:
    """Trunk callers: `dial` one call to a number of the engine, offering RTP at the given leg."""

    async def start(self) -> Callers:
        self.endpoint = await SipEndpoint(HOST, name="Hotline").start()
        return self

    def dial(self, engine: Address, number: str, caller: int, media: Address) -> OutboundCall:
        return self.endpoint.calls.dial(f"sip:{number}@{engine[0]}:{engine[1]}", media,
                                        caller=f"sip:139{caller:08d}@{HOST}")

    async def close(self) -> None:
        await self.endpoint.close()


class Agents:
    """Agent phones `agent-0`…: each answers at once with its own RTP leg and remembers its current call.

    `invited[agent]` is the `perf_counter` time the agent's latest INVITE arrived; `on_invite` (if set) is
    told the agent's name first, before answering.
    """

    def __init__(self, legs: list[RtpLine]) -> None:
        self.legs = legs
        self.calls: dict[int, InboundCall] = {}
        self.invited: dict[int, float] = {}
        self.answered = 0
        self.on_invite: Callable[[int], None] | None = None

    async def start(self) -> Agents:
        self.endpoint = await SipEndpoint(HOST, name="Hotline").start()
        self.endpoint.catch_all = self.on_call
        return self

    def uri(self, agent: int) -> str:
        return self.endpoint.contact(f"agent-{agent}")

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
        leg.line.aim(call.answer(HOST, leg.port))
        self.calls[agent] = call
        self.answered += 1
        call.on_ended = lambda reason: self._ended(agent, call)

    def _ended(self, agent: int, call: InboundCall) -> None:
        if self.calls.get(agent) is call:
            del self.calls[agent]
            self.legs[agent].line.remote = None

    async def close(self) -> None:
        await self.endpoint.close()


def agent_of(uri: str) -> int | None:
    """The agent number of `sip:agent-N@host:port`, else None."""
    prefix, _dash, number = user_of(uri).partition("-")
    return int(number) if prefix == "agent" and number.isdigit() else None


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait for `condition` (polled every 10 ms); TimeoutError after `timeout` seconds."""
    await _until(condition, timeout, what, poll=0.01)

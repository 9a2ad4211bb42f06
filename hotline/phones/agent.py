"""`AgentPhone`: a seat's phone that registers with digest auth, rings, answers with audio, talks, hangs up.

It asks `should_answer` just before answering and tells `on_answered` just after, both on the event loop's
thread: the simulator uses that to make "the caller gave up" and "an agent answered" exclusive, so its
accounting never disagrees with the engine's log.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from hotline.phones.endpoint import SipEndpoint
from hotline.phones.rtp import AGENT_MARK, RtpStream
from hotline.telephony.sip.calls import CallState, InboundCall
from hotline.telephony.sip.register_client import Account, RegisterClient
from hotline.telephony.sip.transport import Address

Span = tuple[float, float]


def spread(rng: random.Random, span: Span) -> float:
    low, high = span
    return rng.uniform(low, high) if high > low else low


class AgentPhone:
    """A seat's phone: registers with digest auth, rings, answers with audio, talks, hangs up.

    `ring` and `talk` are (min, max) seconds drawn per call from `rng`. `incoming` keeps every call offered
    (as the engine's test phones do); `taken` counts the answered ones; `streams` their audio.
    """

    def __init__(self, endpoint: SipEndpoint, username: str, password: str = "", *, domain: str = "hotline",
                 ring: Span = (0.5, 2.0), talk: Span = (5.0, 30.0), plan: str = "answer", mark: int = AGENT_MARK,
                 rng: random.Random | None = None) -> None:
        self.endpoint = endpoint
        self.username = username
        self.account = Account(username, password, domain, endpoint.contact(username))
        self.ring = ring
        self.talk = talk
        self.plan = plan
        self.mark = mark
        self.rng = rng or random.Random()
        self.incoming: list[InboundCall] = []
        self.streams: list[RtpStream] = []
        self.taken = 0
        self.should_answer: Callable[[InboundCall], bool] = lambda call: True
        self.on_answered: Callable[[AgentPhone, InboundCall], None] | None = None
        self.registration: RegisterClient | None = None
        endpoint.add_line(username, self._on_call)

    @property
    def uri(self) -> str:
        return self.account.contact

    async def register(self, registrar: Address, expires: int = 600) -> int:
        """REGISTER our contact with `registrar` (answering its digest challenge); the final status."""
        self.registration = RegisterClient(self.endpoint.core, self.endpoint.listeners.udp_channel(registrar),
                                           self.endpoint.address, self.account, expires)
        return await self.registration.register()

    async def unregister(self) -> int:
        if self.registration is None:
            return 0
        return await self.registration.unregister()

    async def _on_call(self, call: InboundCall) -> None:
        self.incoming.append(call)
        if self.plan == "busy":
            call.reject(486, "Busy Here")
            return
        call.ring()
        if self.plan != "answer":
            return  # rings until the engine cancels
        await asyncio.sleep(spread(self.rng, self.ring))
        if call.state is not CallState.OFFERED or not self.should_answer(call):
            return  # cancelled while ringing, or the caller has just given up: the engine will CANCEL
        stream = self.endpoint.media.stream(call.answer(self.endpoint.host, self.endpoint.media.port), self.mark,
                                            talking=True)
        self.streams.append(stream)
        self.taken += 1
        if self.on_answered is not None:
            self.on_answered(self, call)
        await self._talk(call, stream)

    async def _talk(self, call: InboundCall, stream: RtpStream) -> None:
        try:
            await asyncio.wait_for(call.wait_ended(), spread(self.rng, self.talk))
        except TimeoutError:
            call.hangup()
        finally:
            stream.close()

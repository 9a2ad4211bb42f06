"""In-memory SIP calls for call-flow tests: the engine runs its real call logic on them.

`FakeInboundCall` and `FakeOutboundCall` have exactly the surface the engine uses of
`hotline.telephony.sip.calls.InboundCall` / `OutboundCall` (state, ring, answer, reject, hangup, cancel,
wait_answer, the on_* hooks, media), with the same order of effects: a final status settles before the call
ends, `on_ended` runs synchronously with the reason the real call gives ("remote bye", "local bye",
"cancelled", "rejected 486", "timeout"). The test plays the far end: ring, answer, refuse, hang up, cancel.

`FakePhone` is a far end with a plan (answer, ring forever, busy, or driven by hand); `FakeSip` is the
engine's SIP side (`SipSide`): it delivers trunk calls through the engine's admission check and dials phones.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hotline.telephony.media.g711 import Codec
from hotline.telephony.sip import sdp
from hotline.telephony.sip.calls import CallState
from hotline.telephony.sip.trunks import Trunk

TRANSACTION_TIMEOUT = 32.0  # RFC 3261 Timer B: an INVITE nobody answers at all ends "timeout" (408)
PCMA = sdp.Codec("PCMA", Codec.PCMA.payload_type)
CARRIER = Trunk.of("fake carrier", ["203.0.113.0/24"])  # where every fake trunk call comes from


def negotiated(address: str, port: int) -> sdp.Negotiated:
    """What offer/answer gives for a phone at `address`:`port` (PCMA with telephone-event 101)."""
    return sdp.Negotiated(address, port, PCMA, 101, "sendrecv")


@dataclass(frozen=True)
class FakeInvite:
    """The INVITE of a fake call: only its Call-ID is read."""

    call_id: str


class FakeInboundCall:
    """A trunk call offered to the engine (`InboundCall`'s surface). `responses` lists the statuses the
    engine sent (180, 200, 404, 480, 503 …); the test side calls `cancel()` and `hang_up()`."""

    def __init__(self, sip: FakeSip, call_id: str, caller: str, called: str, address: tuple[str, int],
                 trunk: Trunk) -> None:
        self._sip = sip
        self.invite = FakeInvite(call_id)
        self.trunk = trunk  # the carrier the call came from
        self.caller = caller
        self.called = called
        self.address = address  # where this caller's phone receives RTP
        self.state = CallState.OFFERED
        self.responses: list[int] = []
        self.local_media: tuple[str, int] | None = None  # the engine's RTP endpoint, once answered
        self.media: sdp.Negotiated | None = None
        self.end_reason = ""
        self.on_media: Callable[[sdp.Negotiated], None] | None = None
        self.on_ended: Callable[[str], None] | None = None

    # engine side ---------------------------------------------------------------------------------------

    def ring(self) -> None:
        if self.state is CallState.OFFERED:
            self.responses.append(180)

    def answer(self, address: str, port: int) -> sdp.Negotiated:
        if self.state is not CallState.OFFERED:
            raise RuntimeError(f"cannot answer a call that is {self.state.value}")
        self.local_media = (address, port)
        self.state = CallState.ANSWERED
        self.responses.append(200)
        self._sip.offered.pop(self.invite.call_id, None)
        self.media = negotiated(*self.address)
        return self.media

    def progress(self, address: str, port: int) -> sdp.Negotiated:
        """183 Session Progress with SDP: early media; the call stays offered."""
        if self.state is not CallState.OFFERED:
            raise RuntimeError(f"cannot send early media on a call that is {self.state.value}")
        self.local_media = (address, port)
        self.responses.append(183)
        self.media = negotiated(*self.address)
        return self.media

    def reject(self, status: int = 486, reason: str = "Busy Here") -> None:
        if self.state is CallState.OFFERED:
            self.responses.append(status)
            self._end("rejected")

    def hangup(self) -> None:
        if self.state is CallState.OFFERED:
            self.reject(480, "Temporarily Unavailable")
        elif self.state is CallState.ANSWERED:
            self._end("local bye")

    # far end (the test) --------------------------------------------------------------------------------

    def cancel(self) -> None:
        """The caller gives up before the answer (CANCEL: 487)."""
        if self.state is CallState.OFFERED:
            self.responses.append(487)
            self._end("cancelled")

    def hang_up(self) -> None:
        """The caller hangs up (BYE) an answered call."""
        if self.state is CallState.ANSWERED:
            self._end("remote bye")

    def reinvite(self, address: tuple[str, int]) -> None:
        """The caller moves its media (a re-INVITE)."""
        self.address = address
        self.media = negotiated(*address)
        if self.on_media is not None:
            self.on_media(self.media)

    def _end(self, reason: str) -> None:
        if self.state is CallState.ENDED:
            return
        self.state, self.end_reason = CallState.ENDED, reason
        self._sip.offered.pop(self.invite.call_id, None)
        if self.on_ended is not None:
            self.on_ended(reason)


class FakeOutboundCall:
    """A call the engine dialled (`OutboundCall`'s surface). The phone (test side) rings, answers,
    refuses or hangs up; `cancel()`/`hangup()` from the engine end it as the real call would."""

    def __init__(self, call_id: str, uri: str, caller: str, local_media: tuple[str, int], phone: FakePhone) -> None:
        self.invite = FakeInvite(call_id)
        self.uri = uri
        self.caller = caller  # the From the phone shows
        self.local_media = local_media
        self.phone = phone
        self.state = CallState.CALLING
        self.media: sdp.Negotiated | None = None
        self.final_status: int | None = None
        self.end_reason = ""
        self.on_ringing: Callable[[int], None] | None = None
        self.on_ended: Callable[[str], None] | None = None
        self.on_media: Callable[[sdp.Negotiated], None] | None = None
        self._settled = asyncio.Event()
        self._cancel_wanted = False

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    # engine side ---------------------------------------------------------------------------------------

    async def wait_answer(self) -> int:
        await self._settled.wait()
        return self.final_status or 0

    def cancel(self) -> None:
        """CANCEL while ringing (the phone's 487 comes back a moment later); before any provisional, as soon
        as one comes."""
        if self.state is CallState.RINGING and not self._cancel_wanted:
            self._cancel_wanted = True
            asyncio.get_running_loop().call_soon(self._end, "cancelled")
        elif self.state is CallState.CALLING:
            self._cancel_wanted = True

    def hangup(self) -> None:
        if self.state is CallState.ANSWERED:
            self._end("local bye")
        else:
            self.cancel()

    # far end (the phone) -------------------------------------------------------------------------------

    def ring(self) -> None:
        """180 Ringing."""
        if self.state is not CallState.CALLING:
            return
        self.state = CallState.RINGING
        if self.on_ringing is not None:
            self.on_ringing(180)
        if self._cancel_wanted:
            self._end("cancelled")

    def answer(self) -> None:
        """200 OK (a 200 to an INVITE we wanted cancelled is acknowledged and hung up: it ends cancelled)."""
        if self.state not in (CallState.CALLING, CallState.RINGING):
            return
        if self._cancel_wanted:
            self._end("cancelled")
            return
        self.state = CallState.ANSWERED
        self._settle(200)
        self.media = negotiated(self.phone.host, self.phone.rtp_port)
        if self.on_media is not None:
            self.on_media(self.media)

    def refuse(self, status: int = 486) -> None:
        """A final error response (486 busy, 480, 603 …)."""
        if self.state in (CallState.CALLING, CallState.RINGING):
            self._settle(status)
            self._end("cancelled" if self._cancel_wanted or status == 487 else f"rejected {status}")

    def hang_up(self) -> None:
        """The phone hangs up an answered call (BYE)."""
        if self.state is CallState.ANSWERED:
            self._end("remote bye")

    def time_out(self) -> None:
        """No final response at all before Timer B."""
        if self.state in (CallState.CALLING, CallState.RINGING):
            self._end("timeout")

    def _settle(self, status: int) -> None:
        if self.final_status is None:
            self.final_status = status
            self._settled.set()

    def _end(self, reason: str) -> None:
        self._settle({"cancelled": 487, "timeout": 408}.get(reason, 500))
        if self.state is CallState.ENDED:
            return
        self.state, self.end_reason = CallState.ENDED, reason
        if self.on_ended is not None:
            self.on_ended(reason)


class Plan(enum.Enum):
    """How a phone takes a call: ring and answer at once, ring until the test answers (or the engine cancels),
    answer busy, or send nothing at all (the test drives every response)."""

    ANSWER = "answer"
    RING = "ring"
    BUSY = "busy"
    MANUAL = "manual"


@dataclass
class FakePhone:
    """A far end the engine dials: an agent's or supervisor's phone, or the outbound gateway. `calls` are
    the calls it received, in order; `plan` says what it does with the next ones."""

    name: str
    host: str
    rtp_port: int
    plan: Plan = Plan.ANSWER
    answer_after: float = 0.0  # seconds between ringing and answering, with `Plan.ANSWER`
    calls: list[FakeOutboundCall] = field(default_factory=list)

    @property
    def last(self) -> FakeOutboundCall:
        return self.calls[-1]

    def receive(self, call: FakeOutboundCall) -> None:
        """The INVITE arrives; the plan answers it a moment later (after `dial` returned, as on a network)."""
        self.calls.append(call)
        loop = asyncio.get_running_loop()
        if self.plan is Plan.BUSY:
            loop.call_soon(call.refuse, 486)
        elif self.plan in (Plan.ANSWER, Plan.RING):
            loop.call_soon(call.ring)
        if self.plan is Plan.ANSWER:
            loop.call_later(self.answer_after, call.answer)


class FakeSip:
    """The engine's SIP side in memory (`hotline.telephony.engine.SipSide`), built by the engine's
    `start(sip=...)` with its `on_call` and its admission check.

    `offered` holds the trunk calls not answered yet (they take a line, as the engine counts them).
    `phones` are found by the dialled URI, else by its host (a gateway phone takes every number).
    """

    def __init__(self, engine: Any, admit: Callable[[object], bool], phones: Mapping[str, FakePhone],
                 trunk: Trunk = CARRIER) -> None:
        self.engine = engine
        self.admit = admit
        self.phones = phones
        self.trunk = trunk
        self.offered: dict[str, FakeInboundCall] = {}
        self.inbound: list[FakeInboundCall] = []
        self.dialled: list[FakeOutboundCall] = []
        self.failures: list[Exception] = []  # errors `on_call` raised (a test fails on them)
        self._count = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.nowhere = FakePhone("nowhere", "192.0.2.99", 9000, Plan.MANUAL)

    def _next_id(self, kind: str) -> str:
        self._count += 1
        return f"{kind}-{self._count}@fake"

    def call_in(self, caller: str, dnis: str) -> FakeInboundCall:
        """A trunk INVITE from `caller` to `dnis`: refused 503 when the lines are full, else offered to the
        engine (`on_call` runs as a task, as `CallManager` runs it)."""
        port = 20000 + 2 * len(self.inbound)
        call = FakeInboundCall(self, self._next_id("in"), f"sip:{caller}@203.0.113.1",
                               f"sip:{dnis}@127.0.0.1", ("203.0.113.1", port), self.trunk)
        self.inbound.append(call)
        if not self.admit(call.invite):
            call.responses.append(503)
            call.state, call.end_reason = CallState.ENDED, "refused"
            return call
        self.offered[call.invite.call_id] = call
        task = asyncio.get_running_loop().create_task(self._run(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return call

    async def _run(self, call: FakeInboundCall) -> None:
        try:
            await self.engine.on_call(call)
        except Exception as error:  # as CallManager: the caller must still get an answer
            self.failures.append(error)
            if call.state is CallState.OFFERED:
                call.reject(500, "Server Internal Error")

    def dial(self, uri: str, local_media: tuple[str, int], caller: str = "",
             destination: tuple[str, int] | None = None, ring_timeout: float | None = None) -> FakeOutboundCall:
        phone = self.phones.get(uri) or self.phones.get(uri.partition("@")[2]) or self.nowhere
        call = FakeOutboundCall(self._next_id("out"), uri, caller, local_media, phone)
        self.dialled.append(call)
        loop = asyncio.get_running_loop()
        if ring_timeout is not None:
            loop.call_later(ring_timeout, call.cancel)  # a no-op once answered or ended
        loop.call_later(TRANSACTION_TIMEOUT, call.time_out)
        phone.receive(call)
        return call

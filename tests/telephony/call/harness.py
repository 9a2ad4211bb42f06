"""A whole engine on fake ports: in-memory SIP calls and media plane, memory call log, virtual time.

The engine is driven only through its stable surfaces: `Engine(...)`, `start(sip=, media=, wall=)`,
`EngineControl`, the memory ports, `engine.dispatcher`'s read-only queries, `flush_log` and `stop`.

    def test_something(tmp_path):
        async def body(h: Harness) -> None:
            call = h.call_in("13800138000")
            await h.until(lambda: h.connected(call), what="the answer")
            ...
        play(tmp_path, body, seats=(seat("agent-1", "seat-1"),))

Seats get fixed phone URIs (`sip:<seat>@phones.test`): no REGISTER is needed, every seat's phone is a
`FakePhone` named after the seat (`h.phone("seat-1")`). The outbound gateway is the phone "gateway".
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.callbacks import CallbackConfig
from hotline.telephony.control import ControlError, EngineControl
from hotline.telephony.engine import PROMPTS, Engine, EngineConfig, SeatConfig
from hotline.telephony.events import AgentState, CallEvent, CallStep
from hotline.telephony.ivr.loader import load_demo_flow
from hotline.telephony.ivr.model import Flow
from hotline.telephony.media.plane import LegKey, RecordingMode
from hotline.telephony.memory import MemoryCallbackStore, MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import CallbackCapture, Route, StoredCallback
from hotline.telephony.sip.calls import CallState

from .fake_media import FakeLeg, FakeMediaPlane, wav_length
from .fake_sip import FakeInboundCall, FakeOutboundCall, FakePhone, FakeSip, Plan
from .vtime import advance, run, settle, until, virtual_loop

DNIS = "4008001000"
CALLER = "13800138000"
PHONES = "phones.test"
GATEWAY_HOST = "gateway.test"
GATEWAY = f"sip:{{number}}@{GATEWAY_HOST}"
E = TypeVar("E", bound=CallEvent)


def seat(agent: str, name: str, *queues: str, ready: bool = True, **options: Any) -> SeatConfig:
    """A seat with a fixed phone URI (`sip:<name>@phones.test`); `agent` "" for nobody logged in."""
    return SeatConfig(agent, name, fixed_uri=f"sip:{name}@{PHONES}", queues=queues or ("orders",), ready=ready,
                      **options)


def exactly(seconds: float) -> Any:
    """A duration on the virtual clock: exact but for float rounding (1005.6265 - 1000.0 != 5.6265)."""
    return pytest.approx(seconds, abs=1e-9)


def at_tick(seconds: float) -> Any:
    """A duration that ends at an ACD deadline (ring timeout, max wait, wrap-up): the engine runs the
    dispatcher a millisecond after the deadline, so as not to find it not yet due."""
    return pytest.approx(seconds, abs=0.002)


@functools.cache
def demo_flow() -> Flow:
    """The demo IVR flow, parsed once (its YAML took most of a test's time; a `Flow` is frozen)."""
    return load_demo_flow()


def prompt_length(name: str) -> float:
    """The nominal length of one of the engine's prompts (the fake plane ends it after that long)."""
    return wav_length(PROMPTS / f"{name}.wav")


class ErrorLog(logging.Handler):
    """Collects the engine's errors (a failed task, a failed write): a test fails if any was logged."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Harness:
    """The engine under test, its fakes and ports, and the helpers a call-flow test uses."""

    engine: Engine
    control: EngineControl
    call_log: MemoryCallLog
    bus: MemoryEventBus
    media: FakeMediaPlane
    phones: dict[str, FakePhone]
    store: MemoryCallbackStore | None
    seats: tuple[SeatConfig, ...]
    sip: FakeSip = field(init=False)

    # -- calls -------------------------------------------------------------------------------------------

    def call_in(self, caller: str = CALLER, dnis: str = DNIS) -> FakeInboundCall:
        """A trunk call from `caller` to `dnis` (503 at once when every line is taken)."""
        return self.sip.call_in(caller, dnis)

    def phone(self, name: str) -> FakePhone:
        """A seat's phone (by seat name), or "gateway"."""
        return self.phones[name]

    def leg(self, call: FakeInboundCall | FakeOutboundCall) -> LegKey:
        """The media leg the engine opened for a call (found by the RTP port it gave the call)."""
        assert call.local_media is not None, "the call has no media endpoint yet"
        return self.media.leg_at(call.local_media[1]).key

    def played(self, call: FakeInboundCall) -> list[str]:
        """Every prompt name and "hold" started on the call's leg, in order (none before it has media)."""
        return [] if call.local_media is None else self.media.leg_at(call.local_media[1]).played

    def press(self, call: FakeInboundCall, digits: str) -> None:
        """The caller presses keys (RFC 4733), one after the other at this instant."""
        for digit in digits:
            self.media.press(self.leg(call), digit)

    def hears(self, call: FakeInboundCall | FakeOutboundCall) -> frozenset[str]:
        """What a party hears: "hold", "prompt:<name>", or the parties it talks to — a caller by number, a
        phone by name ("seat-2", "gateway"); nothing (or no media yet): an empty set."""
        if call.local_media is None or self.leg(call) not in self.media.legs:
            return frozenset()
        return self.media.hears(self.leg(call))

    def party(self, leg: FakeLeg) -> str:
        """Who is on a media leg: the caller's number or the phone's name (found by the leg's RTP port)."""
        for inbound in self.sip.inbound:
            if inbound.local_media is not None and inbound.local_media[1] == leg.port:
                return user_of(inbound.caller)
        for outbound in self.sip.dialled:
            if outbound.local_media[1] == leg.port:
                return outbound.phone.name
        return leg.key.tag

    def connected(self, call: FakeInboundCall, agent: str = "") -> bool:
        """Whether the caller talks to a phone (that of `agent`'s seat, when given)."""
        if call.state is not CallState.ANSWERED or call.local_media is None:
            return False
        heard = self.hears(call)
        if not heard or "hold" in heard or any(name.startswith("prompt:") for name in heard):
            return False
        return not agent or self.seat_of(agent) in heard

    def seat_of(self, agent: str) -> str:
        """The seat an agent last logged in at (from the agent log), else the one the config gives them."""
        logged = [e.seat for e in self.call_log.agent_states if e.agent == agent and e.seat]
        configured = [s.seat for s in self.seats if s.agent == agent]
        return (logged or configured or [""])[-1]

    # -- time --------------------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """The loop's (virtual) monotonic time: what the engine stamps as `mono`."""
        return virtual_loop().time()

    async def until(self, condition: Callable[[], bool], within: float = 120.0, what: str = "the condition") -> None:
        await until(condition, within, what)

    async def advance(self, seconds: float) -> None:
        await advance(seconds)

    async def settle(self) -> None:
        await settle()

    # -- the log -----------------------------------------------------------------------------------------

    def events(self, kind: type[E], call: FakeInboundCall | str | None = None) -> list[E]:
        """Logged events of one type (of one call, when given), in order."""
        call_id = call.invite.call_id if isinstance(call, FakeInboundCall) else call
        return [event for event in self.call_log.events
                if isinstance(event, kind) and (call_id is None or event.call_id == call_id)]

    def logged(self, kind: CallStep, call: FakeInboundCall | str) -> bool:
        """Whether a step of that kind is logged for the call (for `until`)."""
        call_id = call if isinstance(call, str) else call.invite.call_id
        return kind in self.call_log.kinds(call_id)

    def closed(self, call: FakeInboundCall | str) -> bool:
        return (call if isinstance(call, str) else call.invite.call_id) in self.call_log.closed

    def state(self, agent: str) -> AgentState:
        return self.engine.dispatcher.agent(agent).state

    async def states(self, agent: str) -> list[tuple[AgentState, str]]:
        """The agent's logged state changes: (state, reason)."""
        await self.engine.flush_log()
        return [(e.state, e.reason) for e in self.call_log.agent_states if e.agent == agent]


def user_of(uri: str) -> str:
    return uri.partition(":")[2].partition("@")[0]


@asynccontextmanager
async def started(tmp_path: Path, *, route: Route | None = None, seats: tuple[SeatConfig, ...] = (),
                  queues: tuple[QueueConfig, ...] = (), flows: Mapping[str, Flow] | None = None,
                  directory: MemoryDirectory | None = None, surge: SurgeSettings | None = None,
                  callbacks: CallbackConfig | None = None, store: MemoryCallbackStore | None = None,
                  ring_timeout: float = 20.0, wrap_up: float = 0.0, hold_music: bool = True,
                  outbound_gateway: str = "", recording_mode: RecordingMode = RecordingMode.MONO,
                  media: FakeMediaPlane | None = None, plans: Mapping[str, Plan] | None = None,
                  allowed_errors: tuple[str, ...] = ()) -> AsyncIterator[Harness]:
    """An engine on fake ports answering `route` (default: straight to "orders") with `seats`, `queues`
    (default: orders with `wrap_up` seconds of wrap-up, and after_sales) and the demo IVR flow. `plans`
    sets how each seat's phone (by seat name, or "gateway") takes calls (default: answers at once). The
    engine must log no error but those containing one of `allowed_errors`."""
    plans = plans or {}
    config = EngineConfig(
        queues=queues or (QueueConfig("orders", wrap_up_seconds=wrap_up), QueueConfig("after_sales")),
        flows=flows if flows is not None else {"demo": demo_flow()}, seats=seats, recordings=tmp_path / "rec",
        hold_music=PROMPTS / "please_hold.wav" if hold_music else None, ring_timeout=ring_timeout,
        recording_mode=recording_mode, outbound_gateway=outbound_gateway, surge=surge,
        callbacks=callbacks or CallbackConfig())
    phones = {f"sip:{s.seat}@{PHONES}": FakePhone(s.seat, "198.51.100.1", 30000 + 2 * n, plans.get(s.seat, Plan.ANSWER))
              for n, s in enumerate(seats)}
    phones[GATEWAY_HOST] = FakePhone("gateway", "198.51.100.200", 31000, plans.get("gateway", Plan.ANSWER))
    call_log, bus = MemoryCallLog(), MemoryEventBus()
    directory = directory or MemoryDirectory({DNIS: route or Route(DNIS, queue="orders")})
    engine = Engine(config, call_log, directory, bus, callback_store=store)
    media = media or FakeMediaPlane(hold_music=hold_music)
    harness = Harness(engine, EngineControl(engine), call_log, bus, media,
                      {phone.name: phone for phone in phones.values()}, store, seats)

    def sip(built: Engine, admit: Callable[[object], bool]) -> Any:
        harness.sip = FakeSip(built, admit, phones)
        media.name = harness.party
        # Any: the fake calls have the surface the engine uses of InboundCall/OutboundCall, not their classes.
        return harness.sip

    errors = ErrorLog()
    logging.getLogger("hotline.telephony").addHandler(errors)
    try:
        await engine.start(sip=sip, media=media, wall=virtual_loop().wall)
        try:
            yield harness
            await settle()  # what the test did last (a hang-up) takes effect before the engine stops
        finally:
            await engine.stop()
    finally:
        logging.getLogger("hotline.telephony").removeHandler(errors)
    unexpected = [r.getMessage() for r in errors.records if not any(a in r.getMessage() for a in allowed_errors)]
    assert not unexpected, f"the engine logged errors: {unexpected}"
    assert not harness.sip.failures, f"on_call failed: {harness.sip.failures}"


def play(tmp_path: Path, body: Callable[[Harness], Awaitable[None]], **setup: Any) -> Harness:
    """Run `body` against an engine `started` with `setup`, on a fresh virtual-time loop; returns the
    harness (stopped) for assertions after the engine's stop."""
    result: list[Harness] = []

    async def scenario() -> None:
        async with started(tmp_path, **setup) as harness:
            result.append(harness)
            await body(harness)

    run(scenario)
    return result[0]


async def refused(code: str, command: Awaitable[object]) -> None:
    """Await an engine command and expect its refusal with `code`."""
    with pytest.raises(ControlError) as error:
        await command
    assert error.value.code == code


async def talking(h: Harness, agent: str = "agent-1") -> FakeInboundCall:
    """A trunk call answered by `agent`."""
    call = h.call_in()
    await h.until(lambda: h.connected(call, agent), what=f"{agent}'s answer")
    return call


@dataclass
class GatedStore(MemoryCallbackStore):
    """A store whose captures wait for `gate`: a slow database, to see what happens meanwhile."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    async def capture(self, capture: CallbackCapture) -> StoredCallback:
        self.waiting += 1
        await self.gate.wait()
        return await super().capture(capture)

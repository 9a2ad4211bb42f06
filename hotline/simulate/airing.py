"""`Simulation`: air a TV spot against a running engine — agents register, callers dial in at a steady rate.

It registers the agent phones, places `cps × duration` calls one every `1/cps` seconds, waits (bounded)
until every call has ended, unregisters the agents and returns a `Summary`. Each placed call ends in exactly
one `Outcome`, so `placed == sum(outcomes)` always holds; a call still up when the wait runs out is hung up
and counted as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import math
import random
import wave
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hotline.phones import (
    HOST,
    AgentPhone,
    Caller,
    CallerPlan,
    CallResult,
    Outcome,
    SipEndpoint,
    Span,
    caller_number_of,
    until,
)
from hotline.simulate import DEFAULT_DNIS, DEMO_FIRST_USER, DEMO_SIP_PASSWORD
from hotline.simulate.media import prompt_cue
from hotline.simulate.phones import legend_lines
from hotline.telephony.engine import PROMPTS
from hotline.telephony.sip.calls import InboundCall
from hotline.telephony.sip.transport import Address

KEYPAD = "0123456789*#"
DEMO_KEYS: Mapping[str, float] = {"1": 0.8, "2": 0.1, "3": 0.1}  # mostly orders; some status, some after-sales


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def menu_cue(payload_type: int) -> bytes | None:
    """A frame of the demo flow's main menu prompt that the welcome prompt before it does not have."""
    return prompt_cue("main_menu", payload_type, ("welcome",))


# Every prompt a caller may hear before a callback is confirmed: the cue must be none of theirs.
BEFORE_CALLBACK = ("welcome", "main_menu", "please_hold", "queue_ahead", "queue_wait", "callback_offer", "all_busy",
                   "goodbye", "invalid_key", "no_input")


def through_cue(payload_type: int) -> bytes | None:
    """A frame of the short welcome that puts a caller straight through to the order queue during an airing."""
    return prompt_cue("welcome_short", payload_type, ("welcome", "please_hold"))


def callback_cue(payload_type: int) -> bytes | None:
    """A frame of "we will call you back" (the engine plays it once a callback is stored, then hangs up)."""
    return prompt_cue("callback_confirmed", payload_type, BEFORE_CALLBACK)


class AgentDesk(Protocol):
    """Signs the agents of the registered phones in at their seats, ready, and out again at the end (the
    command's `DeskSignIn` does it through the web app's REST API); a run without one signs nobody in."""

    async def sign_in(self, usernames: list[str]) -> None: ...

    async def sign_out(self) -> None: ...


class SimulationError(Exception):
    """The simulation could not run: the engine does not answer, or no agent phone could register."""


def demo_credentials(agents: int, first: int = DEMO_FIRST_USER,
                     password: str = DEMO_SIP_PASSWORD) -> tuple[tuple[str, str], ...]:
    """(user, password) of the demo seats' phones: 8001, 8002, … with the demo SIP password."""
    return tuple((str(first + index), password) for index in range(agents))


def prompt_seconds(name: str) -> float:
    """The length of one of the engine's prompts (the callers time their key presses by it)."""
    with wave.open(str(PROMPTS / f"{name}.wav")) as prompt:
        return float(prompt.getnframes() / prompt.getframerate())


@dataclass(frozen=True)
class Options:
    """Everything a simulation run is made of; times in seconds, spans are (min, max) drawn per call."""

    cps: float = 20.0
    duration: float = 60.0
    credentials: tuple[tuple[str, str], ...] = demo_credentials(10)
    dnis: str = DEFAULT_DNIS
    engine: Address = ("127.0.0.1", 5060)
    domain: str = "hotline"  # the AOR domain the phones register; the engine looks seats up in its realm
    host: str = HOST  # where our phones listen
    ring: Span = (0.5, 2.0)
    talk: Span = (5.0, 30.0)
    patience: Span = (10.0, 60.0)
    listen: Span = (6.0, 12.0)
    keys: Mapping[str, float] = field(default_factory=lambda: dict(DEMO_KEYS))
    menu_delay: float | None = None  # press the key then if the menu was not heard; None: both prompts + 1 s
    announcement: float | None = None  # the queue's announcement (on hold after it); None: please_hold's length
    seed: int | None = None
    connect_timeout: float = 2.0
    answer_timeout: float = 15.0
    drain_timeout: float | None = None  # None: the longest patience + talk + 30 s

    def __post_init__(self) -> None:
        problems = [name for name, value in (("cps", self.cps), ("duration", self.duration)) if value <= 0]
        for name in ("ring", "talk", "patience", "listen"):
            low, high = getattr(self, name)
            if low < 0 or high < low:
                problems.append(name)
        if (not self.keys or any(weight < 0 for weight in self.keys.values()) or sum(self.keys.values()) <= 0
                or any(len(key) != 1 or key not in KEYPAD for key in self.keys)):
            problems.append("keys (menu keys 0-9 * # with weights)")
        if not is_ip(self.engine[0]) or not 0 < self.engine[1] < 65536:
            problems.append("engine (an IP address and port)")
        if problems:
            raise ValueError(f"invalid simulation options: {', '.join(problems)}")

    @property
    def calls(self) -> int:
        """How many calls the run places."""
        return max(1, round(self.cps * self.duration))


@dataclass
class Summary:
    """What happened: every placed call's outcome, setup latency, and the calls each agent took."""

    placed: int
    outcomes: dict[str, int]
    refused: dict[int, int]  # by SIP status
    failed: dict[str, int]  # by reason
    setup_p50_ms: float | None
    setup_p99_ms: float | None
    per_agent: dict[str, int]
    heard_agent: int  # answered calls whose caller heard the agent's audio
    registration_failures: dict[str, int]
    seconds: float
    results: list[CallResult] = field(default_factory=list, repr=False)

    @property
    def answered(self) -> int:
        return self.outcomes.get(Outcome.ANSWERED, 0)

    @property
    def accounted(self) -> bool:
        """Every placed call has exactly one outcome."""
        return sum(self.outcomes.values()) == self.placed == len(self.results)

    def as_dict(self) -> dict[str, Any]:
        data = {item.name: getattr(self, item.name) for item in dataclasses.fields(self) if item.name != "results"}
        data["refused"] = {str(code): count for code, count in self.refused.items()}  # JSON keys are strings
        return data

    def lines(self) -> list[str]:
        """A human-readable report, one line each."""
        setup = (f"{self.setup_p50_ms:.1f} / {self.setup_p99_ms:.1f} ms" if self.setup_p50_ms is not None
                 and self.setup_p99_ms is not None else "—")
        lines = [f"placed {self.placed} calls in {self.seconds:.1f} s"]
        lines += [f"  {name:<16} {self.outcomes.get(name, 0)}" for name in Outcome]
        if self.refused:
            lines.append("  refused by status: " + ", ".join(f"{k}×{v}" for k, v in sorted(self.refused.items())))
        if self.failed:
            lines.append("  failed: " + "; ".join(f"{reason} ×{n}" for reason, n in sorted(self.failed.items())))
        lines.append(f"setup latency (INVITE → 200) p50 / p99: {setup}")
        lines.append(f"callers who heard their agent: {self.heard_agent} of {self.answered}")
        lines.append("calls per agent: " + (", ".join(f"{a} {n}" for a, n in self.per_agent.items()) or "none"))
        if self.registration_failures:
            failures = ", ".join(f"{user} ({status})" for user, status in self.registration_failures.items())
            lines.append(f"agent phones that could not register: {failures}")
        return [*lines, "outcomes:", *legend_lines()]


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


async def check_engine(endpoint: SipEndpoint, options: Options) -> None:
    """Raise `SimulationError` unless the engine answers an OPTIONS within `connect_timeout`."""
    host, port = options.engine
    if await endpoint.options(options.engine, options.connect_timeout) is None:
        raise SimulationError(f"no SIP answer from {host}:{port} within {options.connect_timeout:g} s: "
                              "is the engine running (`hotline engine`)?")


async def engine_answers(options: Options) -> None:
    """`check_engine` from a short-lived endpoint of its own (before anything is recorded for a run)."""
    endpoint = await SipEndpoint(options.host, trusted=()).start()
    try:
        await check_engine(endpoint, options)
    finally:
        await endpoint.close()


class Simulation:
    """One airing: agent phones on one SIP socket, callers on another, real SIP and RTP to the engine."""

    def __init__(self, options: Options, desk: AgentDesk | None = None) -> None:
        self.options = options
        self.desk = desk
        self.rng = random.Random(options.seed)
        self.callers: list[Caller] = []
        self.agents: list[AgentPhone] = []
        self.by_number: dict[str, Caller] = {}
        self.registration_failures: dict[str, int] = {}
        self._tasks: list[asyncio.Task[CallResult]] = []
        self._stopping = asyncio.Event()
        fallback = prompt_seconds("welcome") + prompt_seconds("main_menu") + 1.0
        self.menu_delay = options.menu_delay if options.menu_delay is not None else fallback
        # the engine queues the caller on the 20 ms tick after the announcement's last frame
        announced = prompt_seconds("please_hold") + 0.04
        self.announcement = announced if options.announcement is None else options.announcement

    @property
    def uri(self) -> str:
        host, port = self.options.engine
        return f"sip:{self.options.dnis}@{host}:{port}"

    async def run(self) -> Summary:
        """Register, place the calls, wait for them to end, unregister; the summary of it all."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        engine_host = self.options.engine[0]
        self.agent_side = SipEndpoint(self.options.host, trusted=(engine_host,), name="Hotline simulator agents")
        self.caller_side = SipEndpoint(self.options.host, trusted=(), name="Hotline simulator callers")
        await self.agent_side.start()
        await self.caller_side.start()
        try:
            await check_engine(self.agent_side, self.options)
            await self._register_agents()
            try:
                await self._sign_in()
                await self._place_calls()
                await self._drain()
            finally:
                if self.desk is not None:
                    await self.desk.sign_out()  # before the phones go: no call offered to a phone that left
                await self._unregister_agents()
        finally:
            await self.caller_side.close()
            await self.agent_side.close()
        return self.summary(loop.time() - started)

    # -- agents --------------------------------------------------------------------------------------------

    async def _register_agents(self) -> None:
        for username, password in self.options.credentials:
            phone = AgentPhone(self.agent_side, username, password, domain=self.options.domain,
                               ring=self.options.ring, talk=self.options.talk,
                               rng=random.Random(self.rng.randrange(2**32)))
            phone.should_answer = self._may_answer
            phone.on_answered = self._answered
            self.agents.append(phone)
        statuses = await asyncio.gather(*(phone.register(self.options.engine) for phone in self.agents))
        self.registration_failures = {phone.username: status for phone, status in zip(self.agents, statuses,
                                                                                       strict=True) if status != 200}
        if self.agents and len(self.registration_failures) == len(self.agents):
            codes = ", ".join(sorted({str(status) for status in statuses}))
            raise SimulationError(f"no agent phone could register (answers: {codes}); do seats "
                                  f"{self.agents[0].username}… exist with that SIP password?")

    async def _sign_in(self) -> None:
        if self.desk is not None:
            await self.desk.sign_in([phone.username for phone in self.agents
                                     if phone.username not in self.registration_failures])

    def _may_answer(self, call: InboundCall) -> bool:
        caller = self.by_number.get(caller_number_of(call))
        return caller is None or caller.may_be_answered

    def _answered(self, phone: AgentPhone, call: InboundCall) -> None:
        caller = self.by_number.get(caller_number_of(call))
        if caller is not None:
            caller.agent_answered(phone.username)

    async def _unregister_agents(self) -> None:
        live = [phone for phone in self.agents if phone.username not in self.registration_failures]
        with contextlib.suppress(TimeoutError):  # the run is over; a registration left behind simply expires
            await asyncio.wait_for(asyncio.gather(*(phone.unregister() for phone in live), return_exceptions=True),
                                   self.options.connect_timeout + 1)

    # -- callers -------------------------------------------------------------------------------------------

    async def _place_calls(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index in range(self.options.calls):
            delay = start + index / self.options.cps - loop.time()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set():
                return
            self._launch()

    async def placed(self, calls: int, timeout: float = 60.0) -> None:
        """Wait until `calls` calls have been placed (TimeoutError after `timeout` seconds)."""
        await until(lambda: len(self.callers) >= calls, timeout, f"{calls} calls placed")

    def stop(self, reason: str = "stopped") -> None:
        """Stop now (Ctrl+C): place no more calls and hang up those in progress (they count as failed).

        A caller launched but not yet dialling (its task has not run: it dials on its first step) is
        withdrawn: it never dials and is not counted as placed.
        """
        self._stopping.set()
        launched = list(zip(self.callers, self._tasks, strict=True))
        self.callers[:], self._tasks[:] = [], []
        for caller, task in launched:
            if caller.call is None and not task.done():
                task.cancel()  # before its first step: the coroutine never runs
                del self.by_number[caller.plan.number]
                continue
            self.callers.append(caller)
            self._tasks.append(task)
            if not task.done():
                caller.abort(reason)

    def _launch(self) -> None:
        caller = Caller(self.caller_side, self._plan(), menu_cue=menu_cue, callback_cue=callback_cue,
                        through_cue=through_cue)
        self.callers.append(caller)
        self.by_number[caller.plan.number] = caller
        self._tasks.append(asyncio.ensure_future(caller.run(self.uri, self.options.answer_timeout)))

    def _plan(self) -> CallerPlan:
        options, rng = self.options, self.rng
        keys, weights = zip(*options.keys.items(), strict=True)
        return CallerPlan(number=self._new_number(), key=rng.choices(keys, weights)[0], menu_delay=self.menu_delay,
                          patience=rng.uniform(*options.patience), talk=rng.uniform(*options.talk),
                          listen=rng.uniform(*options.listen), announcement=self.announcement)

    def _new_number(self) -> str:
        """A mobile number (13x…, 11 digits) no other caller of this run has: agents tell callers apart by it.
        Never 1349…: that block is satellite phones, which the dial policy holds instead of calling back."""
        while True:
            number = f"13{self.rng.randrange(10**9):09d}"
            if number not in self.by_number and not number.startswith("1349"):
                return number

    async def _drain(self) -> None:
        """Wait until every call has ended; hang up (and fail) those still up when the wait runs out."""
        if not self._tasks:
            return
        options = self.options
        bound = options.drain_timeout
        if bound is None:
            bound = max(options.patience[1], options.listen[1]) + options.talk[1] + 30.0
        _, pending = await asyncio.wait(self._tasks, timeout=bound)
        if not pending:
            return
        for caller in self._running(pending):
            caller.abort(f"still up after {bound:g} s")
        _, stuck = await asyncio.wait(pending, timeout=5.0)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)

    def _running(self, pending: set[asyncio.Task[CallResult]]) -> list[Caller]:
        return [caller for caller, task in zip(self.callers, self._tasks, strict=True) if task in pending]

    # -- summary -------------------------------------------------------------------------------------------

    def summary(self, seconds: float) -> Summary:
        results = [caller.result for caller in self.callers]
        outcomes = Counter(str(result.outcome) for result in results)
        setups = [result.setup for result in results if result.setup is not None]
        p50, p99 = percentile(setups, 0.5), percentile(setups, 0.99)
        return Summary(
            placed=len(self.callers),
            outcomes={str(name): outcomes.get(str(name), 0) for name in Outcome},
            refused=dict(Counter(r.status or 0 for r in results if r.outcome is Outcome.REFUSED)),
            failed=dict(Counter(r.detail for r in results if r.outcome is Outcome.FAILED)),
            setup_p50_ms=None if p50 is None else p50 * 1000,
            setup_p99_ms=None if p99 is None else p99 * 1000,
            per_agent={phone.username: phone.taken for phone in self.agents},
            heard_agent=sum(1 for r in results if r.outcome is Outcome.ANSWERED and r.heard_agent > 0),
            registration_failures=dict(self.registration_failures),
            seconds=seconds,
            results=results,
        )

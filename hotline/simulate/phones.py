"""Simulated phones over real SIP and RTP: agent phones that register and answer, and callers that dial in.

Phones live on a `SipEndpoint`: one SIP socket (its own `SipCore` and `CallManager`) and one RTP socket
(`MediaSocket`) shared by any number of phones, so a thousand callers cost two sockets. Inbound INVITEs
reach the phone named by the Request-URI's user (the contact it registered).

* `AgentPhone` registers its seat's SIP user with digest auth, rings for a random time, answers with
  audio, talks for a random time and hangs up, unless the caller hangs up first. `plan` "ring" never
  answers, "busy" answers 486.
* `Caller` dials the hotline from its number, answers the IVR with RFC 4733 keys, waits with a limited
  patience, talks once an agent took it, and reports one `CallResult`.

An agent phone asks `should_answer` just before answering and tells `on_answered` just after, both on the
event loop's thread: the simulation uses that to make "the caller gave up" and "an agent answered"
exclusive, so its accounting never disagrees with the engine's log.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import secrets
import textwrap
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from hotline.simulate.media import MediaSocket, RtpStream
from hotline.telephony.sip.calls import CallManager, CallState, InboundCall, OutboundCall
from hotline.telephony.sip.clock import LoopScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.message import NameAddr, Request, Response, request_headers
from hotline.telephony.sip.register_client import Account, RegisterClient
from hotline.telephony.sip.transaction import new_branch
from hotline.telephony.sip.transport import Address, Listeners, listen
from hotline.telephony.sip.trunks import Trunk, TrunkList

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
CALLER_MARK, AGENT_MARK = 0x11, 0x22
Span = tuple[float, float]
REACTION = 0.3  # seconds from hearing the menu start to pressing the key


def user_of(uri: str) -> str:
    """`sip:8001@host:port;params` → `8001`."""
    return uri.partition(":")[2].split("@")[0] if "@" in uri else ""


class SipEndpoint:
    """One SIP socket and one RTP socket on `host`, shared by many phones.

    `trusted` are the addresses allowed to send us new calls (the engine); INVITEs from elsewhere get 403,
    as on the engine's own trunks.
    """

    def __init__(self, host: str = HOST, trusted: tuple[str, ...] = (HOST,), name: str = "Hotline simulator") -> None:
        self.host = host
        self.trusted = trusted
        self.name = name
        self.lines: dict[str, Callable[[InboundCall], Coroutine[Any, Any, None]]] = {}
        self.media = MediaSocket(host)
        self._tasks: set[asyncio.Future[None]] = set()

    async def start(self) -> SipEndpoint:
        loop = asyncio.get_running_loop()
        self.core = SipCore(LoopScheduler(loop), user_agent=self.name)
        self.listeners: Listeners = await listen(self.host, 0, 0, self.core.receive)
        trunks = TrunkList([Trunk.of("engine", self.trusted)]) if self.trusted else TrunkList()
        self.calls = CallManager(self.core, self, self.listeners.udp_address, self.listeners.udp_channel,
                                 trunks=trunks, spawn=self.spawn)
        await self.media.open()
        return self

    @property
    def address(self) -> Address:
        return self.listeners.udp_address

    def contact(self, user: str) -> str:
        """The URI a phone on this endpoint registers: INVITEs to it come back to that phone."""
        host, port = self.address
        return f"sip:{user}@{host}:{port}"

    def add_line(self, user: str, on_call: Callable[[InboundCall], Coroutine[Any, Any, None]]) -> None:
        self.lines[user] = on_call

    async def on_call(self, call: InboundCall) -> None:
        """`CallApplication`: hand the call to the phone its Request-URI names; 404 for nobody."""
        line = self.lines.get(user_of(call.invite.uri))
        if line is None:
            call.reject(404, "Not Found")
            return
        await line(call)

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        """Run a phone's coroutine as a task kept until it ends (so it is neither collected nor lost)."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulated phone failed", exc_info=task.exception())

    async def options(self, target: Address, timeout: float) -> Response | None:
        """Send OPTIONS to `target`; its final answer, or None when nothing came within `timeout` seconds."""
        host, port = self.address
        headers = request_headers(f"SIP/2.0/UDP {host}:{port};branch={new_branch()};rport",
                                  f"<sip:simulator@{host}>;tag={secrets.token_hex(4)}",
                                  f"<sip:{target[0]}:{target[1]}>", f"{secrets.token_hex(12)}@{host}", "1 OPTIONS")
        answer: asyncio.Future[Response | None] = asyncio.get_running_loop().create_future()

        def settle(response: Response | None) -> None:
            if not answer.done() and (response is None or response.status >= 200):
                answer.set_result(response)

        request = Request(headers, b"", "OPTIONS", f"sip:{target[0]}:{target[1]}")
        self.core.transactions.send_request(request, self.listeners.udp_channel(target), settle, lambda: settle(None))
        try:
            return await asyncio.wait_for(answer, timeout)
        except TimeoutError:
            return None

    async def close(self) -> None:
        for task in tuple(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
        self.media.close()
        await self.listeners.close()


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


class Outcome(enum.StrEnum):
    """How a simulated call ended, from the caller's side; every placed call has exactly one (LEGEND)."""

    ANSWERED = "answered"
    CALLBACK = "callback"
    ABANDONED_IVR = "abandoned_ivr"
    ABANDONED_QUEUE = "abandoned_queue"
    SELF_SERVICE = "self_service"
    ENDED_BY_ENGINE = "ended_by_engine"
    REFUSED = "refused"
    FAILED = "failed"


# What each outcome means, printed with the results and in `hotline simulate --help`.
LEGEND: dict[Outcome, str] = {
    Outcome.ANSWERED: "an agent's phone answered and the two talked",
    Outcome.CALLBACK: "the engine stored a callback and said so (\"we will call you back\"), then hung up: "
                      "a surge, a full or slow queue, or the caller pressed the callback key",
    Outcome.ABANDONED_IVR: "the caller hung up in the menu, before joining a queue",
    Outcome.ABANDONED_QUEUE: "the caller hung up on hold, before an agent answered",
    Outcome.SELF_SERVICE: "the caller heard their order status (key 2) and left, as planned",
    Outcome.ENDED_BY_ENGINE: "the engine hung up before any agent, without a callback (goodbye, no input, "
                             "overflow, RTP silence)",
    Outcome.REFUSED: "the INVITE got a 3xx-6xx answer (503 beyond the licensed lines, 403 from a stranger)",
    Outcome.FAILED: "no answer to the INVITE, an error, or still up when the simulation stopped waiting",
}


def legend_lines(width: int = 100) -> list[str]:
    """`name  meaning` per outcome, the meaning wrapped to `width` columns under itself."""
    return [line for outcome, meaning in LEGEND.items()
            for line in textwrap.wrap(meaning, width, initial_indent=f"  {outcome:<16} ", subsequent_indent=" " * 19)]


@dataclass(frozen=True)
class CallerPlan:
    """What one caller will do: its number, the menu key, when to press it, how long it waits and talks."""

    number: str
    key: str  # "1" orders, "2" order status (self-service), "3" after-sales
    menu_delay: float  # seconds after the answer to press the key if the menu prompt was not heard by then
    patience: float  # seconds after the answer it waits for an agent before hanging up
    talk: float  # seconds it talks once an agent has answered (the agent may hang up sooner)
    listen: float  # for key "2": seconds it listens to the self-service after the key before hanging up
    announcement: float = 0.0  # seconds of the queue's announcement after the key: then it is on hold


@dataclass
class CallResult:
    """The outcome of one placed call, as the caller saw it."""

    number: str
    key: str
    outcome: Outcome = Outcome.FAILED
    call_id: str = ""
    status: int | None = None  # the INVITE's final status
    setup: float | None = None  # seconds from INVITE to 200
    agent: str = ""
    heard_agent: int = 0  # agent-marked frames that reached the caller
    detail: str = ""
    stage: str = "ivr"  # the caller's view: "queue" once the announcement after its menu key is over


class Caller:
    """One call into the hotline from a `SipEndpoint` shared with other callers, played out by its plan."""

    def __init__(self, endpoint: SipEndpoint, plan: CallerPlan, mark: int = CALLER_MARK,
                 agent_mark: int = AGENT_MARK, menu_cue: Callable[[int], bytes | None] | None = None,
                 callback_cue: Callable[[int], bytes | None] | None = None,
                 voice: Callable[[int], tuple[bytes, ...]] | None = None,
                 through_cue: Callable[[int], bytes | None] | None = None) -> None:
        self.endpoint = endpoint
        self.plan = plan
        self.menu_cue = menu_cue  # payload type → a frame of the menu prompt: press the key on hearing it
        self.callback_cue = callback_cue  # payload type → a frame of "we will call you back"
        # payload type → a frame of "putting you through to orders" (a number that skips its menu during an
        # airing): the caller then knows no menu is coming and presses nothing
        self.through_cue = through_cue
        self.voice = voice  # payload type → the frames the caller says once talking (else marked frames)
        self.called_back = False  # heard the engine confirm a callback
        self.mark = mark
        self.agent_mark = agent_mark
        self.result = CallResult(plan.number, plan.key)
        self.call: OutboundCall | None = None
        self.stream: RtpStream | None = None
        self.leaving = False  # we decided to hang up: no agent may answer any more
        self.aborted = False
        self.pressed = False
        self._choice: asyncio.TimerHandle | None = None
        self._reason: Outcome | None = None
        self._timers: list[asyncio.TimerHandle] = []

    @property
    def may_be_answered(self) -> bool:
        """True until the caller gave up or left (an agent phone asks this just before answering)."""
        return not self.leaving and (self.call is None or self.call.state is not CallState.ENDED)

    def agent_answered(self, agent: str) -> None:
        """An agent phone answered our call: talk, and hang up after our talk time (or get their BYE)."""
        self.result.agent = agent
        self._cancel_timers()
        if self.stream is not None:
            self.stream.talking = True
        self._after(self.plan.talk, self._leave, Outcome.ANSWERED)

    async def run(self, uri: str, answer_timeout: float = 15.0) -> CallResult:
        """Dial `uri`, play the plan out to the end of the call; never raises (a crash is a FAILED result)."""
        try:
            await self._run(uri, answer_timeout)
        except asyncio.CancelledError:
            self.abort("cancelled")
            raise
        except Exception as error:  # one broken call must not stop the simulation; it is counted as failed
            log.exception("simulated caller %s failed", self.plan.number)
            self.abort(f"error: {error!r}")
        finally:
            self._cancel_timers()
            if self.stream is not None:
                self.stream.close()
        return self.result

    async def _run(self, uri: str, answer_timeout: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        endpoint = self.endpoint
        self.call = call = endpoint.calls.dial(uri, (endpoint.host, endpoint.media.port),
                                               caller=f"sip:{self.plan.number}@{endpoint.host}")
        self.result.call_id = call.invite.call_id
        try:
            status = await asyncio.wait_for(call.wait_answer(), answer_timeout)
        except TimeoutError:
            call.hangup()
            self._fail(f"no final answer in {answer_timeout:g} s")
            return
        self.result.status = status
        if status != 200:
            self._unanswered(call)
            return
        self.result.setup = loop.time() - started
        assert call.media is not None
        payload_type = call.media.codec.payload_type
        # A voice speaks from the start: a softphone's agent hears it as soon as the engine bridges them.
        self.stream = endpoint.media.stream(call.media, self.mark, voice=self.voice(payload_type) if self.voice else ())
        self._listen_for_cues(payload_type)
        self._after(self.plan.menu_delay, self._press)  # unless the menu is heard first
        if self.plan.key != "2":
            self._after(self.plan.patience, self._leave, None)
        await call.wait_ended()
        self._ended()

    def _listen_for_cues(self, payload_type: int) -> None:
        assert self.stream is not None
        cue = self.menu_cue(payload_type) if self.menu_cue is not None else None
        if cue is not None:
            self.stream.when_heard(cue, self._heard_menu)
        confirmation = self.callback_cue(payload_type) if self.callback_cue is not None else None
        if confirmation is not None:
            self.stream.when_heard(confirmation, self._heard_callback)
        through = self.through_cue(payload_type) if self.through_cue is not None else None
        if through is not None:
            self.stream.when_heard(through, self._put_through)

    def _put_through(self) -> None:
        """The engine skipped the menu and is putting the caller through to an agent: a person presses nothing
        now (a key in the queue would ask for a callback) and waits, whatever they meant to press."""
        if self.pressed or self.result.agent:
            return
        self.pressed = True
        if self.plan.key == "2":  # meant to hear the order status: now waits for an agent like the others
            self._after(self.plan.patience, self._leave, None)
        self._choice = self._after(self.plan.announcement, self._on_hold)

    def _heard_callback(self) -> None:
        """"We will call you back": a person waits for the end of it rather than hang up now."""
        if not self.result.agent:
            self.called_back = True
            self._cancel_timers()

    def _unanswered(self, call: OutboundCall) -> None:
        if call.end_reason == "timeout":
            self._fail("no answer to the INVITE (SIP timeout)")
        else:
            self.result.outcome, self.result.detail = Outcome.REFUSED, call.end_reason

    def _heard_menu(self) -> None:
        self._after(REACTION, self._press, True)

    def _press(self, heard_menu: bool = False) -> None:
        """Press the menu key: on hearing the menu, or by the clock if it was not heard (then again on hearing it,
        as a person would: a key pressed during the welcome prompt is ignored)."""
        if self.stream is None or self.result.agent or not self.plan.key or (self.pressed and not heard_menu):
            return  # no stream, taken already, a caller who presses nothing, or pressed already
        self.pressed = True
        self.stream.dtmf(self.plan.key)
        self._chosen()

    def _chosen(self) -> None:
        """After the (last) key press: listen to the self-service, or count as on hold after the announcement."""
        if self._choice is not None:
            self._choice.cancel()
        if self.plan.key == "2":
            self._choice = self._after(self.plan.listen, self._leave, Outcome.SELF_SERVICE)
        else:
            self._choice = self._after(self.plan.announcement, self._on_hold)

    def _on_hold(self) -> None:
        self.result.stage = "queue"

    def _leave(self, reason: Outcome | None) -> None:
        """Hang up: after talking (`ANSWERED`), after self-service, or out of patience (None)."""
        if self.call is None or self.call.state is CallState.ENDED:
            return
        self.leaving, self._reason = True, reason
        self.call.hangup()

    def _ended(self) -> None:
        result = self.result
        if self.stream is not None:
            result.heard_agent = self.stream.heard(self.agent_mark)
        if self.aborted:
            return  # counted as failed by `abort`
        if result.agent:
            result.outcome = Outcome.ANSWERED
        elif self.called_back:
            result.outcome = Outcome.CALLBACK
        elif self._reason is Outcome.SELF_SERVICE:
            result.outcome = Outcome.SELF_SERVICE
        elif self.leaving:
            result.outcome = Outcome.ABANDONED_QUEUE if result.stage == "queue" else Outcome.ABANDONED_IVR
        else:
            result.outcome, result.detail = Outcome.ENDED_BY_ENGINE, self.call.end_reason if self.call else ""

    def abort(self, reason: str) -> None:
        """Stop now (the simulation stopped waiting): hang up and count the call as failed."""
        if not self.aborted:  # the first reason counts (a cancel after a hang-up that did not end the call)
            self._fail(reason)
        self.leaving = self.aborted = True
        if self.call is not None and self.call.state is not CallState.ENDED:
            self.call.hangup()

    def _fail(self, reason: str) -> None:
        self.result.outcome, self.result.detail = Outcome.FAILED, reason

    def _after(self, delay: float, action: Callable[..., None], *args: object) -> asyncio.TimerHandle:
        timer = asyncio.get_running_loop().call_later(delay, action, *args)
        self._timers.append(timer)
        return timer

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


def caller_number_of(call: InboundCall) -> str:
    """The calling number the engine put in the From of an agent's INVITE."""
    return user_of(NameAddr.parse(call.invite.headers.get("From") or "").uri)

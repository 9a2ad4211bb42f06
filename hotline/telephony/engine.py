"""The composition root of the telephony engine: builds the SIP stack, media plane and ACD and wires them.

`Engine` answers trunk calls (`CallManager` → `Engine.on_call`), gives each one a `CallSession`
(call_flow.py) that runs the IVR and the queue, and carries out the ACD dispatcher's decisions: ring an
agent's phone, stop ringing it, log agent state changes and wrap-up ends. Every call step goes to the
`CallLog` port in order through one writer task, so a slow log never stalls the SIP or RTP path.

Device state: the registrar reports every REGISTER, un-REGISTER and expiry; the engine tells the ACD
whether the phone of each agent logged in at that SIP user's seat can be rung (a fixed URI always can), and
logs and publishes the change as an `AgentStateChanged` with `phone_online`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from hotline.telephony.acd.agent import StateChange
from hotline.telephony.acd.dispatcher import Decision, Dispatcher, Overflow
from hotline.telephony.acd.queue import OverflowKind, QueueConfig
from hotline.telephony.call_flow import CallSession
from hotline.telephony.callback.surge import SurgePolicy, SurgeSettings
from hotline.telephony.callbacks import CallbackConfig, CallbackDesk
from hotline.telephony.dial_policy import DialPolicy, DialSettings
from hotline.telephony.events import (
    AgentState,
    AgentStateChanged,
    Arrive,
    CallEvent,
    CallStep,
    EngineEvent,
    HangupParty,
    LinesChanged,
    Offer,
    QueueStatsChanged,
    SeatLocked,
    WrapupEnd,
)
from hotline.telephony.ivr.host import IvrHost
from hotline.telephony.ivr.model import Flow
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import MediaPlane, MonitorMode, RecordingMode
from hotline.telephony.outbound import OutboundSession
from hotline.telephony.ports import CallbackStore, CallLog, Directory, EventBus
from hotline.telephony.sip.calls import CallManager, CallState, InboundCall, OutboundCall
from hotline.telephony.sip.clock import LoopScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.guard import GuardSettings
from hotline.telephony.sip.registrar import CredentialLookup, Registrar, password_lookup
from hotline.telephony.sip.transport import Channel, Listeners, listen
from hotline.telephony.sip.trunks import Network, Trunk, TrunkList
from hotline.telephony.supervise import Monitoring

log = logging.getLogger(__name__)

PROMPTS = Path(__file__).resolve().parent / "prompts"
OverflowHandler = Callable[[CallSession, Overflow], Awaitable[None]]


class SipSide(Protocol):
    """What the engine uses of its SIP side once started: `CallManager`, or an in-memory one in call-flow
    tests. `offered` holds the inbound calls not yet answered (they take a line)."""

    @property
    def offered(self) -> Mapping[Any, InboundCall]: ...

    def dial(self, uri: str, local_media: tuple[str, int], caller: str = "",
             destination: tuple[str, int] | None = None, ring_timeout: float | None = None) -> OutboundCall: ...


# Builds the SIP side from the engine (its `on_call`) and the engine's admission check (lines free?).
SipFactory = Callable[["Engine", Callable[[object], bool]], SipSide]


async def _overflow_to_callback(session: CallSession, overflow: Overflow) -> None:
    await session.overflow_to_callback(overflow)


async def _overflow_to_voicemail(session: CallSession, overflow: Overflow) -> None:
    await session.overflow_to_voicemail(overflow)


def personal_queue(agent: str) -> str:
    """The queue only `agent` serves: a call transferred to that agent waits there until they are free."""
    return f"agent:{agent}"
# Steps the web side shows live (screen pop, wallboard); the rest only go to the call log.
PUBLISHED = {CallStep.ARRIVE, CallStep.OFFER, CallStep.ANSWER, CallStep.ABANDON, CallStep.HANGUP}


@dataclass(frozen=True)
class SeatConfig:
    """An agent's seat: the phone to ring (registered AOR, or a fixed URI) and the queues the agent serves.

    `username`/`password` are the phone's digest credentials for REGISTER; `aor`, when given, is the one
    address of record rung (by default any AOR the phone registered for that user, whatever its host part);
    a `fixed_uri` is rung without registration.
    `agent` is who is logged in at the seat when the engine starts ("" for nobody: agents log in later
    through `EngineControl`).
    """

    agent: str
    seat: str
    username: str = ""
    password: str = ""
    aor: str = ""
    fixed_uri: str = ""
    queues: tuple[str, ...] = ()
    ready: bool = True
    levels: tuple[tuple[str, int], ...] = ()  # skill level per queue (default 1)
    networks: tuple[str, ...] = ()  # CIDRs the phone may register from (empty: anywhere)


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine is built from. Port 0 binds an ephemeral port (tests); the demo uses 5060.

    `credentials` is the registrar's HA1 lookup (the host's stored digests); None builds one from the
    seats' plaintext `password`s.
    """

    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    realm: str = "hotline"
    trunks: tuple[Trunk, ...] = ()
    queues: tuple[QueueConfig, ...] = ()
    flows: Mapping[str, Flow] = field(default_factory=dict)  # by flow name, as `Route.flow` names them
    seats: tuple[SeatConfig, ...] = ()
    rtp_ports: range | None = None  # None: ephemeral ports
    recordings: Path = Path("recordings")
    recording_mode: RecordingMode = RecordingMode.MONO
    prompts: Path = PROMPTS
    hold_music: Path | None = None
    ring_timeout: float = 20.0
    rtp_timeout: float = 60.0
    credentials: CredentialLookup | None = None
    min_register_expires: int = 60  # the shortest registration the registrar grants (tests use 1-2 s)
    auth_guard: GuardSettings = field(default_factory=GuardSettings)  # password-guessing bans and seat locks
    # Where click-to-dial sends the customer's leg: a SIP URI with `{number}`, e.g. sip:{number}@10.0.0.9;
    # empty: no outbound calls.
    outbound_gateway: str = ""
    queue_stats_interval: float = 1.0  # seconds between queue figures on the bus (only changed ones go out)
    # Surge protection (lines, automatic seat, callback key, abandon callbacks); None: none of it.
    surge: SurgeSettings | None = None
    callbacks: CallbackConfig = field(default_factory=CallbackConfig)
    # Which customer numbers may be dialled, and how often a day (click-to-dial, callbacks): dial_policy.py.
    dial_policy: DialSettings = field(default_factory=DialSettings)

    def __post_init__(self) -> None:
        queues = {queue.queue_id for queue in self.queues}
        for seat in self.seats:
            unknown = set(seat.queues) - queues
            if unknown:
                raise ValueError(f"seat {seat.seat}: unknown queues {sorted(unknown)}")
            if not (seat.fixed_uri or seat.username):
                raise ValueError(f"seat {seat.seat}: needs a fixed URI or a SIP user name")
            for cidr in seat.networks:
                try:
                    ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    raise ValueError(f"seat {seat.seat}: {cidr!r} is not an address or network") from None


def allowed_networks(seats: tuple[SeatConfig, ...]) -> dict[str, tuple[Network, ...]]:
    """The registrar's allowed source networks per SIP user, from the seats that restrict them."""
    return {seat.username: tuple(ipaddress.ip_network(cidr, strict=False) for cidr in seat.networks)
            for seat in seats if seat.username and seat.networks}


class _Clock:
    """The loop's monotonic time, as the ACD and IVR `Clock` protocol wants it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def now(self) -> float:
        return self._loop.time()


def wav_seconds(path: Path, channels: int) -> float:
    """The length of one of our WAVs: 16-bit PCM at 8 kHz after a 44-byte header."""
    return (path.stat().st_size - 44) / (2 * channels * 8000)


def wall_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Engine:
    """The telephony engine: one SIP endpoint, one media plane, one ACD, and a session per inbound call.

    Construct it with its config and the host's ports, then `await start()` on the running loop (uvloop in
    production) and `await stop()` at the end; `stop` hangs up nothing but closes recordings and flushes
    the call log. `sip_address` tells the bound SIP address (useful with port 0).
    """

    def __init__(self, config: EngineConfig, call_log: CallLog, directory: Directory, bus: EventBus,
                 ivr_host: IvrHost | None = None, callback_store: CallbackStore | None = None) -> None:
        self.config = config
        self.call_log = call_log
        self.directory = directory
        self.bus = bus
        self.ivr_host = ivr_host
        self.callback_store = callback_store
        self.surge = SurgePolicy(config.surge) if config.surge is not None else None
        # Daily limits count local days, in the callback dialer's time zone.
        self.dial_policy = DialPolicy(config.dial_policy,
                                      lambda: self.wall().astimezone(config.callbacks.timezone).date())
        self.refused = 0  # calls answered 503 because every line was taken
        self.sessions: dict[str, CallSession] = {}
        self.outbound: dict[str, OutboundSession] = {}  # click-to-dial calls, by call id
        self.monitors: dict[str, Monitoring] = {}  # supervisors on calls, by supervisor
        self._phones = {seat.seat: seat for seat in config.seats}  # every seat's phone, by seat name
        self._seats = {seat.agent: seat for seat in config.seats if seat.agent}  # agents logged in, by agent
        self._queues = {queue.queue_id: queue for queue in config.queues}
        self._agents: set[str] = set()  # agents the ACD knows (it keeps them, logged out, after log-out)
        # Overflow destinations served outside the engine's core (callback capture, voicemail) plug in here;
        # without a handler the caller hears "all lines are busy" and the call ends.
        self.overflow_handlers: dict[OverflowKind, OverflowHandler] = {}
        self._last_call: dict[str, str] = {}  # agent → the call whose wrap-up is pending
        self._wrapping: dict[str, set[str]] = {}  # call → agents who took it and are not done with it
        self._over: set[str] = set()  # calls whose legs are gone but whose record is still open
        self._last_stats: dict[str, tuple[int, int, int, int]] = {}  # queue → the figures last published
        self._last_lines = (0, 0)  # lines in use and calls refused, as last published
        self._tasks: set[asyncio.Future[None]] = set()
        self._writes: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        # Live events get their own lane: a screen pop must not wait behind a surge's call-log writes.
        self._live: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._tick_handle: asyncio.TimerHandle | None = None

    # -- life cycle --------------------------------------------------------------------------------------

    async def start(self, *, sip: SipFactory | None = None, media: MediaPlane | None = None,
                    wall: Callable[[], datetime.datetime] = wall_now) -> None:
        """Bind SIP and open the media plane, log the agents in, and start serving calls.

        Tests of the call flow pass `sip` (builds an in-memory SIP side from the engine and its admission
        check), `media` (a fake media plane) and `wall` (a fake clock's wall time): no socket is opened.
        """
        loop = asyncio.get_running_loop()
        self.clock = _Clock(loop)
        self.wall = wall
        self.dispatcher = Dispatcher(self.clock)
        self.local_media: LocalMediaPlane | None = None
        if media is None:
            self.local_media = media = LocalMediaPlane(self.config.sip_host, self.config.rtp_ports,
                                                       self.config.hold_music)
        self.media: MediaPlane = media
        scheduler = LoopScheduler(loop)
        self.registrar = Registrar(self.config.realm, self._credentials(), scheduler,
                                   min_expires=self.config.min_register_expires, guard=self.config.auth_guard)
        self.registrar.on_change = self._phone_changed
        self.registrar.on_lock = self._seat_locked
        self.registrar.allowed_networks = allowed_networks(self.config.seats)
        trunks = TrunkList(self.config.trunks)
        self.registrar.trusted = lambda source: trunks.match(source) is not None  # as Kamailio skips pike for them
        self.core = SipCore(scheduler, registrar=self.registrar)
        self._serving = False
        if sip is not None:
            self.listeners: Listeners | None = None
            self.calls: SipSide = sip(self, self._admit)
        else:
            self.listeners = await listen(self.config.sip_host, self.config.sip_port, self.config.sip_port,
                                          self._receive)
            retry_after = self.config.surge.retry_after_seconds if self.config.surge else 30
            self.calls = CallManager(self.core, self, self.listeners.udp_address, self.listeners.udp_channel,
                                     trunks=trunks, authenticator=self.registrar,
                                     admit=self._admit, retry_after=retry_after)
        self._writer = loop.create_task(self._drain(self._writes))
        self._publisher = loop.create_task(self._drain(self._live))
        self._set_up_acd()
        self.callbacks = CallbackDesk(self, self.callback_store, self.config.callbacks)
        self.overflow_handlers.setdefault(OverflowKind.CALLBACK, _overflow_to_callback)
        self.overflow_handlers.setdefault(OverflowKind.VOICEMAIL, _overflow_to_voicemail)
        await self.callbacks.start()
        self._stats_handle = loop.call_later(self.config.queue_stats_interval, self._publish_queue_stats)
        self._serving = True

    def _receive(self, data: bytes, channel: Channel, source: tuple[str, int], transport: str) -> None:
        """SIP from the sockets, once the engine is ready: a message that comes while it starts (a restarted
        engine's callers retransmitting) is dropped, so UDP resends it, rather than refused with 405."""
        if self._serving:
            self.core.receive(data, channel, source, transport)

    def _credentials(self) -> CredentialLookup:
        """The configured HA1 lookup, else one over the seats' plaintext passwords."""
        if self.config.credentials is not None:
            return self.config.credentials
        passwords = {seat.username: seat.password for seat in self.config.seats if seat.username}
        return password_lookup(passwords, self.config.realm)

    def _set_up_acd(self) -> None:
        for queue in self.config.queues:
            self.dispatcher.add_queue(queue)
        for seat in self._seats.values():
            self._log_in(seat, ready=seat.ready)

    def _log_in(self, seat: SeatConfig, *, ready: bool) -> None:
        """Make the agent at `seat` a member of the seat's queues and of their personal queue, and log
        them in (ACD errors propagate)."""
        if seat.agent not in self._agents:
            self.dispatcher.add_agent(seat.agent)
            self._agents.add(seat.agent)
            personal = QueueConfig(personal_queue(seat.agent))
            self.dispatcher.add_queue(personal)
            self._queues[personal.queue_id] = personal
            self.apply(self.dispatcher.join(seat.agent, personal.queue_id))
        levels = dict(seat.levels)
        for queue_id in seat.queues:
            self.apply(self.dispatcher.join(seat.agent, queue_id, level=levels.get(queue_id, 1)))
        # Before the log-in: an agent whose seat has no phone to ring must not be offered the waiting callers.
        self.apply(self.dispatcher.phone_reachable(seat.agent, self._contact(seat) is not None))
        self._seats[seat.agent] = seat  # the log-in's state change names the seat
        try:
            self.apply(self.dispatcher.login(seat.agent, ready=ready))
        except Exception:
            del self._seats[seat.agent]
            raise

    def log_in(self, agent: str, seat_name: str, *, ready: bool = False,
               skills: tuple[tuple[str, int], ...] | None = None) -> None:
        """An agent sits down at a seat: its phone is rung from now on for `skills` (queue, level), or
        for the seat's queues when None. `EngineControl.login` has checked the seat is known and free,
        the agent logged out and the queues known, each with its refusal code."""
        seat = dataclasses.replace(self._phones[seat_name], agent=agent)
        if skills is not None:
            seat = dataclasses.replace(seat, queues=tuple(queue for queue, _ in skills), levels=skills)
        self._log_in(seat, ready=ready)

    def reconfigure(self, *, flows: Mapping[str, Flow], prompts: Path, seats: tuple[SeatConfig, ...]) -> None:
        """Take edited IVR flows, prompts and seats without a restart: calls already in a flow finish it,
        new calls use the new one; new seats can be logged in at; agents logged in stay where they are."""
        self.config = dataclasses.replace(self.config, flows=dict(flows), prompts=prompts, seats=seats)
        self._phones = {seat.seat: dataclasses.replace(seat, agent="") for seat in seats}
        self.registrar.allowed_networks = allowed_networks(seats)

    def log_out(self, agent: str) -> None:
        """The agent leaves (not while ringing or on a call): out of the seat's queues, the seat is free."""
        seat = self._seats.get(agent)
        if seat is None:
            raise KeyError(f"agent {agent} is not logged in")
        self.apply(self.dispatcher.logout(agent))
        for queue_id in seat.queues:
            self.apply(self.dispatcher.leave(agent, queue_id))
        del self._seats[agent]

    async def stop(self) -> None:
        """Hang up the calls in progress (BYE to both legs, logged as the system's hang-up), stop listening,
        finish the recordings and write what is left of the call log."""
        self.callbacks.stop()
        # Callers not yet with an agent first, so the agents freed next are not offered them on the way out.
        for session in sorted(self.sessions.values(), key=lambda session: session.agent_leg is not None):
            await session.end(HangupParty.SYSTEM)
        for outbound in tuple(self.outbound.values()):
            await outbound.end(HangupParty.SYSTEM)
        for monitoring in tuple(self.monitors.values()):
            await monitoring.stop()
        await asyncio.sleep(0)  # let the BYEs and CANCELs leave before the sockets close
        if self.listeners is not None:
            await self.listeners.close()
        self._stats_handle.cancel()
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        if self.local_media is not None:
            await self.local_media.close()
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
        await self.flush_log()
        self._writer.cancel()
        self._publisher.cancel()
        if self.callback_store is not None:
            await self.callback_store.close()

    @property
    def sip_address(self) -> tuple[str, int]:
        if self.listeners is None:
            return (self.config.sip_host, self.config.sip_port)
        return self.listeners.udp_address

    @property
    def host(self) -> str:
        return self.config.sip_host

    # -- surge -------------------------------------------------------------------------------------------

    def lines_in_use(self) -> int:
        """Calls with customers now: inbound ones (offered or answered) and outbound customer legs."""
        answered = sum(1 for session in self.sessions.values() if session.call.state is not CallState.OFFERED)
        return len(self.calls.offered) + answered + len(self.outbound)

    def _admit(self, request: object) -> bool:
        """The SIP layer's overload guard: a new call fits on the lines, or gets 503 with Retry-After."""
        if self.surge is None or self.surge.admits(self.lines_in_use()):
            return True
        self.refused += 1
        if self.refused == 1 or self.refused % 100 == 0:
            log.warning("every line is taken: %d calls refused with 503 so far", self.refused)
        return False

    def surge_capture_on_enqueue(self, queue: str) -> bool:
        """Whether a caller about to join `queue` goes to the automatic seat (the queue's wait is too long)."""
        if self.surge is None or self.queue_config(queue) is None:
            return False
        return self.surge.capture_on_enqueue(queue, self.dispatcher.expected_wait_for_new(queue))

    @property
    def callback_key(self) -> str:
        """The key a waiting caller presses for a callback ("" when none is offered)."""
        return self.config.surge.offer_key if self.config.surge is not None else ""

    def calls_back_abandon(self, seconds_in_call: float) -> bool:
        """Whether a caller who hung up unanswered after `seconds_in_call` gets a callback."""
        threshold = self.config.surge.abandon_callback_seconds if self.config.surge is not None else None
        return threshold is not None and seconds_in_call >= threshold

    # -- inbound calls -----------------------------------------------------------------------------------

    async def on_call(self, call: InboundCall) -> None:
        """`CallApplication`: route by dialled number, answer, then run the flow or go to the queue.

        Before answering: a blacklisted number may be rejected, and in a surge the automatic seat may take
        the call (it stores a callback, confirms it and hangs up)."""
        session = CallSession(self, call, call.invite.call_id)
        route = await self.directory.route(session.dnis)
        flow = self.config.flows.get(route.flow) if route is not None and route.flow else None
        if route is None or (flow is None and not route.queue):
            log.info("call to %s refused: no route", session.dnis)
            call.reject(404, "Not Found")
            return
        if call.state is not CallState.OFFERED:  # cancelled while the directory answered: never arrived
            return
        self.sessions[session.call_id] = session
        at, mono = self.wall(), self.clock.now()
        attribution, session.profile = await asyncio.gather(self.directory.attribute(session.dnis, at),
                                                            self.directory.caller_profile(session.caller))
        session.airing_id = attribution.airing_id
        session.arrived_at, session.arrived_mono = at, mono
        self.emit(Arrive(call_id=session.call_id, at=at, mono=mono, caller=session.caller, dnis=session.dnis,
                         airing_id=session.airing_id))
        call.ring()
        if session.profile.blacklist == "reject":
            await session.reject_blacklisted()
            return
        if self.surge is not None and self.surge.capture_on_arrival(self.lines_in_use()) and await session.auto_seat():
            return
        if not await session.answer():
            return
        if flow is not None:
            await session.run_ivr(flow)
        else:
            await session.enqueue(route.queue, arriving=True, greeting=route.greeting)

    def queue_config(self, queue_id: str) -> QueueConfig | None:
        return self._queues.get(queue_id)

    def forget(self, call_id: str) -> None:
        self.sessions.pop(call_id, None)

    # -- the ACD's decisions -----------------------------------------------------------------------------

    def apply(self, decision: Decision) -> None:
        """Carry out what the dispatcher decided, then re-arm its timer."""
        for offer in decision.cancelled:
            session = self.sessions.get(offer.caller_id)
            if session is not None:
                session.stop_ringing(offer.agent_id)
        for change in decision.changes:
            self._agent_changed(change)
        for offer in decision.offers:
            self._offer(offer.caller_id, offer.agent_id, offer.queue_id)
        for overflow in decision.overflows:
            session = self.sessions.get(overflow.caller_id)
            if session is not None:
                session.overflow(overflow)
        self._schedule_tick()

    def _offer(self, call_id: str, agent: str, queue: str) -> None:
        session = self.sessions.get(call_id)
        if session is None:  # the call ended while the decision was made: give the agent back
            self.apply(self.dispatcher.no_answer(agent))
            return
        warning = "blacklist" if session.profile.blacklist == "warn" else ""
        self.emit(Offer(call_id=call_id, at=self.wall(), mono=self.clock.now(), queue=queue, agent=agent,
                        caller=session.caller, dnis=session.dnis, airing_id=session.airing_id, warning=warning))
        self.spawn(session.ring_agent(agent))

    def _agent_changed(self, change: StateChange) -> None:
        self._report_agent(change.agent_id, change.new, change.reason or "", change.at)
        left_call = change.old is AgentState.ON_CALL and change.new is not AgentState.WRAP_UP
        if change.old is AgentState.WRAP_UP or left_call:
            self._wrap_up_ended(change.agent_id)

    def _report_agent(self, agent: str, state: AgentState, reason: str, mono: float) -> None:
        """Log and publish the agent's state as shown: with its phone's state and its wrap-up's end."""
        until = self.dispatcher.wrap_up_end(agent) if state is AgentState.WRAP_UP else None
        wrapup_until = None if until is None else self.wall() + datetime.timedelta(seconds=until - self.clock.now())
        event = AgentStateChanged(agent=agent, at=self.wall(), mono=mono, state=state, seat=self.seat_of(agent),
                                  reason=reason, phone_online=self.dispatcher.agent(agent).phone_online,
                                  wrapup_until=wrapup_until)
        self.write(lambda: self.call_log.append_agent_state(event))
        self._publish("agents", event)

    def _wrap_up_ended(self, agent: str) -> None:
        call_id = self._last_call.pop(agent, None)
        if call_id is not None:
            self.emit(WrapupEnd(call_id=call_id, at=self.wall(), mono=self.clock.now(), agent=agent))
            self._wrapping.get(call_id, set()).discard(agent)
            self._close_when_done(call_id)

    def answered(self, agent: str, call_id: str) -> None:
        """The agent took `call_id`: its wrap-up end will be logged against that call."""
        self._last_call[agent] = call_id
        self._wrapping.setdefault(call_id, set()).add(agent)

    def call_over(self, call_id: str) -> None:
        """Both legs are gone; the record closes once every agent who took the call has wrapped up."""
        self._over.add(call_id)
        self._close_when_done(call_id)

    def _close_when_done(self, call_id: str) -> None:
        if call_id in self._over and not self._wrapping.get(call_id):
            self._over.discard(call_id)
            self._wrapping.pop(call_id, None)
            self.close_call(call_id)

    def _publish_queue_stats(self) -> None:
        """Every `queue_stats_interval`: each queue's figures, when they changed since they last went out
        (O(queues), so a surge of calls does not become a surge of wallboard events)."""
        now = self.clock.now()
        for queue_id in tuple(self._queues):
            stats = self.dispatcher.queue_stats(queue_id)
            figures = (stats.present, round(stats.longest_wait), stats.ready, stats.staffed)
            if self._last_stats.get(queue_id, (0, 0, 0, 0)) != figures:
                self._last_stats[queue_id] = figures
                event = QueueStatsChanged(queue=queue_id, at=self.wall(), mono=now, waiting=stats.present,
                                          longest_wait_seconds=round(stats.longest_wait, 1),
                                          agents_ready=stats.ready, agents_busy=stats.staffed - stats.ready)
                self._publish("queues", event)
        self._publish_lines(now)
        self._stats_handle = asyncio.get_running_loop().call_later(self.config.queue_stats_interval,
                                                                   self._publish_queue_stats)

    def _publish_lines(self, now: float) -> None:
        """Line occupancy and 503s on the "lines" topic, when they changed since the last second."""
        figures = (self.lines_in_use(), self.refused)
        if figures != self._last_lines:
            self._last_lines = figures
            lines = self.config.surge.lines if self.config.surge is not None else 0
            self._publish("lines", LinesChanged(at=self.wall(), mono=now, in_use=figures[0], lines=lines,
                                                refused=figures[1]))

    def _schedule_tick(self) -> None:
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None
        due = self.dispatcher.next_due()
        if due is not None:
            loop = asyncio.get_running_loop()
            self._tick_handle = loop.call_at(due + 0.001, lambda: self.apply(self.dispatcher.tick()))

    # -- agents ------------------------------------------------------------------------------------------

    def extend_wrap_up(self, agent: str, seconds: float) -> None:
        """Lengthen the agent's wrap-up (the ACD's limits apply, its refusals propagate); the new end goes
        to the log and the agent's desk."""
        decision = self.dispatcher.extend_wrap_up(agent, seconds)
        found = self.dispatcher.agent(agent)
        self._report_agent(agent, found.state, found.reason or "", self.clock.now())
        self.apply(decision)

    def _phone_changed(self, username: str) -> None:
        """The registrar heard from (or lost) `username`'s phone: re-judge the seats of that SIP user where
        an agent is logged in. A phone that comes back gets a waiting caller at once."""
        for agent, seat in tuple(self._seats.items()):
            if not seat.fixed_uri and username in (seat.username, seat.aor.partition(":")[2].partition("@")[0]):
                self._set_phone(agent, self._contact(seat) is not None)

    def _seat_locked(self, username: str, source: str, seconds: float) -> None:
        """The registrar locked `username` for password guessing: tell the supervisors (wallboard)."""
        seats = [seat.seat for seat in self._phones.values() if seat.username == username]
        self._publish("security", SeatLocked(at=self.wall(), mono=self.clock.now(), username=username,
                                             seat=", ".join(seats), source=source, seconds=seconds))

    def _set_phone(self, agent: str, reachable: bool) -> None:
        found = self.dispatcher.agent(agent)
        if found.phone_online is reachable:
            return
        state, reason = found.state, found.reason or ""
        decision = self.dispatcher.phone_reachable(agent, reachable)
        log.info("agent %s: phone %s", agent, "online" if reachable else "offline")
        self._report_agent(agent, state, reason, self.clock.now())  # before the offer it may bring
        self.apply(decision)

    def phone_online(self, agent: str) -> bool:
        """Whether the phone of the agent's seat can be rung (False when the agent is not logged in)."""
        return agent in self._seats and self.dispatcher.agent(agent).phone_online

    def seat_of(self, agent: str) -> str:
        seat = self._seats.get(agent)
        return seat.seat if seat else ""

    def dialling_out(self, agent: str) -> bool:
        """Whether the agent is on (or setting up) a click-to-dial call."""
        return any(session.agent == agent for session in self.outbound.values())

    def has_seat(self, seat_name: str) -> bool:
        return seat_name in self._phones

    def agent_at(self, seat_name: str) -> str:
        """The agent logged in at a seat ("" for nobody)."""
        return next((agent for agent, seat in self._seats.items() if seat.seat == seat_name), "")

    def contact_of(self, agent: str) -> str | None:
        """The URI to ring for an agent: the seat's fixed URI, else its phone's registered contact."""
        seat = self._seats.get(agent)
        return None if seat is None else self._contact(seat)

    def contact_of_seat(self, seat_name: str) -> str | None:
        """The URI to ring for a seat's phone, whoever is logged in there (a supervisor's own phone)."""
        seat = self._phones.get(seat_name)
        return None if seat is None else self._contact(seat)

    def _contact(self, seat: SeatConfig) -> str | None:
        if seat.fixed_uri:
            return seat.fixed_uri
        if seat.aor:
            return self.registrar.contact_for(seat.aor)
        return self.registrar.contact_for_user(seat.username)

    # -- supervisors -------------------------------------------------------------------------------------

    async def monitor(self, session: CallSession, supervisor: str, mode: MonitorMode, contact: str) -> None:
        """Join `supervisor` (their phone at `contact`) to a connected call, or switch their mode on it;
        a supervisor on another call leaves that one first."""
        current = self.monitors.get(supervisor)
        if current is not None and current.session is session and not current.ended:
            await current.switch(mode)
            return
        if current is not None:
            await current.stop()
        monitoring = Monitoring(self, session, supervisor, mode)
        self.monitors[supervisor] = monitoring
        try:
            await monitoring.start(contact)
        except Exception:
            await monitoring.stop()
            raise

    async def resupervise(self, call_id: str) -> None:
        """The call was bridged again (resumed from hold): supervisors on it rejoin in their mode."""
        for monitoring in tuple(self.monitors.values()):
            if monitoring.session.call_id == call_id:
                await monitoring.rejoin()

    def call_unsupervised(self, call_id: str) -> None:
        """The agent's part of a call is over: supervisors on it leave (their phones are hung up)."""
        for monitoring in tuple(self.monitors.values()):
            if monitoring.session.call_id == call_id:
                self.spawn(monitoring.stop())

    # -- files -------------------------------------------------------------------------------------------

    def prompt_path(self, name: str) -> Path:
        return self.config.prompts / f"{name}.wav"

    def recording_path(self, call_id: str, part: int = 1) -> Path:
        """Where a call's recording goes; a transferred call has one part per agent (`-2`, `-3`, …)."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in call_id)
        return self.config.recordings / (f"{safe}.wav" if part == 1 else f"{safe}-{part}.wav")

    def voicemail_path(self, call_id: str) -> Path:
        """Where a caller's message goes (next to the recordings, in `voicemail/`)."""
        return self.config.recordings / "voicemail" / self.recording_path(call_id).name

    def file_voicemail(self, call_id: str, path: Path) -> None:
        """A message was written and closed: put it on the worklist."""
        duration = wav_seconds(path, channels=1)
        self.write(lambda: self.call_log.file_voicemail(call_id, str(path), duration))

    def recorded(self, call_id: str, path: Path) -> None:
        """A recording was written and closed: link it to its call."""
        channels = 2 if self.config.recording_mode is RecordingMode.STEREO else 1
        duration = wav_seconds(path, channels)
        self.write(lambda: self.call_log.link_recording(call_id, str(path), duration, channels))

    # -- the call log ------------------------------------------------------------------------------------

    def emit(self, event: CallEvent) -> None:
        """Append a call step to the log (in order, off the caller's path) and publish the live ones."""
        self.write(lambda: self.call_log.append(event))
        if event.kind in PUBLISHED:
            self._publish("calls", event)

    def _publish(self, topic: str, event: EngineEvent) -> None:
        """Publish in order, on the live lane (not behind the database writes)."""
        self._live.put_nowait(lambda: self.bus.publish(topic, event))

    def close_call(self, call_id: str) -> None:
        self.write(lambda: self.call_log.close_call(call_id))

    def write(self, write: Callable[[], Awaitable[None]]) -> None:
        """Queue a write to the host (call log, callbacks) behind the ones before it."""
        self._writes.put_nowait(write)

    @staticmethod
    async def _drain(lane: asyncio.Queue[Callable[[], Awaitable[None]]]) -> None:
        """Run a lane's writes one after the other, in the order they were queued."""
        while True:
            write = await lane.get()
            try:
                await write()
            except Exception:  # a failing log must not stop the calls; the error is in the log file
                log.exception("call log write failed")
            finally:
                lane.task_done()

    async def flush_log(self) -> None:
        """Wait until everything emitted so far is written and published."""
        await self._writes.join()
        await self._live.join()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine as a task the engine keeps (so it is not collected) and whose errors are logged."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine task failed", exc_info=task.exception())


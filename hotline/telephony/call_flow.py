"""One inbound call through the engine: answer, IVR, queue with hold music, ring agents, bridge, record, end.

`CallSession` is the glue between the pure deciders (the IVR interpreter and the ACD dispatcher) and the
side effects (SIP calls and the media plane). It owns the caller's leg and the agent legs it rings; the
engine owns the dispatcher and hands the session the ACD's decisions that concern it.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hotline.telephony.acd.dispatcher import Overflow
from hotline.telephony.acd.queue import CallerSpec, OverflowKind
from hotline.telephony.callback.model import Reason
from hotline.telephony.events import (
    Abandon,
    AgentState,
    Answer,
    CallbackRequest,
    Enqueue,
    Hangup,
    HangupCause,
    HangupParty,
    Hold,
    Resume,
    Ring,
    Transfer,
)
from hotline.telephony.ivr.actions import (
    Action,
    EnqueueCall,
    HangUpCall,
    IvrCall,
    LogEvent,
    MemberResult,
    OrderResult,
    OrderStatusRequest,
    PlayPrompts,
    StopPlayback,
    VerifyMemberRequest,
    WaitForDigits,
)
from hotline.telephony.ivr.host import ask_host
from hotline.telephony.ivr.interpreter import IvrSession
from hotline.telephony.ivr.model import Flow
from hotline.telephony.ivr.phrases import position_announcement
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import LegKey, MediaPlaneError, Remote
from hotline.telephony.ports import CallerProfile
from hotline.telephony.sip import sdp
from hotline.telephony.sip.calls import CallState, InboundCall, OutboundCall

if TYPE_CHECKING:
    from hotline.telephony.callbacks import Caught
    from hotline.telephony.engine import Engine

log = logging.getLogger(__name__)

# asyncio may run a timer up to its clock resolution early; the interpreter ignores a timeout that comes
# before its deadline, so the engine's timers fire a little late rather than never.
TIMER_SLACK = 0.05
MAX_OVERFLOW_HOPS = 3
MAX_MESSAGE_SECONDS = 120.0  # a voicemail is cut after two minutes
CONSULT_REASON = "consult"  # the pause reason of an agent reserved for a consultation call
PICK_UP_PRIORITY = 1_000  # a picked-up caller goes before anyone waiting for that agent


def remote_of(negotiated: sdp.Negotiated) -> Remote:
    """What the media plane needs from an SDP negotiation."""
    return Remote((negotiated.remote_address, negotiated.remote_port), Codec(negotiated.codec.payload_type),
                  negotiated.telephone_event)


def user_of(uri: str) -> str:
    """The user part of a SIP URI (the number), or the whole URI when it has none."""
    rest = uri.partition(":")[2] or uri
    user, at, _host = rest.split(";")[0].rpartition("@")
    return user if at else rest


class ConsultationInProgress(Exception):
    """A command that cannot run while the agent consults another one (complete or cancel it first)."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"call {call_id} has a consultation in progress")
        self.call_id = call_id


class AgentNotFree(Exception):
    """The agent asked for (a consultation) is not ready, or is busy, by the time the command runs."""

    def __init__(self, agent: str) -> None:
        super().__init__(f"agent {agent} is not free")
        self.agent = agent


class CallNotConnected(Exception):
    """A command needs a caller talking to an agent, and this call is not (any more)."""

    def __init__(self, call_id: str) -> None:
        super().__init__(f"call {call_id} is not connected to an agent")
        self.call_id = call_id


@dataclass
class Ringing:
    """An agent phone the session is ringing for the ACD's offer."""

    agent: str
    leg: LegKey
    call: OutboundCall
    rang: bool = False


class CallSession:
    """One inbound call's life in the engine; created by `Engine.on_call`, ended exactly once."""

    def __init__(self, engine: Engine, call: InboundCall, call_id: str) -> None:
        self.engine = engine
        self.call = call
        self.call_id = call_id
        self.caller = user_of(call.caller)
        self.dnis = user_of(call.called)
        self.airing_id: int | None = None
        self.profile = CallerProfile()
        self.arrived_at = engine.wall()
        self.arrived_mono = engine.clock.now()
        self.callback_id: int | None = None  # the callback this call left (surge, key press, overflow)
        self.message_id = ""  # the voicemail being recorded ("" when none)
        self._capturing = False  # a callback is being stored: a hang-up meanwhile is not an abandon to call back
        self.consultation: Ringing | None = None  # another agent consulted before an attended transfer
        self._message_timer: asyncio.TimerHandle | None = None
        self.leg = LegKey(call_id, "caller")
        self.ivr: IvrSession | None = None
        self.queue = ""
        self.agent = ""
        self.agent_leg: Ringing | None = None
        self.ringing: dict[str, Ringing] = {}
        self.ended = False
        self.recording = False
        self.on_hold = False
        self._lock = asyncio.Lock()  # IVR inputs are handled one at a time, in arrival order
        self._generation = 0  # bumped when playback is stopped, so a late "prompt done" is ignored
        self._greeting_at: int | None = None  # the playback generation of the queue's greeting while it plays
        self._timer: asyncio.TimerHandle | None = None
        self._announce_timer: asyncio.TimerHandle | None = None
        self._overflows = 0
        self._parts = 0  # recordings made so far: one per agent who talked to the caller
        self._opening: set[str] = set()  # agents whose leg is being opened (not dialled yet)
        self._withdrawn: set[str] = set()  # … and whose offer the ACD took back meanwhile
        self._legs = 0

    @property
    def callback_number(self) -> str:
        """The caller's number as callbacks are kept: the host's normal form when it gave one."""
        return self.profile.number or self.caller

    # -- answering ---------------------------------------------------------------------------------------

    async def answer(self) -> bool:
        """Answer with a media endpoint and watch the caller's DTMF, hang-up and RTP silence.

        False when the caller gave up (CANCEL) while the endpoint was being opened: the call is then over.
        """
        media = self.engine.media
        endpoint = await media.allocate(self.leg)
        if self.ended:  # a force hang-up came while the endpoint opened: `end()` logged and closed the call
            await media.release(self.leg)
            return False
        if self.call.state is not CallState.OFFERED:
            self.ended = True
            await media.release(self.leg)
            self._end_unanswered(HangupParty.CALLER, HangupCause.NORMAL, self.engine.wall(), self.engine.clock.now())
            self.engine.forget(self.call_id)
            return False
        negotiated = self.call.answer(endpoint.host, endpoint.port)
        await media.set_remote(self.leg, remote_of(negotiated))
        self.call.on_ended = self._caller_ended
        self.call.on_media = lambda changed: self.engine.spawn(self._remote_changed(changed))
        media.on_dtmf(self.leg, self._digit)
        media.on_timeout(self.leg, self.engine.config.rtp_timeout, self._rtp_timeout)
        return True

    async def _remote_changed(self, negotiated: sdp.Negotiated) -> None:
        """A re-INVITE moved the caller's media (hold, new address)."""
        if not self.ended:
            await self.engine.media.set_remote(self.leg, remote_of(negotiated))

    def _caller_ended(self, reason: str) -> None:
        by = HangupParty.CALLER if reason in ("remote bye", "cancelled") else HangupParty.SYSTEM
        self.engine.spawn(self.end(by))

    def _rtp_timeout(self) -> None:
        log.info("call %s: no RTP from the caller, hanging up", self.call_id)
        self.engine.spawn(self.end(HangupParty.SYSTEM, HangupCause.FAILED))

    # -- IVR ---------------------------------------------------------------------------------------------

    async def run_ivr(self, flow: Flow) -> None:
        """Walk `flow`: the interpreter decides, this session plays, listens and times out for it."""
        self.ivr = IvrSession(flow, self.engine.clock, self.engine.wall)
        ivr = self.ivr
        await self._step(lambda: ivr.start(IvrCall(self.call_id, self.caller, self.dnis)))

    async def _step(self, step: Callable[[], list[Action]]) -> None:
        async with self._lock:
            if not self.ended and self.ivr is not None:
                await self._perform(step())

    def _digit(self, digit: str) -> None:
        ivr = self.ivr
        if ivr is not None:
            self.engine.spawn(self._step(lambda: ivr.on_digit(digit)))
        elif self.message_id and digit == "#":  # the message is complete
            self.engine.spawn(self.end(HangupParty.SYSTEM, HangupCause.VOICEMAIL))
        elif self.queue and digit == self.engine.callback_key and not self._greeting():
            self.engine.spawn(self._asks_for_callback())

    def _timed_out(self) -> None:
        ivr = self.ivr
        if ivr is not None:
            self.engine.spawn(self._step(ivr.on_timeout))

    async def _perform(self, actions: list[Action]) -> None:
        for action in actions:
            if self.ended:
                return
            await self._perform_one(action)

    async def _perform_one(self, action: Action) -> None:
        engine = self.engine
        if isinstance(action, LogEvent):
            engine.emit(action.event)
        elif isinstance(action, PlayPrompts):
            self._generation += 1
            await self._play(self._generation, [engine.prompt_path(name) for name in action.prompts],
                             self._ivr_prompts_done)
        elif isinstance(action, StopPlayback):
            self._generation += 1
            await engine.media.stop_playing(self.leg)
        elif isinstance(action, WaitForDigits):
            self._cancel_timer()
            self._timer = asyncio.get_running_loop().call_later(action.timeout + TIMER_SLACK, self._timed_out)
        elif isinstance(action, VerifyMemberRequest | OrderStatusRequest):
            await self._ask_host(action)
        elif isinstance(action, EnqueueCall):
            await self.enqueue(action.queue, action.priority, arriving=True, greeting=action.prompts)
        elif isinstance(action, HangUpCall):
            await self.end(HangupParty.SYSTEM)

    async def _ask_host(self, request: VerifyMemberRequest | OrderStatusRequest) -> None:
        host, ivr = self.engine.ivr_host, self.ivr
        if host is not None:
            result = await ask_host(request, host)
        else:  # no customer records behind this engine: nobody verifies, no order is found
            result = MemberResult() if isinstance(request, VerifyMemberRequest) else OrderResult()
        if ivr is not None and not self.ended:
            await self._perform(ivr.on_result(result))

    async def _play(self, generation: int, prompts: list[Path], finished: Callable[[], Awaitable[None]]) -> None:
        """Play `prompts` one after the other, then await `finished()` (under the session's lock).

        A newer `generation` (playback stopped, another sequence started, hang-up) silently drops the rest.
        """
        if not prompts:
            self.engine.spawn(self._prompt_done(generation, [], finished))
            return
        first, rest = prompts[0], prompts[1:]

        def done() -> None:
            self.engine.spawn(self._prompt_done(generation, rest, finished))

        await self.engine.media.play(self.leg, first, done)

    async def _prompt_done(self, generation: int, rest: list[Path],
                           finished: Callable[[], Awaitable[None]]) -> None:
        async with self._lock:
            if generation != self._generation or self.ended:
                return
            if rest:
                await self._play(generation, rest, finished)
            else:
                await finished()

    async def _ivr_prompts_done(self) -> None:
        if self.ivr is not None:
            await self._perform(self.ivr.on_prompt_done())

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- queue -------------------------------------------------------------------------------------------

    async def enqueue(self, queue: str, priority: int = 0, *, arriving: bool = False,
                      greeting: tuple[str, ...] = ()) -> None:
        """Leave the IVR for `queue`: log it, start hold music, and let the ACD decide.

        `arriving`: the caller comes from the IVR or straight from the hotline number (not a transfer or an
        overflow); in a surge, the queue's expected wait may then send them to the automatic seat instead.
        `greeting`: prompts heard first, in place of the hold music until they end ("please hold"); the ACD
        rings agents meanwhile, so they cost the caller no time.
        """
        engine = self.engine
        if self.ended:
            return
        self.ivr = None
        self._cancel_timer()
        if arriving and engine.surge_capture_on_enqueue(queue):
            self.queue = queue
            if await self._leave_callback(Reason.SURGE) or self.ended:
                return
        self.queue = queue
        position = engine.dispatcher.line_length(queue) + 1  # every enqueue of a surge: no sort here
        engine.emit(Enqueue(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=queue,
                            position=position))
        await (self._greet(greeting) if greeting else self._hold())
        if self.ended:  # hung up while the hold music started: never put a gone caller in line
            return
        engine.apply(engine.dispatcher.enqueue(self._caller_spec(queue, priority)))
        self._schedule_announcement()

    async def _greet(self, greeting: tuple[str, ...]) -> None:
        """Play `greeting`, then the hold music; an agent's answer meanwhile (a new generation) drops both."""
        self._generation += 1
        self._greeting_at = self._generation
        await self._play(self._generation, [self.engine.prompt_path(name) for name in greeting], self._greeted)

    async def _greeted(self) -> None:
        self._greeting_at = None
        await self._hold()

    def _greeting(self) -> bool:
        """Whether the queue's greeting still plays. Keys then are the IVR's echo (a menu key pressed twice)
        or a caller still expecting a menu, not a request for a callback, which they have not been offered."""
        return self._greeting_at == self._generation

    def _caller_spec(self, queue: str, priority: int) -> CallerSpec:
        """The caller as the queue sees them: VIP priority, the level wanted, and their last agent."""
        config = self.engine.queue_config(queue)
        if config is None:
            return CallerSpec(self.call_id, queue, priority)
        if self.profile.vip:
            priority = max(priority, config.vip_priority)
        last_agent = self.profile.last_agent if config.affinity_seconds > 0 and self.profile.last_agent else None
        return CallerSpec(self.call_id, queue, priority, min_level=config.entry_level, last_agent_id=last_agent)

    async def _hold(self) -> None:
        if self.engine.config.hold_music is not None:
            await self.engine.media.hold(self.leg)

    def _schedule_announcement(self) -> None:
        """Every `announce_seconds` in line the caller hears where they stand (none while ringing an agent)."""
        config = self.engine.queue_config(self.queue)
        if config is not None and config.announce_seconds > 0 and not self.ended:
            self._stop_announcing()
            loop = asyncio.get_running_loop()
            self._announce_timer = loop.call_later(config.announce_seconds,
                                                   lambda: self.engine.spawn(self._announce()))

    def _stop_announcing(self) -> None:
        if self._announce_timer is not None:
            self._announce_timer.cancel()
            self._announce_timer = None

    async def _announce(self) -> None:
        async with self._lock:
            self._announce_timer = None
            dispatcher = self.engine.dispatcher
            if self.ended or self.agent_leg is not None or not dispatcher.is_queued(self.call_id):
                return
            position = dispatcher.position(self.call_id)
            if position < 2:  # being offered, or next in line: nothing useful to say yet
                self._schedule_announcement()
                return
            wait = dispatcher.expected_wait(self.call_id)
            minutes = None if wait is None else max(1, math.ceil(wait / 60))
            names = position_announcement(position - 1, minutes)
            if self.engine.callback_key:  # "press 1 and we call you back" after each announcement
                names = (*names, "callback_offer")
            self._generation += 1
            await self._play(self._generation, [self.engine.prompt_path(name) for name in names],
                             self._back_to_hold)

    async def _back_to_hold(self) -> None:
        await self._hold()
        self._schedule_announcement()

    def overflow(self, overflow: Overflow) -> None:
        """The queue sent the caller away (full, or waited too long): carry out its overflow target."""
        self.engine.spawn(self._overflow(overflow))

    async def _overflow(self, overflow: Overflow) -> None:
        async with self._lock:
            if self.ended:
                return
            engine, target = self.engine, overflow.target
            self._stop_announcing()
            log.info("call %s overflows queue %s (%s) to %s %s", self.call_id, overflow.queue_id,
                     overflow.reason.value, target.kind.value, target.destination)
            self._overflows += 1
            if target.kind is OverflowKind.QUEUE and self._can_overflow_to(target.destination):
                engine.emit(Transfer(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(),
                                     queue=self.queue, to_queue=target.destination))
                await self.enqueue(target.destination)
                return
            handler = engine.overflow_handlers.get(target.kind)
            if handler is not None:
                await handler(self, overflow)
                return
            await self._busy_goodbye()

    async def _busy_goodbye(self) -> None:
        """Busy, or a destination this engine cannot serve: say so, never hang up in silence."""
        self._generation += 1
        await self._play(self._generation, [self.engine.prompt_path("all_busy"), self.engine.prompt_path("goodbye")],
                         self._overflow_done)

    async def overflow_to_callback(self, overflow: Overflow) -> None:
        """A queue's overflow target is "callback": leave one (confirmed), or hear "all busy" if it failed."""
        if not await self._leave_callback(Reason.OVERFLOW):
            await self._busy_goodbye()

    def _can_overflow_to(self, queue: str) -> bool:
        """A known, different queue, and not a ping-pong between full queues (a few hops at most)."""
        return (queue != self.queue and self.engine.queue_config(queue) is not None
                and self._overflows <= MAX_OVERFLOW_HOPS)

    async def _abandoned_callback(self) -> None:
        """The caller gave up waiting: call them back (no confirmation to give: they are gone)."""
        await self._capture(Reason.ABANDONED)

    async def _overflow_done(self) -> None:
        await self.end(HangupParty.SYSTEM, HangupCause.REJECTED)

    # -- agents ------------------------------------------------------------------------------------------

    async def ring_agent(self, agent: str) -> None:
        """Dial the agent's phone for the ACD's offer; report the answer or the miss back to the ACD."""
        engine = self.engine
        if self.ended:  # the hang-up already took the offer back (and freed the agent) in the ACD
            return
        uri = engine.contact_of(agent)
        if uri is None:
            log.info("call %s: agent %s has no reachable phone", self.call_id, agent)
            engine.apply(engine.dispatcher.no_answer(agent))
            return
        self._legs += 1
        leg = LegKey(self.call_id, f"agent-{self._legs}")
        self._opening.add(agent)
        endpoint = await engine.media.allocate(leg)
        self._opening.discard(agent)
        if self.ended or agent in self._withdrawn:  # the ACD took the offer back while the port was opened
            self._withdrawn.discard(agent)
            await engine.media.release(leg)
            return
        out = engine.calls.dial(uri, (endpoint.host, endpoint.port), caller=f"sip:{self.caller}@{engine.host}",
                                ring_timeout=engine.config.ring_timeout)
        ringing = Ringing(agent, leg, out)
        self.ringing[agent] = ringing
        out.on_ringing = lambda status: self._rang(ringing)
        status = await out.wait_answer()
        await self._answered_or_missed(ringing, status)

    def _rang(self, ringing: Ringing) -> None:
        if not ringing.rang:
            ringing.rang = True
            engine = self.engine
            engine.emit(Ring(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=self.queue,
                             agent=ringing.agent, seat=engine.seat_of(ringing.agent)))

    async def _answered_or_missed(self, ringing: Ringing, status: int) -> None:
        engine = self.engine
        if self.ringing.get(ringing.agent) is not ringing:  # the ACD took the offer back (caller left, …)
            if status == 200:
                ringing.call.hangup()
            await engine.media.release(ringing.leg)
            return
        del self.ringing[ringing.agent]
        if status != 200:
            await engine.media.release(ringing.leg)
            engine.apply(engine.dispatcher.no_answer(ringing.agent))
            return
        await self._connect(ringing)

    def stop_ringing(self, agent: str) -> None:
        """The ACD withdrew its offer to `agent`: cancel that phone (or hang it up if it just answered)."""
        ringing = self.ringing.pop(agent, None)
        if ringing is not None:
            ringing.call.on_ringing = None  # a 180 still on its way is no longer a ring of this call
            ringing.call.hangup()
        elif agent in self._opening:
            self._withdrawn.add(agent)

    async def _connect(self, ringing: Ringing) -> None:
        """The agent answered: bridge the legs, record, log the answer."""
        engine = self.engine
        self._rang(ringing)
        engine.apply(engine.dispatcher.answer(ringing.agent))
        engine.answered(ringing.agent, self.call_id)
        self.agent, self.agent_leg = ringing.agent, ringing
        ringing.call.on_ended = lambda reason: engine.spawn(self._agent_hung_up())
        try:
            await self._bridge(ringing)
        except MediaPlaneError:
            if not self.ended:  # a leg vanished for another reason than the hang-up racing us
                raise
            return
        if ringing.call.state is CallState.ENDED:
            await self.end(HangupParty.AGENT)

    async def _bridge(self, ringing: Ringing) -> None:
        engine, media = self.engine, self.engine.media
        assert ringing.call.media is not None
        await media.set_remote(ringing.leg, remote_of(ringing.call.media))
        self._stop_announcing()
        self._generation += 1  # an announcement in progress must not bring the hold music back
        await media.stop_playing(self.leg)
        await media.bridge(self.leg, ringing.leg)
        self._parts += 1
        path = engine.recording_path(self.call_id, self._parts)
        await media.start_recording(self.call_id, self.leg, ringing.leg, path, engine.config.recording_mode)
        self.recording = True
        engine.emit(Answer(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=self.queue,
                           agent=ringing.agent))
        engine.callbacks.reached_agent(self.callback_number)

    # -- callbacks ---------------------------------------------------------------------------------------

    async def auto_seat(self) -> bool:
        """The automatic seat (自动电脑座席): the caller hears ringing while their callback is stored, then
        the confirmation, then we hang up. False if it could not be stored: the call goes on as usual."""
        caught = await self._capture(Reason.SURGE)
        if caught is None:
            return False
        self._callback_stored(caught.callback_id)
        if await self.answer():
            async with self._lock:
                await self._confirm_callback(caught.confirmation)
        return True

    async def _capture(self, reason: Reason) -> Caught | None:
        """Store this caller's callback; while it is stored, a hang-up is not taken for an abandon."""
        self._capturing = True
        try:
            return await self.engine.callbacks.capture(self.callback_number, self.dnis, self.airing_id,
                                                       self.call_id, reason, self.arrived_at)
        finally:
            self._capturing = False

    async def _asks_for_callback(self) -> None:
        """The caller pressed the callback key while waiting: they leave the line, keeping their arrival."""
        async with self._lock:
            dispatcher = self.engine.dispatcher
            if self.ended or self.agent_leg is not None or not dispatcher.is_queued(self.call_id):
                return
            await self._leave_callback(Reason.REQUESTED)

    async def _leave_callback(self, reason: Reason) -> bool:
        """Store a callback (committed first), leave the queue, confirm and hang up (under the session lock).

        False when it could not be stored, or an agent took the call meanwhile: the caller stays put.
        """
        engine = self.engine
        caught = await self._capture(reason)
        if caught is None:
            return False
        if self.agent_leg is not None:  # answered while the callback was stored: it is not needed
            engine.callbacks.reached_agent(self.callback_number)
            return False
        if self.ended:  # hung up meanwhile: the callback stands (they called), nothing left to say
            return True
        if engine.dispatcher.is_queued(self.call_id):
            engine.apply(engine.dispatcher.abandon(self.call_id))  # out of line, and any ringing offer stops
        self._callback_stored(caught.callback_id)
        await self._confirm_callback(caught.confirmation)
        return True

    def _callback_stored(self, callback_id: int) -> None:
        engine = self.engine
        self.callback_id = callback_id
        self._stop_announcing()
        engine.emit(CallbackRequest(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(),
                                    queue=self.queue, number=self.caller))

    async def _confirm_callback(self, prompt: str) -> None:
        """"We will call you back" (or, when we could not read their number, that we could not): then hang
        up. Played only once the callback is stored."""
        if self.ended:
            return
        self.ivr = None
        self._cancel_timer()
        self._generation += 1
        await self._play(self._generation, [self.engine.prompt_path(prompt)], self._hang_up_after)

    async def _hang_up_after(self) -> None:
        await self.end(HangupParty.SYSTEM)

    # -- voicemail ---------------------------------------------------------------------------------------

    async def overflow_to_voicemail(self, overflow: Overflow) -> None:
        """A queue's overflow target is "voicemail" (no agent to be had): greeting, tone, then record."""
        self._generation += 1
        await self._play(self._generation, [self.engine.prompt_path("voicemail_greeting"),
                                            self.engine.prompt_path("beep")], self._record_message)

    async def _record_message(self) -> None:
        """Record what the caller says until they hang up, press #, or the message reaches its limit."""
        engine = self.engine
        message_id = f"voicemail-{self.call_id}"
        await engine.media.record_leg(message_id, self.leg, engine.voicemail_path(self.call_id))
        self.message_id = message_id  # only once recording: a failed start leaves nothing to file
        self._message_timer = asyncio.get_running_loop().call_later(
            MAX_MESSAGE_SECONDS, lambda: engine.spawn(self.end(HangupParty.SYSTEM, HangupCause.VOICEMAIL)))

    async def _file_message(self) -> None:
        """The message is complete: write it and put it on the voicemail worklist."""
        if self._message_timer is not None:
            self._message_timer.cancel()
        message_id, self.message_id = self.message_id, ""
        try:
            path = await self.engine.media.stop_recording(message_id)
        except MediaPlaneError:  # the media plane lost it: the call must still end and be logged
            log.exception("call %s: the voicemail could not be written", self.call_id)
            return
        self.engine.file_voicemail(self.call_id, path)

    async def reject_blacklisted(self) -> None:
        """A number the blacklist rejects: answer, say we cannot serve it, hang up (outcome rejected)."""
        if not await self.answer():
            return
        async with self._lock:
            self._generation += 1
            await self._play(self._generation, [self.engine.prompt_path("blacklisted")], self._rejected)

    async def _rejected(self) -> None:
        await self.end(HangupParty.SYSTEM, HangupCause.REJECTED)

    # -- commands (agents and supervisors, through `EngineControl`) --------------------------------------

    def _talking(self) -> Ringing:
        """The agent leg of a connected call, or `CallNotConnected`."""
        if self.ended or self.agent_leg is None:
            raise CallNotConnected(self.call_id)
        return self.agent_leg

    async def hold(self) -> None:
        """Put the caller on hold music; the agent hears silence. Logged as `hold`."""
        async with self._lock:
            self._talking()
            if self.consultation is not None:
                raise ConsultationInProgress(self.call_id)
            await self._hold_caller()

    async def _hold_caller(self) -> None:
        if self.on_hold:
            return
        engine = self.engine
        await engine.media.unbridge(self.leg)
        await self._hold()
        self.on_hold = True
        engine.emit(Hold(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=self.queue,
                         agent=self.agent))

    async def resume(self) -> None:
        """Take the caller off hold: back to talking with the agent. Logged as `resume`."""
        async with self._lock:
            self._talking()
            if self.consultation is not None:
                raise ConsultationInProgress(self.call_id)
            await self._resume_caller()

    async def _resume_caller(self) -> None:
        if not self.on_hold or self.agent_leg is None:
            return
        engine = self.engine
        await engine.media.stop_playing(self.leg)
        await engine.media.bridge(self.leg, self.agent_leg.leg)
        self.on_hold = False
        await engine.resupervise(self.call_id)  # hold unbridged the call, which ended any monitoring
        engine.emit(Resume(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=self.queue,
                           agent=self.agent))

    # -- attended transfer -------------------------------------------------------------------------------

    async def consult(self, agent: str, contact: str) -> None:
        """Attended transfer, first step: the caller waits on hold while `agent`'s phone (at `contact`) rings;
        once answered the two agents talk. `complete_transfer` hands the caller over; `cancel_consultation`,
        the other agent not answering or hanging up brings the caller back to the first agent."""
        async with self._lock:
            self._talking()
            engine = self.engine
            if self.consultation is not None:
                raise ConsultationInProgress(self.call_id)
            if engine.dispatcher.agent(agent).state is not AgentState.READY or engine.dialling_out(agent):
                raise AgentNotFree(agent)  # checked again here: a command may have waited for the lock
            await self._hold_caller()
            self._legs += 1
            leg = LegKey(self.call_id, f"consult-{self._legs}")
            try:
                endpoint = await engine.media.allocate(leg)
                if engine.dispatcher.agent(agent).state is not AgentState.READY:  # offered a caller meanwhile
                    raise AgentNotFree(agent)
            except Exception:
                await engine.media.release(leg)
                await self._resume_caller()
                raise
            engine.apply(engine.dispatcher.not_ready(agent, CONSULT_REASON))  # reserved: no queue offers it a caller
            out = engine.calls.dial(contact, (endpoint.host, endpoint.port), caller=f"sip:{self.caller}@{engine.host}",
                                    ring_timeout=engine.config.ring_timeout)
            consultation = Ringing(agent, leg, out)
            self.consultation = consultation
            out.on_ended = lambda reason: engine.spawn(self._consulted_phone_ended(consultation))
            engine.spawn(self._consultation_answered(consultation))

    async def _consultation_answered(self, consultation: Ringing) -> None:
        status = await consultation.call.wait_answer()
        async with self._lock:
            if self.consultation is not consultation:  # cancelled, or the call ended, while it rang
                if status == 200:
                    consultation.call.hangup()
                return
            ended = consultation.call.state is CallState.ENDED
            if status != 200 or ended or self.ended or self.agent_leg is None:
                await self._end_consultation(back_to_caller=True)
                return
            consultation.rang = True
            assert consultation.call.media is not None
            await self.engine.media.set_remote(consultation.leg, remote_of(consultation.call.media))
            await self.engine.media.bridge(self.agent_leg.leg, consultation.leg)  # the two agents talk

    async def _consulted_phone_ended(self, consultation: Ringing) -> None:
        """The consulted agent's phone hung up: before the hand-over the caller goes back to the first agent;
        after it, the call ends as any agent's hang-up ends it."""
        if self.agent_leg is consultation:
            await self.end(HangupParty.AGENT)
            return
        async with self._lock:
            if self.consultation is consultation:
                await self._end_consultation(back_to_caller=True)

    async def _agent_hung_up(self) -> None:
        """The agent's phone hung up: the call ends, unless they were talking to a consulted agent, who then
        takes the caller (hanging up after consulting completes an attended transfer, as on a PBX)."""
        consultation = self.consultation
        if consultation is not None and consultation.rang and not self.ended:
            try:
                await self.complete_transfer()
                return
            except CallNotConnected:
                pass
        await self.end(HangupParty.AGENT)

    async def cancel_consultation(self) -> None:
        """Back to the caller: the other agent's phone is hung up (or stops ringing) and they are ready again."""
        async with self._lock:
            if self.consultation is None:
                raise CallNotConnected(self.call_id)
            await self._end_consultation(back_to_caller=True)

    async def _end_consultation(self, *, back_to_caller: bool) -> None:
        consultation, self.consultation = self.consultation, None
        if consultation is None:
            return
        engine = self.engine
        consultation.call.on_ended = None
        consultation.call.hangup()
        state = engine.dispatcher.agent(consultation.agent)
        if state.state is AgentState.NOT_READY and state.reason == CONSULT_REASON:
            engine.apply(engine.dispatcher.ready(consultation.agent))
        await engine.media.release(consultation.leg)
        if back_to_caller and not self.ended:
            await self._resume_caller()

    async def complete_transfer(self) -> None:
        """Attended transfer, last step: the caller talks to the consulted agent; the first agent's part ends
        (wrap-up starts), logged as a transfer to that agent and an answer by them."""
        async with self._lock:
            consultation = self.consultation
            if consultation is None or not consultation.rang or self.agent_leg is None or self.ended:
                raise CallNotConnected(self.call_id)
            engine = self.engine
            reserved = engine.dispatcher.agent(consultation.agent)
            if consultation.call.state is CallState.ENDED or reserved.reason != CONSULT_REASON:
                await self._end_consultation(back_to_caller=True)
                raise CallNotConnected(self.call_id)
            # The hand-over happens at once, before any await: a hang-up from here on finds the call with its
            # new agent and ends it cleanly.
            self.consultation = None
            engine.emit(Transfer(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=self.queue,
                                 agent=self.agent, to_agent=consultation.agent))
            first = self._let_agent_go(hang_up_phone=True)
            engine.apply(engine.dispatcher.connect(consultation.agent, self.call_id, self.queue))
            engine.answered(consultation.agent, self.call_id)
            self.agent, self.agent_leg, self.on_hold = consultation.agent, consultation, False
            await self._file_part(first)
            if self.ended:
                return
            try:
                await self._bridge(consultation)
            except MediaPlaneError:
                if not self.ended:
                    raise

    async def pick_up(self, agent: str, queue: str) -> None:
        """代接: a caller still waiting (in line or ringing an agent) is taken by `agent`, through `queue`
        (the agent's personal queue) at the front. Logged as a transfer to that agent."""
        async with self._lock:
            engine = self.engine
            if self.ended or self.agent_leg is not None or not engine.dispatcher.is_queued(self.call_id):
                raise CallNotConnected(self.call_id)
            engine.emit(Transfer(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=self.queue,
                                 to_agent=agent))
            engine.apply(engine.dispatcher.abandon(self.call_id))  # out of line; a ringing phone stops
            self._stop_announcing()
            self.queue = queue
            engine.emit(Enqueue(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=queue,
                                position=1))
            engine.apply(engine.dispatcher.enqueue(CallerSpec(self.call_id, queue, PICK_UP_PRIORITY)))

    async def transfer_to_queue(self, queue: str) -> None:
        """Blind transfer: the agent's part ends (wrap-up starts), the caller waits in `queue` on hold music."""
        async with self._lock:
            self._talking()
            if self.consultation is not None:
                raise ConsultationInProgress(self.call_id)
            engine = self.engine
            engine.emit(Transfer(call_id=self.call_id, at=engine.wall(), mono=engine.clock.now(), queue=self.queue,
                                 agent=self.agent, to_queue=queue))
            await engine.media.unbridge(self.leg)
            self.on_hold = False
            await self._release_agent(hang_up_phone=True)
            if not self.ended:  # the caller may hang up while the recording is filed
                await self.enqueue(queue)

    # -- the end -----------------------------------------------------------------------------------------

    async def end(self, by: HangupParty, cause: HangupCause = HangupCause.NORMAL) -> None:
        """End both legs once: log abandon or hang-up, tell the ACD, close the recording, free the media."""
        if self.ended:
            return
        self.ended = True
        engine = self.engine
        self._cancel_timer()
        self._stop_announcing()
        self._generation += 1
        at, mono = engine.wall(), engine.clock.now()
        if self.ivr is not None:
            self.ivr.on_caller_hangup()
        if by is not HangupParty.CALLER:
            self.call.hangup()
        if self.message_id:  # a caller who hangs up after their message has left one
            cause = HangupCause.VOICEMAIL
            await self._file_message()
        await self._end_consultation(back_to_caller=False)
        if self.agent_leg is not None:
            await self._end_answered(by, cause, at, mono)
        else:
            self._end_unanswered(by, cause, at, mono)
        await engine.media.release(self.leg)
        engine.forget(self.call_id)

    async def _end_answered(self, by: HangupParty, cause: HangupCause, at: datetime.datetime, mono: float) -> None:
        engine = self.engine
        engine.emit(Hangup(call_id=self.call_id, at=at, mono=mono, queue=self.queue, agent=self.agent, by=by,
                           cause=cause))
        await self._release_agent(hang_up_phone=by is not HangupParty.AGENT)
        engine.call_over(self.call_id)

    async def _release_agent(self, *, hang_up_phone: bool) -> None:
        """The agent's part of the call is over: free the phone's leg, start wrap-up, file the recording."""
        await self._file_part(self._let_agent_go(hang_up_phone=hang_up_phone))

    def _let_agent_go(self, *, hang_up_phone: bool) -> Ringing:
        """The synchronous half of `_release_agent`: the call is no longer the agent's, who wraps up."""
        engine, ringing = self.engine, self.agent_leg
        assert ringing is not None
        self.agent_leg, agent, self.agent = None, self.agent, ""
        ringing.call.on_ended = None
        engine.call_unsupervised(self.call_id)
        if hang_up_phone:
            ringing.call.hangup()
        engine.apply(engine.dispatcher.hang_up(agent))
        return ringing

    async def _file_part(self, ringing: Ringing) -> None:
        """File the recording of the part that ended and free that agent's leg."""
        engine = self.engine
        if self.recording:
            self.recording = False
            path = await engine.media.stop_recording(self.call_id)
            engine.recorded(self.call_id, path)
        await engine.media.release(ringing.leg)

    def _end_unanswered(self, by: HangupParty, cause: HangupCause, at: datetime.datetime, mono: float) -> None:
        engine = self.engine
        gave_up = (by is HangupParty.CALLER and self.callback_id is None and not self._capturing
                   and cause is not HangupCause.VOICEMAIL)
        if gave_up and engine.calls_back_abandon(mono - self.arrived_mono):
            engine.spawn(self._abandoned_callback())
        if self.queue and engine.dispatcher.is_queued(self.call_id):
            if by is HangupParty.CALLER:  # a force hang-up or a shutdown is not the caller giving up
                position = engine.dispatcher.position(self.call_id)
                engine.emit(Abandon(call_id=self.call_id, at=at, mono=mono, queue=self.queue, position=position))
            engine.apply(engine.dispatcher.abandon(self.call_id))
        for agent in tuple(self.ringing):
            self.stop_ringing(agent)
        engine.emit(Hangup(call_id=self.call_id, at=at, mono=mono, queue=self.queue, by=by, cause=cause))
        engine.call_over(self.call_id)

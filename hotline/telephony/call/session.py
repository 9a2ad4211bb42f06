"""One inbound call's life: answer, IVR, the parts that queue, ring, transfer, capture and record it, end.

`CallSession` glues the pure deciders (the IVR interpreter, the ACD dispatcher) to the side effects (SIP
calls and the media plane). It owns the caller's leg and its `CallPhase`; its parts (`queueing`, `agents`,
`transfer`, `capture`, `voicemail`) carry out one capability each. Every phase change is logged.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from hotline.telephony.acd.dispatcher import Overflow
from hotline.telephony.call.agent_leg import AgentLegs, Ringing
from hotline.telephony.call.capture import Capture
from hotline.telephony.call.context import CallContext
from hotline.telephony.call.phase import CallPhase, Command, check
from hotline.telephony.call.queueing import Queueing
from hotline.telephony.call.remote import remote_of, user_of
from hotline.telephony.call.transfer import Transfers
from hotline.telephony.call.voicemail import Voicemail
from hotline.telephony.events import Abandon, Hangup, HangupCause, HangupParty
from hotline.telephony.ivr.actions import (
    Action,
    EnqueueCall,
    HangUpCall,
    IvrCall,
    LogEvent,
    MemberResult,
    OrderResult,
    OrderStatusRequest,
    PinResult,
    PlayPrompts,
    SetPinRequest,
    StopPlayback,
    VerifyMemberRequest,
    WaitForDigits,
)
from hotline.telephony.ivr.host import HostRequest, ask_host
from hotline.telephony.ivr.interpreter import IvrSession
from hotline.telephony.ivr.model import Flow
from hotline.telephony.media.plane import LegKey
from hotline.telephony.ports import CallerProfile
from hotline.telephony.sip import sdp
from hotline.telephony.sip.calls import CallState, InboundCall

log = logging.getLogger(__name__)

# asyncio may run a timer up to its clock resolution early; the interpreter ignores a timeout that comes
# before its deadline, so the engine's timers fire a little late rather than never.
TIMER_SLACK = 0.05


class CallSession:
    """One inbound call's life in the engine; created by `Engine.on_call`, ended exactly once."""

    def __init__(self, ctx: CallContext, call: InboundCall, call_id: str) -> None:
        self.ctx = ctx
        self.call = call
        self.call_id = call_id
        self.caller = user_of(call.caller)
        self.dnis = user_of(call.called)
        self.airing_id: int | None = None
        self.profile = CallerProfile()
        self.arrived_at = ctx.clocks.wall()
        self.arrived_mono = ctx.clocks.clock.now()
        self.leg = LegKey(call_id, "caller")
        self.phase = CallPhase.ARRIVING
        self.ivr: IvrSession | None = None
        self.queue = ""
        self.lock = asyncio.Lock()  # commands and IVR inputs are handled one at a time, in arrival order
        self.generation = 0  # bumped when playback is stopped, so a late "prompt done" is ignored
        self._line = False  # answered: the call holds one of the surge gate's lines until it ends
        self._timer: asyncio.TimerHandle | None = None
        self.queueing = Queueing(self)
        self.agents = AgentLegs(self)
        self.transfer = Transfers(self)
        self.capture = Capture(self)
        self.voicemail = Voicemail(self)

    # -- phase -------------------------------------------------------------------------------------------

    def move_to(self, phase: CallPhase) -> None:
        """Enter `phase` (logged); nothing leaves ENDED."""
        if self.phase is phase or self.phase is CallPhase.ENDED:
            return
        log.debug("call %s: %s → %s", self.call_id, self.phase.value, phase.value)
        self.phase = phase

    def check(self, command: Command) -> None:
        """Refuse `command` if the call's phase does not allow it (phase.ALLOWED)."""
        check(command, self.phase, self.call_id)

    @property
    def ended(self) -> bool:
        return self.phase is CallPhase.ENDED

    @property
    def on_hold(self) -> bool:
        """The caller hears hold music while their agent is away (on hold, or consulting another agent)."""
        return self.phase in (CallPhase.HELD, CallPhase.CONSULTING)

    @property
    def agent(self) -> str:
        """The agent talking to the caller ("" for none)."""
        return self.agents.agent

    @property
    def agent_leg(self) -> Ringing | None:
        return self.agents.talking

    @property
    def consultation(self) -> Ringing | None:
        return self.transfer.consultation

    @property
    def message_id(self) -> str:
        return self.voicemail.message_id

    @property
    def callback_number(self) -> str:
        """The caller's number as callbacks are kept: the host's normal form when it gave one."""
        return self.profile.number or self.caller

    # -- what the ACD's decisions ask of the call (acd_effects.py) --------------------------------------

    def offered_to(self, agent: str) -> Coroutine[Any, Any, None]:
        """Ring `agent`'s phone for the ACD's offer (run as a task)."""
        return self.agents.ring(agent)

    def withdrawn_from(self, agent: str) -> None:
        """The ACD took its offer to `agent` back."""
        self.agents.stop_ringing(agent)

    def overflowed(self, overflow: Overflow) -> None:
        """The queue sent the caller to its overflow target."""
        self.queueing.overflow(overflow)

    # -- answering ---------------------------------------------------------------------------------------

    async def answer(self) -> bool:
        """Answer with a media endpoint and watch the caller's DTMF, hang-up and RTP silence.

        False when the caller gave up (CANCEL) while the endpoint was being opened: the call is then over.
        """
        return await self._open_caller_media(early=False)

    async def answer_early(self) -> bool:
        """Open the caller's media as early media (183 Session Progress), not answering: they hear what we
        play and are not charged; `end()` then refuses the call (480). False as for `answer`."""
        return await self._open_caller_media(early=True)

    async def _open_caller_media(self, *, early: bool) -> bool:
        media = self.ctx.media
        endpoint = await media.allocate(self.leg)
        if self.ended:  # a force hang-up came while the endpoint opened: `end()` logged and closed the call
            await media.release(self.leg)
            return False
        if self.call.state is not CallState.OFFERED:
            self.move_to(CallPhase.ENDED)
            await media.release(self.leg)
            self._end_unanswered(HangupParty.CALLER, HangupCause.NORMAL, *self._now(), gave_up=True)
            self.ctx.registry.forget(self.call_id)
            return False
        if early:
            negotiated = self.call.progress(endpoint.host, endpoint.port)
        else:
            negotiated = self.call.answer(endpoint.host, endpoint.port)
            self._line = True
            self.ctx.surge.take_line()
        await media.set_remote(self.leg, remote_of(negotiated, nat=self.call.trunk.rtp_behind_nat))
        self.call.on_ended = self._caller_ended
        if not early:
            self.call.on_media = lambda changed: self.ctx.tasks.spawn(self._remote_changed(changed))
            media.on_dtmf(self.leg, self._digit)
            media.on_timeout(self.leg, self.ctx.settings.rtp_timeout, self._rtp_timeout)
        return True

    def _now(self) -> tuple[datetime.datetime, float]:
        return self.ctx.clocks.wall(), self.ctx.clocks.clock.now()

    async def _remote_changed(self, negotiated: sdp.Negotiated) -> None:
        """A re-INVITE moved the caller's media (hold, new address)."""
        if not self.ended:
            await self.ctx.media.set_remote(self.leg, remote_of(negotiated, nat=self.call.trunk.rtp_behind_nat))

    def _caller_ended(self, reason: str) -> None:
        by = HangupParty.CALLER if reason in ("remote bye", "cancelled") else HangupParty.SYSTEM
        self.ctx.tasks.spawn(self.end(by))

    def _rtp_timeout(self) -> None:
        log.info("call %s: no RTP from the caller, hanging up", self.call_id)
        self.ctx.tasks.spawn(self.end(HangupParty.SYSTEM, HangupCause.FAILED))

    def _digit(self, digit: str) -> None:
        ivr, spawn = self.ivr, self.ctx.tasks.spawn
        if ivr is not None:
            spawn(self._step(lambda: ivr.on_digit(digit)))
        elif self.voicemail.message_id and digit == "#":  # the message is complete
            spawn(self.end(HangupParty.SYSTEM, HangupCause.VOICEMAIL))
        elif self.queue and digit == self.ctx.surge.callback_key and not self.queueing.greeting_plays():
            spawn(self.capture.asks_for_callback())

    # -- playing -----------------------------------------------------------------------------------------

    async def play(self, prompts: tuple[str, ...] | list[str], finished: Callable[[], Awaitable[None]]) -> None:
        """Stop what the caller hears and play `prompts` (by name), then await `finished()` under the lock. A
        newer playback (stopped, another sequence, hang-up) drops the rest silently."""
        await self.play_as(self.new_generation(), prompts, finished)

    def new_generation(self) -> int:
        """The number of a new playback: whatever plays now is superseded."""
        self.generation += 1
        return self.generation

    async def play_as(self, generation: int, prompts: tuple[str, ...] | list[str],
                      finished: Callable[[], Awaitable[None]]) -> None:
        """`play` under a generation the caller took first (to know it before the prompt starts)."""
        await self._play(generation, self.ctx.files.prompt_paths(prompts), finished)

    async def _play(self, generation: int, prompts: list[Path], finished: Callable[[], Awaitable[None]]) -> None:
        spawn = self.ctx.tasks.spawn
        if not prompts:
            spawn(self._prompt_done(generation, [], finished))
            return
        first, rest = prompts[0], prompts[1:]

        def done() -> None:
            spawn(self._prompt_done(generation, rest, finished))

        await self.ctx.media.play(self.leg, first, done)

    async def _prompt_done(self, generation: int, rest: list[Path],
                           finished: Callable[[], Awaitable[None]]) -> None:
        async with self.lock:
            if generation != self.generation or self.ended:
                return
            if rest:
                await self._play(generation, rest, finished)
            else:
                await finished()

    async def stop_playing(self) -> None:
        """Silence the caller's leg; a "prompt done" still on its way is then ignored."""
        self.new_generation()
        await self.ctx.media.stop_playing(self.leg)

    # -- IVR ---------------------------------------------------------------------------------------------

    async def run_ivr(self, flow: Flow) -> None:
        """Walk `flow`: the interpreter decides, this session plays, listens and times out for it."""
        self.ivr = ivr = IvrSession(flow, self.ctx.clocks.clock, self.ctx.clocks.wall)
        self.move_to(CallPhase.IVR)
        await self._step(lambda: ivr.start(IvrCall(self.call_id, self.caller, self.dnis)))

    def leave_ivr(self) -> None:
        """The IVR is over for this caller (queue, callback): its keys and timeouts no longer reach it."""
        self.ivr = None
        self._cancel_timer()

    async def _step(self, step: Callable[[], list[Action]]) -> None:
        async with self.lock:
            if not self.ended and self.ivr is not None:
                await self._perform(step())

    def _timed_out(self) -> None:
        ivr = self.ivr
        if ivr is not None:
            self.ctx.tasks.spawn(self._step(ivr.on_timeout))

    async def _perform(self, actions: list[Action]) -> None:
        for action in actions:
            if self.ended:
                return
            await self._perform_one(action)

    async def _perform_one(self, action: Action) -> None:
        if isinstance(action, LogEvent):
            self.ctx.lanes.emit(action.event)
        elif isinstance(action, PlayPrompts):
            await self.play(action.prompts, self._ivr_prompts_done)
        elif isinstance(action, StopPlayback):
            await self.stop_playing()
        elif isinstance(action, WaitForDigits):
            self._cancel_timer()
            self._timer = asyncio.get_running_loop().call_later(action.timeout + TIMER_SLACK, self._timed_out)
        elif isinstance(action, VerifyMemberRequest | OrderStatusRequest | SetPinRequest):
            await self._ask_host(action)
        elif isinstance(action, EnqueueCall):
            await self.queueing.enqueue(action.queue, action.priority, arriving=True, greeting=action.prompts)
        elif isinstance(action, HangUpCall):
            await self.end(HangupParty.SYSTEM)

    async def _ask_host(self, request: HostRequest) -> None:
        host, ivr = self.ctx.ivr_host, self.ivr
        if host is not None:
            result = await ask_host(request, host)
        else:  # no customer records behind this engine: nobody verifies, no order is found
            result = (MemberResult() if isinstance(request, VerifyMemberRequest)
                      else PinResult() if isinstance(request, SetPinRequest) else OrderResult())
        if ivr is not None and not self.ended:
            await self._perform(ivr.on_result(result))

    async def _ivr_prompts_done(self) -> None:
        if self.ivr is not None:
            await self._perform(self.ivr.on_prompt_done())

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- refusing and ending -----------------------------------------------------------------------------

    async def reject_blacklisted(self) -> None:
        """A number the blacklist rejects: answer, say we cannot serve it, hang up (outcome rejected)."""
        if not await self.answer():
            return
        async with self.lock:
            await self.play(("blacklisted",), self._rejected)

    async def _rejected(self) -> None:
        await self.end(HangupParty.SYSTEM, HangupCause.REJECTED)

    async def hang_up_after_prompt(self) -> None:
        """What `play` awaits when the last thing the caller hears is a goodbye."""
        await self.end(HangupParty.SYSTEM)

    async def end(self, by: HangupParty, cause: HangupCause = HangupCause.NORMAL) -> None:
        """End both legs once: log abandon or hang-up, tell the ACD, close the recording, free the media."""
        if self.ended:
            return
        was = self.phase
        self.move_to(CallPhase.ENDED)
        self._cancel_timer()
        self.queueing.stop_announcing()
        self.new_generation()
        at, mono = self._now()
        if self.ivr is not None:
            self.ivr.on_caller_hangup()
        if by is not HangupParty.CALLER:
            self.call.hangup()
        if self.voicemail.message_id:  # a caller who hangs up after their message has left one
            cause = HangupCause.VOICEMAIL
            await self.voicemail.file_message()
        await self.transfer.end_consultation(back_to_caller=False)
        if self.agents.talking is not None:
            await self._end_answered(by, cause, at, mono)
        else:
            # A hang-up while a callback is being stored, or in the survey after the agent, is no abandon.
            self._end_unanswered(by, cause, at, mono, gave_up=was not in (CallPhase.CAPTURING, CallPhase.SURVEY))
        await self.ctx.media.release(self.leg)
        if self._line:
            self._line = False
            self.ctx.surge.free_line()
        self.ctx.registry.forget(self.call_id)

    async def _end_answered(self, by: HangupParty, cause: HangupCause, at: datetime.datetime, mono: float) -> None:
        self.ctx.lanes.emit(Hangup(call_id=self.call_id, at=at, mono=mono, queue=self.queue, agent=self.agent,
                                   by=by, cause=cause))
        await self.agents.release(hang_up_phone=by is not HangupParty.AGENT)
        self.ctx.acd.call_over(self.call_id)

    def _end_unanswered(self, by: HangupParty, cause: HangupCause, at: datetime.datetime, mono: float, *,
                        gave_up: bool) -> None:
        ctx = self.ctx
        dispatcher = ctx.acd.dispatcher
        gave_up = (gave_up and by is HangupParty.CALLER and self.capture.callback_id is None
                   and cause is not HangupCause.VOICEMAIL)
        if gave_up and ctx.surge.calls_back_abandon(mono - self.arrived_mono):
            ctx.tasks.spawn(self.capture.abandoned_callback())
        if self.queue and dispatcher.is_queued(self.call_id):
            if by is HangupParty.CALLER:  # a force hang-up or a shutdown is not the caller giving up
                position = dispatcher.position(self.call_id)
                ctx.lanes.emit(Abandon(call_id=self.call_id, at=at, mono=mono, queue=self.queue, position=position))
            ctx.acd.apply(dispatcher.abandon(self.call_id))
        for agent in tuple(self.agents.ringing):
            self.agents.stop_ringing(agent)
        ctx.lanes.emit(Hangup(call_id=self.call_id, at=at, mono=mono, queue=self.queue, by=by, cause=cause))
        ctx.acd.call_over(self.call_id)

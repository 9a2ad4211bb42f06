"""A caller in a queue: joining it, hold music, the greeting, position announcements, and overflow."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING

from hotline.telephony.acd.dispatcher import Overflow
from hotline.telephony.acd.queue import CallerSpec, OverflowKind
from hotline.telephony.call.phase import CallPhase
from hotline.telephony.callback.model import Reason
from hotline.telephony.events import Enqueue, HangupCause, HangupParty, Transfer
from hotline.telephony.ivr.phrases import position_announcement

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession

log = logging.getLogger(__name__)

MAX_OVERFLOW_HOPS = 3


class Queueing:
    """The queue part of a call: where the caller waits, and what they hear while they wait."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self._greeting_at: int | None = None  # the playback generation of the queue's greeting while it plays
        self._announce_timer: asyncio.TimerHandle | None = None
        self._overflows = 0

    async def enqueue(self, queue: str, priority: int = 0, *, arriving: bool = False,
                      greeting: tuple[str, ...] = ()) -> None:
        """Leave the IVR for `queue`: log it, start hold music, and let the ACD decide.

        `arriving`: the caller comes from the IVR or straight from the hotline number (not a transfer or an
        overflow); in a surge, the queue's expected wait may then send them to the automatic seat instead.
        `greeting`: prompts heard first, in place of the hold music until they end ("please hold"); the ACD
        rings agents meanwhile, so they cost the caller no time.
        """
        session = self.session
        ctx = session.ctx
        if session.ended:
            return
        session.leave_ivr()
        acd = ctx.acd
        if arriving and self._surge_captures(queue):
            session.queue = queue
            if await session.capture.leave(Reason.SURGE) or session.ended:
                return
        session.queue = queue
        position = acd.dispatcher.line_length(queue) + 1  # every enqueue of a surge: no sort here
        ctx.lanes.record(Enqueue, call_id=session.call_id, queue=queue, position=position)
        session.move_to(CallPhase.QUEUED)
        await (self._greet(greeting) if greeting else self.hold_music())
        if session.ended:  # hung up while the hold music started: never put a gone caller in line
            return
        acd.apply(acd.dispatcher.enqueue(self.caller_spec(queue, priority)))
        self.schedule_announcement()

    def _surge_captures(self, queue: str) -> bool:
        """Whether a caller about to join `queue` goes to the automatic seat (the queue's wait is too long)."""
        ctx = self.session.ctx
        if ctx.surge.policy is None or ctx.acd.queue_config(queue) is None:
            return False
        return ctx.surge.capture_on_enqueue(queue, ctx.acd.dispatcher.expected_wait_for_new(queue))

    def settle(self, *, after_capture: bool = False) -> None:
        """A waiting caller's phase after an agent's phone starts or stops ringing for them, or (with
        `after_capture`) after their callback could not be stored: OFFERING while a phone rings, else QUEUED.
        A ring does not end CAPTURING: a hang-up while the callback is stored is still not an abandon."""
        session = self.session
        waiting = (CallPhase.QUEUED, CallPhase.OFFERING) + ((CallPhase.CAPTURING,) if after_capture else ())
        if session.phase in waiting:
            session.move_to(CallPhase.OFFERING if session.agents.ringing else CallPhase.QUEUED)

    async def _greet(self, greeting: tuple[str, ...]) -> None:
        """Play `greeting`, then the hold music; an agent's answer meanwhile (a new generation) drops both."""
        session = self.session
        self._greeting_at = generation = session.new_generation()
        await session.play_as(generation, greeting, self._greeted)

    async def _greeted(self) -> None:
        self._greeting_at = None
        await self.hold_music()

    def greeting_plays(self) -> bool:
        """Whether the queue's greeting still plays. Keys then are the IVR's echo (a menu key pressed twice)
        or a caller still expecting a menu, not a request for a callback, which they have not been offered."""
        return self._greeting_at == self.session.generation

    def caller_spec(self, queue: str, priority: int) -> CallerSpec:
        """The caller as the queue sees them: VIP priority, the level wanted, and their last agent."""
        session = self.session
        config = session.ctx.acd.queue_config(queue)
        if config is None:
            return CallerSpec(session.call_id, queue, priority)
        profile = session.profile
        if profile.vip:
            priority = max(priority, config.vip_priority)
        last_agent = profile.last_agent if config.affinity_seconds > 0 and profile.last_agent else None
        return CallerSpec(session.call_id, queue, priority, min_level=config.entry_level, last_agent_id=last_agent)

    async def hold_music(self) -> None:
        session = self.session
        if session.ctx.settings.hold_music:
            await session.ctx.media.hold(session.leg)

    # -- announcements -----------------------------------------------------------------------------------

    def schedule_announcement(self) -> None:
        """Every `announce_seconds` in line the caller hears where they stand (none while ringing an agent)."""
        session = self.session
        config = session.ctx.acd.queue_config(session.queue)
        if config is not None and config.announce_seconds > 0 and not session.ended:
            self.stop_announcing()
            loop = asyncio.get_running_loop()
            self._announce_timer = loop.call_later(config.announce_seconds,
                                                   lambda: session.ctx.tasks.spawn(self._announce()))

    def stop_announcing(self) -> None:
        if self._announce_timer is not None:
            self._announce_timer.cancel()
            self._announce_timer = None

    async def _announce(self) -> None:
        session = self.session
        async with session.lock:
            self._announce_timer = None
            dispatcher = session.ctx.acd.dispatcher
            if session.ended or session.agent_leg is not None or not dispatcher.is_queued(session.call_id):
                return
            position = dispatcher.position(session.call_id)
            if position < 2:  # being offered, or next in line: nothing useful to say yet
                self.schedule_announcement()
                return
            wait = dispatcher.expected_wait(session.call_id)
            minutes = None if wait is None else max(1, math.ceil(wait / 60))
            names = position_announcement(position - 1, minutes)
            if session.ctx.surge.callback_key:  # "press 1 and we call you back" after each announcement
                names = (*names, "callback_offer")
            await session.play(names, self._back_to_hold)

    async def _back_to_hold(self) -> None:
        await self.hold_music()
        self.schedule_announcement()

    # -- overflow ----------------------------------------------------------------------------------------

    def overflow(self, overflow: Overflow) -> None:
        """The queue sent the caller away (full, or waited too long): carry out its overflow target."""
        self.session.ctx.tasks.spawn(self._overflow(overflow))

    async def _overflow(self, overflow: Overflow) -> None:
        session = self.session
        async with session.lock:
            if session.ended or session.capture.callback_id is not None:  # told we will call them back: done
                return
            target = overflow.target
            self.stop_announcing()
            log.info("call %s overflows queue %s (%s) to %s %s", session.call_id, overflow.queue_id,
                     overflow.reason.value, target.kind.value, target.destination)
            self._overflows += 1
            if target.kind is OverflowKind.QUEUE and self._can_overflow_to(target.destination):
                session.ctx.lanes.record(Transfer, call_id=session.call_id, queue=session.queue,
                                         to_queue=target.destination)
                await self.enqueue(target.destination)
            elif target.kind is OverflowKind.CALLBACK:
                await self._overflow_to_callback()
            elif target.kind is OverflowKind.VOICEMAIL:
                await session.voicemail.greet()
            else:
                await self.busy_goodbye()

    async def _overflow_to_callback(self) -> None:
        """A queue's overflow target is "callback": leave one (confirmed), or hear "all busy" if it failed."""
        if not await self.session.capture.leave(Reason.OVERFLOW):
            await self.busy_goodbye()

    async def busy_goodbye(self) -> None:
        """Busy, or a destination this engine cannot serve: say so, never hang up in silence."""
        await self.session.play(("all_busy", "goodbye"), self._overflow_done)

    async def _overflow_done(self) -> None:
        await self.session.end(HangupParty.SYSTEM, HangupCause.REJECTED)

    def _can_overflow_to(self, queue: str) -> bool:
        """A known, different queue, and not a ping-pong between full queues (a few hops at most)."""
        session = self.session
        return (queue != session.queue and session.ctx.acd.queue_config(queue) is not None
                and self._overflows <= MAX_OVERFLOW_HOPS)

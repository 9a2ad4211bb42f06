"""Capturing a caller as a callback: the automatic seat in a surge, the callback key, the queue's callback
overflow, and calling back a caller who gave up.

The callback is stored (committed) *before* the caller hears the confirmation, so a caller is never told
it was saved unless it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotline.telephony.call.phase import CallPhase
from hotline.telephony.callback.model import Reason
from hotline.telephony.events import CallbackRequest

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession
    from hotline.telephony.callbacks import Caught


class Capture:
    """The callback part of one call; `callback_id` is the callback it left (surge, key, overflow)."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self.callback_id: int | None = None

    async def auto_seat(self) -> bool:
        """The automatic seat (自动电脑座席): the caller hears ringing while their callback is stored, then
        the confirmation, then we hang up. False if it could not be stored: the call goes on as usual.

        On a trunk with `early_media_capture` the confirmation is early media and the call is refused after
        it, never answered: the caller is not charged, and the line is free as soon as the prompt ends."""
        session = self.session
        caught = await self._store(Reason.SURGE)
        if caught is None:
            session.move_to(CallPhase.ARRIVING)
            return False
        self._stored(caught.callback_id)
        early = session.call.trunk.early_media_capture
        if await (session.answer_early() if early else session.answer()):
            async with session.lock:
                await self._confirm(caught.confirmation)
        return True

    async def _store(self, reason: Reason) -> Caught | None:
        """Store this caller's callback (phase CAPTURING meanwhile: a hang-up then is not an abandon)."""
        session = self.session
        session.move_to(CallPhase.CAPTURING)
        return await session.ctx.callbacks.capture(session.callback_number, session.dnis, session.airing_id,
                                                   session.call_id, reason, session.arrived_at)

    async def abandoned_callback(self) -> None:
        """The caller gave up waiting: call them back (no confirmation to give: they are gone)."""
        await self._store(Reason.ABANDONED)

    async def asks_for_callback(self) -> None:
        """The caller pressed the callback key while waiting: they leave the line, keeping their arrival."""
        session = self.session
        async with session.lock:
            dispatcher = session.ctx.acd.dispatcher
            if session.ended or session.agents.talking is not None or not dispatcher.is_queued(session.call_id):
                return
            await self.leave(Reason.REQUESTED)

    async def leave(self, reason: Reason) -> bool:
        """Store a callback (committed first), leave the queue, confirm and hang up (under the session lock).

        False when it could not be stored, or an agent took the call meanwhile: the caller stays put.
        """
        session = self.session
        ctx = session.ctx
        caught = await self._store(reason)
        if caught is None:
            session.queueing.settle(after_capture=True)
            return False
        if session.agents.talking is not None:  # answered while the callback was stored: it is not needed
            ctx.callbacks.reached_agent(session.callback_number)
            return False
        if session.ended:  # hung up meanwhile: the callback stands (they called), nothing left to say
            return True
        dispatcher = ctx.acd.dispatcher
        if dispatcher.is_queued(session.call_id):
            ctx.acd.apply(dispatcher.abandon(session.call_id))  # out of line, and any ringing offer stops
        self._stored(caught.callback_id)
        await self._confirm(caught.confirmation)
        return True

    def _stored(self, callback_id: int) -> None:
        session = self.session
        self.callback_id = callback_id
        session.queueing.stop_announcing()
        session.ctx.lanes.record(CallbackRequest, call_id=session.call_id, queue=session.queue,
                                 number=session.caller)

    async def _confirm(self, prompt: str) -> None:
        """"We will call you back" (or, when we could not read their number, that we could not): then hang
        up. Played only once the callback is stored."""
        session = self.session
        if session.ended:
            return
        session.leave_ivr()
        await session.play((prompt,), session.hang_up_after_prompt)

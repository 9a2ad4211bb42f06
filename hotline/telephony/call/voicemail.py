"""Voicemail: a queue's overflow target when no agent is to be had — greeting, tone, then the message."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from hotline.telephony.call.phase import CallPhase
from hotline.telephony.events import HangupCause, HangupParty
from hotline.telephony.media.plane import MediaPlaneError

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession

log = logging.getLogger(__name__)

MAX_MESSAGE_SECONDS = 120.0  # a voicemail is cut after two minutes


class Voicemail:
    """The voicemail part of one call; `message_id` names the message being recorded ("" when none)."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self.message_id = ""
        self._timer: asyncio.TimerHandle | None = None

    async def greet(self) -> None:
        """The greeting and the tone; recording starts when they end."""
        self.session.move_to(CallPhase.VOICEMAIL)
        await self.session.play(("voicemail_greeting", "beep"), self._record)

    async def _record(self) -> None:
        """Record what the caller says until they hang up, press #, or the message reaches its limit."""
        session = self.session
        ctx = session.ctx
        message_id = f"voicemail-{session.call_id}"
        await ctx.media.record_leg(message_id, session.leg, ctx.files.voicemail_path(session.call_id))
        self.message_id = message_id  # only once recording: a failed start leaves nothing to file
        self._timer = asyncio.get_running_loop().call_later(
            MAX_MESSAGE_SECONDS, lambda: ctx.tasks.spawn(session.end(HangupParty.SYSTEM, HangupCause.VOICEMAIL)))

    async def file_message(self) -> None:
        """The message is complete: write it and put it on the voicemail worklist."""
        if self._timer is not None:
            self._timer.cancel()
        session = self.session
        message_id, self.message_id = self.message_id, ""
        try:
            path = await session.ctx.media.stop_recording(message_id)
        except MediaPlaneError:  # the media plane lost it: the call must still end and be logged
            log.exception("call %s: the voicemail could not be written", session.call_id)
            return
        session.ctx.files.file_voicemail(session.call_id, path)

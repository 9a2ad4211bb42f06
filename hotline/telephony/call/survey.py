"""The post-call satisfaction survey: when the agent hangs up on a caller who agreed to it (the agent's
flag on the desk, or an IVR node, stored by the host), the caller stays on the line, hears the question,
presses 1–5, hears thanks, and the call ends. The answer is stored against the call, its agent and queue.

The agent is let go at once (wrap-up starts as after any hang-up); the caller's leg is the session's, so a
hang-up during the survey ends the call as usual (never an abandon: the call was answered).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from hotline.telephony.call.phase import CallPhase
from hotline.telephony.events import HangupParty
from hotline.telephony.ports import SurveyAnswer

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession

log = logging.getLogger(__name__)

QUESTION = "survey_question"  # "please rate our service from 1 (poor) to 5 (excellent)"
THANKS = "survey_thanks"
SCORES = frozenset("12345")


async def agent_hung_up(session: CallSession) -> None:
    """The agent's phone hung up: the survey when the caller agreed to it, else what a hang-up does."""
    desk = session.ctx.campaigns
    plain = session.transfer.consultation is not None or desk is None or session.ended
    if not plain and desk is not None and await desk.survey_wanted(session.call_id) and await Survey(session).start():
        return
    await session.transfer.agent_hung_up()


class Survey:
    """One caller's survey: the question, one key, thanks, the end."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self.agent = ""
        self.answered = False
        self._timer: asyncio.TimerHandle | None = None

    async def start(self) -> bool:
        """Let the agent go and ask the question; False when the call is no longer the agent's (the caller
        hung up meanwhile): the usual end then applies."""
        session = self.session
        async with session.lock:
            if session.ended or session.agents.talking is None:
                return False
            self.agent = session.agent
            ringing = session.agents.let_go(hang_up_phone=False)
            session.move_to(CallPhase.SURVEY)
            session.ctx.media.on_dtmf(session.leg, self._digit)
            await session.ctx.media.unbridge(session.leg)
            await session.agents.file_part(ringing)
            await session.play((QUESTION,), self._wait)
        return True

    async def _wait(self) -> None:
        """The question is over: wait for the key a little while, then end without an answer."""
        desk = self.session.ctx.campaigns
        seconds = desk.config.survey_answer_seconds if desk is not None else 8.0
        self._timer = asyncio.get_running_loop().call_later(seconds, self._no_answer)

    def _no_answer(self) -> None:
        if not self.answered:
            self.session.ctx.tasks.spawn(self.session.end(HangupParty.SYSTEM))

    def _digit(self, digit: str) -> None:
        session = self.session
        if self.answered or session.ended or digit not in SCORES:
            return
        self.answered = True
        if self._timer is not None:
            self._timer.cancel()
        ctx = session.ctx
        if ctx.campaigns is not None:
            ctx.campaigns.record_survey(SurveyAnswer(call_id=session.call_id, agent=self.agent, queue=session.queue,
                                                     score=int(digit), at=ctx.clocks.wall()))
        ctx.tasks.spawn(session.play((THANKS,), session.hang_up_after_prompt))

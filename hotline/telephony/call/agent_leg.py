"""The agent side of a call: ringing agents' phones for the ACD's offers, withdrawing them, bridging the
answer, recording each agent's part, and letting the agent go to wrap-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotline.telephony.call import survey
from hotline.telephony.call.phase import CallPhase
from hotline.telephony.call.remote import remote_of
from hotline.telephony.events import Answer, HangupParty, Ring
from hotline.telephony.media.plane import LegKey, MediaPlaneError
from hotline.telephony.sip.calls import CallState, OutboundCall

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession

log = logging.getLogger(__name__)


@dataclass
class Ringing:
    """An agent phone the session is ringing for the ACD's offer (or for a consultation)."""

    agent: str
    leg: LegKey
    call: OutboundCall
    rang: bool = False


class AgentLegs:
    """The agents' legs of one call: those ringing (`ringing`) and the one talking to the caller (`talking`)."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self.ringing: dict[str, Ringing] = {}
        self.talking: Ringing | None = None
        self.agent = ""  # the agent of `talking`
        self.recording = False
        self._legs = 0
        self._parts = 0  # recordings made so far: one per agent who talked to the caller
        self._opening: set[str] = set()  # agents whose leg is being opened (not dialled yet)
        self._withdrawn: set[str] = set()  # … and whose offer the ACD took back meanwhile

    def new_leg(self, kind: str) -> LegKey:
        """A fresh media leg name for this call (`agent-1`, `consult-2`, …)."""
        self._legs += 1
        return LegKey(self.session.call_id, f"{kind}-{self._legs}")

    async def ring(self, agent: str) -> None:
        """Dial the agent's phone for the ACD's offer; report the answer or the miss back to the ACD."""
        session = self.session
        ctx = session.ctx
        if session.ended:  # the hang-up already took the offer back (and freed the agent) in the ACD
            return
        uri = ctx.seats.contact_of(agent)
        if uri is None:
            log.info("call %s: agent %s has no reachable phone", session.call_id, agent)
            ctx.acd.apply(ctx.acd.dispatcher.no_answer(agent))
            return
        leg = self.new_leg("agent")
        self._opening.add(agent)
        endpoint = await ctx.media.allocate(leg)
        self._opening.discard(agent)
        if session.ended or agent in self._withdrawn:  # the ACD took the offer back while the port was opened
            self._withdrawn.discard(agent)
            await ctx.media.release(leg)
            return
        out = ctx.sip.dial(uri, (endpoint.host, endpoint.port), caller=ctx.from_us(session.caller),
                           ring_timeout=ctx.settings.ring_timeout)
        ringing = Ringing(agent, leg, out)
        self.ringing[agent] = ringing
        session.queueing.settle()
        out.on_ringing = lambda status: self._rang(ringing)
        status = await out.wait_answer()
        await self._answered_or_missed(ringing, status)

    def _rang(self, ringing: Ringing) -> None:
        if not ringing.rang:
            ringing.rang = True
            session = self.session
            session.ctx.lanes.record(Ring, call_id=session.call_id, queue=session.queue, agent=ringing.agent,
                                     seat=session.ctx.seats.book.seat_of(ringing.agent))

    async def _answered_or_missed(self, ringing: Ringing, status: int) -> None:
        ctx = self.session.ctx
        if self.ringing.get(ringing.agent) is not ringing:  # the ACD took the offer back (caller left, …)
            if status == 200:
                ringing.call.hangup()
            await ctx.media.release(ringing.leg)
            return
        del self.ringing[ringing.agent]
        if status != 200:
            self.session.queueing.settle()
            await ctx.media.release(ringing.leg)
            ctx.acd.apply(ctx.acd.dispatcher.no_answer(ringing.agent))
            return
        await self._connect(ringing)

    def stop_ringing(self, agent: str) -> None:
        """The ACD withdrew its offer to `agent`: cancel that phone (or hang it up if it just answered)."""
        ringing = self.ringing.pop(agent, None)
        if ringing is not None:
            ringing.call.on_ringing = None  # a 180 still on its way is no longer a ring of this call
            ringing.call.hangup()
            self.session.queueing.settle()
        elif agent in self._opening:
            self._withdrawn.add(agent)

    async def _connect(self, ringing: Ringing) -> None:
        """The agent answered: bridge the legs, record, log the answer."""
        session = self.session
        acd = session.ctx.acd
        self._rang(ringing)
        acd.apply(acd.dispatcher.answer(ringing.agent))
        acd.answered(ringing.agent, session.call_id)
        self.agent, self.talking = ringing.agent, ringing
        session.move_to(CallPhase.CONNECTED)
        ringing.call.on_ended = lambda reason: session.ctx.tasks.spawn(survey.agent_hung_up(session))
        try:
            await self.bridge(ringing)
        except MediaPlaneError:
            if not session.ended:  # a leg vanished for another reason than the hang-up racing us
                raise
            return
        if ringing.call.state is CallState.ENDED:
            await session.end(HangupParty.AGENT)

    async def bridge(self, ringing: Ringing) -> None:
        """Caller and agent hear each other; the agent's part is recorded; logged as the answer."""
        session = self.session
        ctx, media = session.ctx, session.ctx.media
        assert ringing.call.media is not None
        await media.set_remote(ringing.leg, remote_of(ringing.call.media))
        session.queueing.stop_announcing()
        await session.stop_playing()  # an announcement in progress must not bring the hold music back
        await media.bridge(session.leg, ringing.leg)
        self._parts += 1
        path = ctx.files.recording_path(session.call_id, self._parts)
        await media.start_recording(session.call_id, session.leg, ringing.leg, path, ctx.settings.recording_mode)
        self.recording = True
        ctx.lanes.record(Answer, call_id=session.call_id, queue=session.queue, agent=ringing.agent)
        ctx.callbacks.reached_agent(session.callback_number)

    # -- the agent's part ends ---------------------------------------------------------------------------

    async def release(self, *, hang_up_phone: bool) -> None:
        """The agent's part of the call is over: free the phone's leg, start wrap-up, file the recording."""
        await self.file_part(self.let_go(hang_up_phone=hang_up_phone))

    def let_go(self, *, hang_up_phone: bool) -> Ringing:
        """The synchronous half of `release`: the call is no longer the agent's, who wraps up."""
        session, ringing = self.session, self.talking
        acd = session.ctx.acd
        assert ringing is not None
        self.talking, agent, self.agent = None, self.agent, ""
        ringing.call.on_ended = None
        session.ctx.supervisors.call_unsupervised(session.call_id)
        if hang_up_phone:
            ringing.call.hangup()
        acd.apply(acd.dispatcher.hang_up(agent))
        return ringing

    async def file_part(self, ringing: Ringing) -> None:
        """File the recording of the part that ended and free that agent's leg."""
        ctx = self.session.ctx
        if self.recording:
            self.recording = False
            path = await ctx.media.stop_recording(self.session.call_id)
            ctx.files.recorded(self.session.call_id, path)
        await ctx.media.release(ringing.leg)

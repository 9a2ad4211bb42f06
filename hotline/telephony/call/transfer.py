"""Moving a connected call: hold and resume, blind transfer to a queue, attended transfer (consult, then
complete or cancel), and pick-up (代接) of a caller still waiting.

Each command checks the call's phase first (phase.ALLOWED) under the session's lock: a command the phase
refuses changes nothing. A consultation that cannot go on (the other agent busy or gone) brings the caller
back to their agent; a caller who hangs up meanwhile makes the command a refusal (not connected).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from hotline.telephony.acd.pauses import EnginePause
from hotline.telephony.acd.queue import CallerSpec
from hotline.telephony.call.agent_leg import Ringing
from hotline.telephony.call.phase import AgentNotFree, CallNotConnected, CallPhase, Command
from hotline.telephony.call.remote import remote_of
from hotline.telephony.events import AgentState, Enqueue, HangupParty, Hold, Resume, Transfer
from hotline.telephony.media.plane import MediaPlaneError
from hotline.telephony.sip.calls import CallState

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession

PICK_UP_PRIORITY = 1_000  # a picked-up caller goes before anyone waiting for that agent


class Transfers:
    """Hold, transfers and pick-up for one call; `consultation` is the agent consulted before an attended
    transfer, while there is one."""

    def __init__(self, session: CallSession) -> None:
        self.session = session
        self.consultation: Ringing | None = None

    # -- hold --------------------------------------------------------------------------------------------

    async def hold(self) -> None:
        """Put the caller on hold music; the agent hears silence. Logged as `hold`."""
        async with self.session.lock:
            self.session.check(Command.HOLD)
            await self._unless_hung_up(self._hold_caller)

    async def resume(self) -> None:
        """Take the caller off hold: back to talking with the agent. Logged as `resume`."""
        async with self.session.lock:
            self.session.check(Command.RESUME)
            await self._unless_hung_up(self._resume_caller)

    async def _unless_hung_up(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run a command's media step; a caller who hangs up meanwhile makes the command a refusal,
        `CallNotConnected`, not an error."""
        if not await self._still_there(step):
            raise CallNotConnected(self.session.call_id)

    async def _still_there(self, *steps: Callable[[], Awaitable[None]]) -> bool:
        """Run media steps in turn; False when the caller hung up meanwhile (then the media plane may have
        lost the leg, and its error is no error)."""
        session = self.session
        try:
            for step in steps:
                await step()
        except MediaPlaneError:
            if not session.ended:
                raise
        return not session.ended

    async def _hold_caller(self) -> None:
        session = self.session
        if session.on_hold:
            return
        media = session.ctx.media
        if not await self._still_there(lambda: media.unbridge(session.leg), session.queueing.hold_music):
            return  # hung up meanwhile: nothing is on hold
        session.move_to(CallPhase.HELD)
        session.ctx.lanes.record(Hold, call_id=session.call_id, queue=session.queue, agent=session.agent)

    async def _resume_caller(self) -> None:
        session = self.session
        talking = session.agents.talking
        if not session.on_hold or talking is None:
            return
        ctx = session.ctx
        if not await self._still_there(lambda: ctx.media.stop_playing(session.leg),
                                       lambda: ctx.media.bridge(session.leg, talking.leg)):
            return  # hung up meanwhile: nobody to talk to
        session.move_to(CallPhase.CONNECTED)
        await ctx.supervisors.resupervise(session.call_id)  # hold unbridged the call, which ended any monitoring
        ctx.lanes.record(Resume, call_id=session.call_id, queue=session.queue, agent=session.agent)

    # -- attended transfer -------------------------------------------------------------------------------

    async def consult(self, agent: str, contact: str) -> None:
        """Attended transfer, first step: the caller waits on hold while `agent`'s phone (at `contact`) rings;
        once answered the two agents talk. `complete` hands the caller over; `cancel`, the other agent not
        answering or hanging up brings the caller back to the first agent."""
        session = self.session
        async with session.lock:
            session.check(Command.CONSULT)
            ctx = session.ctx
            dispatcher = ctx.acd.dispatcher
            if dispatcher.agent(agent).state is not AgentState.READY or ctx.registry.dialling_out(agent):
                raise AgentNotFree(agent)  # checked again here: a command may have waited for the lock
            await self._unless_hung_up(self._hold_caller)
            leg = session.agents.new_leg("consult")
            try:
                endpoint = await ctx.media.allocate(leg)
                if session.ended:  # hung up while the leg opened: nobody to transfer
                    raise CallNotConnected(session.call_id)
                if dispatcher.agent(agent).state is not AgentState.READY:  # offered a caller meanwhile
                    raise AgentNotFree(agent)
            except Exception:
                await ctx.media.release(leg)
                await self._resume_caller()
                raise
            # Reserved: no queue offers them a caller meanwhile.
            ctx.acd.apply(dispatcher.not_ready(agent, EnginePause.CONSULT.value))
            out = ctx.sip.dial(contact, (endpoint.host, endpoint.port), caller=ctx.from_us(session.caller),
                               ring_timeout=ctx.settings.ring_timeout)
            consultation = Ringing(agent, leg, out)
            self.consultation = consultation
            session.move_to(CallPhase.CONSULTING)
            out.on_ended = lambda reason: ctx.tasks.spawn(self._consulted_phone_ended(consultation))
            ctx.tasks.spawn(self._consultation_answered(consultation))

    async def _consultation_answered(self, consultation: Ringing) -> None:
        status = await consultation.call.wait_answer()
        session = self.session
        async with session.lock:
            if self.consultation is not consultation:  # cancelled, or the call ended, while it rang
                if status == 200:
                    consultation.call.hangup()
                return
            talking = session.agents.talking
            ended = consultation.call.state is CallState.ENDED
            if status != 200 or ended or session.ended or talking is None:
                await self.end_consultation(back_to_caller=True)
                return
            consultation.rang = True
            assert consultation.call.media is not None
            media = session.ctx.media
            await media.set_remote(consultation.leg, remote_of(consultation.call.media))
            await media.bridge(talking.leg, consultation.leg)  # the two agents talk

    async def _consulted_phone_ended(self, consultation: Ringing) -> None:
        """The consulted agent's phone hung up: before the hand-over the caller goes back to the first agent;
        after it, the call ends as any agent's hang-up ends it."""
        session = self.session
        if session.agents.talking is consultation:
            await session.end(HangupParty.AGENT)
            return
        async with session.lock:
            if self.consultation is consultation:
                await self.end_consultation(back_to_caller=True)

    async def agent_hung_up(self) -> None:
        """The agent's phone hung up: the call ends, unless they were talking to a consulted agent, who then
        takes the caller (hanging up after consulting completes an attended transfer, as on a PBX)."""
        consultation = self.consultation
        if consultation is not None and consultation.rang and not self.session.ended:
            try:
                await self.complete()
                return
            except CallNotConnected:
                pass
        await self.session.end(HangupParty.AGENT)

    async def cancel(self) -> None:
        """Back to the caller: the other agent's phone is hung up (or stops ringing) and they are ready again."""
        async with self.session.lock:
            self.session.check(Command.CANCEL_CONSULTATION)
            await self._unless_hung_up(lambda: self.end_consultation(back_to_caller=True))

    async def end_consultation(self, *, back_to_caller: bool) -> None:
        consultation, self.consultation = self.consultation, None
        if consultation is None:
            return
        session = self.session
        acd = session.ctx.acd
        consultation.call.on_ended = None
        consultation.call.hangup()
        state = acd.dispatcher.agent(consultation.agent)
        if state.state is AgentState.NOT_READY and state.reason == EnginePause.CONSULT:
            acd.apply(acd.dispatcher.ready(consultation.agent))
        await session.ctx.media.release(consultation.leg)
        if back_to_caller and not session.ended:
            await self._resume_caller()

    async def complete(self) -> None:
        """Attended transfer, last step: the caller talks to the consulted agent; the first agent's part ends
        (wrap-up starts), logged as a transfer to that agent and an answer by them."""
        session = self.session
        async with session.lock:
            session.check(Command.COMPLETE_TRANSFER)
            consultation = self.consultation
            if consultation is None or not consultation.rang or session.agents.talking is None:
                raise CallNotConnected(session.call_id)
            ctx = session.ctx
            reserved = ctx.acd.dispatcher.agent(consultation.agent)
            if consultation.call.state is CallState.ENDED or reserved.reason != EnginePause.CONSULT:
                await self.end_consultation(back_to_caller=True)
                raise CallNotConnected(session.call_id)
            # The hand-over happens at once, before any await: a hang-up from here on finds the call with its
            # new agent and ends it cleanly.
            self.consultation = None
            ctx.lanes.record(Transfer, call_id=session.call_id, queue=session.queue, agent=session.agent,
                             to_agent=consultation.agent)
            agents = session.agents
            first = agents.let_go(hang_up_phone=True)
            ctx.acd.apply(ctx.acd.dispatcher.connect(consultation.agent, session.call_id, session.queue))
            ctx.acd.answered(consultation.agent, session.call_id)
            agents.agent, agents.talking = consultation.agent, consultation
            session.move_to(CallPhase.CONNECTED)
            await agents.file_part(first)
            if session.ended:
                return
            try:
                await agents.bridge(consultation)
            except MediaPlaneError:
                if not session.ended:
                    raise

    # -- blind transfer and pick-up ----------------------------------------------------------------------

    async def to_queue(self, queue: str) -> None:
        """Blind transfer: the agent's part ends (wrap-up starts), the caller waits in `queue` on hold music."""
        session = self.session
        async with session.lock:
            session.check(Command.TRANSFER)
            ctx = session.ctx
            await self._unless_hung_up(lambda: ctx.media.unbridge(session.leg))
            ctx.lanes.record(Transfer, call_id=session.call_id, queue=session.queue, agent=session.agent,
                             to_queue=queue)
            await session.agents.release(hang_up_phone=True)
            if not session.ended:  # the caller may hang up while the recording is filed
                await session.queueing.enqueue(queue)

    async def pick_up(self, agent: str, queue: str) -> None:
        """代接: a caller still waiting (in line or ringing an agent) is taken by `agent`, through `queue`
        (the agent's personal queue) at the front. Logged as a transfer to that agent."""
        session = self.session
        async with session.lock:
            session.check(Command.PICK_UP)
            ctx = session.ctx
            dispatcher = ctx.acd.dispatcher
            if session.agents.talking is not None or not dispatcher.is_queued(session.call_id):
                raise CallNotConnected(session.call_id)
            ctx.lanes.record(Transfer, call_id=session.call_id, queue=session.queue, to_agent=agent)
            ctx.acd.apply(dispatcher.abandon(session.call_id))  # out of line; a ringing phone stops
            session.queueing.stop_announcing()
            session.queue = queue
            ctx.lanes.record(Enqueue, call_id=session.call_id, queue=queue, position=1)
            ctx.acd.apply(dispatcher.enqueue(CallerSpec(session.call_id, queue, PICK_UP_PRIORITY)))

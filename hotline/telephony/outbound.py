"""Click-to-dial: ring the agent's phone first, then the customer through the outbound gateway, and bridge.

The agent is paused in the ACD (not ready, reason "outbound") for the whole call, so no queue offers them
a caller meanwhile, and goes back to ready afterwards if they were ready before. The call is logged like
an inbound one with direction "outbound": `arrive` (the customer's number), `ring` (the agent's phone),
`answer` (the customer picked up), `hangup`, then the record is closed. Recorded like any bridged call.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from hotline.telephony.acd.pauses import EnginePause
from hotline.telephony.call.remote import remote_of
from hotline.telephony.callback.model import DialResult
from hotline.telephony.dial_policy import Refusal, refusal_text
from hotline.telephony.events import AgentState, Answer, Arrive, Direction, Hangup, HangupCause, HangupParty, Ring
from hotline.telephony.media.plane import LegKey
from hotline.telephony.sip.calls import CallState, OutboundCall

if TYPE_CHECKING:
    from hotline.telephony.call.context import CallContext

log = logging.getLogger(__name__)

OUTBOUND_REASON = EnginePause.OUTBOUND.value
CUSTOMER_RING_SECONDS = 60.0
BUSY_STATUSES = frozenset({486, 600, 603})
NO_ANSWER_STATUSES = frozenset({408, 480, 487})


def dial_result(status: int) -> DialResult:
    """What a final SIP status on the customer's leg means for a callback attempt."""
    if status == 200:
        return DialResult.ANSWERED
    if status in BUSY_STATUSES:
        return DialResult.BUSY
    if status in NO_ANSWER_STATUSES:
        return DialResult.NO_ANSWER
    return DialResult.FAILED


class DialListener(Protocol):
    """Who wants to know how an agent-first dial went (the callback dialer)."""

    def agent_missed(self, session: OutboundSession) -> None:
        """The agent's phone did not answer, or the call stopped before the customer was dialled."""

    def customer_dialling(self, session: OutboundSession) -> None:
        """The agent answered; the customer is being dialled now."""

    def customer_result(self, session: OutboundSession, result: DialResult) -> None:
        """The customer's leg answered, was busy, was not answered, or failed."""

    def dial_aborted(self, session: OutboundSession) -> None:
        """We stopped the call (the agent hung up) while the customer's phone rang: not the customer's answer."""

    def customer_refused(self, session: OutboundSession, refusal: Refusal) -> None:
        """The dial policy refused the customer's number (a daily limit reached meanwhile): not dialled."""


class OutboundSession:
    """One agent-first call (click-to-dial or a callback); `start()` returns its call id as soon as the
    agent's phone is being rung. A `listener` hears how the dial went; `reason` is the pause reason."""

    def __init__(self, ctx: CallContext, agent: str, number: str, *, reason: str = OUTBOUND_REASON,
                 callback_id: int | None = None, listener: DialListener | None = None,
                 customer_ring_seconds: float = CUSTOMER_RING_SECONDS) -> None:
        self.ctx = ctx
        self.agent = agent
        self.number = number
        self.reason = reason
        self.callback_id = callback_id
        self.listener = listener
        self._reported = False
        self._agent_did_not_answer = False
        self._reserved = False
        self.customer_ring_seconds = customer_ring_seconds
        self.agent_call: OutboundCall | None = None
        self.customer_call: OutboundCall | None = None
        self.agent_leg = LegKey("", "agent")
        self.customer_leg = LegKey("", "customer")
        self.call_id = ""
        self.ended = False
        self.recording = False
        self._was_ready = False

    def reserve(self) -> None:
        """Pause the agent now (synchronously), so that no queue offers them a caller before the dial starts."""
        acd = self.ctx.acd
        state = acd.dispatcher.agent(self.agent).state
        self._was_ready = state is AgentState.READY
        if state is not AgentState.NOT_READY:  # ready or wrapping up: pause; already paused: stay so
            acd.apply(acd.dispatcher.not_ready(self.agent, self.reason))
        self._reserved = True

    async def start(self, gateway: str, contact: str) -> str:
        """Pause the agent (unless `reserve` did), dial their phone (showing the customer's number) and go on
        in the background."""
        ctx = self.ctx
        if not self._reserved:
            self.reserve()
        try:
            endpoint = await ctx.media.allocate(LegKey(f"out-{id(self)}", "agent"))
        except Exception:
            self._give_back()
            raise
        self.agent_call = ctx.sip.dial(contact, (endpoint.host, endpoint.port), caller=ctx.from_us(self.number),
                                       ring_timeout=ctx.settings.ring_timeout)
        self.call_id = self.agent_call.invite.call_id
        self.agent_leg, self.customer_leg = endpoint.leg, LegKey(self.call_id, "customer")
        ctx.registry.outbound[self.call_id] = self
        ctx.lanes.record(Arrive, call_id=self.call_id, agent=self.agent, caller=self.number, dnis="",
                         direction=Direction.OUTBOUND, callback_id=self.callback_id)
        self.agent_call.on_ringing = lambda status: self._agent_ringing()
        ctx.tasks.spawn(self._run(gateway))
        return self.call_id

    def _agent_ringing(self) -> None:
        ctx = self.ctx
        ctx.lanes.record(Ring, call_id=self.call_id, agent=self.agent, seat=ctx.seats.book.seat_of(self.agent))
        if self.agent_call is not None:
            self.agent_call.on_ringing = None

    async def _run(self, gateway: str) -> None:
        assert self.agent_call is not None
        if await self.agent_call.wait_answer() != 200 or self.ended:
            self._agent_did_not_answer = not self.ended
            self._agent_missed()
            await self.end(HangupParty.AGENT, HangupCause.FAILED)
            return
        self.agent_call.on_ended = lambda reason: self.ctx.tasks.spawn(self.end(HangupParty.AGENT))
        ctx = self.ctx
        # Every customer dial passes here: the dial policy has the last word, and counts the attempt.
        refused = ctx.dial_policy.admit(self.number)
        if refused is not None:
            log.warning("call %s to %s %s", self.call_id, self.number, refusal_text(refused))
            self._refused(refused)
            await self.end(HangupParty.SYSTEM, HangupCause.FAILED)
            return
        try:
            endpoint = await ctx.media.allocate(self.customer_leg)
        except Exception:
            log.exception("click-to-dial %s: no media for the customer's leg", self.call_id)
            self._agent_missed()
            await self.end(HangupParty.SYSTEM, HangupCause.FAILED)
            return
        if self.ended:  # the agent hung up meanwhile: `end()` ran before this leg existed
            await ctx.media.release(self.customer_leg)
            return
        if self.listener is not None:
            self.listener.customer_dialling(self)
        self.customer_call = ctx.sip.dial(gateway.format(number=self.number), (endpoint.host, endpoint.port),
                                          ring_timeout=self.customer_ring_seconds)
        status = await self.customer_call.wait_answer()
        if self.ended:  # we hung up (the agent did) while the customer's phone rang: not their answer
            if self.listener is not None and not self._reported:
                self._reported = True
                self.listener.dial_aborted(self)
            return
        self._report(dial_result(status))
        if status != 200:
            log.info("click-to-dial %s: the customer's side answered %s", self.call_id, status)
            await self.end(HangupParty.SYSTEM, HangupCause.FAILED)
            return
        self.customer_call.on_ended = lambda reason: self.ctx.tasks.spawn(self.end(HangupParty.CALLER))
        await self._bridge()

    async def _bridge(self) -> None:
        ctx, media = self.ctx, self.ctx.media
        assert self.agent_call is not None and self.agent_call.media is not None
        assert self.customer_call is not None and self.customer_call.media is not None
        await media.set_remote(self.agent_leg, remote_of(self.agent_call.media))
        await media.set_remote(self.customer_leg, remote_of(self.customer_call.media))
        await media.bridge(self.customer_leg, self.agent_leg)
        await media.start_recording(self.call_id, self.customer_leg, self.agent_leg,
                                    ctx.files.recording_path(self.call_id), ctx.settings.recording_mode)
        self.recording = True
        ctx.lanes.record(Answer, call_id=self.call_id, agent=self.agent)
        if self.customer_call.state is CallState.ENDED or self.agent_call.state is CallState.ENDED:
            await self.end(HangupParty.SYSTEM)

    def _agent_missed(self) -> None:
        if self.listener is not None and not self._reported:
            self._reported = True
            self.listener.agent_missed(self)

    def _refused(self, refusal: Refusal) -> None:
        if self.listener is not None and not self._reported:
            self._reported = True
            self.listener.customer_refused(self, refusal)

    def _report(self, result: DialResult) -> None:
        if self.listener is not None and not self._reported:
            self._reported = True
            self.listener.customer_result(self, result)

    async def end(self, by: HangupParty, cause: HangupCause = HangupCause.NORMAL) -> None:
        """End both legs once, log the hang-up, file the recording, and give the agent back to the ACD."""
        if self.ended:
            return
        self.ended = True
        if self.customer_call is None:  # stopped before the customer was dialled: the agent's side failed
            self._agent_missed()
        ctx = self.ctx
        for call in (self.agent_call, self.customer_call):
            if call is not None:
                call.on_ended = None
                call.hangup()
        ctx.lanes.record(Hangup, call_id=self.call_id, agent=self.agent, by=by, cause=cause)
        if self.recording:
            ctx.files.recorded(self.call_id, await ctx.media.stop_recording(self.call_id))
        for leg in (self.agent_leg, self.customer_leg):
            await ctx.media.release(leg)
        ctx.registry.outbound.pop(self.call_id, None)
        ctx.lanes.close_call(self.call_id)
        self._give_back()

    def _give_back(self) -> None:
        """Ready again if the agent was ready before and is still paused for this call; an agent who did not
        answer a callback's ring stays paused, as "no answer" (as a missed queue offer would leave them)."""
        acd = self.ctx.acd
        agent = acd.dispatcher.agent(self.agent)
        if not (agent.state is AgentState.NOT_READY and agent.reason == self.reason):
            return
        if self.listener is not None and self._agent_did_not_answer:
            acd.apply(acd.dispatcher.not_ready(self.agent, EnginePause.NO_ANSWER.value))
        elif self._was_ready:
            acd.apply(acd.dispatcher.ready(self.agent))

"""Supervisors on a live call: listen, whisper, barge (three-way) from their own SIP phone.

The engine rings the supervisor's phone (showing the caller's number); once it answers, the media plane
joins its leg to the call in the chosen mode (`MediaPlane.monitor`). The supervisor switches mode on the
same leg without a new call, and leaves by hanging up, or by `stop`. When the agent's part of the call ends
(hang-up, transfer), the supervisor's phone is hung up too: there is nothing left to supervise.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hotline.telephony.call.phase import CallNotConnected, Command
from hotline.telephony.call.remote import remote_of
from hotline.telephony.media.plane import LegKey, MediaPlaneError, MonitorMode
from hotline.telephony.sip.calls import OutboundCall

if TYPE_CHECKING:
    from hotline.telephony.call.session import CallSession

log = logging.getLogger(__name__)


class Supervisors:
    """The supervisors on calls now, by supervisor: one call each."""

    def __init__(self) -> None:
        self.monitors: dict[str, Monitoring] = {}

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
                monitoring.ctx.tasks.spawn(monitoring.stop())

    async def stop_all(self) -> None:
        for monitoring in tuple(self.monitors.values()):
            await monitoring.stop()


class Monitoring:
    """One supervisor's phone joined to one connected call; created by `Supervisors.monitor`."""

    def __init__(self, supervisors: Supervisors, session: CallSession, supervisor: str, mode: MonitorMode) -> None:
        self.supervisors = supervisors
        self.ctx = session.ctx
        self.session = session
        self.supervisor = supervisor
        self.mode = mode
        self.leg = LegKey(session.call_id, f"supervisor-{supervisor}")
        self.call: OutboundCall | None = None
        self.joined = False
        self.ended = False

    async def start(self, contact: str) -> None:
        """Ring the supervisor's phone; the rest happens when it answers (in the background)."""
        ctx = self.ctx
        endpoint = await ctx.media.allocate(self.leg)
        if self.ended:  # stopped while the port opened (the call ended, another command came)
            await ctx.media.release(self.leg)
            return
        self.call = ctx.sip.dial(contact, (endpoint.host, endpoint.port), caller=ctx.from_us(self.session.caller),
                                 ring_timeout=ctx.settings.ring_timeout)
        ctx.tasks.spawn(self._join())

    async def _join(self) -> None:
        assert self.call is not None
        if await self.call.wait_answer() != 200 or self.ended:
            self.call.hangup()  # answered just as we stopped: hang that phone up too
            await self.stop()
            return
        self.call.on_ended = lambda reason: self.ctx.tasks.spawn(self.stop())
        assert self.call.media is not None
        await self.ctx.media.set_remote(self.leg, remote_of(self.call.media))
        try:
            await self._monitor(self.mode)
        except (CallNotConnected, MediaPlaneError) as error:  # the call ended or moved while it rang
            log.info("supervisor %s could not join call %s: %s", self.supervisor, self.session.call_id, error)
            await self.stop()
            return
        self.joined = True

    async def _monitor(self, mode: MonitorMode) -> None:
        """Join in `mode`; the call's phase says whether there is a conversation to join."""
        self.session.check(Command.MONITOR)
        agent_leg = self.session.agent_leg
        if agent_leg is None:
            raise CallNotConnected(self.session.call_id)
        await self.ctx.media.monitor(self.leg, self.session.leg, agent_leg.leg, mode)

    async def rejoin(self) -> None:
        """Join again after the call was unbridged and bridged back (hold and resume end the monitoring)."""
        if self.joined and not self.ended:
            try:
                await self._monitor(self.mode)
            except (CallNotConnected, MediaPlaneError):
                await self.stop()

    async def switch(self, mode: MonitorMode) -> None:
        """Listen → whisper → barge and back, on the same call; before the phone answers, the mode it joins in."""
        self.mode = mode
        if self.joined and not self.ended:
            await self._monitor(mode)

    async def stop(self) -> None:
        """Leave the call: hang up the supervisor's phone and free its leg (the call itself goes on)."""
        if self.ended:
            return
        self.ended = True
        monitors = self.supervisors.monitors
        if monitors.get(self.supervisor) is self:
            del monitors[self.supervisor]
        if self.call is not None:
            self.call.on_ended = None
            self.call.hangup()
        await self.ctx.media.release(self.leg)  # also ends the monitoring in the media plane

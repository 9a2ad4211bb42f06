"""Supervisors on a live call: listen, whisper, barge (three-way) from their own SIP phone.

The engine rings the supervisor's phone (showing the caller's number); once it answers, the media plane
joins its leg to the call in the chosen mode (`MediaPlane.monitor`). The supervisor switches mode on the
same leg without a new call, and leaves by hanging up, or by `stop`. When the agent's part of the call ends
(hang-up, transfer), the supervisor's phone is hung up too: there is nothing left to supervise.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hotline.telephony.call_flow import CallNotConnected, CallSession, remote_of
from hotline.telephony.media.plane import LegKey, MediaPlaneError, MonitorMode
from hotline.telephony.sip.calls import OutboundCall

if TYPE_CHECKING:
    from hotline.telephony.engine import Engine

log = logging.getLogger(__name__)


class Monitoring:
    """One supervisor's phone joined to one connected call; created by `Engine.monitor`."""

    def __init__(self, engine: Engine, session: CallSession, supervisor: str, mode: MonitorMode) -> None:
        self.engine = engine
        self.session = session
        self.supervisor = supervisor
        self.mode = mode
        self.leg = LegKey(session.call_id, f"supervisor-{supervisor}")
        self.call: OutboundCall | None = None
        self.joined = False
        self.ended = False

    async def start(self, contact: str) -> None:
        """Ring the supervisor's phone; the rest happens when it answers (in the background)."""
        engine = self.engine
        endpoint = await engine.media.allocate(self.leg)
        if self.ended:  # stopped while the port opened (the call ended, another command came)
            await engine.media.release(self.leg)
            return
        self.call = engine.calls.dial(contact, (endpoint.host, endpoint.port),
                                      caller=f"sip:{self.session.caller}@{engine.host}",
                                      ring_timeout=engine.config.ring_timeout)
        engine.spawn(self._join())

    async def _join(self) -> None:
        assert self.call is not None
        if await self.call.wait_answer() != 200 or self.ended:
            self.call.hangup()  # answered just as we stopped: hang that phone up too
            await self.stop()
            return
        self.call.on_ended = lambda reason: self.engine.spawn(self.stop())
        assert self.call.media is not None
        await self.engine.media.set_remote(self.leg, remote_of(self.call.media))
        try:
            await self._monitor(self.mode)
        except (CallNotConnected, MediaPlaneError) as error:  # the call ended or moved while it rang
            log.info("supervisor %s could not join call %s: %s", self.supervisor, self.session.call_id, error)
            await self.stop()
            return
        self.joined = True

    async def _monitor(self, mode: MonitorMode) -> None:
        agent_leg = self.session._talking()
        await self.engine.media.monitor(self.leg, self.session.leg, agent_leg.leg, mode)

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
        engine = self.engine
        if engine.monitors.get(self.supervisor) is self:
            del engine.monitors[self.supervisor]
        if self.call is not None:
            self.call.on_ended = None
            self.call.hangup()
        await engine.media.release(self.leg)  # also ends the monitoring in the media plane

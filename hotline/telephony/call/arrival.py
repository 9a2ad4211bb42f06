"""A new inbound call: route it by the number dialled, attribute it, then reject, capture, or answer and run
its flow or queue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from hotline.telephony.call.context import CallContext
from hotline.telephony.call.session import CallSession
from hotline.telephony.events import Arrive
from hotline.telephony.ivr.model import Flow
from hotline.telephony.ports import Directory
from hotline.telephony.sip.calls import CallState, InboundCall

log = logging.getLogger(__name__)


async def arrive(ctx: CallContext, directory: Directory, flows: Mapping[str, Flow], call: InboundCall) -> None:
    """Route by dialled number, answer, then run the flow or go to the queue.

    Before answering: a blacklisted number may be rejected, and in a surge the automatic seat may take the
    call (it stores a callback, confirms it and hangs up)."""
    session = CallSession(ctx, call, call.invite.call_id)
    route = await directory.route(session.dnis)
    flow = flows.get(route.flow) if route is not None and route.flow else None
    if route is None or (flow is None and not route.queue):
        log.info("call to %s refused: no route", session.dnis)
        call.reject(404, "Not Found")
        return
    if call.state is not CallState.OFFERED:  # cancelled while the directory answered: never arrived
        return
    ctx.registry.add(session)
    at, mono = ctx.clocks.wall(), ctx.clocks.clock.now()
    attribution, session.profile = await asyncio.gather(directory.attribute(session.dnis, at),
                                                        directory.caller_profile(session.caller))
    session.airing_id = attribution.airing_id
    session.arrived_at, session.arrived_mono = at, mono
    ctx.lanes.emit(Arrive(call_id=session.call_id, at=at, mono=mono, caller=session.caller, dnis=session.dnis,
                          airing_id=session.airing_id))
    call.ring()
    if session.profile.blacklist == "reject":
        await session.reject_blacklisted()
        return
    if ctx.surge.capture_on_arrival() and await session.capture.auto_seat():
        return
    if not await session.answer():
        return
    if flow is not None:
        await session.run_ivr(flow)
    else:
        await session.queueing.enqueue(route.queue, arriving=True, greeting=route.greeting)

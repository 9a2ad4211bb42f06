"""The composition root of the telephony engine: builds the SIP side, the media plane and the services
(seats, ACD effects, lanes, surge gate, figures, supervisors, call registry, files, callbacks) and wires them.

A call sees the services through its frozen `CallContext` (call/context.py), never the engine; where each
capability lives is in docs/telephony.md ("Inside the engine").
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from hotline.telephony.acd.dispatcher import Decision, Dispatcher
from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.acd_effects import AcdEffects, personal_queue
from hotline.telephony.call.arrival import arrive
from hotline.telephony.call.context import CallContext, CallSettings, SipSide
from hotline.telephony.call.session import CallSession
from hotline.telephony.callbacks import CallbackDesk
from hotline.telephony.campaign.dialer import CampaignDesk
from hotline.telephony.config import PROMPTS, EngineConfig, SeatConfig, allowed_networks, credentials_of
from hotline.telephony.dial_policy import DialPolicy
from hotline.telephony.events import HangupParty
from hotline.telephony.figures import Figures
from hotline.telephony.files import CallFiles
from hotline.telephony.front_door import FrontDoor
from hotline.telephony.ivr.host import IvrHost
from hotline.telephony.ivr.model import Flow
from hotline.telephony.lanes import Clocks, Lanes, LoopClock, Tasks, wall_now
from hotline.telephony.media.local import LocalMediaPlane
from hotline.telephony.media.plane import MediaPlane
from hotline.telephony.ports import CallbackStore, CallLog, CampaignStore, Directory, EventBus
from hotline.telephony.registry import CallRegistry
from hotline.telephony.seat_book import SeatBook
from hotline.telephony.seats import Seats
from hotline.telephony.sip.calls import CallManager, InboundCall
from hotline.telephony.sip.clock import LoopScheduler
from hotline.telephony.sip.core import SipCore
from hotline.telephony.sip.registrar import Registrar
from hotline.telephony.sip.transport import Listeners
from hotline.telephony.sip.trunks import TrunkList
from hotline.telephony.supervise import Monitoring, Supervisors
from hotline.telephony.surge_gate import SurgeGate

__all__ = ["PROMPTS", "Engine", "EngineConfig", "SeatConfig", "SipFactory", "personal_queue"]

log = logging.getLogger(__name__)

# Builds the SIP side from the engine (its `on_call`) and the surge gate's admission check (lines free?).
SipFactory = Callable[["Engine", Callable[[object], bool]], SipSide]


class Engine:
    """The telephony engine: one SIP endpoint, one media plane, one ACD, and a session per inbound call.

    Construct it with its config and the host's ports, then `await start()` on the running loop (uvloop in
    production) and `await stop()` at the end; `stop` hangs up the calls in progress, closes recordings and
    flushes the call log. `sip_address` tells the bound SIP address (useful with port 0).
    """

    def __init__(self, config: EngineConfig, call_log: CallLog, directory: Directory, bus: EventBus,
                 ivr_host: IvrHost | None = None, callback_store: CallbackStore | None = None,
                 campaign_store: CampaignStore | None = None) -> None:
        self.config = config
        self.call_log = call_log
        self.directory = directory
        self.bus = bus
        self.ivr_host = ivr_host
        self.callback_store = callback_store
        self.registry = CallRegistry()
        self.supervisors = Supervisors()
        self.tasks = Tasks()
        self.surge = SurgeGate(config.surge, self.registry)
        self.campaigns = CampaignDesk(campaign_store)  # progressive campaigns and the post-call survey

    # -- life cycle --------------------------------------------------------------------------------------

    async def start(self, *, sip: SipFactory | None = None, media: MediaPlane | None = None,
                    wall: Callable[[], datetime.datetime] = wall_now) -> None:
        """Bind SIP and open the media plane, log the agents in, and start serving calls.

        Tests of the call flow pass `sip` (builds an in-memory SIP side from the engine and its admission
        check), `media` (a fake media plane) and `wall` (a fake clock's wall time): no socket is opened.
        """
        loop = asyncio.get_running_loop()
        config = self.config
        self.clock = LoopClock(loop)
        self.wall = wall
        clocks = Clocks(self.clock, wall)
        # Daily limits count local days, in the callback dialer's time zone.
        dial_policy = DialPolicy(config.dial_policy, lambda: wall().astimezone(config.callbacks.timezone).date())
        self.local_media: LocalMediaPlane | None = None
        if media is None:
            self.local_media = media = LocalMediaPlane(config.sip_host, config.rtp_ports, config.hold_music)
        self.media: MediaPlane = media
        self.lanes = Lanes(self.call_log, self.bus, clocks)
        self.lanes.start()
        self.registrar = Registrar(config.realm, credentials_of(config), LoopScheduler(loop),
                                   min_expires=config.min_register_expires, guard=config.auth_guard)
        self.registrar.allowed_networks = allowed_networks(config.seats)
        trunks = TrunkList(config.trunks)
        self.registrar.trusted = lambda source: trunks.match(source) is not None  # as Kamailio skips pike for them
        self.core = SipCore(LoopScheduler(loop), registrar=self.registrar)
        self.front = FrontDoor(self.core)
        self.calls = sip(self, self.surge.admit) if sip is not None else await self._listen(trunks)
        self.surge.watch(self.calls)
        self.dispatcher = Dispatcher(self.clock)
        book = SeatBook(config.seats)
        self.acd = AcdEffects(self.dispatcher, config.queues, book, self.lanes, clocks, self.registry, self.tasks)
        self.seats = Seats(book, self.registrar, self.acd, self.lanes, clocks)
        self.registrar.on_change, self.registrar.on_lock = self.seats.phone_changed, self.seats.seat_locked
        self.seats.log_in_configured()
        self.files = CallFiles(config.prompts, config.recordings, config.recording_mode, self.lanes)
        self.callbacks = CallbackDesk(self.callback_store, config.callbacks, gateway=config.outbound_gateway,
                                      first_queue=next((q.queue_id for q in config.queues), ""), clocks=clocks)
        self.context = CallContext(
            settings=CallSettings(host=config.sip_host, ring_timeout=config.ring_timeout,
                                  rtp_timeout=config.rtp_timeout, hold_music=config.hold_music is not None,
                                  recording_mode=config.recording_mode),
            clocks=clocks, lanes=self.lanes, tasks=self.tasks, media=media, sip=self.calls, acd=self.acd,
            seats=self.seats, surge=self.surge, registry=self.registry, files=self.files, callbacks=self.callbacks,
            supervisors=self.supervisors, dial_policy=dial_policy, ivr_host=self.ivr_host,
            campaigns=self.campaigns)
        await self.callbacks.start(self.context)
        await self.campaigns.start(self.context, config)
        self.figures = Figures(self.acd, self.surge, self.lanes, clocks, config.queue_stats_interval)
        self.figures.start()
        self.front.open()

    async def _listen(self, trunks: TrunkList) -> CallManager:
        """Bind the SIP sockets and put the call manager on them."""
        listeners = await self.front.listen(self.config.sip_host, self.config.sip_port)
        return CallManager(self.core, self, listeners.udp_address, listeners.udp_channel, trunks=trunks,
                           authenticator=self.registrar, admit=self.surge.admit, retry_after=self.surge.retry_after)

    def reconfigure(self, *, flows: Mapping[str, Flow], prompts: Path, seats: tuple[SeatConfig, ...],
                    queues: tuple[QueueConfig, ...] = ()) -> None:
        """Take edited IVR flows, prompts, seats and queue settings without a restart: calls already in a flow
        finish it, new calls use the new one; new seats can be logged in at; agents logged in stay where they
        are; a new queue opens, an edited one keeps its callers (`AcdEffects.configure_queues`)."""
        edited = {queue.queue_id: queue for queue in (*self.config.queues, *queues)}
        # One replace, so the seats are checked against the queues they come with.
        self.config = dataclasses.replace(self.config, flows=dict(flows), prompts=prompts, seats=seats,
                                          queues=tuple(edited.values()))
        self.files.prompts = prompts
        self.seats.book.replace_phones(seats)
        self.registrar.allowed_networks = allowed_networks(seats)
        self.acd.configure_queues(queues)

    async def stop(self) -> None:
        """Hang up the calls in progress (BYE to both legs, logged as the system's hang-up), stop listening,
        finish the recordings and write what is left of the call log."""
        self.callbacks.stop()
        self.campaigns.stop()
        # Callers not yet with an agent first, so the agents freed next are not offered them on the way out.
        for session in sorted(self.registry.sessions.values(), key=lambda session: session.agent_leg is not None):
            await session.end(HangupParty.SYSTEM)
        for outbound in tuple(self.registry.outbound.values()):
            await outbound.end(HangupParty.SYSTEM)
        await self.supervisors.stop_all()
        await asyncio.sleep(0)  # let the BYEs and CANCELs leave before the sockets close
        await self.front.close()
        self.figures.stop()
        self.acd.stop()
        if self.local_media is not None:
            await self.local_media.close()
        await self.tasks.wait_all()
        await self.lanes.flush()
        self.lanes.stop()
        if self.callback_store is not None:
            await self.callback_store.close()

    # -- inbound calls -----------------------------------------------------------------------------------

    async def on_call(self, call: InboundCall) -> None:
        """`CallApplication`: a new inbound call (call/arrival.py routes, answers and runs it)."""
        await arrive(self.context, self.directory, self.config.flows, call)

    # -- shortcuts for tools and tests -------------------------------------------------------------------

    @property
    def listeners(self) -> Listeners | None:
        return self.front.listeners

    @property
    def sip_address(self) -> tuple[str, int]:
        if self.listeners is None:
            return (self.config.sip_host, self.config.sip_port)
        return self.listeners.udp_address

    @property
    def host(self) -> str:
        return self.config.sip_host

    @property
    def sessions(self) -> dict[str, CallSession]:
        return self.registry.sessions

    @property
    def refused(self) -> int:
        return self.surge.refused

    @property
    def dial_policy(self) -> DialPolicy:
        return self.context.dial_policy

    @dial_policy.setter
    def dial_policy(self, policy: DialPolicy) -> None:
        """The engine keeps its one policy object and takes `policy`'s settings and day (`DialPolicy.adopt`)."""
        self.context.dial_policy.adopt(policy)

    @property
    def monitors(self) -> dict[str, Monitoring]:
        return self.supervisors.monitors

    def apply(self, decision: Decision) -> None:
        self.acd.apply(decision)

    def queue_config(self, queue_id: str) -> QueueConfig | None:
        return self.acd.queue_config(queue_id)

    def seat_of(self, agent: str) -> str:
        return self.seats.book.seat_of(agent)

    def agent_at(self, seat_name: str) -> str:
        return self.seats.book.agent_at(seat_name)

    def has_seat(self, seat_name: str) -> bool:
        return self.seats.book.has_seat(seat_name)

    def contact_of(self, agent: str) -> str | None:
        return self.seats.contact_of(agent)

    def contact_of_seat(self, seat_name: str) -> str | None:
        return self.seats.contact_of_seat(seat_name)

    def phone_online(self, agent: str) -> bool:
        return self.seats.phone_online(agent)

    def recording_path(self, call_id: str, part: int = 1) -> Path:
        return self.files.recording_path(call_id, part)

    async def flush_log(self) -> None:
        """Wait until everything emitted so far is written and published."""
        await self.lanes.flush()

"""`hotline engine`: run the telephony engine on uvloop with the database's seats, queues and routes.

`engine_config()` reads settings and the database into an `EngineConfig`; `build_engine()` wires it to the
ORM ports. The command runs the engine until SIGINT or SIGTERM, then stops it (recordings written, call
log flushed).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from hotline.calls.audio import recordings_dir
from hotline.calls.callback_store import OrmCallbackStore
from hotline.calls.conf import callback_config, dial_settings, surge_settings
from hotline.calls.directory import DemoPasswordError, OrmDirectory, agent_skills, queue_configs, refuse_demo_passwords
from hotline.calls.engine_bridge import BusEventBus, OrmCallLog
from hotline.calls.engine_link import serve_commands
from hotline.calls.ivr_host import OrmIvrHost
from hotline.calls.models import Seat
from hotline.ivrdata.engine import flows as ivr_flows
from hotline.ivrdata.engine import prompt_folder
from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.control import EngineControl
from hotline.telephony.engine import PROMPTS, Engine, EngineConfig, SeatConfig
from hotline.telephony.ivr import model
from hotline.telephony.sip.guard import GuardSettings
from hotline.telephony.sip.registrar import CredentialLookup
from hotline.telephony.sip.trunks import Trunk

HOLD_MUSIC = PROMPTS / "please_hold.wav"


def trunks_from(addresses: str) -> tuple[Trunk, ...]:
    """One trunk ("trunks") allowing the comma-separated addresses or networks; none when the list is empty."""
    items = [item.strip() for item in addresses.split(",") if item.strip()]
    if not items:
        return ()
    try:
        return (Trunk.of("trunks", items),)
    except ValueError as exc:
        raise CommandError(f"HOTLINE_TRUNKS: {exc}") from exc


def flow_queues(flow: model.Flow) -> tuple[QueueConfig, ...]:
    """A default `QueueConfig` for every queue the flow sends callers to, by name."""
    names = {node.queue for node in flow.nodes.values() if isinstance(node, model.Queue)}
    return tuple(QueueConfig(name) for name in sorted(names))


def seat_configs(queues: tuple[QueueConfig, ...]) -> tuple[SeatConfig, ...]:
    """A `SeatConfig` per seat, with the agent logged in there now ("" for nobody; agents log in later
    through the engine's commands). The agent serves their queue memberships (`QueueMember`, with skill
    levels), or every queue when they have none; a seat nobody is at lists every queue.

    The phone registers as the seat's SIP user (its HA1 is checked through the directory), or is rung
    at its fixed URI.
    """
    names = tuple(queue.queue_id for queue in queues)
    rows = Seat.objects.select_related("agent").order_by("name")
    return tuple(_seat_config(seat, names) for seat in rows)


def _seat_config(seat: Seat, every_queue: tuple[str, ...]) -> SeatConfig:
    skills = agent_skills(seat.agent) if seat.agent else ()
    return SeatConfig(agent=seat.agent.username if seat.agent else "", seat=seat.name, username=seat.sip_username,
                      fixed_uri=seat.fixed_uri, queues=tuple(q for q, _ in skills) or every_queue, levels=skills,
                      networks=seat.networks)


def guard_settings() -> GuardSettings:
    """The registrar's password-guessing limits from settings (`HOTLINE_SIP_*`, docs/configuration.md)."""
    return GuardSettings(source_limit=settings.HOTLINE_SIP_SOURCE_LIMIT, seat_limit=settings.HOTLINE_SIP_SEAT_LIMIT,
                         window=settings.HOTLINE_SIP_GUESS_WINDOW, source_ban=settings.HOTLINE_SIP_SOURCE_BAN,
                         seat_lock=settings.HOTLINE_SIP_SEAT_LOCK)


def engine_config(credentials: CredentialLookup, *, sip_port: int | None = None) -> EngineConfig:
    """The engine's configuration from settings and the database (sync: call outside the event loop).

    Flows are the stored IVR flows plus the built-in demo flow, prompts the uploaded ones over the built-in
    ones (`hotline.ivrdata.engine`). Queues are the `Queue` rows, or when there are none the flows' queues
    with default settings. `sip_port` overrides `HOTLINE_SIP_PORT` (0: an ephemeral port).
    """
    flows = ivr_flows()
    queues = queue_configs() or tuple({q.queue_id: q for flow in flows.values() for q in flow_queues(flow)}.values())
    return EngineConfig(
        sip_host=settings.HOTLINE_SIP_HOST,
        sip_port=settings.HOTLINE_SIP_PORT if sip_port is None else sip_port,
        trunks=trunks_from(settings.HOTLINE_TRUNKS),
        queues=queues,
        flows=flows,
        prompts=prompt_folder(),
        seats=seat_configs(queues),
        rtp_ports=range(settings.HOTLINE_RTP_PORT_MIN, settings.HOTLINE_RTP_PORT_MAX + 1),
        recordings=recordings_dir(),
        hold_music=HOLD_MUSIC,
        credentials=credentials,
        auth_guard=guard_settings(),
        outbound_gateway=settings.HOTLINE_OUTBOUND_GATEWAY,
        surge=surge_settings(),
        callbacks=callback_config(),
        dial_policy=dial_settings(),
    )


def config_updates(queues: tuple[QueueConfig, ...]) -> dict[str, Any]:
    """What a running engine takes without a restart (`Engine.reconfigure`): flows, prompts and seats
    (sync: call outside the event loop). Queues are read at start only."""
    return {"flows": ivr_flows(), "prompts": prompt_folder(), "seats": seat_configs(queues)}


def build_engine(*, sip_port: int | None = None) -> tuple[Engine, OrmDirectory]:
    """An engine on the ORM ports, configured by `engine_config`; close the directory after `stop()`."""
    refuse_demo_passwords()
    directory = OrmDirectory()
    try:
        directory.credentials.load()  # now, in this sync thread: the registrar reads it on the event loop
        config = engine_config(directory.credentials.ha1, sip_port=sip_port)
    except Exception:
        directory.close()
        raise
    engine = Engine(config, OrmCallLog(), directory, BusEventBus(), ivr_host=OrmIvrHost(),
                    callback_store=OrmCallbackStore())
    return engine, directory


def describe(engine: Engine) -> list[str]:
    """What a started engine listens on and serves, one line each."""
    config = engine.config
    udp, tcp = engine.listeners.udp_address, engine.listeners.tcp_address
    rtp = f"{config.rtp_ports.start}-{config.rtp_ports.stop - 1}" if config.rtp_ports else "ephemeral"
    trunks = ", ".join(str(net) for trunk in config.trunks for net in trunk.networks) or "none"
    return [
        f"SIP on udp {udp[0]}:{udp[1]} and tcp {tcp[0]}:{tcp[1]} (realm {config.realm})",
        f"RTP ports {rtp} on {config.sip_host}; recordings in {config.recordings}",
        f"Trunks allowed to call in: {trunks}",
        f"Queues: {', '.join(q.queue_id for q in config.queues) or 'none'}; seats: {len(config.seats)}",
    ]


async def serve(engine: Engine, announce: Callable[[str], object]) -> None:
    """Start the engine, announce it, wait for SIGINT or SIGTERM, then stop it."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await engine.start()
    commands = None
    if settings.REDIS_URL:  # the web processes reach this engine through Redis (calls.engine_link)
        commands = loop.create_task(serve_commands(EngineControl(engine), settings.REDIS_URL, stopping))
    try:
        for line in describe(engine):
            announce(line)
        announce(f"Commands from the web: {'through Redis' if commands else 'none (REDIS_URL is not set)'}")
        announce("Ctrl+C stops.")
        await stopping.wait()
    finally:
        if commands is not None:
            await commands
        await engine.stop()
        await sync_to_async(connections.close_all, thread_sensitive=True)()


class Command(BaseCommand):
    help = "Run the telephony engine (SIP, RTP, IVR, ACD) on uvloop until Ctrl+C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sip-port", type=int, default=None, help="Override HOTLINE_SIP_PORT (0: ephemeral).")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvloop

        try:
            engine, directory = build_engine(sip_port=options["sip_port"])
        except DemoPasswordError as error:
            raise CommandError(str(error)) from None
        engine.config.recordings.mkdir(parents=True, exist_ok=True)
        try:
            uvloop.run(serve(engine, self.stdout.write))
        finally:
            directory.close()
        self.stdout.write("Engine stopped.")

"""The engine's configuration from settings and the database, at start and while it runs.

`engine_config()` reads everything an engine starts with; `config_updates()` what a running engine takes
without a restart (flows, prompts, seats and queues), which `reconfigure()` hands it on its own loop.
All reads are sync: call them outside the event loop.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from hotline.calls.audio import recordings_dir
from hotline.calls.conf import callback_config, dial_settings, surge_settings
from hotline.calls.models import Queue, Seat
from hotline.calls.queries import agent_skills
from hotline.ivrdata.engine import flows as ivr_flows
from hotline.ivrdata.engine import prompt_folder
from hotline.telephony.acd.queue import OverflowKind, OverflowTarget, QueueConfig, Strategy, WideningStep
from hotline.telephony.config import PROMPTS, EngineConfig, SeatConfig
from hotline.telephony.engine import Engine
from hotline.telephony.ivr import model
from hotline.telephony.sip.guard import GuardSettings
from hotline.telephony.sip.registrar import CredentialLookup
from hotline.telephony.sip.trunks import Trunk

HOLD_MUSIC = PROMPTS / "please_hold.wav"


def trunks_from(addresses: str, *, early_media_capture: bool = False,
                rtp_behind_nat: bool = False) -> tuple[Trunk, ...]:
    """One trunk ("trunks") allowing the comma-separated addresses or networks; none when the list is empty."""
    items = [item.strip() for item in addresses.split(",") if item.strip()]
    if not items:
        return ()
    try:
        return (Trunk.of("trunks", items, early_media_capture=early_media_capture, rtp_behind_nat=rtp_behind_nat),)
    except ValueError as exc:
        raise ImproperlyConfigured(f"HOTLINE_TRUNKS: {exc}") from exc


def queue_configs() -> tuple[QueueConfig, ...]:
    """Every queue row as the engine's `QueueConfig`."""
    return tuple(QueueConfig(
        queue_id=q.name, strategy=Strategy(q.strategy), wrap_up_seconds=float(q.wrapup_seconds),
        max_length=q.max_length, max_wait_seconds=float(q.max_wait_seconds),
        overflow=OverflowTarget(kind=OverflowKind(q.overflow), destination=q.overflow_to),
        announce_seconds=float(q.announce_seconds), max_misses=q.max_misses,
        affinity_seconds=float(q.affinity_seconds), vip_priority=q.vip_priority, entry_level=q.skill_level,
        widening=(WideningStep(float(q.widen_after_seconds), q.widen_to_level),) if q.widen_after_seconds else (),
    ) for q in Queue.objects.order_by("name"))


def flow_queues(flow: model.Flow) -> tuple[QueueConfig, ...]:
    """A default `QueueConfig` for every queue the flow sends callers to, by name."""
    names = {node.queue for node in flow.nodes.values() if isinstance(node, model.Queue)}
    return tuple(QueueConfig(name) for name in sorted(names))


def engine_queues(flows: dict[str, model.Flow]) -> tuple[QueueConfig, ...]:
    """The `Queue` rows, or when there are none the flows' queues with default settings."""
    return queue_configs() or tuple({q.queue_id: q for flow in flows.values() for q in flow_queues(flow)}.values())


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
    """The engine's configuration from settings and the database.

    Flows are the stored IVR flows plus the built-in demo flow, prompts the uploaded ones over the built-in
    ones (`hotline.ivrdata.engine`). Queues are `engine_queues`. `sip_port` overrides `HOTLINE_SIP_PORT`
    (0: an ephemeral port).
    """
    flows = ivr_flows()
    queues = engine_queues(flows)
    return EngineConfig(
        sip_host=settings.HOTLINE_SIP_HOST,
        sip_port=settings.HOTLINE_SIP_PORT if sip_port is None else sip_port,
        trunks=trunks_from(settings.HOTLINE_TRUNKS, early_media_capture=settings.HOTLINE_TRUNK_EARLY_MEDIA_CAPTURE,
                           rtp_behind_nat=settings.HOTLINE_TRUNK_RTP_BEHIND_NAT),
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


def config_updates() -> dict[str, Any]:
    """What a running engine takes without a restart (`Engine.reconfigure`): flows, prompts, queues (read
    as at start: the rows, else the flows' queues) and the seats for those queues."""
    flows = ivr_flows()
    queues = engine_queues(flows)
    return {"flows": flows, "prompts": prompt_folder(), "queues": queues, "seats": seat_configs(queues)}


def reconfigure(engine: Engine, updates: dict[str, Any]) -> None:
    """Hand `config_updates()` to a running engine (call on its loop)."""
    engine.reconfigure(**updates)

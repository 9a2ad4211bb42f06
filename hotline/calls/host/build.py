"""An engine wired to the ORM ports: the composition root of the web side's engines (`hotline engine`,
the embedded one, the tests')."""

from __future__ import annotations

from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.host.callback_store import OrmCallbackStore
from hotline.calls.host.campaigns import OrmCampaignStore
from hotline.calls.host.config import engine_config
from hotline.calls.host.directory import OrmDirectory, refuse_demo_passwords
from hotline.calls.host.events import BusEventBus
from hotline.calls.host.ivr import OrmIvrHost
from hotline.telephony.engine import Engine


def build_engine(*, sip_port: int | None = None) -> tuple[Engine, OrmDirectory]:
    """An engine on the ORM ports, configured by `engine_config`; close the directory after `stop()`.
    Sync: call outside the event loop."""
    refuse_demo_passwords()
    directory = OrmDirectory()
    try:
        directory.credentials.load()  # now, in this sync thread: the registrar reads it on the event loop
        config = engine_config(directory.credentials.ha1, sip_port=sip_port)
    except Exception:
        directory.close()
        raise
    engine = Engine(config, OrmCallLog(), directory, BusEventBus(), ivr_host=OrmIvrHost(),
                    callback_store=OrmCallbackStore(), campaign_store=OrmCampaignStore())
    return engine, directory


def describe(engine: Engine) -> list[str]:
    """What a started engine listens on and serves, one line each."""
    config, listeners = engine.config, engine.listeners
    assert listeners is not None, "describe a started engine"
    udp, tcp = listeners.udp_address, listeners.tcp_address
    rtp = f"{config.rtp_ports.start}-{config.rtp_ports.stop - 1}" if config.rtp_ports else "ephemeral"
    trunks = ", ".join(str(net) for trunk in config.trunks for net in trunk.networks) or "none"
    return [
        f"SIP on udp {udp[0]}:{udp[1]} and tcp {tcp[0]}:{tcp[1]} (realm {config.realm})",
        f"RTP ports {rtp} on {config.sip_host}; recordings in {config.recordings}",
        f"Trunks allowed to call in: {trunks}",
        f"Queues: {', '.join(q.queue_id for q in config.queues) or 'none'}; seats: {len(config.seats)}",
    ]

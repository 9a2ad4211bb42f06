"""What the engine is built from: its seats, queues, trunks, flows and settings (`EngineConfig`)."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.callback.model import CallbackSettings
from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.dial_policy import DialSettings
from hotline.telephony.ivr.model import Flow
from hotline.telephony.media.plane import RecordingMode
from hotline.telephony.sip.guard import GuardSettings
from hotline.telephony.sip.registrar import CredentialLookup, password_lookup
from hotline.telephony.sip.trunks import Network, Trunk

PROMPTS = Path(__file__).resolve().parent / "prompts"


@dataclass(frozen=True)
class CallbackConfig:
    """How the engine works callbacks: the policy, which queue's agents call back, and the local time zone
    of the calling window. Without an outbound gateway, callbacks are captured but never dialled."""

    policy: CallbackSettings = field(default_factory=CallbackSettings)
    queue: str = ""  # agents of this queue call back ("" : the engine's first queue)
    timezone: datetime.tzinfo = datetime.UTC
    tick_seconds: float = 1.0
    ring_seconds: float = 30.0  # how long the customer's phone rings before the attempt counts as no answer


@dataclass(frozen=True)
class CampaignConfig:
    """How the engine works progressive campaigns (campaign/dialer.py) and the post-call survey: the local
    time zone of the calling windows, how often it looks for the next customer and re-reads the running
    campaigns, how long a customer's phone rings, the quiet minutes before an airing, how long the survey
    waits for a key."""

    timezone: datetime.tzinfo | None = None  # None: the callback dialer's (the host sets it to TIME_ZONE)
    tick_seconds: float = 1.0
    refresh_seconds: float = 5.0
    ring_seconds: float = 30.0
    quiet_before_airing_seconds: float = 300.0  # as the callback dialer's default
    survey_answer_seconds: float = 8.0


@dataclass(frozen=True)
class SeatConfig:
    """An agent's seat: the phone to ring (registered AOR, or a fixed URI) and the queues the agent serves.

    `username`/`password` are the phone's digest credentials for REGISTER; `aor`, when given, is the one
    address of record rung (by default any AOR the phone registered for that user, whatever its host part);
    a `fixed_uri` is rung without registration.
    `agent` is who is logged in at the seat when the engine starts ("" for nobody: agents log in later
    through `EngineControl`).
    """

    agent: str
    seat: str
    username: str = ""
    password: str = ""
    aor: str = ""
    fixed_uri: str = ""
    queues: tuple[str, ...] = ()
    ready: bool = True
    levels: tuple[tuple[str, int], ...] = ()  # skill level per queue (default 1)
    networks: tuple[str, ...] = ()  # CIDRs the phone may register from (empty: anywhere)


@dataclass(frozen=True)
class EngineConfig:
    """Everything the engine is built from. Port 0 binds an ephemeral port (tests); the demo uses 5060.

    `credentials` is the registrar's HA1 lookup (the host's stored digests); None builds one from the
    seats' plaintext `password`s.
    """

    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    realm: str = "hotline"
    trunks: tuple[Trunk, ...] = ()
    queues: tuple[QueueConfig, ...] = ()
    flows: Mapping[str, Flow] = field(default_factory=dict)  # by flow name, as `Route.flow` names them
    seats: tuple[SeatConfig, ...] = ()
    rtp_ports: range | None = None  # None: ephemeral ports
    recordings: Path = Path("recordings")
    recording_mode: RecordingMode = RecordingMode.MONO
    prompts: Path = PROMPTS
    hold_music: Path | None = None
    ring_timeout: float = 20.0
    rtp_timeout: float = 60.0
    credentials: CredentialLookup | None = None
    min_register_expires: int = 60  # the shortest registration the registrar grants (tests use 1-2 s)
    auth_guard: GuardSettings = field(default_factory=GuardSettings)  # password-guessing bans and seat locks
    # Where click-to-dial sends the customer's leg: a SIP URI with `{number}`, e.g. sip:{number}@10.0.0.9;
    # empty: no outbound calls.
    outbound_gateway: str = ""
    queue_stats_interval: float = 1.0  # seconds between queue figures on the bus (only changed ones go out)
    # Surge protection (lines, automatic seat, callback key, abandon callbacks); None: none of it.
    surge: SurgeSettings | None = None
    callbacks: CallbackConfig = field(default_factory=CallbackConfig)
    # Which customer numbers may be dialled, and how often a day (click-to-dial, callbacks): dial_policy.py.
    dial_policy: DialSettings = field(default_factory=DialSettings)
    campaigns: CampaignConfig = field(default_factory=CampaignConfig)  # progressive dialing, survey

    def __post_init__(self) -> None:
        queues = {queue.queue_id for queue in self.queues}
        for seat in self.seats:
            unknown = set(seat.queues) - queues
            if unknown:
                raise ValueError(f"seat {seat.seat}: unknown queues {sorted(unknown)}")
            if not (seat.fixed_uri or seat.username):
                raise ValueError(f"seat {seat.seat}: needs a fixed URI or a SIP user name")
            for cidr in seat.networks:
                try:
                    ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    raise ValueError(f"seat {seat.seat}: {cidr!r} is not an address or network") from None


def allowed_networks(seats: tuple[SeatConfig, ...]) -> dict[str, tuple[Network, ...]]:
    """The registrar's allowed source networks per SIP user, from the seats that restrict them."""
    return {seat.username: tuple(ipaddress.ip_network(cidr, strict=False) for cidr in seat.networks)
            for seat in seats if seat.username and seat.networks}


def credentials_of(config: EngineConfig) -> CredentialLookup:
    """The registrar's HA1 lookup: the configured one, else one over the seats' plaintext passwords."""
    if config.credentials is not None:
        return config.credentials
    passwords = {seat.username: seat.password for seat in config.seats if seat.username}
    return password_lookup(passwords, config.realm)

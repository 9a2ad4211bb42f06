"""What a call may use of the engine (`CallContext`): built once in `Engine.start`, never the engine itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from hotline.telephony.acd_effects import AcdEffects
from hotline.telephony.dial_policy import DialPolicy
from hotline.telephony.files import CallFiles
from hotline.telephony.ivr.host import IvrHost
from hotline.telephony.lanes import Clocks, Lanes, Tasks
from hotline.telephony.media.plane import MediaPlane, RecordingMode
from hotline.telephony.registry import CallRegistry
from hotline.telephony.seats import Seats
from hotline.telephony.sip.calls import InboundCall, OutboundCall
from hotline.telephony.surge_gate import SurgeGate

if TYPE_CHECKING:
    from hotline.telephony.callbacks import CallbackDesk
    from hotline.telephony.campaign.dialer import CampaignDesk
    from hotline.telephony.supervise import Supervisors


class SipSide(Protocol):
    """What calls use of the engine's SIP side: `CallManager`, or an in-memory one in call-flow tests.
    `offered` holds the inbound calls not yet answered (they take a line)."""

    @property
    def offered(self) -> Mapping[Any, InboundCall]: ...

    def dial(self, uri: str, local_media: tuple[str, int], caller: str = "",
             destination: tuple[str, int] | None = None, ring_timeout: float | None = None) -> OutboundCall: ...


@dataclass(frozen=True)
class CallSettings:
    """The engine settings a call reads."""

    host: str  # our SIP host, shown in the From of the legs we dial
    ring_timeout: float  # how long an agent's (or supervisor's) phone rings
    rtp_timeout: float  # a caller silent this long is hung up
    hold_music: bool  # whether waiting callers hear music (else silence)
    recording_mode: RecordingMode


@dataclass(frozen=True)
class CallContext:
    """The engine's services a call (inbound session, agent-first dial, supervisor's leg) works with."""

    settings: CallSettings
    clocks: Clocks
    lanes: Lanes
    tasks: Tasks
    media: MediaPlane
    sip: SipSide
    acd: AcdEffects
    seats: Seats
    surge: SurgeGate
    registry: CallRegistry
    files: CallFiles
    callbacks: CallbackDesk
    supervisors: Supervisors
    dial_policy: DialPolicy
    ivr_host: IvrHost | None
    campaigns: CampaignDesk | None = None  # progressive campaigns and the post-call survey's store

    def from_us(self, number: str) -> str:
        """The From URI of a leg we dial on behalf of `number` (the phone shows that number)."""
        return f"sip:{number}@{self.settings.host}"

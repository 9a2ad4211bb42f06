"""The one interface the engine uses for media, shaped so that rtpengine (NG protocol) can implement it too.

Mapping to rtpengine's NG commands: `allocate` + `set_remote` are offer/answer (the SIP layer builds the
SDP from the returned `Endpoint`), `bridge` is the answer that joins two legs of a call, `play` / `hold` /
`stop_playing` are play media / stop media, `start_recording` / `stop_recording` are start/stop recording,
`on_dtmf` is the DTMF event subscription, `on_timeout` is rtpengine's media timeout, and `release` is delete.
`monitor` / `stop_monitor` correspond to rtpengine's media subscriptions (subscribe request / unsubscribe,
with block media where a party must not hear another); `record_leg` is start recording for one from-tag.
Every command is a coroutine because an external media plane answers over the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NamedTuple, Protocol

from hotline.telephony.media.g711 import Codec

Address = tuple[str, int]


class LegKey(NamedTuple):
    """A call leg: the SIP Call-ID and our tag for that leg (rtpengine's call-id + from-tag)."""

    call_id: str
    tag: str


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a leg receives RTP: goes into our SDP (c= and m= lines)."""

    leg: LegKey
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Remote:
    """What the peer's SDP said: where to send, the codec, and the telephone-event payload type (None: none).

    `nat`: the peer may be behind NAT, so another source address may be latched when the SDP address stays
    silent (see `leg.LATCH_WAIT`); False (a trunk whose SDP is always right): only the SDP address ever is.
    """

    address: Address
    codec: Codec
    event_pt: int | None = 101
    nat: bool = True


class RecordingMode(Enum):
    """Mono mixes both parties; stereo puts the caller on the left channel and the agent on the right."""

    MONO = "mono"
    STEREO = "stereo"


class MonitorMode(Enum):
    """What a supervisor does on a bridged call: who hears whom.

    LISTEN: the supervisor hears caller and agent; nobody hears the supervisor.
    WHISPER: the supervisor hears both; the agent hears the caller and the supervisor; the caller hears
    only the agent. BARGE: a three-way call, everyone hears the other two.
    """

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


class MediaPlaneError(Exception):
    """A media command that cannot be carried out (unknown leg, no free port, unreadable prompt)."""


class MediaPlane(Protocol):
    """Media for the engine: endpoints, bridging, prompts, hold music, recording, DTMF and RTP timeouts."""

    async def allocate(self, leg: LegKey) -> Endpoint:
        """Open a local RTP endpoint for a new leg."""
        ...

    async def set_remote(self, leg: LegKey, remote: Remote) -> None:
        """Set (or change, on re-INVITE) where the leg's peer is; symmetric RTP then latches its real source."""
        ...

    async def bridge(self, first: LegKey, second: LegKey) -> None:
        """Relay RTP both ways between two legs (each leaves any previous bridge)."""
        ...

    async def unbridge(self, leg: LegKey) -> None:
        """Stop relaying between this leg and its peer."""
        ...

    async def play(self, leg: LegKey, prompt: Path, on_done: Callable[[], None] | None = None) -> None:
        """Play an 8 kHz 16-bit mono WAV to the leg once; `on_done` runs when it has been sent in full."""
        ...

    async def hold(self, leg: LegKey) -> None:
        """Play the shared hold music to the leg until `stop_playing`."""
        ...

    async def stop_playing(self, leg: LegKey) -> None:
        """Stop a prompt (its `on_done` does not run) or hold music."""
        ...

    async def start_recording(
        self, recording_id: str, caller: LegKey, agent: LegKey, path: Path, mode: RecordingMode
    ) -> None:
        """Record what the two legs send to us into a WAV written at `stop_recording` or release."""
        ...

    async def stop_recording(self, recording_id: str) -> Path:
        """Stop a recording and return its path once the file is written and closed."""
        ...

    async def record_leg(self, recording_id: str, leg: LegKey, path: Path) -> None:
        """Record what one leg sends to us (a voicemail) into a mono WAV, finished like `start_recording`'s."""
        ...

    async def monitor(self, supervisor: LegKey, caller: LegKey, agent: LegKey, mode: MonitorMode) -> None:
        """Let `supervisor` (allocated, remote set) listen to, whisper to or barge into the bridged call.

        Calling it again for the same supervisor switches the mode live. Releasing or unbridging any of the
        three legs (or bridging caller or agent elsewhere) ends the monitoring.
        """
        ...

    async def stop_monitor(self, supervisor: LegKey) -> None:
        """End the supervisor's monitoring: the call goes back to the plain two-party relay (no-op if none)."""
        ...

    def on_dtmf(self, leg: LegKey, callback: Callable[[str], None]) -> None:
        """Call `callback(digit)` for every DTMF digit the leg sends (RFC 4733)."""
        ...

    def on_timeout(self, leg: LegKey, seconds: float, callback: Callable[[], None]) -> None:
        """Call `callback()` once if the leg receives no RTP for `seconds`."""
        ...

    async def release(self, leg: LegKey) -> None:
        """Close the leg: unbridge, stop playing, finish its recordings, free the port."""
        ...

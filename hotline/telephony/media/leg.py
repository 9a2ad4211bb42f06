"""One call leg's UDP socket and the 20 ms hot path: latch, relay, DTMF, recording copy, monitoring queue.

`datagram_received` forwards the packet's bytes unchanged to the bridged peer when both legs use the same
codec and telephone-event payload type (the usual case); otherwise it rewrites the payload type and
translates A-law/μ-law with one `bytes.translate`. No decoding, no await, no logging, no time calls.
A monitored leg also appends its audio packets to a small queue that the mixer drains each tick.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import Callable
from typing import cast

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import Address, LegKey, Remote
from hotline.telephony.media.recording import Track
from hotline.telephony.media.rtp import FRAME_SAMPLES, HEADER, event_end, header_length

log = logging.getLogger(__name__)


class Leg(asyncio.DatagramProtocol):
    """A call leg: socket, latched peer address, bridge peer, listeners, and our outgoing RTP state."""

    def __init__(self, key: LegKey) -> None:
        self.key = key
        self.transport: asyncio.DatagramTransport | None = None
        self.send_to: Address | None = None
        self.source: Address | None = None
        self.expected: Address | None = None  # where the SDP said the peer sends from
        self.codec = Codec.PCMU
        self.audio_pt = Codec.PCMU.value  # the codec's payload type as a plain int for the hot path
        self.event_pt = -1
        self.peer: Leg | None = None
        self.passthrough = True
        # `silenced` (read per packet) is `playing or mixed`: relayed audio to this leg is dropped because a
        # player or the monitoring mixer sends it its own frames. DTMF events still reach a mixed leg.
        self.silenced = False
        self.playing = False
        self.mixed = False
        self.queue: deque[bytes] | None = None  # received audio packets, while the leg is monitored
        self.track: Track | None = None
        self.recording_id: str | None = None
        self.rx_packets = 0
        self.dtmf_listeners: list[Callable[[str], None]] = []
        self._last_event_ts = -1
        self.ssrc = secrets.randbits(32)
        self.seq = secrets.randbits(16)
        self.timestamp = secrets.randbits(32)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport is not an asyncio.DatagramTransport subclass: cast, never assert.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        self.silenced = playing or self.mixed

    def set_mixed(self, mixed: bool) -> None:
        self.mixed = mixed
        self.silenced = self.playing or mixed

    def set_remote(self, remote: Remote) -> None:
        """Send to the SDP address until the first packet arrives, then to that packet's source."""
        self.send_to = remote.address
        self.expected = remote.address
        self.source = None
        self.codec = remote.codec
        self.audio_pt = remote.codec.value
        self.event_pt = -1 if remote.event_pt is None else remote.event_pt

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if len(data) < 12 or (addr != self.source and not self._latch(addr)):
            return
        self.rx_packets += 1
        payload_type = data[1] & 0x7F
        if payload_type == self.event_pt:
            self._on_event(data)
        elif payload_type == self.audio_pt:
            if self.track is not None:
                self.track.add(data)
            if self.queue is not None:
                self.queue.append(data)
        peer = self.peer
        if peer is None or peer.send_to is None or peer.transport is None:
            return
        if not peer.silenced or (peer.mixed and not peer.playing and payload_type == self.event_pt):
            if self.passthrough:
                peer.transport.sendto(data, peer.send_to)
            else:
                converted = self._converted(data, payload_type, peer)
                if converted is not None:
                    peer.transport.sendto(converted, peer.send_to)

    def _latch(self, addr: Address) -> bool:
        """Symmetric RTP: the first source after `set_remote` becomes where we send; others are dropped,
        except the address the SDP gave, which always takes over: a stale sender to a reused port (a call
        cut by an engine restart still streaming) must not keep a new caller's audio."""
        if self.source is not None and addr != self.expected:
            return False
        self.source = addr
        self.send_to = addr
        return True

    def _on_event(self, data: bytes) -> None:
        ended = event_end(data)
        if ended is None or ended[0] == self._last_event_ts:
            return
        self._last_event_ts = ended[0]
        for listener in tuple(self.dtmf_listeners):
            try:
                listener(ended[1])
            except Exception:  # a listener's bug must not stop the relay of this packet
                log.exception("DTMF listener for leg %s failed", self.key)

    def _converted(self, data: bytes, payload_type: int, peer: Leg) -> bytes | None:
        start = header_length(data)
        header = bytearray(data[:start])
        marker = data[1] & 0x80
        if payload_type == self.event_pt:
            if peer.event_pt < 0:
                return None
            header[1] = marker | (peer.event_pt & 0x7F)
            return bytes(header) + data[start:]
        if payload_type != self.audio_pt:
            return None
        header[1] = marker | peer.audio_pt
        return bytes(header) + data[start:].translate(g711.transcode_table(self.codec, peer.codec))

    def send_frame(self, payload: bytes, marker: bool) -> None:
        """Send one generated frame with our SSRC, the next sequence number and timestamp + 160."""
        if self.transport is None or self.send_to is None:
            return
        self.seq = (self.seq + 1) & 0xFFFF
        self.timestamp = (self.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
        header = HEADER.pack(0x80, self.audio_pt | (0x80 if marker else 0), self.seq, self.timestamp, self.ssrc)
        self.transport.sendto(header + payload, self.send_to)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.peer = None
        self.queue = None
        self.track = None
        self.recording_id = None
        self.dtmf_listeners.clear()

"""One call leg's UDP socket and the 20 ms hot path: latch, relay, DTMF, recording copy, monitoring queue.

`datagram_received` forwards the packet's bytes unchanged to the bridged peer when both legs use the same
codec and telephone-event payload type and the peer's stream needs no new numbers (the usual case);
otherwise it rewrites the payload type, translates A-law/μ-law with one `bytes.translate`, and restamps the
header. No decoding, no await, no logging, no time calls on that path.
A monitored leg also appends its audio packets to a small queue that the mixer drains each tick.

What a phone receives from us is one RTP stream (RFC 3550 §8.2: a receiver drops or resets on a jump),
whether it comes from our players and mixer or is relayed from the bridged phone: one SSRC, sequence
numbers +1, timestamps that advance by the time elapsed. The first source a leg hears sets the stream
(a relayed phone's numbers are adopted as they are, so a plain bridge costs nothing); after each switch
between sources the relayed packets are restamped with fixed offsets (`Leg.stamp`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import cast

from hotline.telephony.media import g711
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.plane import Address, LegKey, Remote
from hotline.telephony.media.recording import Track
from hotline.telephony.media.rtp import FRAME_SAMPLES, FRAME_SECONDS, HEADER, SEQ_TS_SSRC, event_end, header_length

log = logging.getLogger(__name__)
# How long packets from an address the SDP did not name are dropped before the leg latches to it (a phone
# behind NAT): the SDP address, if it sends meanwhile, wins. A stale sender (a call cut by an engine restart,
# still streaming to a reused port) is therefore never latched while the real phone talks.
LATCH_WAIT = 0.5


class Leg(asyncio.DatagramProtocol):
    """A call leg: socket, latched peer address, bridge peer, listeners, and our outgoing RTP stream.

    `clock` (seconds, monotonic) times the latch wait and the timestamp gap at a switch of sources.
    """

    def __init__(self, key: LegKey, clock: Callable[[], float] = time.monotonic,
                 latch_wait: float = LATCH_WAIT) -> None:
        self.key = key
        self.transport: asyncio.DatagramTransport | None = None
        self.send_to: Address | None = None
        self.source: Address | None = None
        self.expected: Address | None = None  # where the SDP said the peer sends from
        self.strays = 0  # packets dropped for coming from neither the latched nor the SDP address
        self._clock = clock
        self._latch_wait = latch_wait
        self._nat = True
        self._candidate: Address | None = None
        self._candidate_since = 0.0
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
        self._init_stream()

    def _init_stream(self) -> None:
        """Our outgoing stream: the last header sent (`relayed` when newer), and the relay's offsets."""
        self.ssrc = secrets.randbits(32)
        self.seq = secrets.randbits(16)
        self.timestamp = secrets.randbits(32)
        self.started = False  # the phone has received a packet from us
        self.relayed: bytes | bytearray | None = None  # the last packet relayed to this leg, if newer than seq
        self.ended_at: float | None = None  # when the last source stopped; None while one sends
        self.restamp = True  # relayed packets need `stamp`: a new relay segment, or offsets to apply
        self._resync = True
        self._rewrite = False
        self._source_ssrc = -1
        self._seq_shift = 0
        self._ts_shift = 0
        self._event_in_ts = -1
        self._event_out_ts = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport is not an asyncio.DatagramTransport subclass: cast, never assert.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def set_playing(self, playing: bool) -> None:
        self.playing = playing
        self._set_silenced(playing or self.mixed)

    def set_mixed(self, mixed: bool) -> None:
        self.mixed = mixed
        self._set_silenced(self.playing or mixed)

    def _set_silenced(self, silenced: bool) -> None:
        """A switch between our own frames and the relay ends one source of the stream and starts the other."""
        if silenced != self.silenced:
            self._source_ended()
            if not silenced:
                self._resync = self.restamp = True
        self.silenced = silenced

    def attach(self, peer: Leg) -> None:
        """Relay from `peer` from now on: its first packet starts a new segment of our stream."""
        if self.peer is not None and not self.silenced:
            self._source_ended()
        self.peer = peer
        self._resync = self.restamp = True

    def detach(self) -> None:
        if self.peer is not None and not self.silenced:
            self._source_ended()
        self.peer = None

    def _source_ended(self) -> None:
        if self.started and self.ended_at is None:
            self._settle()
            self.ended_at = self._clock()

    def set_remote(self, remote: Remote) -> None:
        """Send to the SDP address until a packet latches a source; a re-INVITE to the same address keeps it."""
        if remote.address != self.expected:
            self.send_to = remote.address
            self.expected = remote.address
            self.source = None
            self._candidate = None
        self._nat = remote.nat
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
        if not peer.silenced:
            if self.passthrough and not peer.restamp:
                peer.transport.sendto(data, peer.send_to)
                peer.relayed = data
            else:
                self._forward(data, payload_type, peer)
        elif peer.mixed and not peer.playing and payload_type == self.event_pt:
            self._forward(data, payload_type, peer)

    def _latch(self, addr: Address) -> bool:
        """Symmetric RTP, guarded against stale senders: True when `addr` is (now) the peer's source.

        The SDP address latches at once and always takes over. Another address latches only after it has
        sent for `latch_wait` seconds without the SDP address sending (a phone behind NAT), and never when
        the remote is not `nat`; until then, and for every other address, packets are dropped: a stale
        sender to a reused port (a call cut by an engine restart, still streaming) neither reaches the far
        phone nor has the new caller's audio sent to it.
        """
        if addr == self.expected:
            self.source = self.send_to = addr
            return True
        if self.source is None and self.expected is not None and self._nat:
            now = self._clock()
            if self._candidate is None:
                self._candidate, self._candidate_since = addr, now
            elif addr == self._candidate and now - self._candidate_since >= self._latch_wait:
                self.source = self.send_to = addr
                return True
        self.strays += 1
        return False

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

    def _forward(self, data: bytes, payload_type: int, peer: Leg) -> None:
        """The relay's slow path: a new copy of the packet, transcoded if needed, restamped for the peer."""
        assert peer.transport is not None and peer.send_to is not None
        out = bytearray(data) if self.passthrough else self._converted(data, payload_type, peer)
        if out is not None:
            peer.stamp(out)
            peer.transport.sendto(out, peer.send_to)

    def _converted(self, data: bytes, payload_type: int, peer: Leg) -> bytearray | None:
        start = header_length(data)
        marker = data[1] & 0x80
        if payload_type == self.event_pt:
            if peer.event_pt < 0:
                return None
            out = bytearray(data)
            out[1] = marker | (peer.event_pt & 0x7F)
            return out
        if payload_type != self.audio_pt:
            return None
        out = bytearray(data[:start])
        out[1] = marker | peer.audio_pt
        out += data[start:].translate(g711.transcode_table(self.codec, peer.codec))
        return out

    # -- our outgoing stream ---------------------------------------------------------------------------

    def stamp(self, out: bytearray) -> None:
        """Put a packet relayed to this leg into our stream (in place)."""
        seq, timestamp, ssrc = SEQ_TS_SSRC.unpack_from(out, 2)
        if self.silenced:  # a DTMF event between the mixer's frames: our next number, starting at our time
            self._settle()
            if timestamp != self._event_in_ts:
                self._event_in_ts, self._event_out_ts = timestamp, (self.timestamp + FRAME_SAMPLES) & 0xFFFFFFFF
            self.seq = (self.seq + 1) & 0xFFFF
            SEQ_TS_SSRC.pack_into(out, 2, self.seq, self._event_out_ts, self.ssrc)
            self.started = True
            return
        if self._resync or ssrc != self._source_ssrc:
            self._start_relay(seq, timestamp, ssrc)
        if self._rewrite:
            SEQ_TS_SSRC.pack_into(out, 2, (seq + self._seq_shift) & 0xFFFF,
                                  (timestamp + self._ts_shift) & 0xFFFFFFFF, self.ssrc)
        self.relayed = out

    def _start_relay(self, seq: int, timestamp: int, ssrc: int) -> None:
        """A relayed stream starts (or changed SSRC): offsets that continue ours, or adopt it if we sent none."""
        self._settle()
        self._source_ssrc = ssrc
        if self.started:
            self._seq_shift = (self.seq + 1 - seq) & 0xFFFF
            self._ts_shift = (self.timestamp + self._step() - timestamp) & 0xFFFFFFFF
        else:
            self.ssrc, self._seq_shift, self._ts_shift = ssrc, 0, 0
        self._rewrite = bool(self._seq_shift or self._ts_shift or ssrc != self.ssrc)
        self._resync = False
        self.restamp = self._rewrite
        self.started = True
        self.ended_at = None

    def _step(self) -> int:
        """Timestamp units from our last packet to one sent now: a frame, plus the time no source sent."""
        if self.ended_at is None:
            return FRAME_SAMPLES
        return FRAME_SAMPLES + max(0, round((self._clock() - self.ended_at) / FRAME_SECONDS * FRAME_SAMPLES))

    def _settle(self) -> None:
        """Take our stream's last header from the last relayed packet (not read per packet on the hot path)."""
        if self.relayed is not None:
            self.seq, self.timestamp, self.ssrc = SEQ_TS_SSRC.unpack_from(self.relayed, 2)
            self.relayed = None

    def send_frame(self, payload: bytes, marker: bool) -> None:
        """Send one generated frame in our stream: the next sequence number, the timestamp advanced by the time
        since the last packet (one frame while frames follow each other)."""
        if self.transport is None or self.send_to is None:
            return
        self._settle()
        step = self._step() if self.started else FRAME_SAMPLES
        self.seq = (self.seq + 1) & 0xFFFF
        self.timestamp = (self.timestamp + step) & 0xFFFFFFFF
        self.started = True
        self.ended_at = None
        self._resync = self.restamp = True
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

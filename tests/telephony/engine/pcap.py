"""RTP on the wire for SIPp tests: a classic libpcap writer (what SIPp's `play_pcap_audio` replays) and a
loopback sniffer that counts the RTP packets between two UDP ports exactly.

The writer emits Ethernet/IPv4/UDP frames; SIPp keeps only the UDP part and rewrites the ports and addresses
to the call's media addresses, so the addresses written here are placeholders. The sniffer needs CAP_NET_RAW,
as SIPp's own pcap play does (it sends through a raw socket).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hotline.telephony.media.rtp import FRAME_SAMPLES, event_payload, packet

PCAP_HEADER = struct.Struct("<IHHiIII")
RECORD_HEADER = struct.Struct("<IIII")
ETHERNET_IPV4 = 0x0800
LINKTYPE_ETHERNET = 1
PCMA, TELEPHONE_EVENT = 8, 101
PLACEHOLDER_PORT = 6000


@dataclass
class RtpTimeline:
    """One RTP stream (one SSRC) being built: 20 ms frames of audio, pauses and RFC 4733 digits.

    `packets` are (seconds from the start, RTP bytes); `slot` counts 20 ms from the start, and the RTP
    timestamp advances with it.
    """

    ssrc: int
    seq: int = 1000
    timestamp: int = 8000
    slot: int = 0
    packets: list[tuple[float, bytes]] = field(default_factory=list)

    def audio(self, byte: int, frames: int) -> RtpTimeline:
        """`frames` 20 ms PCMA frames whose every sample is `byte`."""
        for _ in range(frames):
            self._send(PCMA, bytes((byte,)) * FRAME_SAMPLES, marker=False)
            self._advance(1)
        return self

    def silence(self, frames: int) -> RtpTimeline:
        """Send nothing for `frames` 20 ms frames (the RTP clock runs on, as after a mute)."""
        self._advance(frames)
        return self

    def digit(self, digit: str, frames: int = 4) -> RtpTimeline:
        """An RFC 4733 event: a start packet with the marker, updates, then the end packet sent three times."""
        for index in range(frames):
            duration = (index + 1) * FRAME_SAMPLES
            payload = event_payload(digit, duration, end=index == frames - 1)
            copies = 3 if index == frames - 1 else 1
            for _ in range(copies):
                self._send(TELEPHONE_EVENT, payload, marker=index == 0)
            self.slot += 1
        self.timestamp += frames * FRAME_SAMPLES  # the event's packets all carry its start timestamp
        return self

    def _send(self, payload_type: int, payload: bytes, marker: bool) -> None:
        rtp = packet(payload_type, self.seq, self.timestamp, self.ssrc, payload, marker)
        self.packets.append((self.slot / 50, rtp))  # slot / 50, not slot * 0.02: exact for the pcap round trip
        self.seq = (self.seq + 1) & 0xFFFF

    def _advance(self, frames: int) -> None:
        self.slot += frames
        self.timestamp += frames * FRAME_SAMPLES


def udp_frame(payload: bytes, source_port: int = PLACEHOLDER_PORT, destination_port: int = PLACEHOLDER_PORT) -> bytes:
    """An Ethernet frame holding an IPv4/UDP datagram from 127.0.0.1 to 127.0.0.1 (checksums: SIPp redoes them)."""
    udp = struct.pack("!HHHH", source_port, destination_port, 8 + len(payload), 0) + payload
    loopback = socket.inet_aton("127.0.0.1")
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, socket.IPPROTO_UDP, 0, loopback, loopback)
    ethernet = bytes(6) + bytes(6) + struct.pack("!H", ETHERNET_IPV4)
    return ethernet + ip + udp


def write_pcap(path: Path, packets: list[tuple[float, bytes]]) -> Path:
    """Write RTP packets timed in seconds as a classic (microsecond) libpcap file of Ethernet frames."""
    chunks = [PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET)]
    for at, rtp in packets:
        frame = udp_frame(rtp)
        micros = round(at * 1_000_000)
        chunks.append(RECORD_HEADER.pack(micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(chunks))
    return path


def read_pcap(path: Path) -> list[tuple[float, bytes]]:
    """The (time, UDP payload) records of a file written by `write_pcap` (to check the writer itself)."""
    data = path.read_bytes()
    magic, major, minor, _zone, _sigfigs, _snaplen, linktype = PCAP_HEADER.unpack_from(data)
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, LINKTYPE_ETHERNET)
    offset, records = PCAP_HEADER.size, []
    while offset < len(data):
        seconds, micros, captured, length = RECORD_HEADER.unpack_from(data, offset)
        assert captured == length
        frame = data[offset + RECORD_HEADER.size : offset + RECORD_HEADER.size + captured]
        udp_length = struct.unpack_from("!H", frame, 14 + 20 + 4)[0]
        records.append(((seconds * 1_000_000 + micros) / 1_000_000, frame[14 + 20 + 8 : 14 + 20 + udp_length]))
        offset += RECORD_HEADER.size + captured
    return records


class LoopbackSniffer:
    """Counts the RTP packets to or from `ports` seen on the loopback interface, by source port, destination
    port, payload type and content, on the running event loop. Each datagram is counted once, as it arrives."""

    def __init__(self, ports: set[int]) -> None:
        self.ports = ports
        self.counts: Counter[tuple[int, int, int, int]] = Counter()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self._sock.bind(("lo", 0))
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._sock.setblocking(False)
        asyncio.get_running_loop().add_reader(self._sock.fileno(), self._read)

    def _read(self) -> None:
        while True:
            try:
                frame, address = self._sock.recvfrom(65536)
            except BlockingIOError:
                return
            if address[2] != socket.PACKET_OUTGOING:  # loopback shows every frame leaving and arriving
                self._count(frame)

    def _count(self, frame: bytes) -> None:
        if len(frame) < 14 + 20 + 8 + 13 or frame[12:14] != b"\x08\x00" or frame[23] != socket.IPPROTO_UDP:
            return
        udp = 14 + (frame[14] & 0x0F) * 4
        source, destination = struct.unpack_from("!HH", frame, udp)
        if source in self.ports or destination in self.ports:
            rtp = frame[udp + 8 :]
            payload_type, payload = rtp[1] & 0x7F, rtp[12:]
            self.counts[(source, destination, payload_type, self._content(payload_type, payload))] += 1

    @staticmethod
    def _content(payload_type: int, payload: bytes) -> int:
        """An audio frame's one repeated byte (-1 for real audio, such as a prompt); an event's code."""
        if payload_type != PCMA:
            return payload[0]
        return payload[0] if payload == payload[:1] * len(payload) else -1

    def between(self, source: int | None, destination: int | None, payload_type: int, content: int | None) -> int:
        """How many RTP packets went from `source` to `destination` with that payload type and content
        (see `_content`); None matches any port or content."""
        return sum(count for (src, dst, pt, seen), count in self.counts.items()
                   if (source is None or src == source) and (destination is None or dst == destination)
                   and pt == payload_type and (content is None or seen == content))

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self._sock.fileno())
        self._sock.close()

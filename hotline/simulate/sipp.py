"""The README's SIPp call: `scenarios/customer_call.xml` plays `scenarios/customer_call.pcap`, made here.

The pcap is a customer's voice (voices/customer.wav) as PCMA RTP in a loop up to `SECONDS`, so an agent who
answers hears the customer. It presses no key, as an impulse buyer who waits would: the demo flow puts a
silent caller through to the order queue after one pass of its menu (or at once while an airing of the
number is on, when a key in the queue would ask for a callback). `rtp_packets(key=…)` can add a key.
SIPp keeps only the UDP payloads and rewrites addresses and ports, so those written here are placeholders.
Regenerate (after changing the voice) with `python -m hotline.simulate.sipp` and commit the file.
"""

from __future__ import annotations

import socket
import struct
import sys
from pathlib import Path

from hotline.simulate.media import VOICES
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.prompts import read_wav
from hotline.telephony.media.rtp import FRAME_SAMPLES, event_payload, packet

HERE = Path(__file__).resolve().parent / "scenarios"
SCENARIO, PCAP = HERE / "customer_call.xml", HERE / "customer_call.pcap"
PCMA, TELEPHONE_EVENT = 8, 101
KEY_AT = 4.5  # seconds after the answer, for a scenario that presses a key
SECONDS = 30  # the scenario hangs up at 35 s unless the engine or the agent does first
PCAP_HEADER = struct.Struct("<IHHiIII")
RECORD_HEADER = struct.Struct("<IIII")


def rtp_packets(seconds: float = SECONDS, key: str = "") -> list[tuple[float, bytes]]:
    """(time, RTP packet) of the call's audio: the voice in a loop, and `key` (if any) at KEY_AT."""
    voice = read_wav(VOICES / "customer.wav").frames(Codec(PCMA))
    packets: list[tuple[float, bytes]] = []
    seq, slot, slots = 1000, 0, round(seconds * 50)
    key_slot = round(KEY_AT * 50) if key else -1
    while slot < slots:
        timestamp = 8000 + slot * FRAME_SAMPLES
        if slot == key_slot:  # the event's packets, 20 ms apart, all with its start timestamp
            for index in range(4):
                payload = event_payload(key, (index + 1) * FRAME_SAMPLES, end=index == 3)
                for _ in range(3 if index == 3 else 1):
                    packets.append(((slot + index) / 50, packet(TELEPHONE_EVENT, seq, timestamp, 0x5EED, payload,
                                                                 index == 0)))
                    seq += 1
            slot += 4
            continue
        packets.append((slot / 50, packet(PCMA, seq, timestamp, 0x5EED, voice[slot % len(voice)], slot == 0)))
        seq, slot = seq + 1, slot + 1
    return packets


def udp_frame(payload: bytes, port: int = 6000) -> bytes:
    """An Ethernet frame holding an IPv4/UDP datagram on 127.0.0.1 (SIPp redoes the checksums)."""
    udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0) + payload
    loopback = socket.inet_aton("127.0.0.1")
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, socket.IPPROTO_UDP, 0, loopback,
                     loopback)
    return bytes(12) + struct.pack("!H", 0x0800) + ip + udp


def write_pcap(path: Path = PCAP, packets: list[tuple[float, bytes]] | None = None) -> Path:
    """A classic (microsecond) libpcap file of Ethernet frames, what SIPp's play_pcap_audio replays."""
    chunks = [PCAP_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for at, rtp in rtp_packets() if packets is None else packets:
        frame = udp_frame(rtp)
        micros = round(at * 1_000_000)
        chunks.append(RECORD_HEADER.pack(micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(chunks))
    return path


if __name__ == "__main__":
    print(f"wrote {write_pcap(Path(sys.argv[1]) if len(sys.argv) > 1 else PCAP)}")

"""The SIPp side of the surge: a ramp of callers, each from its own mobile number, sending real audio.

SIPp ramps from 1 call/s to the peak by raising the rate one call/s every `ramp / (peak - 1)` seconds
(`-rate_increase 1 -rate_interval …`), holds the peak (`-no_rate_quit`, the call count stops it), takes
each caller's number from an injection file (`-inf`, `[field0]`) and plays a spoken prompt as RTP
(`play_pcap_audio`, from a pcap this module writes). What each call went through is read back from
SIPp's message log (`-trace_msg`, µs time stamps): the INVITE, its first final response, and who sent
the BYE.
"""

from __future__ import annotations

import datetime
import math
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from hotline.simulate.sipp import write_pcap
from hotline.telephony.engine import PROMPTS
from hotline.telephony.media.g711 import Codec
from hotline.telephony.media.prompts import read_wav
from hotline.telephony.media.rtp import FRAME_SAMPLES, packet

SCENARIO = Path(__file__).resolve().parent / "sipp" / "surge_caller.xml"
CALLER_AUDIO = PROMPTS / "welcome.wav"  # a spoken prompt: what the callers "say" (any speech will do)
PCMA = 8
_BLOCK = re.compile(r"^-{10,} (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d{6})\n(UDP message (sent|received)[^\n]*)\n\n",
                    re.MULTILINE)


@dataclass(frozen=True)
class Ramp:
    """1 call/s rising to `peak` calls/s over `ramp` seconds, then `peak` for `hold_peak` seconds."""

    peak: int
    ramp: float
    hold_peak: float = 5.0

    @property
    def step_seconds(self) -> float:
        """Seconds between two 1-call/s steps of the rate."""
        return self.ramp / (self.peak - 1) if self.peak > 1 else self.ramp

    def calls(self) -> int:
        """Calls placed over the whole ramp and the peak (the area under the rate, step by step)."""
        if self.peak <= 1:
            return max(1, round(self.ramp + self.hold_peak))
        ramped = sum(rate * self.step_seconds for rate in range(1, self.peak))
        return max(1, round(ramped + self.peak * self.hold_peak))

    def rate_at(self, seconds: float) -> float:
        """The SIPp rate at `seconds` into the run (the step function SIPp follows)."""
        if self.peak <= 1:
            return 1.0
        return float(min(self.peak, 1 + math.floor(seconds / self.step_seconds)))

    def arrivals(self) -> list[float]:
        """When each call starts (seconds from the start) for callers placed by Python at the same rates."""
        times, at = [], 0.0
        for _ in range(self.calls()):
            times.append(at)
            at += 1.0 / self.rate_at(at)
        return times


def mobile_numbers(count: int, seed: int) -> list[str]:
    """`count` distinct Chinese mobile numbers (139…), shuffled by `seed`."""
    rng = random.Random(seed)
    picks = rng.sample(range(10_000_000, 100_000_000), count)
    return [f"139{pick:08d}" for pick in picks]


def write_injection_file(path: Path, numbers: list[str]) -> Path:
    """SIPp's `-inf` file: read in sequence, one caller number per call (`[field0]`)."""
    path.write_text("SEQUENTIAL\n" + "".join(f"{number};\n" for number in numbers), encoding="ascii")
    return path


def write_audio_pcap(path: Path, wav: Path = CALLER_AUDIO) -> Path:
    """The caller's speech as PCMA RTP in a classic libpcap file of Ethernet/IPv4/UDP frames.

    SIPp keeps only the UDP payloads and rewrites addresses and ports, so these are placeholders.
    """
    frames = read_wav(wav).frames(Codec(PCMA))
    packets = [(index * 0.02, packet(PCMA, 1000 + index, 8000 + index * FRAME_SAMPLES, 0x5EED, payload,
                                     marker=index == 0)) for index, payload in enumerate(frames)]
    return write_pcap(path, packets)


def write_scenario(path: Path, pcap: Path, hold_seconds: float) -> Path:
    """The scenario with this run's audio file and the callers' patience filled in."""
    text = SCENARIO.read_text(encoding="ascii")
    text = text.replace("PCAP_FILE", str(pcap)).replace("HOLD_MS", str(round(hold_seconds * 1000)))
    path.write_text(text, encoding="ascii")
    return path


def sipp_command(scenario: Path, injection: Path, engine: tuple[str, int], dnis: str, ramp: Ramp,
                 hold_seconds: float, ports: tuple[int, int]) -> list[str]:
    """SIPp placing `ramp.calls()` calls: 1 call/s, +1 every step, up to the peak, held until the count is reached."""
    interval_ms = max(1, round(ramp.step_seconds * 1000))
    run_seconds = ramp.ramp + ramp.hold_peak + hold_seconds + 60
    return [shutil.which("sipp") or "/usr/bin/sipp", f"{engine[0]}:{engine[1]}", "-sf", str(scenario),
            "-inf", str(injection), "-s", dnis, "-i", "127.0.0.1", "-p", str(ports[0]), "-mp", str(ports[1]),
            "-t", "u1", "-r", "1", "-rate_increase", "1", "-rate_interval", f"{interval_ms}ms",
            "-rate_max", str(ramp.peak), "-no_rate_quit", "-m", str(ramp.calls()),
            "-l", str(max(50, round(ramp.peak * (hold_seconds + 15)))), "-nostdin",
            "-timeout", f"{math.ceil(run_seconds)}s", "-trace_msg", "-trace_stat", "-fd", "1"]


@dataclass
class SippCall:
    """One SIPp call as its message log tells it: caller number, INVITE → first final response, who hung up."""

    call_id: str
    number: str = ""
    invited_at: datetime.datetime | None = None
    final_status: int | None = None
    final_at: datetime.datetime | None = None
    bye_by: str = ""  # "engine" or "caller"
    bye_at: datetime.datetime | None = None

    @property
    def setup_seconds(self) -> float | None:
        if self.invited_at is None or self.final_at is None:
            return None
        return (self.final_at - self.invited_at).total_seconds()

    @property
    def line_seconds(self) -> float | None:
        """How long the call held a line: INVITE → the BYE, or → the final response when it was refused."""
        released = self.bye_at if self.final_status == 200 else self.final_at
        if self.invited_at is None or released is None:
            return None
        return (released - self.invited_at).total_seconds()


def parse_calls(text: str) -> dict[str, SippCall]:
    """Per Call-ID, in order of the first INVITE: what SIPp's -trace_msg log says happened."""
    calls: dict[str, SippCall] = {}
    blocks = list(_BLOCK.finditer(text))
    for number, block in enumerate(blocks):
        end = blocks[number + 1].start() if number + 1 < len(blocks) else len(text)
        at = datetime.datetime.fromisoformat(f"{block.group(1)}T{block.group(2)}")
        start_line, headers = _start_and_headers(text[block.end():end])
        call_id = headers.get("call-id") or headers.get("i") or ""
        if not call_id:
            continue
        call = calls.setdefault(call_id, SippCall(call_id))
        _note(call, block.group(4) == "sent", start_line, headers, at)
    return calls


def _note(call: SippCall, sent: bool, start_line: str, headers: dict[str, str], at: datetime.datetime) -> None:
    if sent and start_line.startswith("INVITE ") and call.invited_at is None:
        call.invited_at = at
        call.number = _user(headers.get("from") or headers.get("f") or "")
    elif start_line.startswith("BYE ") and not call.bye_by:
        call.bye_by, call.bye_at = ("caller" if sent else "engine"), at
    elif not sent and start_line.startswith("SIP/2.0 ") and headers.get("cseq", "").endswith(" INVITE"):
        status = int(start_line.split()[1])
        if status >= 200 and call.final_status is None:
            call.final_status, call.final_at = status, at


def _start_and_headers(message: str) -> tuple[str, dict[str, str]]:
    lines = message.split("\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line.strip():
            break
        name, _colon, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    return lines[0].strip(), headers


def _user(name_addr: str) -> str:
    """`<sip:13912345678@127.0.0.1:5070>;tag=x` → `13912345678`."""
    uri = name_addr.partition("<")[2].partition(">")[0] or name_addr
    return uri.partition(":")[2].partition("@")[0]

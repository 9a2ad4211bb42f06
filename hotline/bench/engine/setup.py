"""Call setup: SIPp calls the engine at a fixed rate; INVITE → 200 OK timed per call from SIPp's message log.

SIPp's own response-time counters tick in whole milliseconds, too coarse for a setup that takes about one,
so the benchmark runs SIPp with `-trace_msg` and reads the microsecond time stamps SIPp writes before
every message it sends or receives: per Call-ID, from the first INVITE sent to the first 200 OK for it.
Failed calls are SIPp's `FailedCall` count (from `-trace_stat`) plus any call whose INVITE got no 200.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hotline.bench.engine.process import EngineProcess, EngineSpec
from hotline.bench.stats import percentile
from hotline.phones import free_port

SCENARIO = Path(__file__).resolve().parent / "sipp" / "caller.xml"
DNIS = "4008001000"
_BLOCK = re.compile(r"^-{10,} (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d{6})\n(UDP message (sent|received)[^\n]*)\n\n",
                    re.MULTILINE)


@dataclass(frozen=True)
class SetupTimes:
    """What the message log says: setup times (s) of answered calls, and calls whose INVITE got no 200."""

    setup_seconds: list[float]
    unanswered: int


def parse_message_log(text: str) -> SetupTimes:
    """Setup time per Call-ID: first INVITE sent → first `200` to CSeq INVITE received (SIPp -trace_msg)."""
    invited: dict[str, datetime.datetime] = {}
    answered: dict[str, datetime.datetime] = {}
    blocks = list(_BLOCK.finditer(text))
    for number, block in enumerate(blocks):
        end = blocks[number + 1].start() if number + 1 < len(blocks) else len(text)
        message = text[block.end():end]
        at = datetime.datetime.fromisoformat(f"{block.group(1)}T{block.group(2)}")
        start_line, call_id, cseq = _essentials(message)
        if block.group(4) == "sent" and start_line.startswith("INVITE "):
            invited.setdefault(call_id, at)
        elif block.group(4) == "received" and start_line.startswith("SIP/2.0 200") and cseq.endswith(" INVITE"):
            answered.setdefault(call_id, at)
    times = [(answered[call] - sent).total_seconds() for call, sent in invited.items() if call in answered]
    return SetupTimes(sorted(times), len(invited) - len(times))


def _essentials(message: str) -> tuple[str, str, str]:
    lines = message.split("\n")
    call_id = cseq = ""
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        if name.strip().lower() in ("call-id", "i"):
            call_id = value.strip()
        elif name.strip().lower() == "cseq":
            cseq = value.strip()
    return lines[0].strip(), call_id, cseq


def parse_stat_counts(text: str) -> dict[str, int]:
    """Cumulative `SuccessfulCall(C)`, `FailedCall(C)` and `TotalCallCreated` of SIPp's last -trace_stat line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise ValueError("SIPp wrote no statistics")
    header, last = lines[0].split(";"), lines[-1].split(";")
    wanted = {"SuccessfulCall(C)": "successful", "FailedCall(C)": "failed", "TotalCallCreated": "created"}
    return {name: int(last[header.index(column)]) for column, name in wanted.items()}


def summarize_setup(rate: int, times: SetupTimes, counts: dict[str, int], cpu_seconds: float,
                    wall_seconds: float) -> dict[str, float]:
    """One rate's figures: calls, failures, setup p50/p99/max (ms), engine CPU (% of one core)."""
    ordered = times.setup_seconds
    return {
        "rate": float(rate),
        "calls": float(counts["created"]),
        "answered": float(len(ordered)),
        "successful": float(counts["successful"]),
        "failed": float(counts["failed"] + times.unanswered),
        "setup_p50_ms": percentile(ordered, 50) * 1000 if ordered else float("nan"),
        "setup_p99_ms": percentile(ordered, 99) * 1000 if ordered else float("nan"),
        "setup_max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "engine_cpu_percent": 100.0 * cpu_seconds / wall_seconds if wall_seconds > 0 else 0.0,
    }


def sipp_command(engine: tuple[str, int], rate: int, calls: int, hold_ms: int) -> list[str]:
    """SIPp as a trunk caller: `calls` calls at `rate` per second, each answered, kept `hold_ms`, hung up."""
    return [shutil.which("sipp") or "/usr/bin/sipp", f"{engine[0]}:{engine[1]}", "-sf", str(SCENARIO),
            "-s", DNIS, "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-t", "u1",
            "-r", str(rate), "-m", str(calls), "-l", str(max(10, rate * (hold_ms // 1000 + 2))),
            "-d", str(hold_ms), "-nostdin", "-timeout", f"{calls // rate + 60}s", "-timeout_error",
            "-trace_msg", "-trace_stat", "-fd", "1"]


def call_setup(rate: int, seconds: float, hold_ms: int = 1000) -> dict[str, float]:
    """Run SIPp against a fresh engine process at `rate` calls/s for `seconds`; return the figures."""
    calls = max(1, round(rate * seconds))
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as folder:
        engine = EngineProcess(EngineSpec(queues=("bench",), routes={DNIS: "bench"}, recordings=folder))
        address = engine.start()
        try:
            before = sum(engine.cpu())
            started = time.perf_counter()
            run = subprocess.run(sipp_command(address, rate, calls, hold_ms), cwd=folder, capture_output=True,
                                 text=True, timeout=calls / rate + 90, check=False)
            wall = time.perf_counter() - started
            cpu = sum(engine.cpu()) - before
        finally:
            engine.stop()
        work = Path(folder)
        if not list(work.glob("*_messages.log")):
            raise RuntimeError(f"SIPp failed: {run.stdout[-800:]}{run.stderr[-800:]}")
        times = parse_message_log(next(work.glob("*_messages.log")).read_text(errors="replace"))
        counts = parse_stat_counts(next(work.glob("caller_*_.csv")).read_text(errors="replace"))
    return summarize_setup(rate, times, counts, cpu, wall)

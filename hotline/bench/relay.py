"""`hotline bench relay`: bridged, recorded calls through the in-process media plane.

Fake phones in a separate process send G.711 frames every 20 ms both ways; the plane relays them
(and records every call when asked). Reported: loss, relay delay, and the CPU of the plane's process
alone. The issue's goal for one engine process is 240 bridged, recorded calls with p99 under 20 ms
and no loss; 480 is reported as it is. The phones share the same two cores, so delay figures include
their scheduling too.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings

from hotline.bench.base import Writer
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError
from hotline.telephony.media.bench import relay_benchmark

SECTION = "relay"


def _row(result: dict[str, float], recorded: bool) -> list[str]:
    return [f"{int(result['calls'])}", "yes" if recorded else "no", f"{result['seconds']:g} s",
            f"{int(result['packets_relayed']):,} / {int(result['packets_sent']):,}", f"{int(result['loss'])}",
            f"{result['delay_p50_ms']:.2f} ms", f"{result['delay_p99_ms']:.2f} ms",
            f"{result['plane_cpu_percent']:.0f} %", f"{result['phones_cpu_percent']:.0f} %"]


def render_section(rows: list[tuple[dict[str, float], bool]], machine: dict[str, str]) -> str:
    """The Markdown section for docs/benchmarks.md."""
    table = markdown_table(["calls", "recorded", "run", "relayed / sent", "lost", "delay p50", "delay p99",
                            "plane CPU", "phones CPU"], [_row(result, recorded) for result, recorded in rows])
    return "\n\n".join([
        "## Media relay (bridged calls)",
        "`hotline bench relay`: each call is two fake phones (in another process) sending a G.711 frame "
        "every 20 ms to the in-process media plane, which relays it to the other phone unchanged and, "
        "when recorded, copies the payload into the call's buffer (WAVs written at the end). Delay is "
        "measured phone to phone; CPU is the share of one core used by each process.",
        table,
        machine_line(machine),
    ])


class RelayBenchmark:
    """The `relay` sub-command."""

    name = "relay"
    help = "Bridged, recorded calls through the media plane: loss, delay p50/p99, CPU (100, 240, 480 calls)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--calls", default="100,240,480", help="Comma-separated call counts.")
        parser.add_argument("--seconds", type=float, default=5.0, help="Length of each run (default 5).")
        parser.add_argument("--no-record", action="store_true", help="Relay without recording.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        counts = _parse_counts(options["calls"])
        if not 0.5 <= options["seconds"] <= 60:
            raise BenchError("--seconds must be between 0.5 and 60.")
        record = not options["no_record"]
        rows = []
        for calls in counts:
            err.write(f"{calls} calls for {options['seconds']:g} s…\n")
            rows.append((relay_benchmark(calls, options["seconds"], record), record))
        machine = describe_machine()
        section = render_section(rows, machine)
        payload = {"machine": machine, "results": [result for result, _recorded in rows]}
        publish(SECTION, section, payload, options, out, err)


def _parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise BenchError("--calls takes whole numbers separated by commas, e.g. 100,240,480.") from exc
    if not counts or min(counts) < 1 or max(counts) > 1000:
        raise BenchError("--calls takes counts between 1 and 1000.")
    return counts

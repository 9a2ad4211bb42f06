"""`hotline bench routing`: how long the ACD takes to pick the next caller when an agent frees up.

The decision is pure code (hotline/telephony/acd), so this measures it alone, with no SIP: the issue's
goal is "agent free → INVITE sent" under 20 ms at p99 with 240 agents, 16 queues and 500 callers
waiting; the SIP send adds one datagram on top of what is measured here.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings

from hotline.bench.base import Writer
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError
from hotline.telephony.acd.bench import routing_benchmark

SECTION = "routing"


def render_section(result: dict[str, float], options: dict[str, Any], machine: dict[str, str]) -> str:
    """The Markdown section for docs/benchmarks.md."""
    table = markdown_table(
        ["agents", "queues", "callers waiting", "decisions timed", "p50", "p99", "max"],
        [[str(options["agents"]), str(options["queues"]), str(options["callers"]), f"{int(result['rounds']):,}",
          f"{result['p50_us']:.1f} µs", f"{result['p99_us']:.1f} µs", f"{result['max_us'] / 1000:.2f} ms"]],
    )
    return "\n\n".join([
        "## Routing decision (ACD)",
        f"`hotline bench routing --agents {options['agents']} --queues {options['queues']} "
        f"--callers {options['callers']} --rounds {options['rounds']}`: agents serve three queues each, with "
        "every strategy in use (longest idle, round robin, fewest calls, ring all, skills with widening); "
        "each timed decision is one agent hanging up and the dispatcher choosing what to offer next, "
        "while the callers keep waiting behind busy agents. Pure code: no SIP, no database.",
        table,
        machine_line(machine),
    ])


class RoutingBenchmark:
    """The `routing` sub-command."""

    name = "routing"
    help = "ACD decision time when an agent frees up (240 agents, 16 queues, 500 callers by default)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--agents", type=int, default=240)
        parser.add_argument("--queues", type=int, default=16)
        parser.add_argument("--callers", type=int, default=500, help="Callers kept waiting (default 500).")
        parser.add_argument("--rounds", type=int, default=5000, help="Decisions timed (default 5000).")
        parser.add_argument("--seed", type=int, default=7)
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        if min(options["agents"], options["queues"], options["rounds"]) < 1 or options["callers"] < 0:
            raise BenchError("--agents, --queues and --rounds must be at least 1; --callers at least 0.")
        if options["queues"] < 3:
            raise BenchError("Use at least 3 queues: every agent serves three.")
        if options["queues"] > options["agents"]:
            raise BenchError("Use at least as many agents as queues.")
        result = routing_benchmark(agents=options["agents"], queues=options["queues"],
                                   callers=options["callers"], rounds=options["rounds"], seed=options["seed"])
        machine = describe_machine()
        section = render_section(result, options, machine)
        publish(SECTION, section, {"machine": machine, "result": result}, options, out, err)

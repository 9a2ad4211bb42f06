"""`hotline bench engine`: the whole telephony engine, in its own process, under SIP load over loopback.

Three parts, each against a fresh engine process (hotline.telephony.engine.Engine on uvloop, in-memory
ports, CPU read from /proc):

* setup: SIPp calls at 50, 100 and 200 calls/s; INVITE → 200 OK p50/p99 and failed calls (setup.py);
* bridged: 100, 240 and 480 bridged, recorded calls with audio both ways; CPU, loss and relay delay
  (bridged.py; calls set up by the engine's own SIP user agent classes, RTP by stamping sockets);
* routing: 240 agents, 16 queues, 500 callers waiting; agent free → INVITE at that agent, with hold music
  for the waiting callers and again without it (routing.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings

from hotline.bench.base import Writer
from hotline.bench.engine.bridged import bridged_calls
from hotline.bench.engine.routing import agent_to_routing
from hotline.bench.engine.setup import call_setup
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError

SECTION = "engine"
PARTS = ("setup", "bridged", "routing")
RELAY_GOAL_MS = 20.0
ROUTING_GOAL_MS = 20.0


def parse_counts(text: str, option: str, highest: int) -> list[int]:
    """Comma-separated whole numbers between 1 and `highest`, e.g. `100,240,480`."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise BenchError(f"{option} takes whole numbers separated by commas.") from exc
    if not counts or min(counts) < 1 or max(counts) > highest:
        raise BenchError(f"{option} takes numbers between 1 and {highest}.")
    return counts


def parse_parts(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if not parts or unknown:
        raise BenchError(f"--parts takes some of {', '.join(PARTS)}.")
    return parts


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def setup_table(rows: list[dict[str, float]]) -> str:
    return markdown_table(
        ["calls/s", "calls", "answered", "failed", "INVITE→200 p50", "p99", "max", "engine CPU"],
        [[f"{row['rate']:g}", f"{int(row['calls']):,}", f"{int(row['answered']):,}", f"{int(row['failed'])}",
          _ms(row["setup_p50_ms"]), _ms(row["setup_p99_ms"]), _ms(row["setup_max_ms"]),
          f"{row['engine_cpu_percent']:.0f} %"] for row in rows])


def bridged_table(rows: list[dict[str, float]]) -> str:
    return markdown_table(
        ["calls", "audio", "relayed / sent", "lost", "delay p50", "delay p99", "max",
         "engine CPU (user + system)", "phones CPU", "answered / recorded"],
        [[f"{int(row['calls'])}", f"{row['seconds']:g} s",
          f"{int(row['packets_relayed']):,} / {int(row['packets_sent']):,}", f"{int(row['loss'])}",
          _ms(row["delay_p50_ms"]), _ms(row["delay_p99_ms"]), _ms(row["delay_max_ms"]),
          f"{row['engine_cpu_percent']:.0f} % ({row['engine_user_percent']:.0f} + {row['engine_system_percent']:.0f})",
          f"{row['phones_cpu_percent']:.0f} %",
          f"{int(row['answered'])} / {int(row['recordings'])}"] for row in rows])


def routing_table(rows: list[dict[str, float]], options: dict[str, Any]) -> str:
    return markdown_table(
        ["agents", "queues", "callers waiting", "hold music", "samples", "timed out", "p50", "p90", "p99", "max",
         "engine CPU"],
        [[str(options["agents"]), str(options["queues"]), str(options["waiting"]), "yes" if row["hold_music"] else "no",
          f"{int(row['samples'])}", f"{int(row['failures'])}", _ms(row["p50_ms"]), _ms(row["p90_ms"]),
          _ms(row["p99_ms"]), _ms(row["max_ms"]), f"{row['engine_cpu_percent']:.0f} %"] for row in rows])


def verdicts(results: dict[str, Any]) -> list[str]:
    """One sentence per goal of the issue that this run measured: met, or missed and by how much."""
    lines = []
    for row in results.get("bridged", []):
        if int(row["calls"]) == 240:
            met = row["delay_p99_ms"] < RELAY_GOAL_MS and row["loss"] == 0
            lines.append(f"Goal for 240 bridged, recorded calls (delay p99 under {RELAY_GOAL_MS:g} ms, no loss): "
                         + ("met." if met else f"missed (p99 {row['delay_p99_ms']:.1f} ms, {int(row['loss'])} lost)."))
    for routing in results.get("routing", [])[:1]:  # the first row is the real case, with hold music
        met = routing["p99_ms"] < ROUTING_GOAL_MS and routing["failures"] == 0
        lines.append(f"Goal for agent free → INVITE (p99 under {ROUTING_GOAL_MS:g} ms): "
                     + ("met." if met else f"missed (p99 {routing['p99_ms']:.1f} ms, "
                                           f"{int(routing['failures'])} timed out)."))
    return lines


def render_section(results: dict[str, Any], options: dict[str, Any], machine: dict[str, str]) -> str:
    """The Markdown section for docs/benchmarks.md, with the parts that ran."""
    blocks = ["## Telephony engine (SIP load over loopback)",
              "`hotline bench engine`: each part starts a fresh engine process (the real `Engine` on uvloop with "
              "in-memory call log, directory and event bus, a trunk on 127.0.0.1, recordings on, hold music "
              "on); its CPU is read from /proc, as a share of one core, over the measured time only. The load "
              "(SIPp or the benchmark's own phones) runs on the same machine, so on a small machine it competes "
              "with the engine for the cores, and the delays include its scheduling; the load average at the "
              "end of the run is in the machine line."]
    if "setup" in results:
        blocks += [f"**Call setup.** SIPp calls a queue number at a fixed rate for {options['seconds']:g} s; the "
                   "engine answers at once and queues the caller (hold music), who hangs up after 1 s. "
                   "INVITE → 200 OK is timed per call from SIPp's message log (µs time stamps); a failed call is "
                   "one SIPp counts as failed or whose INVITE got no 200.", setup_table(results["setup"])]
    if "bridged" in results:
        blocks += ["**Bridged, recorded calls.** N callers dial the queue, N agent phones (seats with fixed "
                   "URIs) answer, the engine bridges and records each call. The calls are set up by the "
                   "engine's own SIP user agent classes (`CallManager`) in the benchmark process, not by "
                   "SIPp, because loss and delay need exact per-packet accounting: every leg sends a stamped "
                   "frame every 20 ms (1 s warm-up, then the measured window) and the far leg counts what "
                   "the engine relayed. Delay is phone → engine → phone on one clock and includes the "
                   "benchmark process's own scheduling (it sends and receives as much as the engine).",
                   bridged_table(results["bridged"])]
    if "routing" in results:
        blocks += ["**Routing through the engine.** Agents serve three queues each; as many callers as agents "
                   "are talking to them (no audio) and the others wait with hold music. Each sample: a new "
                   "caller joins (the line stays the same length), then the agent on the longest call hangs up; timed "
                   "from just before its BYE is sent until the engine's INVITE for the next caller reaches "
                   "that agent's phone (both datagrams, SIP, the ACD and the media allocation). Set up by "
                   "the engine's own SIP user agent classes. The second row repeats the run with the waiting "
                   "callers hearing nothing, to show what sending them hold music costs.",
                   routing_table(results["routing"], options)]
    blocks += verdicts(results)
    blocks.append(machine_line(machine))
    return "\n\n".join(blocks)


class EngineBenchmark:
    """The `engine` sub-command."""

    name = "engine"
    help = "The telephony engine under SIP load: call setup (SIPp), bridged recorded calls, routing."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--parts", default=",".join(PARTS), help="Some of setup,bridged,routing.")
        parser.add_argument("--rates", default="50,100,200", help="Call setup rates, calls/s.")
        parser.add_argument("--calls", default="100,240,480", help="Bridged call counts.")
        parser.add_argument("--seconds", type=float, default=10.0,
                            help="Length of each call-setup run and of each audio window (default 10).")
        parser.add_argument("--agents", type=int, default=240)
        parser.add_argument("--queues", type=int, default=16)
        parser.add_argument("--waiting", type=int, default=500, help="Callers kept waiting (default 500).")
        parser.add_argument("--samples", type=int, default=500, help="Routing samples (default 500).")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        parts = parse_parts(options["parts"])
        rates = parse_counts(options["rates"], "--rates", 500)
        counts = parse_counts(options["calls"], "--calls", 1000)
        self._check(options)
        results: dict[str, Any] = {}
        if "setup" in parts:
            results["setup"] = []
            for rate in rates:
                err.write(f"call setup at {rate} calls/s for {options['seconds']:g} s…\n")
                results["setup"].append(call_setup(rate, options["seconds"]))
        if "bridged" in parts:
            results["bridged"] = []
            for calls in counts:
                err.write(f"{calls} bridged, recorded calls for {options['seconds']:g} s…\n")
                results["bridged"].append(bridged_calls(calls, options["seconds"]))
        if "routing" in parts:
            err.write(f"routing: {options['agents']} agents, {options['queues']} queues, {options['waiting']} "
                      f"waiting, {options['samples']} samples…\n")
            results["routing"] = [agent_to_routing(options["agents"], options["queues"], options["waiting"],
                                                   options["samples"], hold_music) for hold_music in (True, False)]
        machine = describe_machine()
        publish(SECTION, render_section(results, options, machine), {"machine": machine, **results}, options,
                out, err)

    @staticmethod
    def _check(options: dict[str, Any]) -> None:
        if not 1 <= options["seconds"] <= 60:
            raise BenchError("--seconds must be between 1 and 60.")
        if not 3 <= options["queues"] <= options["agents"] <= 1000:
            raise BenchError("Use at least 3 queues (every agent serves three) and at least as many agents "
                             "(up to 1000).")
        if not 0 <= options["waiting"] <= 2000 or not 1 <= options["samples"] <= 5000:
            raise BenchError("--waiting takes 0 to 2000 and --samples 1 to 5000.")

"""`hotline bench surge`: the proof that no caller is lost when a TV spot makes the phones ring at once.

The real `hotline engine` runs in its own process on a migrated database (PostgreSQL by default) with one
hotline number routed to queue `orders` and N staffed seats; N virtual agent phones register and answer
(3–8 s of talk). SIPp ramps callers from 1 call/s to `--cps` over `--ramp` seconds, each from its own
mobile number, sending speech, patient for `--hold` seconds. Afterwards the engine is stopped (SIGTERM) and
every SIPp Call-ID is reconciled with the database (reconcile.py): agent, callback, voicemail,
blacklist-rejected, refused-503, or lost. Lost must be 0.

With `--kill-at S` the engine is SIGKILLed S seconds into the run and started again at once; the callers
are Python phones that keep the frames of the confirmation prompt they receive, and the question becomes:
did every caller who heard "we will call you back" get a callback row?
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO, cast

from django.conf import settings

from hotline.bench.base import Writer
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, markers, publish
from hotline.bench.surge.reconcile import LOST, OUTCOMES
from hotline.bench.targets import BenchError, Target, ensure_database, postgres_url, run_worker

SECTION = "surge"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/hotline_surge"


class SurgeFailed(BenchError):
    """The run completed but a caller was lost (or, with --kill-at, told of a callback that was not stored)."""


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def outcome_table(result: dict[str, Any]) -> str:
    """Calls per outcome, then the total."""
    counts = result["outcomes"]
    rows = [[outcome, f"{counts[outcome]:,}"] for outcome in OUTCOMES]
    rows.append(["**calls placed**", f"**{result['calls']:,}**"])
    return markdown_table(["outcome", "calls"], rows)


def figures_table(result: dict[str, Any]) -> str:
    setup = result["setup_ms"]
    held = result.get("captured_line_ms") or {"p50": None, "p99": None, "max": None}
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(result["callbacks_by_reason"].items())) or "none"
    share = result["refused_503"] / result["calls"] if result["calls"] else 0.0
    return markdown_table(
        ["lost", "INVITE→final p50", "p99", "max", "503 answers", "503 share", "captured caller's line held p50",
         "p99", "max", "no final answer", "callbacks stored"],
        [[str(result["lost"]), _ms(setup["p50"]), _ms(setup["p99"]), _ms(setup["max"]), str(result["refused_503"]),
          f"{share:.1%}", _seconds(held["p50"]), _seconds(held["p99"]), _seconds(held["max"]),
          str(result["no_final_response"]), f"{result['callbacks_stored']} ({reasons})"]])


def _seconds(milliseconds: float | None) -> str:
    return "–" if milliseconds is None else f"{milliseconds / 1000:.2f} s"


def kill_table(result: dict[str, Any]) -> str:
    kill = result["kill"]
    others = ", ".join(f"{name} {n}" for name, n in kill["others"].items() if n) or "none"
    return markdown_table(
        ["callers", "SIGKILL at", "heard the confirmation", "of those with a callback row", "the others",
         "got another call's confirmation"],
        [[str(result["calls"]), f"{kill['killed_at']:.1f} s" if kill["killed_at"] is not None else "–",
          str(kill["heard_confirmation"]), str(kill["heard_with_callback_row"]), others,
          str(kill.get("callers_with_foreign_confirmation", 0))]])


def describe_run(options: dict[str, Any]) -> str:
    return (f"{options['cps']} calls/s peak after a {options['ramp']:g} s ramp from 1 call/s (then "
            f"{options['hold_peak']:g} s at the peak), {options['agents']} agents talking 3–8 s, "
            f"`HOTLINE_SURGE_MAX_WAIT={options['max_wait']}`, `HOTLINE_LINES={options['lines']}`, "
            f"`HOTLINE_ABANDON_CALLBACK_SECONDS=0`, callers patient {options['hold']:g} s")


def render_section(results: dict[str, dict[str, Any]], machine: dict[str, str]) -> str:
    """The docs/benchmarks.md section: the surge run and the SIGKILL run, whichever were measured."""
    blocks = ["## TV-spot surge: no caller lost",
              "`hotline bench surge`: the real `hotline engine` command in its own process on "
              f"{_database_label(results)}, one hotline number routed to queue `orders`, N seats with "
              "registered virtual agent phones (digest auth) that answer and talk with audio. Afterwards the "
              "engine is stopped with SIGTERM and every call placed is reconciled with the database: `agent` "
              "(call record answered), `callback` (a callback row captured during the call), `voicemail`, "
              "`blacklist-rejected`, `refused-503` (every line taken; the carrier retries), else `lost`. "
              "The load runs on the same machine as the engine and its database."]
    surges = sorted((result for key, result in results.items() if key.startswith("surge-")),
                    key=lambda result: result["options"]["cps"])
    for surge in surges:
        blocks += [f"**Surge (SIPp).** {describe_run(surge['options'])}. Each caller has its own mobile number "
                   "(SIPp injection file) and sends a spoken prompt (pcap); setup is INVITE → first final "
                   "response from SIPp's message log.", outcome_table(surge), figures_table(surge),
                   "Result: " + ("**no caller lost.**" if surge["lost"] == 0 else f"**{surge['lost']} callers lost.**")]
    kill = results.get("kill")
    if kill is not None:
        options = kill["options"]
        blocks += [f"**SIGKILL during the surge.** {describe_run(options)}; the engine is SIGKILLed "
                   f"{options['kill_at']:g} s into the run and started again at once on the same ports (agents "
                   "register again). The callers are Python phones that keep every RTP frame they receive; one "
                   "that received a frame of `callback_confirmed` as the engine encodes it heard the "
                   "confirmation, and must have a callback row. Only the first RTP stream (SSRC) a caller gets "
                   "counts: callers cut by the kill still send audio to the old engine's RTP ports, which the new "
                   "engine may give to new calls; a trunk leg latches only to the address its SDP names, so no "
                   "cut caller should receive a new caller's confirmation (last column: callers who received "
                   "any). Calls cut by the kill "
                   "are expected to be lost here; what must never happen is a confirmation without a stored "
                   "callback.",
                   kill_table(kill), outcome_table(kill), figures_table(kill),
                   "Result: " + ("**every caller who heard the confirmation has a callback row.**"
                                 if not kill["kill"]["missing_callback_row"] else
                                 f"**{len(kill['kill']['missing_callback_row'])} heard it without a callback row.**")]
    blocks += [machine_line(machine), embedded_results(results)]
    return "\n\n".join(blocks)


def _database_label(results: dict[str, dict[str, Any]]) -> str:
    first = next(iter(results.values()))
    name = "PostgreSQL" if first["database"] == "postgresql" else "SQLite"
    return f"{name} {first['database_version']}"


def failures(result: dict[str, Any]) -> list[str]:
    """Why this run fails the benchmark (empty: it passes)."""
    if result["mode"] == "kill":
        missing = result["kill"]["missing_callback_row"]
        if missing:
            return [f"{len(missing)} callers heard the confirmation but have no callback row: {missing[:5]}"]
        return []
    if result[LOST]:
        return [f"{result[LOST]} callers lost, e.g. {result['lost_examples'][:3]}"]
    if result["calls"] == 0:
        return ["no call was placed"]
    return []


class SurgeBenchmark:
    """The `surge` sub-command."""

    name = "surge"
    help = "A TV-spot surge against the real engine process: every caller reconciled, none lost."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--cps", type=int, default=50, help="Peak calls per second (default 50).")
        parser.add_argument("--ramp", type=float, default=60.0, help="Seconds from 1 call/s to the peak (default 60).")
        parser.add_argument("--hold-peak", type=float, default=5.0, help="Seconds at the peak (default 5).")
        parser.add_argument("--agents", type=int, default=30, help="Virtual agents (default 30).")
        parser.add_argument("--max-wait", type=int, default=8, help="HOTLINE_SURGE_MAX_WAIT, seconds (default 8).")
        parser.add_argument("--hold", type=float, default=60.0, help="Callers' patience, seconds (default 60).")
        parser.add_argument("--lines", type=int, default=300, help="HOTLINE_LINES (default 300).")
        parser.add_argument("--kill-at", type=float, default=None,
                            help="SIGKILL the engine this many seconds into the run and start it again.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
        parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                            help="Its database is emptied and used (default …/hotline_surge).")
        parser.add_argument("--sqlite-path", type=Path, default=None)
        parser.add_argument("--keep-logs", type=Path, default=None,
                            help="Copy the engine's and SIPp's logs of the run to this folder.")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        self._check(options)
        if options["worker"]:
            from hotline.bench.surge.run import run_surge

            out.write(json.dumps(run_surge(surge_options(options), cast(TextIO, err))) + "\n")
            return
        target = self._target(options)
        ensure_database(target)
        err.write(f"{target.label} ({target.url}):\n")
        timeout = options["ramp"] + options["hold_peak"] + 2 * options["hold"] + 600
        result = run_worker(target, self.worker_argv(options), timeout)
        machine = describe_machine(result["database_version"] if result["database"] == "postgresql" else "")
        key = run_key(result)
        results = {key: result}
        existing = _other_run(Path(options["output"]), key)
        section = render_section({**existing, **results}, machine)
        publish(SECTION, section, {"machine": machine, **results}, options, out, err)
        problems = failures(result)
        if problems:
            raise SurgeFailed("; ".join(problems))

    @staticmethod
    def _target(options: dict[str, Any]) -> Target:
        if options["database"] == "sqlite":
            path = options["sqlite_path"] or settings.DATA_DIR / "bench-surge.sqlite3"
            return Target("sqlite", f"sqlite:///{Path(path).resolve()}")
        return Target("postgres", postgres_url(options["postgres_url"]))

    @staticmethod
    def worker_argv(options: dict[str, Any]) -> list[str]:
        argv = ["bench", SECTION, "--database", options["database"]]
        for name in ("cps", "ramp", "hold_peak", "agents", "max_wait", "hold", "lines", "seed"):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        if options["kill_at"] is not None:
            argv += ["--kill-at", str(options["kill_at"])]
        if options["keep_logs"] is not None:
            argv += ["--keep-logs", str(Path(options["keep_logs"]).resolve())]
        return argv

    @staticmethod
    def _check(options: dict[str, Any]) -> None:
        if not 1 <= options["cps"] <= 500 or not 1 <= options["agents"] <= 1000:
            raise BenchError("--cps takes 1 to 500 and --agents 1 to 1000.")
        if options["ramp"] <= 0 or options["hold"] <= 0 or options["hold_peak"] < 0 or options["max_wait"] < 1:
            raise BenchError("--ramp and --hold must be positive, --hold-peak at least 0, --max-wait at least 1.")
        if options["lines"] < 0:
            raise BenchError("--lines must be at least 0 (0: no line limit).")
        if options["kill_at"] is not None and not 0 < options["kill_at"] < options["ramp"] + options["hold_peak"]:
            raise BenchError("--kill-at must fall inside the ramp and the peak.")


def surge_options(options: dict[str, Any]) -> Any:
    from hotline.bench.surge.run import SurgeOptions

    return SurgeOptions(cps=options["cps"], ramp=options["ramp"], agents=options["agents"],
                        max_wait=options["max_wait"], hold=options["hold"], lines=options["lines"],
                        kill_at=options["kill_at"], hold_peak=options["hold_peak"], seed=options["seed"],
                        keep_logs=options["keep_logs"])


RESULTS_MARK = "<!-- surge-results "


def embedded_results(results: dict[str, dict[str, Any]]) -> str:
    """The runs' figures as a comment inside the section, so that a surge run keeps the kill run's table
    (and the other way round) without any file but docs/benchmarks.md."""
    kept = {mode: {key: value for key, value in result.items() if key != "lost_examples"}
            for mode, result in results.items()}
    return f"{RESULTS_MARK}{json.dumps(kept, separators=(',', ':'))} -->"


def run_key(result: dict[str, Any]) -> str:
    """Where a run's figures are kept in the section: the kill run, or the surge run at its peak rate."""
    return "kill" if result["mode"] == "kill" else f"surge-{result['options']['cps']}"


def _other_run(output: Path, mode: str) -> dict[str, dict[str, Any]]:
    """The other runs' results from the section already in the document, if any."""
    if not output.exists():
        return {}
    start, end = markers(SECTION)
    section = output.read_text(encoding="utf-8").partition(start)[2].partition(end)[0]
    found = section.partition(RESULTS_MARK)[2].partition(" -->")[0]
    if not found:
        return {}
    try:
        stored = cast(dict[str, dict[str, Any]], json.loads(found))
    except ValueError:
        return {}
    return {name: result for name, result in stored.items() if name != mode and name in ("kill", *_surge_keys(stored))}


def _surge_keys(stored: dict[str, dict[str, Any]]) -> list[str]:
    return [name for name in stored if name.startswith("surge-")]

"""`hotline simulate airing`: air a TV spot against the running engine with simulated callers and agent phones.

    hotline simulate airing --cps 20 --duration 60 --agents 10

Agent phones register as the demo seats' SIP users (8001, 8002, … with the demo SIP password), callers dial
the hotline number from random mobile numbers and pass the demo IVR with DTMF. When the database has that
hotline number with a station, an airing starting now is recorded for the station first (audited, as the
system), so the calls are attributed to it; `--no-airing` skips that. The summary is printed (`--json` for
a machine-readable one). An engine that does not answer is an error (exit status 1), found before anything
is recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hotline.accounts.actions import do_save_object
from hotline.media.models import Airing, HotlineNumber
from hotline.simulate import DEFAULT_DNIS, DEMO_FIRST_USER, DEMO_SIP_PASSWORD
from hotline.simulate.airing import Options, Simulation, SimulationError, Summary, demo_credentials, engine_answers
from hotline.simulate.phones import Span
from hotline.telephony.sip.transport import Address

AIRING_TITLE = "Simulated airing (hotline simulate)"


def parse_address(text: str) -> Address:
    """`127.0.0.1:5060` → ("127.0.0.1", 5060); the port defaults to 5060."""
    host, _, port = text.rpartition(":") if ":" in text else (text, ":", "5060")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--engine: expected HOST:PORT such as 127.0.0.1:5060, got {text!r}")
    return host, int(port)


def parse_span(name: str, text: str) -> Span:
    """`5-30` → (5.0, 30.0); a single number is a fixed time."""
    low, _, high = text.partition("-")
    try:
        span = (float(low), float(high or low))
    except ValueError:
        raise CommandError(f"--{name}: expected seconds as MIN-MAX such as 5-30, got {text!r}") from None
    if span[0] < 0 or span[1] < span[0]:
        raise CommandError(f"--{name}: expected 0 <= MIN <= MAX, got {text!r}")
    return span


def options_from(arguments: dict[str, Any]) -> Options:
    """The simulation's `Options` from the command line's parsed arguments."""
    if arguments["agents"] < 0:
        raise CommandError("--agents: expected 0 or more")
    try:
        return Options(
            cps=arguments["cps"], duration=arguments["duration"], dnis=arguments["dnis"],
            credentials=demo_credentials(arguments["agents"], arguments["first_user"], arguments["password"]),
            engine=parse_address(arguments["engine"]), domain=arguments["domain"],
            ring=parse_span("ring", arguments["ring"]), talk=parse_span("talk", arguments["talk"]),
            patience=parse_span("patience", arguments["patience"]), seed=arguments["seed"],
            connect_timeout=arguments["connect_timeout"],
        )
    except ValueError as error:
        raise CommandError(str(error)) from error


def airing_number(dnis: str) -> HotlineNumber | None:
    """The active hotline number `dnis` when it belongs to a station (an airing needs one), else None."""
    return HotlineNumber.objects.filter(number=dnis, active=True, station__isnull=False).select_related(
        "station").first()


def record_airing(number: HotlineNumber, seconds: float, now: datetime.datetime | None = None) -> Airing:
    """An airing of the number's station starting now and lasting the simulation, saved through the audit log."""
    airing = Airing(station=number.station, starts_at=now or timezone.now(), length_seconds=max(1, math.ceil(seconds)),
                    title=AIRING_TITLE)
    return do_save_object(airing, actor=None, action="simulate_airing")


async def air(simulation: Simulation) -> Summary:
    """Run the simulation; Ctrl+C (or SIGTERM) hangs up the calls in progress and still gives the summary."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, simulation.stop, "stopped by a signal")
    return await simulation.run()


class Command(BaseCommand):
    help = "Simulate traffic over real SIP against the running engine: `simulate airing --cps 20 --duration 60`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scenario", choices=["airing"], help="What to simulate: a TV spot airing.")
        parser.add_argument("--cps", type=float, default=20.0, help="Calls per second (default 20).")
        parser.add_argument("--duration", type=float, default=60.0, help="Seconds of calling (default 60).")
        parser.add_argument("--agents", type=int, default=10, help="Agent phones to register (default 10).")
        parser.add_argument("--first-user", type=int, default=DEMO_FIRST_USER,
                            help=f"SIP user of the first agent phone; the others follow (default {DEMO_FIRST_USER}).")
        parser.add_argument("--password", default=DEMO_SIP_PASSWORD, help="The agent phones' SIP password "
                            "(default: the demo seats' password).")
        parser.add_argument("--domain", default="hotline", help="Domain of the AORs registered: the engine's realm.")
        parser.add_argument("--dnis", default=DEFAULT_DNIS, help=f"Hotline number dialled (default {DEFAULT_DNIS}).")
        parser.add_argument("--engine", default="127.0.0.1:5060", help="The engine's SIP address (HOST:PORT).")
        parser.add_argument("--ring", default="0.5-2", help="Seconds an agent phone rings before answering.")
        parser.add_argument("--talk", default="5-30", help="Seconds of conversation (MIN-MAX).")
        parser.add_argument("--patience", default="10-60",
                            help="Seconds a caller waits for an agent after the engine answered (MIN-MAX).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a repeatable run.")
        parser.add_argument("--connect-timeout", type=float, default=2.0,
                            help="Seconds to wait for the engine's answer to OPTIONS before giving up.")
        parser.add_argument("--airing", action=argparse.BooleanOptionalAction, default=None,
                            help="Record an airing now for the number's station (default: when the number has one).")
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args: Any, **arguments: Any) -> None:
        import uvloop

        options = options_from(arguments)
        try:
            uvloop.run(engine_answers(options))
        except SimulationError as error:
            raise CommandError(str(error)) from error
        self._airing(options, arguments["airing"])
        try:
            summary = uvloop.run(air(Simulation(options)))
        except SimulationError as error:
            raise CommandError(str(error)) from error
        self._report(summary, arguments["json"])

    def _airing(self, options: Options, wanted: bool | None) -> None:
        if wanted is False:
            return
        number = airing_number(options.dnis)
        if number is None:
            if wanted:
                raise CommandError(f"--airing: no active hotline number {options.dnis} with a station in the database")
            self.stderr.write(f"No station has hotline number {options.dnis}: no airing recorded.")
            return
        airing = record_airing(number, options.duration)
        self.stderr.write(f"Recorded airing #{airing.pk} on {number.station} for {airing.length_seconds} s.")

    def _report(self, summary: Summary, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
        else:
            for line in summary.lines():
                self.stdout.write(line)

"""`hotline simulate airing|call`: real SIP traffic against the running engine.

    hotline simulate airing --cps 20 --duration 60 --agents 10
    hotline simulate call --from 13800138000 [--to 4008001000] [--talk 20] [--digits 1]

`airing`: agent phones register as the demo seats' SIP users (8001, 8002, … with the demo SIP password),
and the agents who usually sit at those seats are signed in, ready, through the web app's REST API
(`--web`; the demo starts them signed out) and signed out again at the end (`simulate/desk.py`). Callers
dial the hotline number from random mobile numbers and pass the demo IVR with DTMF. When the database has
that hotline number with a station, an airing starting now is recorded for the station first (audited, as
the system), so the calls are attributed to it; `--no-airing` skips that. The summary and the outcomes'
legend are printed (`--json` for a machine-readable summary). An engine that does not answer is an error
(exit status 1), found before anything is recorded.

`call`: one customer's call with audio (`simulate/call.py`), to ring a desk where a softphone is registered.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, DjangoHelpFormatter
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from hotline.accounts.actions import do_create_api_token, do_delete_object, do_save_object
from hotline.accounts.models import ApiToken
from hotline.accounts.permissions import Perm
from hotline.calls.models import CallRecord, Seat
from hotline.demo.data import SHOWCASE_NUMBER
from hotline.media.models import Airing, HotlineNumber
from hotline.simulate import DEFAULT_DNIS, DEMO_FIRST_USER, DEMO_SIP_PASSWORD
from hotline.simulate.airing import Options, Simulation, SimulationError, Summary, demo_credentials, engine_answers
from hotline.simulate.call import CallOptions, place_call, report
from hotline.simulate.desk import DeskSignIn, Sitting
from hotline.simulate.phones import Span, legend_lines
from hotline.telephony.sip.transport import Address

# The airing is a row people read on the wallboard and in the back office: in the site's language.
AIRING_TITLE = gettext_lazy("Simulated airing (hotline simulate)")
TOKEN_NAME = "hotline simulate"  # the tokens the run issues to sign its agents in (deleted after it)
DEFAULT_WEB = "http://127.0.0.1:8000"


def local_engine() -> str:
    """The engine `hotline demo` or `hotline engine` runs with these settings (HOTLINE_SIP_HOST/PORT), as a
    HOST:PORT to reach it: a wildcard bind address is reached on loopback."""
    host = settings.HOTLINE_SIP_HOST if settings.HOTLINE_SIP_HOST not in ("", "0.0.0.0", "::") else "127.0.0.1"
    return f"{host}:{settings.HOTLINE_SIP_PORT}"


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
                    title=str(AIRING_TITLE))
    return do_save_object(airing, actor=None, action="simulate_airing")


async def air(simulation: Simulation) -> Summary:
    """Run the simulation; Ctrl+C (or SIGTERM) hangs up the calls in progress and still gives the summary."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, simulation.stop, "stopped by a signal")
    return await simulation.run()


def sittings_for(sip_users: list[str]) -> tuple[dict[str, Sitting], list[ApiToken]]:
    """For each phone's seat that nobody sits at, its usual agent if they are signed out nowhere else, with
    a fresh API token (audited, as the system): those agents are signed in for the run, then the tokens go."""
    seats = (Seat.objects.filter(sip_username__in=sip_users, agent__isnull=True, usual_agent__is_active=True,
                                 usual_agent__seat__isnull=True)
             .select_related("usual_agent").order_by("name"))
    sittings: dict[str, Sitting] = {}
    tokens: list[ApiToken] = []
    for seat in seats:
        agent = seat.usual_agent
        if agent is None or not agent.has_perm(Perm.TAKE_CALLS):
            continue
        token, raw = do_create_api_token(agent, actor=None, name=TOKEN_NAME)
        tokens.append(token)
        sittings[seat.sip_username] = Sitting(seat.sip_username, seat.name, agent.username, raw)
    return sittings, tokens


def answered_by(call_id: str) -> str:
    """The agent who answered the call, from the call log ("" while nobody has)."""
    try:
        record = CallRecord.objects.filter(call_id=call_id, answered_at__isnull=False).values("agent_key").first()
        return record["agent_key"] if record else ""
    finally:
        connection.close()  # a worker thread's connection: not left open behind the caller


OUTCOMES = "Outcomes of the simulated calls (each call has exactly one):\n" + "\n".join(legend_lines())
AIRING_HELP = ("Air a TV spot: agent phones register as the demo seats and their usual agents sign in, callers\n"
               "dial in at --cps for --duration seconds.\n\n" + OUTCOMES)
CALL_HELP = ("One customer's call with audio: rings a desk where a softphone is registered (sign in at /desk/ "
             "first). The caller speaks a recorded voice, presses --digits at the menu, talks --talk seconds "
             "once an agent has answered (read from the call log), then hangs up.")


class LegendFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's option order, with the outcomes' legend kept in its lines."""


class Command(BaseCommand):
    help = ("Real SIP traffic against the running engine: `simulate airing --cps 5 --duration 30 --agents 10`, "
            "or one call with `simulate call --from 13800138000`.")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        kwargs.setdefault("formatter_class", LegendFormatter)
        return super().create_parser(prog_name, subcommand, epilog=OUTCOMES, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        scenarios = parser.add_subparsers(dest="scenario", required=True, metavar="SCENARIO", title="scenarios")
        airing = scenarios.add_parser("airing", help="air a TV spot (many callers, agent phones)",
                                      description=AIRING_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
        add_airing_arguments(airing)
        call = scenarios.add_parser("call", help="one customer's call with audio, to ring a desk",
                                    description=CALL_HELP)
        add_call_arguments(call)

    def handle(self, *args: Any, **arguments: Any) -> None:
        import uvloop

        try:
            if arguments["scenario"] == "call":
                uvloop.run(self._call(call_options_from(arguments)))
            else:
                self._air(uvloop.run, arguments)
        except SimulationError as error:
            raise CommandError(str(error)) from error

    def _air(self, run: Any, arguments: dict[str, Any]) -> None:
        options = options_from(arguments)
        run(engine_answers(options))
        self._airing(options, arguments["airing"])
        sittings, tokens = ({}, []) if not arguments["sign_in"] else sittings_for(
            [user for user, _password in options.credentials])
        desk = DeskSignIn(arguments["web"], sittings, say=self.stderr.write) if sittings else None
        try:
            summary = run(air(Simulation(options, desk)))
        finally:
            for token in tokens:
                do_delete_object(token, actor=None)
        self._report(summary, arguments["json"])

    async def _call(self, options: CallOptions) -> None:
        async def poll(call_id: str) -> str:
            return await asyncio.to_thread(answered_by, call_id)

        result = await place_call(options, poll, said=self.stdout.write)
        for line in report(result):
            self.stdout.write(line)

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


def add_airing_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cps", type=float, default=20.0, help="Calls per second (default 20).")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of calling (default 60).")
    parser.add_argument("--agents", type=int, default=10, help="Agent phones to register (default 10).")
    parser.add_argument("--first-user", type=int, default=DEMO_FIRST_USER,
                        help=f"SIP user of the first agent phone; the others follow (default {DEMO_FIRST_USER}).")
    parser.add_argument("--password", default=DEMO_SIP_PASSWORD, help="The agent phones' SIP password "
                        "(default: the demo seats' password).")
    parser.add_argument("--domain", default="hotline", help="Domain of the AORs registered: the engine's realm.")
    parser.add_argument("--dnis", default=DEFAULT_DNIS, help=f"Hotline number dialled (default {DEFAULT_DNIS}).")
    parser.add_argument("--engine", default=local_engine(),
                        help="The engine's SIP address (HOST:PORT; default: HOTLINE_SIP_HOST:HOTLINE_SIP_PORT).")
    parser.add_argument("--web", default=DEFAULT_WEB,
                        help=f"The web app whose REST API signs the agents in (default {DEFAULT_WEB}).")
    parser.add_argument("--sign-in", action=argparse.BooleanOptionalAction, default=True,
                        help="Sign in, ready, the usual agents of the phones' seats who are signed out, and sign "
                             "them out at the end (default: yes).")
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


def add_call_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="number", default=SHOWCASE_NUMBER,
                        help=f"The caller's number (default {SHOWCASE_NUMBER}, a demo customer's).")
    parser.add_argument("--to", dest="dnis", default=DEFAULT_DNIS,
                        help=f"Hotline number dialled (default {DEFAULT_DNIS}).")
    parser.add_argument("--talk", type=float, default=20.0, help="Seconds to talk once an agent answered (default 20).")
    parser.add_argument("--digits", default="",
                        help="The menu key to press (1 orders, 2 order status, 3 after-sales); default none.")
    parser.add_argument("--wait", type=float, default=120.0, help="Seconds to wait for an agent (default 120).")
    parser.add_argument("--engine", default=local_engine(),
                        help="The engine's SIP address (HOST:PORT; default: HOTLINE_SIP_HOST:HOTLINE_SIP_PORT).")


def call_options_from(arguments: dict[str, Any]) -> CallOptions:
    try:
        return CallOptions(number=arguments["number"], dnis=arguments["dnis"],
                           engine=parse_address(arguments["engine"]), key=arguments["digits"], talk=arguments["talk"],
                           wait=arguments["wait"])
    except ValueError as error:
        raise CommandError(str(error)) from error

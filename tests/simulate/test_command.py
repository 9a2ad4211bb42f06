"""`hotline simulate airing`: its arguments, an unreachable engine, the airing it records, a whole run."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.accounts.models import AuditEntry
from hotline.media.models import Airing
from hotline.simulate import DEMO_SIP_PASSWORD
from hotline.simulate.airing import Options
from hotline.simulate.management.commands.simulate import Command, airing_number, options_from, record_airing
from hotline.telephony.engine import Engine
from hotline.telephony.memory import MemoryCallLog
from hotline.telephony.ports import Route
from tests import factories

from .helpers import DNIS, run, running

ROOT = Path(__file__).resolve().parents[2]


def parsed(*argv: str) -> Options:
    arguments = vars(Command().create_parser("hotline", "simulate").parse_args(["airing", *argv]))
    return options_from(arguments)


def test_defaults_are_the_issue_s_airing_against_the_demo_seats_on_the_local_engine() -> None:
    options = parsed()
    assert (options.cps, options.duration, options.calls, options.dnis) == (20.0, 60.0, 1200, "4008001000")
    assert options.engine == ("127.0.0.1", 5060) and options.domain == "hotline"
    assert options.credentials == tuple((str(user), DEMO_SIP_PASSWORD) for user in range(8001, 8011))
    assert (options.ring, options.talk, options.patience) == ((0.5, 2.0), (5.0, 30.0), (10.0, 60.0))


def test_arguments_are_parsed_into_the_simulation_s_options() -> None:
    options = parsed("--cps", "5", "--duration", "2", "--agents", "3", "--first-user", "9001", "--password", "pw",
                     "--engine", "10.0.0.7:5070", "--talk", "1-2", "--patience", "7", "--seed", "4", "--dnis", "4001")
    assert (options.cps, options.duration, options.calls, options.seed, options.dnis) == (5.0, 2.0, 10, 4, "4001")
    assert options.credentials == (("9001", "pw"), ("9002", "pw"), ("9003", "pw"))
    assert options.engine == ("10.0.0.7", 5070) and options.talk == (1.0, 2.0) and options.patience == (7.0, 7.0)


@pytest.mark.parametrize(("argv", "message"), [
    (["--engine", "127.0.0.1:http"], "--engine: expected HOST:PORT"),
    (["--engine", "127.0.0.1:70000"], "--engine: expected HOST:PORT"),
    (["--talk", "30-5"], "--talk: expected 0 <= MIN <= MAX"),
    (["--patience", "soon"], "--patience: expected seconds as MIN-MAX"),
    (["--cps", "0"], "invalid simulation options: cps"),
    (["--agents", "-1"], "--agents: expected 0 or more"),
    (["--engine", "localhost:5060"], r"invalid simulation options: engine \(an IP address and port\)"),
])
def test_bad_arguments_are_refused_with_what_was_expected(argv: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parsed(*argv)


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'storm'"):
        call_command("simulate", "storm")


def test_an_unreachable_engine_exits_non_zero_with_a_clear_message(unused_udp_port: int) -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings"}
    completed = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "simulate", "airing", "--engine", f"127.0.0.1:{unused_udp_port}",
         "--connect-timeout", "0.3"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 1
    assert (f"CommandError: no SIP answer from 127.0.0.1:{unused_udp_port} within 0.3 s: is the engine running "
            "(`hotline engine`)?") in completed.stderr
    assert completed.stdout == ""


@pytest.mark.django_db
def test_the_airing_is_recorded_for_the_number_s_station_through_the_audit_log() -> None:
    station = factories.make_station()
    number = factories.make_hotline(DNIS, station)
    factories.make_hotline("4008002000")  # shared by all stations: no airing can be recorded for it
    assert airing_number(DNIS) == number and airing_number("4008002000") is None and airing_number("1") is None
    airing = record_airing(number, 59.2)
    assert (airing.station, airing.length_seconds, airing.ends_at - airing.starts_at) == (
        station, 60, datetime.timedelta(seconds=60))
    entry = AuditEntry.objects.get(object_id=str(airing.pk), object_type="media.airing")
    assert (entry.action, entry.actor, entry.actor_name) == ("simulate_airing", None, "system")


@contextmanager
def engine_in_thread(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An engine (in-memory ports, DNIS straight to the orders queue) on its own loop in a thread."""
    box: dict[str, Any] = {}
    ready = threading.Event()

    async def serve() -> None:
        async with running(tmp_path, Route(DNIS, queue="orders"), ()) as (engine, call_log):
            box.update(engine=engine, call_log=call_log, loop=asyncio.get_running_loop(), stop=asyncio.Event())
            ready.set()
            await box["stop"].wait()
            await engine.flush_log()

    thread = threading.Thread(target=run, args=(serve, 40), daemon=True)
    thread.start()
    assert ready.wait(10), "the engine did not start"
    try:
        yield box
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(20)


@pytest.mark.django_db
def test_a_whole_run_records_the_airing_and_prints_the_summary_as_json(tmp_path: Path) -> None:
    station = factories.make_station()
    factories.make_hotline(DNIS, station)
    out, err = StringIO(), StringIO()
    with engine_in_thread(tmp_path) as box:
        engine: Engine = box["engine"]
        host, port = engine.sip_address
        call_command("simulate", "airing", "--engine", f"{host}:{port}", "--cps", "5", "--duration", "0.4",
                     "--agents", "0", "--patience", "0.5-0.8", "--seed", "1", "--json", stdout=out, stderr=err)
    call_log: MemoryCallLog = box["call_log"]
    summary = json.loads(out.getvalue())
    assert summary["placed"] == 2 and sum(summary["outcomes"].values()) == 2
    assert summary["outcomes"]["abandoned_ivr"] == 2  # out of patience before the menu key
    assert summary["per_agent"] == {} and summary["refused"] == {} and summary["failed"] == {}
    assert len({event.call_id for event in call_log.events}) == 2
    (airing,) = Airing.objects.all()
    assert airing.station == station and airing.length_seconds == 1
    assert err.getvalue().strip() == f"Recorded airing #{airing.pk} on {station} for 1 s."


def test_the_engine_address_defaults_to_the_settings_the_demo_runs_its_engine_with(settings) -> None:  # type: ignore[no-untyped-def]
    from hotline.simulate.management.commands.simulate import local_engine

    settings.HOTLINE_SIP_HOST, settings.HOTLINE_SIP_PORT = "127.0.0.1", 5099
    assert local_engine() == "127.0.0.1:5099"
    settings.HOTLINE_SIP_HOST = "0.0.0.0"  # bound on every address: reached on loopback
    assert local_engine() == "127.0.0.1:5099"

"""One surge run, inside the benchmark's worker process (Django set up on the benchmark's database).

Prepare the database, start `hotline engine`, register the agent phones, then place the surge: SIPp (the
normal run), or Python callers that listen for the confirmation prompt while the engine is SIGKILLed and
started again (`--kill-at`). Then stop the engine with SIGTERM, read the database and reconcile.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.db import connection

from hotline.bench.stats import percentile
from hotline.bench.surge import sipp
from hotline.bench.surge.confirm import ConfirmationDetector, confirmation_frames
from hotline.bench.surge.reconcile import CALLBACK, LOST, count, load_evidence, reconcile
from hotline.bench.surge.world import (
    DNIS,
    RTP_PORTS,
    SIP_PASSWORD,
    AgentSeat,
    EngineCommand,
    EngineEnvironment,
    free_port_range,
    free_udp_port,
    prepare_database,
)
from hotline.simulate.media import MediaSocket
from hotline.simulate.phones import AgentPhone, SipEndpoint
from hotline.telephony.sip.calls import CallState

HOST = "127.0.0.1"
START_SECONDS = 90.0
TALK = (3.0, 8.0)  # an agent talks this long (uniform, seeded) and hangs up
RING = (0.2, 0.6)
CALLER_MARK = 0x11


@dataclass(frozen=True)
class SurgeOptions:
    """The run as asked on the command line."""

    cps: int
    ramp: float
    agents: int
    max_wait: int
    hold: float
    lines: int
    kill_at: float | None = None
    hold_peak: float = 5.0
    seed: int = 1
    keep_logs: Path | None = None

    @property
    def ramp_plan(self) -> sipp.Ramp:
        return sipp.Ramp(self.cps, self.ramp, self.hold_peak)


@dataclass
class PlacedCall:
    """A call the load placed, as the caller saw it."""

    call_id: str
    number: str
    final_status: int | None = None
    setup_seconds: float | None = None
    bye_by: str = ""
    heard_confirmation: int = 0  # frames of the confirmation prompt received (Python callers only)
    placed_at: float | None = None  # seconds into the run (Python callers only)
    ended_at: float | None = None
    engine_rtp_port: int = 0  # the engine's RTP port of the call (from its SDP answer)
    foreign_confirmation: int = 0  # confirmation frames from another RTP stream than the call's own
    line_seconds: float | None = None  # INVITE → BYE (or → the refusal): how long the call held a line


@dataclass
class LoadOutcome:
    calls: list[PlacedCall] = field(default_factory=list)
    sipp: dict[str, Any] = field(default_factory=dict)
    engine_starts: int = 1
    killed_at: float | None = None
    agents_registered: int = 0


# -- the engine -----------------------------------------------------------------------------------------

async def wait_until_answering(endpoint: SipEndpoint, engine: EngineCommand, address: tuple[str, int]) -> float:
    """Poll the engine with OPTIONS until it answers; seconds it took. Fails if the process died."""
    started = time.monotonic()
    while time.monotonic() - started < START_SECONDS:
        if not engine.alive():
            raise RuntimeError(f"the engine process exited: {engine.tail()}")
        if await endpoint.options(address, 0.5) is not None:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the engine did not answer OPTIONS within {START_SECONDS:g} s: {engine.tail()}")


async def register_all(phones: list[AgentPhone], address: tuple[str, int]) -> int:
    """Register every agent phone (again after a restart: the registrar forgets on a kill); how many got 200."""
    async def one(phone: AgentPhone) -> int:
        if phone.registration is not None:
            return await phone.registration.register()
        return await phone.register(address)

    statuses = await asyncio.gather(*(one(phone) for phone in phones), return_exceptions=True)
    return sum(1 for status in statuses if status == 200)


def agent_phones(endpoint: SipEndpoint, seats: list[AgentSeat], seed: int) -> list[AgentPhone]:
    """One answering phone per seat, each with its own seeded talk times."""
    return [AgentPhone(endpoint, seat.sip_username, SIP_PASSWORD, ring=RING, talk=TALK,
                       rng=random.Random(seed * 1000 + index)) for index, seat in enumerate(seats)]


# -- SIPp callers ---------------------------------------------------------------------------------------

async def sipp_surge(options: SurgeOptions, address: tuple[str, int], work: Path, err: TextIO) -> LoadOutcome:
    """Run SIPp's ramp against the engine; the calls as its message log tells them."""
    plan = options.ramp_plan
    numbers = sipp.mobile_numbers(plan.calls(), options.seed)
    injection = sipp.write_injection_file(work / "callers.csv", numbers)
    pcap = sipp.write_audio_pcap(work / "caller-audio.pcap")
    scenario = sipp.write_scenario(work / "surge_caller.xml", pcap, options.hold)
    command = sipp.sipp_command(scenario, injection, address, DNIS, plan, options.hold,
                                (free_udp_port(), free_udp_port()))
    err.write(f"SIPp: {plan.calls()} calls, 1 → {plan.peak} calls/s over {plan.ramp:g} s, then "
              f"{plan.hold_peak:g} s at the peak…\n")
    process = await asyncio.create_subprocess_exec(*command, cwd=work, stdout=subprocess.PIPE,
                                                   stderr=subprocess.STDOUT)
    output, _ = await process.communicate()
    logs = list(work.glob("surge_caller_*_messages.log"))
    if not logs:
        raise RuntimeError(f"SIPp wrote no message log (exit {process.returncode}): {output.decode()[-800:]}")
    parsed = sipp.parse_calls(logs[0].read_text(errors="replace"))
    calls = [PlacedCall(call.call_id, call.number, call.final_status, call.setup_seconds, call.bye_by,
                        line_seconds=call.line_seconds)
             for call in parsed.values() if call.invited_at is not None]
    stats = _sipp_counts(work)
    return LoadOutcome(calls=calls, sipp={"exit": process.returncode, **stats})


def _sipp_counts(work: Path) -> dict[str, int]:
    found = list(work.glob("surge_caller_*_.csv"))
    if not found:
        return {}
    lines = [line for line in found[0].read_text(errors="replace").splitlines() if line.strip()]
    if len(lines) < 2:
        return {}
    header, last = lines[0].split(";"), lines[-1].split(";")
    wanted = {"SuccessfulCall(C)": "successful", "FailedCall(C)": "failed", "TotalCallCreated": "created"}
    return {name: int(last[header.index(column)]) for column, name in wanted.items() if column in header}


# -- Python callers that listen (the kill run) -----------------------------------------------------------

class CallerSocket(MediaSocket):
    """A caller's own RTP socket that keeps to the first RTP stream (SSRC) the engine's leg sent it.

    After a SIGKILL, callers whose calls were cut still send audio to the old engine's RTP ports, which the
    new engine hands to new calls. A trunk leg latches only to the address its SDP names, so a cut caller
    should never get a new caller's confirmation; frames of another SSRC are not this call's: they are
    counted apart (`foreign_confirmation`), not as heard, so the run shows whether that holds.
    """

    def __init__(self, host: str, frames: frozenset[bytes]) -> None:
        super().__init__(host)
        self.frames = frames
        self.first_ssrc: bytes | None = None
        self.foreign_confirmation = 0

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        ssrc = data[8:12]
        if self.first_ssrc is None:
            self.first_ssrc = ssrc
        elif ssrc != self.first_ssrc:
            self.foreign_confirmation += data[12:] in self.frames
            return
        super().datagram_received(data, addr)


class ListeningCaller:
    """A caller who sends audio, keeps every frame of the confirmation prompt it receives, waits up to
    `hold` seconds for the engine to hang up, and otherwise hangs up itself.

    Each caller has its own RTP socket, as a phone has: calls cut by the SIGKILL stay up on the caller's side
    until their patience runs out, and the restarted engine reuses its RTP ports from the start, so on a
    shared socket (streams told apart by the engine's address) a new call's confirmation could be counted
    for a dead call whose stream had that address.
    """

    def __init__(self, endpoint: SipEndpoint, number: str, hold: float, started: float) -> None:
        self.endpoint = endpoint
        self.hold = hold
        self.started = started
        self.placed = PlacedCall("", number)

    async def run(self, uri: str) -> PlacedCall:
        media = CallerSocket(HOST, frozenset())
        await media.open()
        try:
            await self._run(uri, media)
        finally:
            media.close()
            self.placed.foreign_confirmation = media.foreign_confirmation
        return self.placed

    async def _run(self, uri: str, media: MediaSocket) -> None:
        endpoint, placed = self.endpoint, self.placed
        loop = asyncio.get_running_loop()
        placed.placed_at = loop.time() - self.started
        call = endpoint.calls.dial(uri, (HOST, media.port), caller=f"sip:{placed.number}@{HOST}")
        placed.call_id = call.invite.call_id
        try:
            placed.final_status = await asyncio.wait_for(call.wait_answer(), self.hold)
        except TimeoutError:
            call.hangup()
            return
        placed.setup_seconds = loop.time() - self.started - placed.placed_at
        if placed.final_status != 200 or call.media is None:
            return
        placed.engine_rtp_port = call.media.remote_port
        if isinstance(media, CallerSocket):
            media.frames = confirmation_frames(call.media.codec.payload_type)
        detector = ConfirmationDetector(call.media.codec.payload_type)
        stream = media.stream(call.media, CALLER_MARK, talking=True)
        for frame in detector.frames:  # each frame's cue fires once: enough to count distinct frames heard
            stream.when_heard(frame, partial(detector.note, frame))
        try:
            await asyncio.wait_for(call.wait_ended(), self.hold)
            placed.bye_by = "engine"
        except TimeoutError:
            placed.bye_by = "caller"
            if call.state is not CallState.ENDED:
                call.hangup()
                await asyncio.wait([asyncio.ensure_future(call.wait_ended())], timeout=40)
        finally:
            stream.close()
            placed.heard_confirmation = detector.matched
            placed.ended_at = loop.time() - self.started


async def python_surge(options: SurgeOptions, address: tuple[str, int], engine: EngineCommand,
                       probe: SipEndpoint, phones: list[AgentPhone], err: TextIO) -> LoadOutcome:
    """Listening callers along the ramp; SIGKILL the engine at `kill_at` s and start it again at once."""
    plan = options.ramp_plan
    numbers = sipp.mobile_numbers(plan.calls(), options.seed)
    callers_endpoint = await SipEndpoint(trusted=(), name="surge callers").start()
    outcome = LoadOutcome()
    uri = f"sip:{DNIS}@{address[0]}:{address[1]}"
    err.write(f"Python callers: {plan.calls()} calls, 1 → {plan.peak} calls/s over {plan.ramp:g} s; SIGKILL at "
              f"{options.kill_at:g} s…\n")
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        killer = asyncio.ensure_future(_kill_and_restart(options.kill_at or 0.0, start, address, engine, probe,
                                                         phones, outcome, err))
        tasks = []
        for number, at in zip(numbers, plan.arrivals(), strict=True):
            delay = start + at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(ListeningCaller(callers_endpoint, number, options.hold, start).run(uri)))
        outcome.calls = list(await asyncio.gather(*tasks))
        await killer
    finally:
        await callers_endpoint.close()
    return outcome


async def _kill_and_restart(kill_at: float, start: float, address: tuple[str, int], engine: EngineCommand,
                            probe: SipEndpoint, phones: list[AgentPhone], outcome: LoadOutcome,
                            err: TextIO) -> None:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start + kill_at - loop.time()))
    outcome.killed_at = loop.time() - start
    engine.kill()
    engine.start()
    outcome.engine_starts = engine.starts
    took = await wait_until_answering(probe, engine, address)
    registered = await register_all(phones, address)
    err.write(f"engine SIGKILLed at {outcome.killed_at:.1f} s; answering again {took:.1f} s later; "
              f"{registered}/{len(phones)} agents registered again\n")


# -- the whole run --------------------------------------------------------------------------------------

async def run_load(options: SurgeOptions, seats: list[AgentSeat], engine: EngineCommand, address: tuple[str, int],
                   work: Path, err: TextIO) -> LoadOutcome:
    agents_endpoint = await SipEndpoint(name="surge agents").start()
    try:
        took = await wait_until_answering(agents_endpoint, engine, address)
        phones = agent_phones(agents_endpoint, seats, options.seed)
        registered = await register_all(phones, address)
        err.write(f"engine answering after {took:.1f} s; {registered}/{len(phones)} agent phones registered\n")
        if registered != len(phones):
            raise RuntimeError(f"only {registered} of {len(phones)} agent phones could register")
        if options.kill_at is None:
            outcome = await sipp_surge(options, address, work, err)
        else:
            outcome = await python_surge(options, address, engine, agents_endpoint, phones, err)
        outcome.agents_registered = registered
        await asyncio.sleep(1.0)  # the last BYEs and the engine's last writes
        return outcome
    finally:
        await agents_endpoint.close()


def run_surge(options: SurgeOptions, err: TextIO) -> dict[str, Any]:
    """Set up, run, stop the engine, reconcile: the run's figures (JSON-ready)."""
    seats = prepare_database(options.agents)
    vendor_version = _database_version()
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory(prefix="bench-surge-") as folder:
        work = Path(folder)
        err.write(f"working folder (engine logs, SIPp logs): {work}\n")
        environment = EngineEnvironment(
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{settings.DATABASES['default']['NAME']}"),
            sip_port=free_udp_port(), rtp_ports=free_port_range(RTP_PORTS, rng), lines=options.lines,
            max_wait=options.max_wait, data_dir=work / "data")
        environment.data_dir.mkdir()
        engine = EngineCommand(environment)
        address = (HOST, environment.sip_port)
        connection.close()  # the engine and this process must not share a connection across the run
        engine.start()
        try:
            outcome = asyncio.run(run_load(options, seats, engine, address, work, err))
        finally:
            exit_status = engine.stop()
        err.write(f"engine stopped (exit {exit_status}); reconciling…\n")
        result = reconcile_run(outcome, options)
        if options.keep_logs is not None:  # for a look at what went wrong: the folder goes with the run
            shutil.copytree(work, options.keep_logs, dirs_exist_ok=True)
    result.update(database=vendor_version[0], database_version=vendor_version[1], engine_exit=exit_status,
                  options={**options.__dict__, "keep_logs": str(options.keep_logs or "")})
    return result


def reconcile_run(outcome: LoadOutcome, options: SurgeOptions) -> dict[str, Any]:
    """Each placed call's outcome, counts, latency, and for a kill run the confirmation check."""
    from hotline.calls.models import Callback as CallbackRow

    calls = outcome.calls
    evidence = load_evidence(call.call_id for call in calls)
    outcomes = reconcile(((call.call_id, call.final_status) for call in calls), evidence)
    counts = count(outcomes)
    setups = sorted(call.setup_seconds for call in calls if call.setup_seconds is not None)
    lost = [call for call in calls if outcomes[call.call_id] == LOST]
    result: dict[str, Any] = {
        "mode": "kill" if options.kill_at is not None else "surge",
        "calls": len(calls),
        "outcomes": counts,
        "lost": counts[LOST],
        "setup_ms": _latency(setups),
        # The automatic seat's callers: how long each held a line (the goal is 3 s at most).
        "captured_line_ms": _latency(sorted(call.line_seconds for call in calls if call.line_seconds is not None
                                            and outcomes[call.call_id] == CALLBACK)),
        "no_final_response": sum(1 for call in calls if call.final_status is None),
        "refused_503": sum(1 for call in calls if call.final_status == 503),
        "final_statuses": dict(Counter(str(call.final_status) for call in calls)),
        "hung_up_by": dict(Counter(call.bye_by or "-" for call in calls)),
        "callbacks_stored": CallbackRow.objects.count(),
        "callbacks_by_reason": dict(Counter(CallbackRow.objects.values_list("reason", flat=True))),
        "lost_examples": [_describe(call, evidence) for call in lost[:10]],
        "sipp": outcome.sipp,
        "agents_registered": outcome.agents_registered,
    }
    if options.kill_at is not None:
        heard = [call for call in calls if call.heard_confirmation]
        missing = [call for call in heard if call.call_id not in evidence.callbacks]
        result["kill"] = {
            "killed_at": outcome.killed_at, "engine_starts": outcome.engine_starts,
            "heard_confirmation": len(heard), "heard_with_callback_row": len(heard) - len(missing),
            "missing_callback_row": [call.call_id for call in missing],
            "missing_details": [_describe(call, evidence) for call in missing[:10]],
            "engine_rtp_ports_shared": shared_ports(calls, outcome.killed_at),
            "callers_with_foreign_confirmation": sum(1 for call in calls if call.foreign_confirmation),
            "others": count({call.call_id: outcomes[call.call_id] for call in calls if not call.heard_confirmation}),
        }
    return result


def shared_ports(calls: list[PlacedCall], killed_at: float | None) -> int:
    """Calls whose engine RTP port was also another call's while both were up, among the calls the first
    engine answered (the engine must give each leg its own port; a shared one sends one caller's prompts
    to the other). Calls cut by a kill count as up until the kill only: the new engine reuses the ports."""
    until = killed_at if killed_at is not None else float("inf")
    spans = sorted((call.engine_rtp_port, call.placed_at + (call.setup_seconds or 0), min(call.ended_at, until),
                    call.call_id)
                   for call in calls if call.engine_rtp_port and call.placed_at is not None
                   and call.ended_at is not None and call.placed_at + (call.setup_seconds or 0) < until)
    overlapping: set[str] = set()
    for first, second in itertools.pairwise(spans):
        if first[0] == second[0] and second[1] < first[2]:
            overlapping.update((first[3], second[3]))
    return len(overlapping)


def _latency(ordered: list[float]) -> dict[str, float | None]:
    if not ordered:
        return {"p50": None, "p99": None, "max": None}
    return {"p50": percentile(ordered, 50) * 1000, "p99": percentile(ordered, 99) * 1000, "max": ordered[-1] * 1000}


def _describe(call: PlacedCall, evidence: Any) -> dict[str, Any]:
    record = evidence.records.get(call.call_id)
    return {"call_id": call.call_id, "number": call.number, "final_status": call.final_status,
            "bye_by": call.bye_by, "record_outcome": record.outcome if record else None,
            "placed_at": call.placed_at, "setup_seconds": call.setup_seconds,
            "confirmation_frames": call.heard_confirmation, "ended_at": call.ended_at,
            "engine_rtp_port": call.engine_rtp_port}


def _database_version() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        return connection.vendor, str(cursor.fetchone()[0])

"""`hotline bench ivr`: how long an impulse buyer waits, from the INVITE to the agent's phone ringing.

The real engine (`hotline.telephony.engine.Engine` on uvloop, in this process) runs the demo flow with the
shipped prompts; a caller and an agent phone from the simulator's phones package talk to it over real SIP
and RTP on 127.0.0.1. Four ways in, each timed on one clock from the caller's INVITE to the agent phone's
INVITE (the engine rings it):

* `welcome`: "1" (RFC 4733) half a second after the welcome is first heard;
* `menu`: "1" one second after the main menu is first heard (after "订购按1");
* `silent`: no key at all (one silent pass of the menu, then the orders queue);
* `airing`: the number skips its menu during an airing (the route the directory gives then: a short
  welcome while the call already waits in the orders queue).

The agent answers at once and the caller hangs up, so the agent is free for the next call. Beside the
figures, the flow's worst case for a silent caller is computed from the prompts' lengths
(`hotline.telephony.ivr.timing`), the number the tests assert.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from django.conf import settings

from hotline.bench.base import Writer
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError
from hotline.simulate.media import prompt_cue
from hotline.simulate.phones import CALLER_MARK, SipEndpoint
from hotline.telephony.acd.queue import QueueConfig
from hotline.telephony.engine import PROMPTS, Engine, EngineConfig, SeatConfig
from hotline.telephony.events import AgentState
from hotline.telephony.ivr.loader import load_demo_flow
from hotline.telephony.ivr.phrases import AIRING_WELCOME
from hotline.telephony.ivr.timing import prompt_seconds, silent_path
from hotline.telephony.memory import MemoryCallLog, MemoryDirectory, MemoryEventBus
from hotline.telephony.ports import Route
from hotline.telephony.sip.calls import InboundCall, OutboundCall
from hotline.telephony.sip.trunks import Trunk

SECTION = "ivr"
HOST = "127.0.0.1"
MENU_NUMBER, AIRING_NUMBER = "4008001000", "4008001001"
AGENT, AGENT_USER = "agent-1", "8001"
GOAL_SECONDS = 8.0
CASES = ("welcome", "menu", "silent", "airing")
LABELS = {
    "welcome": "1 pressed during the welcome",
    "menu": "1 pressed during the menu",
    "silent": "no key",
    "airing": "during an airing, the number set to skip its menu",
}
# When the caller presses "1", in seconds after first hearing a prompt (None: never).
PRESS = {"welcome": ("welcome", 0.5), "menu": ("main_menu", 1.0), "silent": None, "airing": None}
SAMPLE_TIMEOUT = 60.0


@dataclass
class Rig:
    """The engine under test, the caller's and the agent's endpoints, and when the agent phone last rang."""

    engine: Engine
    callers: SipEndpoint
    agents: SipEndpoint
    rang: list[float] = field(default_factory=list)


async def _start(recordings: Path) -> Rig:
    agents = await SipEndpoint().start()
    config = EngineConfig(
        sip_port=0, trunks=(Trunk.of("bench callers", [HOST]),),
        queues=(QueueConfig("orders", wrap_up_seconds=0), QueueConfig("after_sales", wrap_up_seconds=0)),
        flows={"demo": load_demo_flow()}, recordings=recordings, hold_music=PROMPTS / "please_hold.wav",
        seats=(SeatConfig(AGENT, "seat-1", fixed_uri=agents.contact(AGENT_USER), queues=("orders",)),),
    )
    routes = {MENU_NUMBER: Route(MENU_NUMBER, flow="demo"),
              AIRING_NUMBER: Route(AIRING_NUMBER, queue="orders", greeting=(AIRING_WELCOME,))}
    engine = Engine(config, MemoryCallLog(), MemoryDirectory(routes), MemoryEventBus())
    await engine.start()
    rig = Rig(engine, await SipEndpoint().start(), agents)
    agents.add_line(AGENT_USER, lambda call: _agent_answers(rig, call))
    return rig


async def _agent_answers(rig: Rig, call: InboundCall) -> None:
    """The agent's phone: note when it rang, then answer at once (the caller then hangs up)."""
    rig.rang.append(asyncio.get_running_loop().time())
    call.ring()
    call.answer(HOST, rig.agents.media.port)


async def _until(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SAMPLE_TIMEOUT
    while not condition():
        if loop.time() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def _one_call(rig: Rig, case: str) -> float:
    """Seconds from this caller's INVITE to the INVITE at the agent's phone."""
    loop = asyncio.get_running_loop()
    host, port = rig.engine.sip_address
    number = AIRING_NUMBER if case == "airing" else MENU_NUMBER
    rings_before = len(rig.rang)
    sent = loop.time()
    call = rig.callers.calls.dial(f"sip:{number}@{host}:{port}", (HOST, rig.callers.media.port),
                                  caller=f"sip:13800138000@{HOST}")
    if await call.wait_answer() != 200 or call.media is None:
        raise BenchError(f"the engine did not answer the {case} call")
    stream = rig.callers.media.stream(call.media, CALLER_MARK)
    _plan_key(stream, call, case)
    try:
        await _until(lambda: len(rig.rang) > rings_before, f"the agent's phone ({case})")
    finally:
        call.hangup()
        stream.close()
    await _until(lambda: rig.engine.dispatcher.agent(AGENT).state is AgentState.READY, "the agent to be free")
    return rig.rang[rings_before] - sent


def _plan_key(stream: Any, call: OutboundCall, case: str) -> None:
    """Press "1" the planned time after the prompt is first heard (its first frame the earlier prompt lacks)."""
    plan = PRESS[case]
    if plan is None or call.media is None:
        return
    prompt, delay = plan
    cue = prompt_cue(prompt, call.media.codec.payload_type, () if prompt == "welcome" else ("welcome",))
    if cue is None:
        raise BenchError(f"no frame of the {prompt} prompt to listen for")
    loop = asyncio.get_running_loop()
    stream.when_heard(cue, lambda: loop.call_later(delay, stream.dtmf, "1"))


async def _measure(samples: int, err: Writer) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="hotline-bench-ivr-") as recordings:
        rig = await _start(Path(recordings))
        try:
            results: dict[str, list[float]] = {}
            for case in CASES:
                err.write(f"{LABELS[case]}: {samples} calls…\n")
                results[case] = [await _one_call(rig, case) for _ in range(samples)]
            return results
        finally:
            await rig.engine.stop()
            await rig.callers.close()
            await rig.agents.close()


def demo_budget() -> dict[str, Any]:
    """The demo flow's silent path computed from the shipped prompts: seconds, queue, and each prompt's length."""
    flow = load_demo_flow()
    lengths = prompt_seconds(PROMPTS, flow.prompt_ids() | {AIRING_WELCOME})
    path = silent_path(flow, lengths)
    return {"seconds": path.seconds, "queue": path.queue, "nodes": list(path.nodes),
            "welcome": lengths["welcome"], "main_menu": lengths["main_menu"], AIRING_WELCOME: lengths[AIRING_WELCOME]}


def summarize(times: dict[str, list[float]]) -> list[dict[str, Any]]:
    return [{"case": case, "samples": len(values), "median_s": statistics.median(values), "max_s": max(values),
             "min_s": min(values)} for case, values in times.items()]


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def render_section(rows: list[dict[str, Any]], budget: dict[str, Any], machine: dict[str, str]) -> str:
    table = markdown_table(
        ["caller", "calls", "INVITE → agent's phone rings, median", "min", "max", f"goal < {GOAL_SECONDS:g} s"],
        [[LABELS[row["case"]], str(row["samples"]), _seconds(row["median_s"]), _seconds(row["min_s"]),
          _seconds(row["max_s"]), "met" if row["max_s"] < GOAL_SECONDS else "missed"] for row in rows])
    return "\n\n".join([
        "## IVR: time to an agent (demo flow)",
        "`hotline bench ivr`: the real engine in the benchmark's process (uvloop) runs the demo flow with the "
        "shipped prompts; a caller and an agent phone (the simulator's phones package, real SIP and RTP on "
        "127.0.0.1) call it one call at a time. Timed on one clock from the caller's INVITE to the INVITE "
        "reaching the agent's phone. The caller presses \"1\" (RFC 4733) 0.5 s after first hearing the "
        "welcome, or 1 s after first hearing the menu (after \"订购按1\"), or nothing; the airing row dials a "
        "number routed as the directory routes a number set to skip its menu while an airing is on (short "
        "welcome, straight to the orders queue). The agent answers at once; the caller then hangs up.",
        table,
        f"Computed from the prompts (`hotline.telephony.ivr.timing.silent_path`, what the tests assert): a silent "
        f"caller is queued {budget['seconds']:.2f} s after the answer (welcome {budget['welcome']:.2f} s + main "
        f"menu {budget['main_menu']:.2f} s + the menu's 2 s timeout); \"please hold\" and the short welcome "
        f"({budget[AIRING_WELCOME]:.2f} s) play while the agent's phone already rings.",
        machine_line(machine),
    ])


class IvrBenchmark:
    """The `ivr` sub-command."""

    name = "ivr"
    help = ("IVR time to an agent: INVITE → agent's phone ringing, with 1 pressed during the welcome or the menu, "
            "no key, and during an airing.")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--samples", type=int, default=5, help="Calls per case (default 5).")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        if not 1 <= options["samples"] <= 100:
            raise BenchError("--samples takes 1 to 100.")
        times = uvloop.run(_measure(options["samples"], err))
        rows, budget, machine = summarize(times), demo_budget(), describe_machine()
        publish(SECTION, render_section(rows, budget, machine),
                {"machine": machine, "budget": budget, "cases": rows, "times": times}, options, out, err)

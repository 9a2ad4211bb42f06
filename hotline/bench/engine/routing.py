"""Routing through the whole engine: an agent frees up → the engine's INVITE reaches that agent's phone.

240 agent phones (each agent in three of 16 queues), 240 callers talking to them and 500 more waiting
(hearing hold music). Each sample: one new caller joins a queue (so 500 stay waiting), then one busy agent
hangs up (BYE); the engine ends that call, the ACD picks the next caller for the only free agent, and the
engine dials it. The time is from just before the agent's BYE is sent to the INVITE's arrival at that
agent's phone (one clock: both ends are in this process), so it includes both datagrams' trip, SIP
parsing, the ACD decision, the media allocation and the call log's queue. The bridged calls carry no
audio here; the waiting callers get hold music (the engine sends it, this process discards it), or, for
comparison, silence (`hold_music=False`).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import tempfile
import time

import uvloop

from hotline.bench.engine.bridged import DIAL_RATE
from hotline.bench.engine.phones import Agents, Callers, Stamps, open_leg, until
from hotline.bench.engine.process import EngineProcess, EngineSpec, Seat
from hotline.bench.stats import summarize
from hotline.phones.rtp import RtpLine
from hotline.telephony.sip.calls import OutboundCall

SAMPLE_TIMEOUT = 10.0
PAUSE_SECONDS = 0.02  # between samples, so each measures one agent freeing up on an otherwise steady engine
QUEUES_PER_AGENT = 3


def numbers(queues: int) -> list[str]:
    """The dialled number of each queue."""
    return [f"40080{index:05d}" for index in range(queues)]


def routing_spec(agents: Agents, count: int, queues: int, folder: str, hold_music: bool = True) -> EngineSpec:
    """Agent n serves queues n, n+1 and n+2 (mod `queues`); queue q is reached by numbers()[q]."""
    names = [f"q{index:02d}" for index in range(queues)]
    seats = tuple(Seat(f"agent-{n}", agents.uri(n), tuple(names[(n + k) % queues] for k in range(QUEUES_PER_AGENT)))
                  for n in range(count))
    return EngineSpec(queues=tuple(names), routes=dict(zip(numbers(queues), names, strict=True)), seats=seats,
                      recordings=folder, hold_music=hold_music)


def agent_to_routing(agents: int = 240, queues: int = 16, waiting: int = 500, samples: int = 500,
                     hold_music: bool = True) -> dict[str, float]:
    """Measure `samples` agent-free → INVITE times; return p50/p90/p99/max (ms), failures and engine CPU."""
    return uvloop.run(_routing(agents, queues, waiting, samples, hold_music))


async def _routing(count: int, queues: int, waiting: int, samples: int, hold_music: bool) -> dict[str, float]:
    meter = Stamps()
    sink = await open_leg(meter)  # every caller's SDP points here: hold music is received and counted only
    agents = await Agents([await open_leg(meter) for _ in range(count)]).start()
    callers = await Callers().start()
    dialled: list[OutboundCall] = []
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as folder:
        engine = EngineProcess(routing_spec(agents, count, queues, folder, hold_music))
        address = engine.start()
        try:
            await _fill(callers, address, sink, dialled, count + waiting, queues)
            await until(lambda: len(agents.calls) == count, 30, "every agent to be on a call")
            cpu, wall = sum(engine.cpu()), time.perf_counter()
            times, failures = await _sample(agents, callers, address, sink, dialled, samples, queues)
            cpu, wall = sum(engine.cpu()) - cpu, time.perf_counter() - wall
            for call in reversed(dialled):  # the waiting callers first, so no agent is offered a call meanwhile
                call.hangup()
            await until(lambda: not agents.calls, 30, "every agent's call to end")
        finally:
            summary = engine.stop()
    await callers.close()
    await agents.close()
    for leg in [sink, *agents.legs]:
        leg.close()
    return {**summarize_routing(times, failures, 100.0 * cpu / wall, summary), "hold_music": float(hold_music)}


async def _fill(callers: Callers, engine: tuple[str, int], sink: RtpLine, dialled: list[OutboundCall],
                total: int, queues: int) -> None:
    """Dial `total` callers, spread over the queues in turn, and wait until the engine answered them all."""
    loop = asyncio.get_running_loop()
    start, dials = loop.time(), numbers(queues)
    for number in range(total):
        await asyncio.sleep(max(0.0, start + number / DIAL_RATE - loop.time()))
        dialled.append(callers.dial(engine, dials[number % queues], number, ("127.0.0.1", sink.port)))
    statuses = await asyncio.wait_for(asyncio.gather(*(call.wait_answer() for call in dialled)), 60)
    if any(status != 200 for status in statuses):
        raise RuntimeError(f"{sum(status != 200 for status in statuses)} callers were not answered")


async def _sample(agents: Agents, callers: Callers, engine: tuple[str, int], sink: RtpLine,
                  dialled: list[OutboundCall], samples: int, queues: int) -> tuple[list[float], int]:
    """Free one agent at a time (the longest on a call) and time the INVITE that reaches it next."""
    loop = asyncio.get_running_loop()
    busy = collections.deque(sorted(agents.calls, key=lambda agent: agents.invited[agent]))
    dials = numbers(queues)
    times: list[float] = []
    failures = 0
    for sample in range(samples):
        agent = busy.popleft()
        newcomer = callers.dial(engine, dials[(agent + sample) % queues], len(dialled), ("127.0.0.1", sink.port))
        dialled.append(newcomer)
        if await asyncio.wait_for(newcomer.wait_answer(), SAMPLE_TIMEOUT) != 200:
            raise RuntimeError("a new caller was not answered")
        await asyncio.sleep(PAUSE_SECONDS)
        invited: asyncio.Future[float] = loop.create_future()
        agents.on_invite = functools.partial(_arrived, agent=agent, invited=invited, agents=agents)
        freed = time.perf_counter()
        agents.calls[agent].hangup()
        try:
            times.append(await asyncio.wait_for(invited, SAMPLE_TIMEOUT) - freed)
        except TimeoutError:
            failures += 1
            continue
        busy.append(agent)
    agents.on_invite = None
    return times, failures


def _arrived(who: int, *, agent: int, invited: asyncio.Future[float], agents: Agents) -> None:
    if who == agent and not invited.done():
        invited.set_result(agents.invited[who])


def summarize_routing(times: list[float], failures: int, cpu_percent: float, log: dict[str, int]) -> dict[str, float]:
    """p50/p90/p99/max (ms) of the samples, how many timed out, the engine's CPU and offers logged."""
    summary = summarize(times, 1.0) if times else None
    return {
        "samples": float(len(times)),
        "failures": float(failures),
        "p50_ms": summary.p50_ms if summary else float("nan"),
        "p90_ms": summary.p90_ms if summary else float("nan"),
        "p99_ms": summary.p99_ms if summary else float("nan"),
        "max_ms": summary.max_ms if summary else float("nan"),
        "engine_cpu_percent": cpu_percent,
        "offers": float(log.get("offer", 0)),
        "answered": float(log.get("answer", 0)),
    }

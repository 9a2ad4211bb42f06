"""Concurrency: N bridged, recorded calls through one engine process, audio both ways, loss and delay exact.

N trunk callers dial the engine's queue; N agent phones (seats with fixed URIs) answer; the engine bridges
and records each pair. Once every call is bridged, every leg sends a stamped frame every 20 ms: one second
of warm-up, then the measured window. Loss is frames sent in the window minus frames the far phones got,
waiting up to `DRAIN_LIMIT` after the window for frames still on their way (on a loaded machine a frame may
be late: its lateness shows in the delay, not as loss; the wait ends once every frame is in); delay is
sender → engine relay → far phone, on this process's clock. CPU is the engine process's, from /proc, over
the window; the phones' (this process's) CPU is reported too: near 100 % the phones, not the engine, set
the delay. At the end the callers hang up and the engine's call log must show N answers, N hang-ups and
N recordings.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time

import uvloop

from hotline.bench.engine.phones import Agents, Callers, PhaseCount, Stamps, open_leg, send_frames, until
from hotline.bench.engine.process import EngineProcess, EngineSpec, Seat
from hotline.bench.stats import percentile
from hotline.phones.rtp import RtpLine
from hotline.telephony.sip.calls import OutboundCall

DNIS = "4008001000"
WARM_UP, MEASURED = 0, 1
WARM_UP_SECONDS = 1.0
DRAIN_LIMIT = 10.0  # seconds after the window for frames still on their way; past it, a frame is lost
DIAL_RATE = 200.0  # calls per second while setting the calls up


def bridged_calls(calls: int, seconds: float) -> dict[str, float]:
    """Run `calls` bridged, recorded calls for `seconds` of measured audio; return the figures."""
    return uvloop.run(_bridged(calls, seconds))


async def _bridged(calls: int, seconds: float) -> dict[str, float]:
    meter = Stamps()
    caller_legs = [await open_leg(meter) for _ in range(calls)]
    agents = await Agents([await open_leg(meter) for _ in range(calls)]).start()
    callers = await Callers().start()
    with tempfile.TemporaryDirectory(prefix="bench-bridged-") as folder:
        seats = tuple(Seat(f"agent-{n}", agents.uri(n), ("bench",)) for n in range(calls))
        engine = EngineProcess(EngineSpec(queues=("bench",), routes={DNIS: "bench"}, seats=seats, recordings=folder))
        address = engine.start()
        try:
            dialled = await dial_all(callers, address, caller_legs, DIAL_RATE)
            await until(lambda: agents.answered == calls, 30, "every agent to answer")
            legs = caller_legs + agents.legs
            await send_frames(legs, meter, WARM_UP, WARM_UP_SECONDS)
            cpu_before, ours, wall = engine.cpu(), time.process_time(), time.perf_counter()
            await send_frames(legs, meter, MEASURED, seconds)
            cpu_after, ours, wall = engine.cpu(), time.process_time() - ours, time.perf_counter() - wall
            await drain(meter.count(MEASURED), DRAIN_LIMIT)
            hung_up = time.perf_counter()
            for call in dialled:
                call.hangup()
            await until(lambda: not agents.calls, 30, "every agent's call to end")
        finally:
            summary = engine.stop()
        hang_up_seconds = time.perf_counter() - hung_up
    await callers.close()
    await agents.close()
    for leg in legs:
        leg.close()
    cpu = (cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1])
    return {**summarize_bridged(calls, seconds, meter.count(MEASURED), cpu, wall, summary, hang_up_seconds),
            "phones_cpu_percent": 100.0 * ours / wall}


async def drain(window: PhaseCount, limit: float) -> None:
    """Wait until the far phones got every frame sent in the window, or `limit` seconds (the rest is lost)."""
    with contextlib.suppress(TimeoutError):
        await until(lambda: window.received >= window.sent, limit, "every frame of the window relayed")


async def dial_all(callers: Callers, engine: tuple[str, int], legs: list[RtpLine],
                   rate: float) -> list[OutboundCall]:
    """Dial one call per leg at `rate` calls/s; wait for every 200 and point each leg at the engine's RTP."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    dialled = []
    for number, leg in enumerate(legs):
        await asyncio.sleep(max(0.0, start + number / rate - loop.time()))
        dialled.append(callers.dial(engine, DNIS, number, ("127.0.0.1", leg.port)))
    statuses = await asyncio.wait_for(asyncio.gather(*(call.wait_answer() for call in dialled)), 60)
    if any(status != 200 for status in statuses):
        raise RuntimeError(f"{sum(status != 200 for status in statuses)} calls were not answered")
    for call, leg in zip(dialled, legs, strict=True):
        assert call.media is not None
        leg.line.aim(call.media)
    return dialled


def summarize_bridged(calls: int, seconds: float, window: PhaseCount, cpu: tuple[float, float], wall: float,
                      log: dict[str, int], hang_up_seconds: float) -> dict[str, float]:
    """The figures of one run: frames, loss, delay p50/p99/max (ms), engine CPU (user, system), the log's counts."""
    delays = sorted(window.delays)

    def ms(share: float) -> float:
        return percentile(delays, share) / 1e6 if delays else float("nan")

    return {
        "calls": float(calls),
        "seconds": seconds,
        "packets_sent": float(window.sent),
        "packets_relayed": float(window.received),
        "loss": float(window.sent - window.received),
        "delay_p50_ms": ms(50),
        "delay_p99_ms": ms(99),
        "delay_max_ms": delays[-1] / 1e6 if delays else float("nan"),
        "engine_cpu_percent": 100.0 * (cpu[0] + cpu[1]) / wall,
        "engine_user_percent": 100.0 * cpu[0] / wall,
        "engine_system_percent": 100.0 * cpu[1] / wall,
        "answered": float(log.get("answer", 0)),
        "hangups": float(log.get("hangup", 0)),
        "recordings": float(log.get("recordings", 0)),
        "hang_up_seconds": hang_up_seconds,
    }

"""`hotline bench pop`: screen-pop latency, from the INVITE reaching the agent's phone to the pop rendered.

The production topology on one machine: `hotline serve` (uvicorn) and `hotline engine` as two processes on
the benchmark's PostgreSQL database holding the lookup benchmark's data set (1,000,000 customers by
default), with `REDIS_URL` set so that engine events go engine → Redis channel layer → web → browser.
One hotline number is routed straight to a queue (no IVR, wrap-up 0) served by one agent, whose seat's
phone is a registered virtual phone that notes when each INVITE arrives. A headless Chromium is logged in
as that agent on /desk/; the desk script notes `Date.now()` one animation frame after a pop's HTML is in
the page (`window.hotlineDesk.pops`). Calls come one after another, each from the number of a customer
drawn at random from the data set, so each pop does the real look-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from hotline.bench.base import Writer
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.stats import summarize
from hotline.bench.targets import BenchError, Target, ensure_database, postgres_url, run_worker

SECTION = "pop"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/hotline_pop"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
GOAL_MS = 150.0
HOST = "127.0.0.1"
DNIS = "4008009000"
QUEUE = "pop-bench"
AGENT = "pop-bench-agent"
SEAT = "POP-01"
SIP_USER = "7901"
SIP_PASSWORD = "pop-bench-sip"
WEB_PASSWORD = "pop-bench-web"
REALM = "hotline"
RING_SECONDS = 0.3  # the phone answers after ringing this long: after the pop, as an agent would
TALK_SECONDS = 0.3  # the caller hangs up this long after the answer
STEP_TIMEOUT = 15.0  # seconds any one step of a call (pop, answer, end, ready again) may take
START_TIMEOUT = 90.0
KEY_DELAY_MS = 150  # order entry types at an agent's pace: one key every 150 ms
ORDER_GOAL_SECONDS = 60.0
ORDER_GOAL_KEYS = 25


@dataclass
class Sample:
    """One call: when the caller sent its INVITE, when the agent's phone got its INVITE, when the pop was
    rendered (wall-clock seconds, same machine), and the Call-ID the pop named."""

    call_id: str
    number: str
    sent: float
    at_phone: float | None = None
    rendered: float | None = None
    pop_call_id: str = ""
    invites: int = 0  # INVITEs the phone got during this call (1 expected)
    pops: int = 0  # pops rendered during this call (1 expected)
    offered: float | None = None  # the engine's clock when it made the agent ringing (the offer)
    ws_ringing: float | None = None  # when the desk's socket got that state change
    ws_pop: float | None = None  # when the desk's socket got the pop message


@dataclass
class RunNotes:
    """What the run saw besides the samples: counts that say whether the pairing is sound."""

    samples: list[Sample] = field(default_factory=list)
    ready_clicks: int = 0
    orders: list[dict[str, Any]] = field(default_factory=list)  # {keys, seconds} per order entered
    orders_refused: list[str] = field(default_factory=list)  # what the desk said instead of an order number


def order_figures(orders: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Keys and seconds (pop rendered → order number shown) per order entered by keyboard."""
    if not orders:
        return None
    seconds = [order["seconds"] for order in orders]
    return {"orders": len(orders), "keys_max": max(order["keys"] for order in orders),
            "keys_min": min(order["keys"] for order in orders), "seconds": summarize(seconds, sum(seconds)).as_dict()}


# ---------------------------------------------------------------- pure parts (tested)

def pop_latencies(samples: Sequence[Sample], start: str) -> list[float]:
    """Seconds from `start` ("at_phone" or "sent") to the rendered pop, for the calls that have both and
    whose pop named the call's own Call-ID."""
    latencies = []
    for sample in samples:
        begin = getattr(sample, start)
        if begin is not None and sample.rendered is not None and sample.pop_call_id == sample.call_id:
            latencies.append(sample.rendered - begin)
    return latencies


# Where the time goes, each segment as (name, from, to): the engine's offer, its INVITE to the phone, the
# state change and the pop reaching the desk's socket (noted by the benchmark's own listener), the render.
SEGMENTS = (
    ("offer → INVITE at the phone", "offered", "at_phone"),
    ("offer → desk socket got the state change", "offered", "ws_ringing"),
    ("offer → desk socket got the pop", "offered", "ws_pop"),
    ("state change → pop at the desk socket (pop built in the web process)", "ws_ringing", "ws_pop"),
    ("desk socket got the pop → pop rendered", "ws_pop", "rendered"),
)


def segment_figures(samples: Sequence[Sample]) -> list[dict[str, Any]]:
    """p50/p90/p99/max in ms of each segment, over the calls that have both ends."""
    figures = []
    for name, start, end in SEGMENTS:
        spans = sorted(getattr(s, end) - getattr(s, start) for s in samples
                       if getattr(s, start) is not None and getattr(s, end) is not None)
        if spans:
            summary = summarize(spans, 0.0)
            figures.append({"segment": name, "count": summary.count, "p50_ms": summary.p50_ms,
                            "p90_ms": summary.p90_ms, "p99_ms": summary.p99_ms, "max_ms": summary.max_ms})
    return figures


def summarize_samples(samples: Sequence[Sample]) -> dict[str, Any]:
    """The figures of the measured calls (warm-up already left out): latency summaries and sanity counts."""
    complete = [s for s in samples if s.rendered is not None and s.at_phone is not None]
    elapsed = (max(s.rendered or 0 for s in complete) - min(s.sent for s in complete)) if complete else 0.0
    result: dict[str, Any] = {
        "calls": len(samples),
        "matched": sum(1 for s in samples if s.rendered is not None and s.pop_call_id == s.call_id),
        "without_pop": sum(1 for s in samples if s.rendered is None),
        "without_invite": sum(1 for s in samples if s.at_phone is None),
        "wrong_call_id": sum(1 for s in samples if s.rendered is not None and s.pop_call_id != s.call_id),
        "extra_invites": sum(max(0, s.invites - 1) for s in samples),
        "extra_pops": sum(max(0, s.pops - 1) for s in samples),
        "pop_before_invite": sum(1 for s in complete if (s.rendered or 0) < (s.at_phone or 0)),
    }
    for key, start in (("phone_to_pop", "at_phone"), ("sent_to_pop", "sent")):
        latencies = pop_latencies(samples, start)
        result[key] = summarize(latencies, elapsed).as_dict() if latencies else None
    result["segments"] = segment_figures([s for s in samples if s.pop_call_id == s.call_id])
    return result


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if abs(value) >= 10 else f"{value:.1f} ms"


def render_section(result: dict[str, Any], machine: dict[str, str], options: dict[str, Any]) -> str:
    """The Markdown section for docs/benchmarks.md."""
    figures = result["figures"]
    rows = []
    for key, label in (("phone_to_pop", "INVITE at the agent's phone → pop rendered"),
                       ("sent_to_pop", "caller's INVITE sent → pop rendered")):
        summary = figures[key]
        if summary is None:
            rows.append([label, "0", "–", "–", "–", "–", "–"])
            continue
        rows.append([label, f"{summary['count']:,}", *(_ms(summary[name]) for name in
                                                       ("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"))])
    table = markdown_table(["latency", "calls", "p50", "p90", "p99", "max", "mean"], rows)
    return "\n\n".join([
        "## Screen pop: INVITE at the agent's phone → pop rendered in the browser",
        (f"`hotline bench pop --customers {options['customers']} --calls {options['calls']}`: `hotline serve` "
         "(uvicorn) and `hotline engine` as two processes on PostgreSQL "
         f"{result['database_version']} holding {result['customers']:,} customers "
         f"({result['phones']:,} phone numbers, the lookup benchmark's data set), engine events through the "
         "Redis channel layer (`REDIS_URL`) to the web process, which builds the pop (the caller's look-up "
         "among all customers, their orders, complaints, contacts) and pushes it over `ws/desk/`. One hotline "
         "number routed straight to a queue (no IVR, wrap-up 0), one agent, a registered virtual phone on "
         "the agent's seat that notes the wall-clock time each INVITE arrives and answers after "
         f"{RING_SECONDS:g} s; the caller hangs up {TALK_SECONDS:g} s later. Headless Chromium is logged in on "
         "/desk/; the desk notes `Date.now()` one animation frame after the pop's HTML is in the page. "
         "Calls one after another (the next when the desk shows the agent ready again), each from the number "
         f"of a customer drawn at random from the data set, after {result['warmup']} warm-up calls. Every pop "
         "counted named its own call's Call-ID."),
        table,
        _verdict(figures),
        *_segments(figures),
        _build(result.get("pop_build")),
        _caveats(figures),
        *_order_entry(result.get("order_entry")),
        machine_line(machine),
    ])


def _verdict(figures: dict[str, Any]) -> str:
    summary = figures["phone_to_pop"]
    if summary is None:
        return "No pop was measured."
    if summary["p99_ms"] < GOAL_MS:
        return f"Goal p99 < {GOAL_MS:.0f} ms: **met** (p99 {_ms(summary['p99_ms'])})."
    return f"Goal p99 < {GOAL_MS:.0f} ms: **missed** (p99 {_ms(summary['p99_ms'])})."


def _segments(figures: dict[str, Any]) -> list[str]:
    segments = figures.get("segments") or []
    if not segments:
        return []
    rows = [[s["segment"], f"{s['count']:,}", *(_ms(s[key]) for key in ("p50_ms", "p90_ms", "p99_ms", "max_ms"))]
            for s in segments]
    return ["Where the time goes: the engine's time of the offer is the `since` of the agent's ringing state "
            "change (engine clock); the desk's socket messages are noted on arrival by the benchmark's own "
            "listener in the page.",
            markdown_table(["segment", "calls", "p50", "p90", "p99", "max"], rows)]


def _build(build: dict[str, Any] | None) -> str:
    if not build:
        return ""
    render, context = build["render_pop"], build["context"]
    return (f"The same pops built again afterwards in the benchmark's own process, one after another with no "
            f"calls running (`hotline.desk.pop.render_pop`: look-up, queries, template): p50 "
            f"{_ms(render['p50_ms'])}, p99 {_ms(render['p99_ms'])}, max {_ms(render['max_ms'])}; of which the "
            f"context (the queries) p50 {_ms(context['p50_ms'])}, p99 {_ms(context['p99_ms'])}; "
            f"{build['queries_min']}–{build['queries_max']} queries per pop.")


def _order_entry(entry: dict[str, Any] | None) -> list[str]:
    if not entry:
        return []
    seconds = entry["seconds"]
    keys = f"{entry['keys_min']}" if entry["keys_min"] == entry["keys_max"] else \
        f"{entry['keys_min']}–{entry['keys_max']}"
    met = seconds["max_ms"] / 1000 < ORDER_GOAL_SECONDS and entry["keys_max"] <= ORDER_GOAL_KEYS
    return ["### Order entry by keyboard",
            (f"Then {entry['orders']} more calls from returning customers, each answered and ordered by keyboard "
             f"only at an agent's pace (one key every {KEY_DELAY_MS} ms): F8, the product's short code, Enter to "
             "add it, Enter to place the order. Keys counted by the desk itself, time from the pop rendered to "
             "the order number shown; what the agent and the customer say comes on top."),
            markdown_table(["orders", "keys per order", "p50", "p90", "max"],
                           [[str(entry["orders"]), keys, *(f"{seconds[k] / 1000:.2f} s" for k in
                                                           ("p50_ms", "p90_ms", "max_ms"))]]),
            f"Goal under {ORDER_GOAL_SECONDS:.0f} s and at most {ORDER_GOAL_KEYS} keys: "
            + ("**met**." if met else "**missed**.")]


def _caveats(figures: dict[str, Any]) -> str:
    parts = ["Both clocks are this machine's wall clock; `Date.now()` has a resolution of 1 ms, so each "
             "figure is ±1 ms."]
    if figures["pop_before_invite"]:
        parts.append(f"In {figures['pop_before_invite']} calls the pop was rendered before the INVITE reached "
                     "the phone (the engine emits the offer, then rings the seat): those latencies are negative.")
    problems = [f"{figures[key]} {label}" for key, label in (
        ("without_pop", "calls without a pop"), ("without_invite", "calls whose INVITE never reached the phone"),
        ("wrong_call_id", "pops naming another call"), ("extra_pops", "extra pops"),
        ("extra_invites", "extra INVITEs")) if figures[key]]
    if problems:
        parts.append("Left out of the figures: " + ", ".join(problems) + ".")
    return " ".join(parts)


def landline_first(numbers: Sequence[str]) -> list[str]:
    """The numbers with the first landline (area code, `0…`) moved to the front, so that the warm-up pays
    the web process's one-off load of the region tables (seconds) rather than a measured call."""
    landline = next((n for n in numbers if n.startswith("0")), None)
    if landline is None:
        return list(numbers)
    return [landline, *(n for n in numbers if n != landline)]


# ---------------------------------------------------------------- the world (worker process, sync ORM)

def prepare_world() -> None:
    """The hotline number → queue, the agent with a web password and a seat, and nobody else at a seat
    (the demo data seats its agents; they would be offered the calls with no phone to ring)."""
    from hotline.accounts.models import User
    from hotline.accounts.permissions import Role
    from hotline.calls.models import NumberRoute, Queue, QueueMember, Seat
    from hotline.calls.seats import digest_ha1
    from hotline.media.models import HotlineNumber

    queue, _ = Queue.objects.update_or_create(name=QUEUE, defaults={
        "wrapup_seconds": 0, "max_wait_seconds": 600, "max_length": 100})
    number, _ = HotlineNumber.objects.update_or_create(number=DNIS, defaults={"description": "pop benchmark"})
    NumberRoute.objects.update_or_create(hotline_number=number, defaults={"queue": queue, "flow": ""})
    agent, _ = User.objects.update_or_create(username=AGENT, defaults={"role": Role.AGENT, "first_name": "Pop"})
    agent.set_password(WEB_PASSWORD)
    agent.save()
    QueueMember.objects.update_or_create(agent=agent, queue=queue, defaults={"level": 1})
    Seat.objects.exclude(name=SEAT).update(agent=None)
    # The demo data's seats have the demo SIP password, which `hotline engine` refuses to start with: lock
    # them with passwords nobody knows (the benchmark rings only its own seat).
    for other in Seat.objects.exclude(name=SEAT):
        other.ha1 = digest_ha1(other.sip_username, other.realm, secrets.token_urlsafe(16))
        other.save(update_fields=["ha1"])
    Seat.objects.update_or_create(name=SEAT, defaults={
        "sip_username": SIP_USER, "realm": REALM, "ha1": digest_ha1(SIP_USER, REALM, SIP_PASSWORD), "agent": agent})


def caller_numbers(count: int, rng: random.Random) -> list[str]:
    """`count` distinct numbers of customers in the data set, drawn at random, none blacklisted."""
    from django.db.models import Max, Min

    from hotline.crm.models import BlacklistEntry, CustomerPhone

    bounds = CustomerPhone.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        raise BenchError("The data set has no phone numbers.")
    chosen: dict[str, None] = {}
    while len(chosen) < count:
        ids = [rng.randint(bounds["low"], bounds["high"]) for _ in range(min(500, 2 * (count - len(chosen))))]
        found = dict(CustomerPhone.objects.filter(id__in=ids).values_list("id", "number"))
        numbers = [found[pk] for pk in ids if pk in found]
        barred = set(BlacklistEntry.objects.filter(number__in=numbers).values_list("number", flat=True))
        chosen.update((n, None) for n in numbers if n not in barred)
    return list(chosen)[:count]


# ---------------------------------------------------------------- the processes

def _environment(database_url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "hotline.settings", "HOTLINE_DATA_DIR": str(data_dir)}


def start_web(environment: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen([sys.executable, "-m", "hotline.cli", "serve", "--port", str(port)],
                                env=environment, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT)


def start_engine(environment: dict[str, str], sip_port: int, rtp_ports: range, log: Path) -> subprocess.Popen[bytes]:
    variables = {**environment, "HOTLINE_SIP_HOST": HOST, "HOTLINE_SIP_PORT": str(sip_port),
                 "HOTLINE_RTP_PORT_MIN": str(rtp_ports.start), "HOTLINE_RTP_PORT_MAX": str(rtp_ports.stop - 1),
                 "HOTLINE_TRUNKS": HOST}
    with log.open("wb") as output:
        return subprocess.Popen([sys.executable, "-m", "hotline.cli", "engine"], env=variables,
                                cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def wait_for_web(base: str, web: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise BenchError(f"`hotline serve` exited: {log.read_text(errors='replace')[-1500:]}")
        try:
            await asyncio.to_thread(lambda: urllib.request.urlopen(f"{base}/login/", timeout=2).read())
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise BenchError(f"`hotline serve` did not answer within {START_TIMEOUT:g} s")


async def wait_for_engine(endpoint: Any, engine: subprocess.Popen[bytes], sip_port: int) -> float:
    """Poll the engine with OPTIONS until it answers; the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT:
        if engine.poll() is not None:
            raise BenchError("`hotline engine` exited (see its log with --keep-logs)")
        if await endpoint.options((HOST, sip_port), 0.5) is not None:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise BenchError(f"`hotline engine` did not answer OPTIONS within {START_TIMEOUT:g} s")


# ---------------------------------------------------------------- the calls (worker process, one loop)

# The benchmark's own listener on the desk's socket (the desk code is not touched): the arrival time of
# every message, with the pop's call and the state change's time.
SOCKET_LISTENER = """(() => {
  const Native = window.WebSocket;
  const seen = (window.popBench = []);
  function Listened(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("message", (event) => {
      const at = performance.timeOrigin + performance.now();
      try {
        const m = JSON.parse(event.data);
        const since = typeof m.since === "string" ? Date.parse(m.since) : (m.since || null);
        seen.push({ at, type: m.type, call_id: m.call_id || "", state: m.state || "", since });
      } catch (_) {}
    });
    return socket;
  }
  Listened.prototype = Native.prototype;
  Object.assign(Listened, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Listened;
})();"""


class Desk:
    """The agent's desk in headless Chromium."""

    def __init__(self, page: Any) -> None:
        self.page = page

    async def messages(self) -> int:
        return int(await self.page.evaluate("() => window.popBench.length"))

    async def note_socket(self, sample: Sample, since: int) -> None:
        """The arrival of the ringing state change and of this call's pop on the desk's socket."""
        seen = await self.page.evaluate("n => window.popBench.slice(n)", since)
        for message in seen:
            if message["type"] == "state" and message["state"] == "ringing" and sample.ws_ringing is None:
                sample.ws_ringing = message["at"] / 1000
                sample.offered = message["since"] / 1000 if message["since"] else None
            elif message["type"] == "pop" and message["call_id"] == sample.call_id and sample.ws_pop is None:
                sample.ws_pop = message["at"] / 1000

    async def log_in(self, base: str) -> None:
        page = self.page
        await page.goto(f"{base}/login/?next=/desk/")
        await page.fill("input[name=username]", AGENT)
        await page.fill("input[name=password]", WEB_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/desk/**", timeout=STEP_TIMEOUT * 1000)
        await page.wait_for_function("() => window.hotlineDesk && window.hotlineDesk.received.length > 0",
                                     timeout=STEP_TIMEOUT * 1000)

    async def wait_ready(self, notes: RunNotes) -> None:
        """Until the desk shows the agent ready; press Ready once if it shows another state for 5 s."""
        ready = "document.getElementById('state-badge').dataset.state === 'ready'"
        try:
            await self.page.wait_for_function(ready, timeout=5000)
        except Exception:  # playwright's TimeoutError: not ready yet, so say ready as the agent would
            notes.ready_clicks += 1
            await self.page.click("#btn-ready")
            await self.page.wait_for_function(ready, timeout=STEP_TIMEOUT * 1000)

    async def pops(self) -> int:
        return int(await self.page.evaluate("() => window.hotlineDesk.pops.length"))

    async def pops_since(self, count: int) -> list[dict[str, Any]]:
        await self.page.wait_for_function("n => window.hotlineDesk.pops.length > n", arg=count,
                                          timeout=STEP_TIMEOUT * 1000)
        await asyncio.sleep(0.05)  # a second pop of the same call would show here
        return list(await self.page.evaluate("n => window.hotlineDesk.pops.slice(n)", count))


def note_invites(endpoint: Any, username: str, arrivals: list[float]) -> None:
    """Wrap the phone's line so that the wall-clock time of each INVITE is noted before the phone acts."""
    line: Callable[[Any], Awaitable[None]] = endpoint.lines[username]

    async def on_call(call: Any) -> None:
        arrivals.append(time.time())
        await line(call)

    endpoint.add_line(username, on_call)


async def one_call(callers: Any, uri: str, number: str, desk: Desk, arrivals: list[float],
                   notes: RunNotes) -> Sample:
    """Place one call, wait for its pop, the answer and the end; the desk ready again."""
    await desk.wait_ready(notes)
    pops_before, invites_before, messages_before = await desk.pops(), len(arrivals), await desk.messages()
    sent = time.time()
    call = callers.calls.dial(uri, (HOST, callers.media.port), caller=f"sip:{number}@{HOST}")
    sample = Sample(call_id=call.invite.call_id, number=number, sent=sent)
    try:
        pops = await desk.pops_since(pops_before)
        sample.rendered, sample.pop_call_id, sample.pops = pops[0]["at"] / 1000, str(pops[0]["call_id"]), len(pops)
    except Exception:  # playwright's TimeoutError: no pop; counted, and the call is ended as usual
        pass
    status = await asyncio.wait_for(call.wait_answer(), STEP_TIMEOUT)
    if status == 200:
        await asyncio.sleep(TALK_SECONDS)
    call.hangup()
    await asyncio.wait_for(call.wait_ended(), STEP_TIMEOUT)
    await desk.note_socket(sample, messages_before)
    sample.invites = len(arrivals) - invites_before
    sample.at_phone = arrivals[invites_before] if sample.invites else None
    return sample


async def one_order(callers: Any, uri: str, number: str, code: str, desk: Desk, notes: RunNotes) -> None:
    """A returning customer's call with a one-product order keyed in at an agent's pace: F8, the product's
    short code, Enter to add it, Enter to place the order; keys and seconds from the pop to the number."""
    page = desk.page
    await desk.wait_ready(notes)
    pops_before = await desk.pops()
    call = callers.calls.dial(uri, (HOST, callers.media.port), caller=f"sip:{number}@{HOST}")
    try:
        pop = (await desk.pops_since(pops_before))[0]
        if await asyncio.wait_for(call.wait_answer(), STEP_TIMEOUT) != 200:
            return
        await page.wait_for_selector("#call-bar[data-phase=on_call]", timeout=STEP_TIMEOUT * 1000)
        keys_before = int(await page.evaluate("() => window.hotlineDesk.keys"))
        orders_before = int(await page.evaluate("() => window.hotlineDesk.orders.length"))
        await page.keyboard.press("F8", delay=KEY_DELAY_MS)
        await page.keyboard.type(code, delay=KEY_DELAY_MS)
        await page.wait_for_selector("#product-results li.selected", timeout=STEP_TIMEOUT * 1000)
        await page.keyboard.press("Enter", delay=KEY_DELAY_MS)
        await page.keyboard.press("Enter", delay=KEY_DELAY_MS)
        try:
            await page.wait_for_function("n => window.hotlineDesk.orders.length > n", arg=orders_before,
                                         timeout=STEP_TIMEOUT * 1000)
        except Exception:  # playwright's TimeoutError: refused (the desk shows why); counted, not timed
            notes.orders_refused.append(await page.inner_text("#order-errors"))
            return
        placed = await page.evaluate("() => window.hotlineDesk.orders[window.hotlineDesk.orders.length - 1]")
        notes.orders.append({"keys": placed["keys"] - keys_before, "seconds": (placed["at"] - pop["at"]) / 1000})
    finally:
        call.hangup()
        await asyncio.wait_for(call.wait_ended(), STEP_TIMEOUT)


async def place_calls(options: dict[str, Any], numbers: list[str], sip_port: int, base: str,
                      engine: subprocess.Popen[bytes], err: Writer) -> RunNotes:
    from playwright.async_api import async_playwright

    from hotline.simulate.phones import AgentPhone, SipEndpoint

    notes = RunNotes()
    agents = await SipEndpoint(name="pop agent").start()
    callers = await SipEndpoint(trusted=(), name="pop callers").start()
    try:
        took = await wait_for_engine(agents, engine, sip_port)
        phone = AgentPhone(agents, SIP_USER, SIP_PASSWORD, ring=(RING_SECONDS, RING_SECONDS), talk=(30.0, 30.0))
        arrivals: list[float] = []
        note_invites(agents, SIP_USER, arrivals)
        if await phone.register((HOST, sip_port)) != 200:
            raise BenchError("the agent's phone could not register with the engine")
        err.write(f"  engine answering after {took:.1f} s; the agent's phone registered\n")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=options["chromium"], headless=True,
                                                       args=["--no-sandbox"])
            page = await browser.new_page()
            await page.add_init_script(SOCKET_LISTENER)
            desk = Desk(page)
            await desk.log_in(base)
            uri = f"sip:{DNIS}@{HOST}:{sip_port}"
            for index, number in enumerate(numbers):
                notes.samples.append(await one_call(callers, uri, number, desk, arrivals, notes))
                if (index + 1) % 50 == 0:
                    err.write(f"  {index + 1}/{len(numbers)} calls\n")
            for number in numbers[-options["orders"]:] if options["orders"] else []:
                await one_order(callers, uri, number, options["entry_code"], desk, notes)
            err.write(f"  {len(notes.orders)} orders entered by keyboard\n")
            await browser.close()
    finally:
        await callers.close()
        await agents.close()
    return notes


def run_pop(options: dict[str, Any], err: Writer) -> dict[str, Any]:
    """The worker: data set, world, the two processes, the calls; the figures (JSON-ready)."""
    from django.db import connection

    from hotline.bench.lookup import database_version, prepare_dataset
    from hotline.bench.surge.world import free_port_range, free_udp_port
    from hotline.catalog.queries import orderable_products
    from hotline.crm.models import CustomerPhone

    dataset = prepare_dataset(options["customers"], options["seed"], False, err)
    prepare_world()
    rng = random.Random(f"pop-{options['seed']}")
    numbers = landline_first(caller_numbers(options["warmup"] + options["calls"], rng))
    version, phones = database_version(), CustomerPhone.objects.count()
    options = {**options, "entry_code": orderable_products().order_by("id").values_list("short_code", flat=True)[0]}
    connection.close()  # the processes started below must not share this connection
    _clear_stale_commands(options["redis_url"])
    with tempfile.TemporaryDirectory(prefix="bench-pop-") as folder:
        work = Path(folder)
        environment = _environment(os.environ["DATABASE_URL"], options["redis_url"], work)
        sip_port, web_port = free_udp_port(), _free_tcp_port()
        engine = start_engine(environment, sip_port, free_port_range(200, rng), work / "engine.log")
        web = start_web(environment, web_port, work / "web.log")
        base = f"http://{HOST}:{web_port}"
        try:
            asyncio.run(wait_for_web(base, web, work / "web.log"))
            notes = asyncio.run(place_calls(options, numbers, sip_port, base, engine, err))
        finally:
            stop(web)
            stop(engine)
        if options["keep_logs"]:
            for log in ("engine.log", "web.log"):
                (Path(options["keep_logs"]) / log).write_bytes((work / log).read_bytes())
    measured = notes.samples[options["warmup"]:]
    builds = time_pop_builds([sample.number for sample in measured], settings.LANGUAGE_CODE)
    return {"pop_build": builds, "customers": options["customers"], "phones": phones, "database_version": version,
            "warmup": options["warmup"], "ready_clicks": notes.ready_clicks, **dataset,
            "figures": summarize_samples(measured), "samples": [asdict(s) for s in measured],
            "order_entry": order_figures(notes.orders), "orders_refused": notes.orders_refused}


def time_pop_builds(numbers: Sequence[str], language: str) -> dict[str, Any]:
    """The pop built in this process for each number, as the web process builds it (`pop_context`, the
    template): how long it takes and how many queries it makes, apart from the transport around it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hotline.accounts.models import User
    from hotline.desk.pop import Offered, pop_context, render_pop

    agent = User.objects.get(username=AGENT)
    for warm_up in landline_first(numbers)[:1]:  # a landline loads the region tables: not a pop's cost
        render_pop(Offered(call_id="warm-up", caller=warm_up, dnis=DNIS), agent, language)
    contexts, renders, queries = [], [], []
    for index, number in enumerate(numbers):
        offered = Offered(call_id=f"pop-build-{index}", caller=number, dnis=DNIS, queue=QUEUE)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            pop_context(offered, agent)
            contexts.append(time.perf_counter() - started)
        started = time.perf_counter()
        render_pop(offered, agent, language)
        renders.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
    return {"context": summarize(contexts, sum(contexts)).as_dict(),
            "render_pop": summarize(renders, sum(renders)).as_dict(),
            "queries_min": min(queries), "queries_max": max(queries)}


def _clear_stale_commands(redis_url: str) -> None:
    """Drop engine commands left in Redis by an earlier run (the engine would run them on start)."""
    import redis

    from hotline.calls.host.link import COMMAND_LIST

    redis.Redis.from_url(redis_url).delete(COMMAND_LIST)


def _free_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- the command

class PopBenchmark:
    """`hotline bench pop`."""

    name = SECTION
    help = "Screen-pop latency: INVITE at the agent's phone → pop rendered in the browser (serve + engine + Redis)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000, help="Data set size (default 1,000,000).")
        parser.add_argument("--calls", type=int, default=300, help="Calls measured (default 300).")
        parser.add_argument("--warmup", type=int, default=10, help="Calls placed first and not counted (default 10).")
        parser.add_argument("--orders", type=int, default=20,
                            help="Calls then answered with an order keyed in (default 20; 0: none).")
        parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES,
                            help="The benchmark's database (default …/hotline_pop); it gets the data set.")
        parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="Channel layer and engine commands.")
        parser.add_argument("--chromium", default=DEFAULT_CHROMIUM, help="The Chromium executable.")
        parser.add_argument("--seed", type=int, default=1, help="Data set and caller sample seed (default 1).")
        parser.add_argument("--keep-logs", type=Path, default=None, help="Copy the engine's and web logs here.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds allowed for the whole run.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)

    def check(self, options: dict[str, Any]) -> None:
        if options["customers"] < 1 or options["calls"] < 1 or options["warmup"] < 0 or options["orders"] < 0:
            raise BenchError("--customers and --calls must be at least 1, --warmup and --orders at least 0.")

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        self.check(options)
        if options["worker"]:
            out.write(json.dumps(run_pop(options, err)) + "\n")
            return
        target = Target("postgres", postgres_url(options["postgres_url"]))
        ensure_database(target)
        err.write(f"{target.label} ({target.url}):\n")
        result = run_worker(target, self.worker_argv(options), options["timeout"])
        machine = describe_machine(result["database_version"])
        section = render_section(result, machine, options)
        publish(SECTION, section, {"machine": machine, **result}, options, out, err)

    @staticmethod
    def worker_argv(options: dict[str, Any]) -> list[str]:
        argv = ["bench", SECTION]
        for name in ("customers", "calls", "warmup", "orders", "redis_url", "chromium", "seed"):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        if options["keep_logs"] is not None:
            argv += ["--keep-logs", str(options["keep_logs"])]
        return argv

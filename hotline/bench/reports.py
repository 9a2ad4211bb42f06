"""`hotline bench reports`: the report queries over a large call log, per database.

The data set (per database, reused while its version, size and seed match): a small demo data set (users,
stations, a week of airings and orders), then `--calls` calls from the demo call generator
(`hotline/demo/calls.py`: airing surges, IVR, queues, agents' shifts; their events, records, agent states,
callbacks and report facts) over as many days as 8,000 calls a day need, with airings added for the days
before the demo week and an agent per 100 calls a day. A million calls are about 6.5 million call events
(calls lost in the IVR or refused have few steps) and as many facts as calls, queue visits and handlings.
`--replicate K` then copies the generated calls' facts and events K times, copy k moved k spans earlier with
new call ids (INSERT … SELECT): 100,000 calls and K=14 make 1.5 million calls and 11 million events in minutes,
where generating them would take over an hour.

Measured warm, after one untimed run, `--runs` times (p50, p95, max):

* **day KPIs**: one day's queue figures by queue × hour, as the KPI report reads them
  (`callstats.visit_counts` + `handling_counts` over the facts). Goal: under 250 ms.
* **hour × queue × agent**: handling figures over every fact of the data set. Goal: under 1 s on PostgreSQL.
* **airing funnel, a month**: calls by airing × outcome and orders by airing × status (count and value) for
  the 30 days up to the end of the data. Goal: under 500 ms.
* **wallboard**: `hotline.wallboard.stats.floor_snapshot` at the end of the data (today's calls so far),
  against replaying today's log (`hotline.calls.kpi.queue_kpis_for` per queue: 1.8 s at 8,000 calls, the
  issue says).
* the alternatives for the day's KPIs: the replay of the log (the way before facts), the facts (above), and
  a 15-minute rollup table (a GROUP BY of the visit facts, built once and timed) read for the same day.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from hotline.accounts.models import AuditEntry, User
from hotline.accounts.permissions import Role
from hotline.bench.base import Writer
from hotline.bench.finance import percentiles
from hotline.bench.logistics_data import database_version, dataset_target, prepare_dataset
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError, Target, ensure_database, parse_engines, run_worker
from hotline.calls.kpi import queue_kpis_for
from hotline.calls.models import Callback, CallEvent, CallRecord
from hotline.catalog.models import Product
from hotline.demo.calls import CallGenerator, CallWorld, link_orders, next_callback_id
from hotline.demo.loader import pending_migrations
from hotline.demo.media import LENGTHS, LIVE_MINUTES_AGO, SLOT_TIMES, PlannedAiring
from hotline.lib.bulk import insert_rows
from hotline.media.models import Airing, HotlineNumber
from hotline.orders.models import Order
from hotline.reports.callstats import handling_counts, visit_counts
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from hotline.reports.periods import bucket_annotations
from hotline.reports.sql import fast_bucket_annotations, local_hour
from hotline.wallboard.stats import floor_snapshot, local_day

SECTION = "reports"
DATABASE_NAME = "hotline_bench_reports"
GENERATOR_VERSION = 1
MARKER = "bench_reports_calls"
CALLS_PER_DAY = 8_000
CALLS_PER_AGENT = 100  # a day
GOALS = {"day_kpis": 0.25, "day_kpis_native": 0.25, "day_kpis_wm": 0.25, "hour_queue_agent": 1.0,
         "hour_queue_agent_native": 1.0, "hour_queue_agent_wm": 1.0,
         "hour_queue_agent_native_wm": 1.0, "hour_of_day": 1.0, "hour_of_day_wm": 1.0,
         "funnel_month": 0.5, "funnel_month_wm": 0.5}
QUEUES = ("orders", "after_sales")
WORK_MEM = "64MB"


# ---------------------------------------------------------------- the data set

def _end_of_data() -> datetime.datetime:
    """The moment the demo week ends (its live airing started LIVE_MINUTES_AGO before it)."""
    last = Airing.objects.order_by("-starts_at").values_list("starts_at", flat=True).first()
    if last is None:
        raise BenchError("The demo data set has no airings.")
    return last + datetime.timedelta(minutes=LIVE_MINUTES_AGO)


def _add_airings(days: int, end: datetime.datetime, seed: int) -> None:
    """Airings for the days before the demo week, as the demo plans them (6–9 slots a station a day)."""
    rng = random.Random(f"bench-airings-{seed}")
    zone = ZoneInfo(settings.TIME_ZONE)
    first_demo = Airing.objects.order_by("starts_at").values_list("starts_at", flat=True).first()
    assert first_demo is not None
    stations = list(Airing.objects.order_by().values_list("station_id", flat=True).distinct())
    product = Product.objects.order_by("id").values_list("id", flat=True).first()
    next_id = (Airing.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    rows = []
    first_day = (end - datetime.timedelta(days=days)).astimezone(zone).date()
    day = first_day
    while True:
        for station in sorted(stations):
            for hour, minute in sorted(rng.sample(SLOT_TIMES, rng.randint(6, 9))):
                start = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                length = rng.choice(LENGTHS)
                if start + datetime.timedelta(seconds=length) > first_demo:
                    continue
                rows.append((next_id, station, start, length, start + datetime.timedelta(seconds=length), product,
                             Decimal(rng.randrange(20, 400) * 100), "bench"))
                next_id += 1
        day += datetime.timedelta(days=1)
        if datetime.datetime(day.year, day.month, day.day, tzinfo=zone) >= first_demo:
            break
    insert_rows(Airing, ("id", "station", "starts_at", "length_seconds", "ends_at", "product", "cost", "title"), rows)


def _world(calls: int, end: datetime.datetime) -> CallWorld:
    days = max(7, math.ceil(calls / CALLS_PER_DAY))
    zone = ZoneInfo(settings.TIME_ZONE)
    first = (end - datetime.timedelta(days=days - 1)).astimezone(zone).date()
    start = datetime.datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(datetime.UTC)
    airings = [PlannedAiring(a.id, a.station_id, a.starts_at, a.length_seconds, a.product_id or 0, a.cost)
               for a in Airing.objects.filter(starts_at__lt=end).order_by("starts_at", "id")]
    agents: list[tuple[str, int | None]] = list(
        User.objects.filter(role=Role.AGENT).order_by("id").values_list("username", "id"))
    wanted = max(len(agents), math.ceil(min(calls, CALLS_PER_DAY * days) / days / CALLS_PER_AGENT))
    agents += [(f"bench{n:03d}", None) for n in range(1, wanted - len(agents) + 1)]
    return CallWorld(airings=airings, stations=dict(HotlineNumber.objects.values_list("pk", "station_id")),
                     numbers=dict(HotlineNumber.objects.values_list("pk", "number")), agents=agents, start=start,
                     end=end, lines=len(agents) * 3, prefix="bench", first_callback_id=next_callback_id())


def prepare(options: dict[str, Any], err: Writer) -> dict[str, Any]:
    """The data set: reused while its version, size and seed match, else (re)built."""
    if pending_migrations():
        call_command("migrate", verbosity=0, interactive=False)
    wanted = {"version": GENERATOR_VERSION, "calls": options["calls"], "seed": options["seed"]}
    entry = AuditEntry.objects.filter(action=MARKER).order_by("-id").first()
    done = entry.after if entry is not None and isinstance(entry.after, dict) else None
    if done and not options["reload"] and all(done.get(key) == value for key, value in wanted.items()):
        err.write(f"  reusing the {options['calls']:,} calls generated earlier\n")
        return {**_replicated(options, done, err), "generated_now": False}
    prepare_dataset(options["customers"], options["orders"], options["seed"], options["reload"] or done is not None,
                    err)
    end = _end_of_data()
    world_days = max(7, math.ceil(options["calls"] / CALLS_PER_DAY))
    started = time.perf_counter()
    with transaction.atomic():
        if world_days > 7:
            _add_airings(world_days, end, options["seed"])
        world = _world(options["calls"], end)
        err.write(f"  generating {options['calls']:,} calls over {world_days} days, {len(world.agents)} agents\n")
        summary = CallGenerator(world, options["calls"], options["seed"],
                                progress=lambda message: err.write(f"  {message}\n")).run()
        linked = link_orders(summary.answered, world.start)
        _reset_sequences()
    seconds = time.perf_counter() - started
    analyse()
    figures = {**wanted, "days": world_days, "agents": len(world.agents), "counts": dict(summary.counts),
               "outcomes": dict(summary.outcomes), "orders_with_call": linked, "seconds": round(seconds, 1),
               "generate_seconds": round(summary.generate_seconds, 1), "end": end.isoformat()}
    AuditEntry.objects.create(actor=None, actor_name="system", action=MARKER, object_type="bench.reports",
                              object_id=str(options["seed"]), object_repr=f"{options['calls']} calls", after=figures)
    return {**_replicated(options, figures, err), "generated_now": True}


def _reset_sequences() -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Airing, Callback]):
            cursor.execute(statement)


def analyse() -> None:
    """Planner statistics after the bulk load (and the visibility map PostgreSQL's index-only scans need)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("VACUUM ANALYZE")


COPY_PREFIX = "copy"  # copies' call ids: copy{k}:{original call id}; generated ones start with "bench"


def _copy_sql(model: type[Any], times: tuple[str, ...], copy: int, seconds: int) -> str:
    """INSERT … SELECT of the generated calls' rows of `model` as copy `copy`: new call ids, `times` moved
    `seconds` earlier, every other column as it is (new ids from the table's identity)."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name

    def value(column: str) -> str:
        if column == "call_id":
            return f"'{COPY_PREFIX}{copy}:' || {qn(column)}"
        if column not in times:
            return qn(column)
        if connection.vendor == "sqlite":  # stored as UTC text; %f keeps the milliseconds the facts have
            return f"strftime('%Y-%m-%d %H:%M:%f', {qn(column)}, '-{seconds} seconds')"
        return f"{qn(column)} - interval '{seconds} seconds'"

    return (f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "
            f"SELECT {', '.join(value(c) for c in columns)} FROM {qn(table)} "
            f"WHERE {qn('call_id')} NOT LIKE '{COPY_PREFIX}%'")


COPIED = ((CallFact, ("arrived_at", "ended_at")), (VisitFact, ("entered_at",)), (HandlingFact, ("answered_at",)),
          (CallEvent, ("at",)))


def replicate(copies: int, days: int, events: bool, err: Writer) -> dict[str, Any]:
    """The generated calls' facts (and their events, with `events`) copied `copies` times, copy k moved k × the
    data set's span (`days`) earlier, so a big data set costs minutes instead of an hour of generating. Earlier
    copies are deleted first. Agent states, records and callbacks are not copied (no measured query reads
    them over more than the last days, which hold the generated calls only)."""
    started = time.perf_counter()
    copied: dict[str, int] = {}
    with connection.cursor() as cursor:
        for model, _times in COPIED:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} "
                           f"WHERE call_id LIKE '{COPY_PREFIX}%'")
    for copy in range(1, copies + 1):
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Copies of rows whose foreign keys already hold: skip the per-row FK triggers (superuser only).
                cursor.execute("SET LOCAL session_replication_role = replica")
            for model, times in COPIED:
                if model is CallEvent and not events:
                    continue
                cursor.execute(_copy_sql(model, times, copy, copy * days * 86_400))
                copied[model.__name__] = copied.get(model.__name__, 0) + cursor.rowcount
        err.write(f"  copy {copy} of {copies}: {time.perf_counter() - started:,.0f} s\n")
    return {"copies": copies, "events": events, "rows": copied, "seconds": round(time.perf_counter() - started, 1)}


def _replicated(options: dict[str, Any], done: dict[str, Any], err: Writer) -> dict[str, Any]:
    """The data set with the copies `--replicate` asks for (made now if they differ from the recorded ones)."""
    wanted = {"copies": options["replicate"], "events": not options["no_copy_events"]}
    have = done.get("replicated") or {"copies": 0, "events": True}
    if all(have.get(key) == value for key, value in wanted.items()):
        return done
    if wanted["copies"] or have.get("copies"):
        err.write(f"  copying the calls {wanted['copies']} times\n")
    figures = {**done, "replicated": replicate(wanted["copies"], done["days"], wanted["events"], err)}
    analyse()
    entry = AuditEntry.objects.filter(action=MARKER).order_by("-id").first()
    assert entry is not None
    entry.after = figures
    entry.save(update_fields=["after"])
    return figures


# ---------------------------------------------------------------- the queries

def day_kpis(start: datetime.datetime, end: datetime.datetime, native: bool = False) -> int:
    """The KPI report's queue figures for [start, end) by queue × hour; the number of groups. `native`: the
    buckets of `hotline.reports.sql` (SQLite's own strftime instead of Django's per-row Python function)."""
    visits = VisitFact.objects.filter(entered_at__gte=start, entered_at__lt=end) \
        .annotate(**_buckets("entered_at", start, end, native))
    parts = HandlingFact.objects.filter(answered_at__gte=start, answered_at__lt=end) \
        .annotate(**_buckets("answered_at", start, end, native))
    return len(visit_counts(visits, ["queue", "bucket"])) + len(handling_counts(parts, ["queue", "bucket"]))


def _buckets(field: str, start: datetime.datetime, end: datetime.datetime, native: bool) -> dict[str, Any]:
    return fast_bucket_annotations(field, "hour", start, end) if native else bucket_annotations(field, "hour")


def hour_queue_agent(start: datetime.datetime, end: datetime.datetime, native: bool = False) -> int:
    """Handling figures by hour × queue × agent over every fact (all of them lie in [start, end)); groups."""
    parts = HandlingFact.objects.annotate(**_buckets("answered_at", start, end, native))
    return len(handling_counts(parts, ["bucket", "queue", "agent_key"]))


def hour_of_day(start: datetime.datetime, end: datetime.datetime) -> int:
    """Handling figures by hour of the day × queue × agent over every fact (in [start, end)); groups."""
    parts = HandlingFact.objects.annotate(hour=local_hour("answered_at", start, end))
    return len(handling_counts(parts, ["hour", "queue", "agent_key"]))


def funnel(start: datetime.datetime, end: datetime.datetime) -> int:
    """Calls by airing × outcome and orders by airing × status (count, value) for [start, end); groups."""
    calls = list(CallFact.objects.filter(arrived_at__gte=start, arrived_at__lt=end).order_by()
                 .values("airing", "outcome").annotate(calls=Count("id")))
    orders = list(Order.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
                  .values("airing", "status").annotate(orders=Count("id"), value=Sum("total")))
    return len(calls) + len(orders)


def replay_day(start: datetime.datetime, end: datetime.datetime) -> int:
    """The day's queue KPIs by replaying the log (`queue_kpis_for`), the way before the facts."""
    return sum(queue_kpis_for(queue, start, end).queued for queue in QUEUES)


ROLLUP = "bench_rollup_15min"


def _epoch(column: str) -> str:
    if connection.vendor == "sqlite":
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"


def build_rollup() -> int:
    """A 15-minute rollup of the visit facts (queue × quarter hour: queued, answered, within, short, waits)."""
    epoch = _epoch("entered_at")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ROLLUP}")
        cursor.execute(
            f"CREATE TABLE {ROLLUP} AS SELECT queue, ({epoch} / 900) * 900 AS quarter, COUNT(*) AS queued, "
            "SUM(CASE WHEN result = 'answered' THEN 1 ELSE 0 END) AS answered, "
            "SUM(CASE WHEN result = 'answered' AND within THEN 1 ELSE 0 END) AS answered_within, "
            "SUM(CASE WHEN result = 'abandoned' THEN 1 ELSE 0 END) AS abandoned, "
            "SUM(CASE WHEN short THEN 1 ELSE 0 END) AS short, "
            "SUM(CASE WHEN result = 'answered' THEN wait_ms ELSE 0 END) AS answered_wait_ms, "
            "MAX(wait_ms) AS longest_ms "
            f"FROM reports_visitfact GROUP BY queue, ({epoch} / 900) * 900")
        cursor.execute(f"CREATE INDEX {ROLLUP}_quarter ON {ROLLUP} (quarter, queue)")
        cursor.execute(f"SELECT COUNT(*) FROM {ROLLUP}")
        return int(cursor.fetchone()[0])


def read_rollup(start: datetime.datetime, end: datetime.datetime) -> int:
    """The day's queue figures by queue × hour from the rollup."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT queue, quarter / 3600, SUM(queued), SUM(answered), SUM(answered_within), "
                       f"SUM(abandoned), SUM(short), SUM(answered_wait_ms), MAX(longest_ms) FROM {ROLLUP} "
                       "WHERE quarter >= %s AND quarter < %s GROUP BY queue, quarter / 3600",
                       [int(start.timestamp()), int(end.timestamp())])
        return len(cursor.fetchall())


def timed(work: Callable[[], Any], runs: int) -> dict[str, Any]:
    """One untimed run (its result kept), then `runs` timed ones: p50, p95, max."""
    result = work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return {**percentiles(samples), "result": result}


def measure(options: dict[str, Any], err: Writer) -> dict[str, Any]:
    """Every query, warm, `--runs` times."""
    entry = AuditEntry.objects.filter(action=MARKER).order_by("-id").first()
    if entry is None or not isinstance(entry.after, dict):
        raise BenchError("No data set: run the prepare part first.")
    end = datetime.datetime.fromisoformat(entry.after["end"])
    today = local_day(end)
    day_start, day_end = today.start - datetime.timedelta(days=1), today.start  # the last full day
    runs = options["runs"]
    skipped = set(options.get("skip") or ())
    first = CallFact.objects.order_by("arrived_at").values_list("arrived_at", flat=True).first() or day_start
    results: dict[str, Any] = {}
    with timezone.override(ZoneInfo(settings.TIME_ZONE)):
        for name, work in (("day_kpis", lambda: day_kpis(day_start, day_end)),
                           ("day_kpis_native", lambda: day_kpis(day_start, day_end, native=True)),
                           ("hour_queue_agent", lambda: hour_queue_agent(first, end)),
                           ("hour_queue_agent_native", lambda: hour_queue_agent(first, end, native=True)),
                           ("hour_of_day", lambda: hour_of_day(first, end)),
                           ("funnel_month", lambda: funnel(end - datetime.timedelta(days=30), end)),
                           ("wallboard", lambda: floor_snapshot(end) and 1),
                           ("replay_today", lambda: replay_day(today.start, end)),
                           ("replay_day", lambda: replay_day(day_start, day_end))):
            if name in skipped:
                continue
            err.write(f"  {name}: {runs if not name.startswith('replay') else min(runs, 2)} warm runs\n")
            results[name] = timed(work, runs if not name.startswith("replay") else min(runs, 2))
        if connection.vendor == "postgresql":  # the same with more memory per sort or hash than the default 4 MB
            with connection.cursor() as cursor:
                cursor.execute(f"SET work_mem = '{WORK_MEM}'")
            for name, work in (("day_kpis_wm", lambda: day_kpis(day_start, day_end)),
                               ("hour_queue_agent_wm", lambda: hour_queue_agent(first, end)),
                               ("hour_queue_agent_native_wm", lambda: hour_queue_agent(first, end, native=True)),
                               ("hour_of_day_wm", lambda: hour_of_day(first, end)),
                               ("funnel_month_wm", lambda: funnel(end - datetime.timedelta(days=30), end))):
                err.write(f"  {name}: {runs} warm runs\n")
                results[name] = timed(work, runs)
            with connection.cursor() as cursor:
                cursor.execute("RESET work_mem")
        started = time.perf_counter()
        rows = build_rollup()
        results["rollup_build"] = {"seconds": round(time.perf_counter() - started, 3), "rows": rows}
        results["rollup_day"] = timed(lambda: read_rollup(day_start, day_end), runs)
    results["sizes"] = {
        "calls_day": CallFact.objects.filter(arrived_at__gte=day_start, arrived_at__lt=day_end).count(),
        "calls_today": CallRecord.objects.filter(arrived_at__gte=today.start, arrived_at__lt=end).count(),
        "handlings": HandlingFact.objects.count(), "calls": CallFact.objects.count(),
        "call_events": CallEvent.objects.count(),
        "calls_month": CallFact.objects.filter(arrived_at__gte=end - datetime.timedelta(days=30),
                                               arrived_at__lt=end).count(),
    }
    if connection.vendor == "postgresql":
        results["parallel_workers"] = _setting("max_parallel_workers_per_gather")
    return results


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return str(cursor.fetchone()[0])


def run_here(options: dict[str, Any], out: Writer, err: Writer) -> None:
    """The measuring process: prepare the data set, or measure in it; one JSON line."""
    result = prepare(options, err) if options["part"] == "prepare" else measure(options, err)
    result.update(engine=connection.vendor, version=database_version())
    out.write(json.dumps(result, default=str) + "\n")


# ---------------------------------------------------------------- reporting

def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def _label(result: dict[str, Any]) -> str:
    return f"{'PostgreSQL' if result['engine'] == 'postgresql' else 'SQLite'} {result['version']}"


def dataset_rows(result: dict[str, Any]) -> list[list[str]]:
    d = result["dataset"]
    counts = d["counts"]
    outcomes = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in
                         sorted(d["outcomes"].items(), key=lambda item: -item[1]))
    rate = f"{d['calls'] / d['seconds']:,.0f} calls/s" if d.get("seconds") else "—"
    rows = [[_label(result), f"{counts['call_records']:,} calls, {counts['call_events']:,} events, "
             f"{counts['agent_states']:,} agent states, {counts['callbacks']:,} callbacks; {d['days']} days, "
             f"{d['agents']} agents", outcomes, f"{d['seconds']:.1f} s ({rate})"]]
    copied = d.get("replicated") or {}
    if copied.get("copies"):
        sizes = result["measured"]["sizes"]
        what = "facts and events" if copied["events"] else "facts only (not the events)"
        rows.append([_label(result), f"`--replicate {copied['copies']}`: the {what} copied {copied['copies']}× "
                     f"({d['days']} days earlier each) → {sizes['calls']:,} calls, {sizes['call_events']:,} events, "
                     f"{sizes['handlings']:,} handlings; {d['days'] * (copied['copies'] + 1)} days",
                     "as above", f"{copied['seconds']:.1f} s (INSERT … SELECT)"])
    return rows


QUERY_LABELS = {
    "day_kpis": "day's KPIs by queue × hour (facts)",
    "day_kpis_native": "the same, `reports/sql.py` buckets (SQLite strftime, PostgreSQL date_bin)",
    "hour_queue_agent": "hour × queue × agent, all facts",
    "hour_queue_agent_native": "the same, `reports/sql.py` buckets (SQLite strftime, PostgreSQL date_bin)",
    "hour_of_day": "hour of day × queue × agent, all facts",
    "funnel_month": "airing funnel, 30 days",
    "wallboard": "wallboard `floor_snapshot` (today)",
    "replay_today": "replay of today's log (`queue_kpis_for`)",
    "replay_day": "day's KPIs by replaying the log",
    "rollup_day": "day's KPIs from the 15-min rollup",
    "day_kpis_wm": f"day's KPIs, work_mem {WORK_MEM}",
    "hour_queue_agent_wm": f"hour × queue × agent, work_mem {WORK_MEM}",
    "hour_queue_agent_native_wm": f"the same, `reports/sql.py` buckets, work_mem {WORK_MEM}",
    "hour_of_day_wm": f"hour of day × queue × agent, work_mem {WORK_MEM}",
    "funnel_month_wm": f"airing funnel, work_mem {WORK_MEM}",
}


def _work(name: str, m: dict[str, Any]) -> str:
    sizes = m["sizes"]
    if name.endswith(("_native", "_wm")):
        return ""
    return {"day_kpis": f"{sizes['calls_day']:,} calls that day", "hour_of_day": f"{sizes['handlings']:,} handlings",
            "replay_day": f"{sizes['calls_day']:,} calls",
            "rollup_day": f"{m['rollup_build']['rows']:,} rollup rows (built in {m['rollup_build']['seconds']:.1f} s)",
            "hour_queue_agent": f"{sizes['handlings']:,} handlings",
            "funnel_month": f"{sizes['calls_month']:,} calls", "wallboard": f"{sizes['calls_today']:,} calls today",
            "replay_today": f"{sizes['calls_today']:,} calls today"}[name]


def query_rows(result: dict[str, Any]) -> list[list[str]]:
    m = result["measured"]
    rows = []
    for name, label in QUERY_LABELS.items():
        if name not in m:  # PostgreSQL-only variants
            continue
        figures = m[name]
        goal = GOALS.get(name)
        verdict = "—" if goal is None else f"{goal / figures['p95']:.1f}× {'✓' if figures['p95'] <= goal else '✗'}"
        rows.append([_label(result), label, _work(name, m), _ms(figures["p50"]), _ms(figures["p95"]),
                     _ms(figures["max"]), "—" if goal is None else f"< {goal * 1000:.0f} ms", verdict])
    return rows


def ratio_lines(results: list[dict[str, Any]]) -> list[str]:
    lines = []
    for result in results:
        m = result["measured"]
        if not all(name in m for name in ("replay_day", "day_kpis", "rollup_day", "wallboard", "replay_today")):
            continue
        lines.append(f"- {_label(result)}: the day's KPIs from the facts are "
                     f"{m['replay_day']['p50'] / m['day_kpis']['p50']:,.0f}× faster than replaying the log and "
                     f"{m['day_kpis']['p50'] / m['rollup_day']['p50']:,.1f}× slower than the rollup; the wallboard "
                     f"reads today in {_ms(m['wallboard']['p50'])} where replaying today's log takes "
                     f"{_ms(m['replay_today']['p50'])} ({m['replay_today']['p50'] / m['wallboard']['p50']:,.1f}×).")
    return lines


def render_section(results: list[dict[str, Any]], machine: dict[str, str], options: dict[str, Any]) -> str:
    dataset = markdown_table(["database", "data set", "outcomes", "generated and written in"],
                             [row for result in results for row in dataset_rows(result)])
    queries = markdown_table(["database", "query", "work", "p50", "p95", "max", "goal", "goal ÷ p95"],
                             [row for result in results for row in query_rows(result)])
    return "\n".join([
        "## Reports: KPIs, the airing funnel and the wallboard over a large call log", "",
        f"`hotline bench reports --calls {options['calls']} --runs {options['runs']}"
        f"{' --replicate ' + str(options['replicate']) if options.get('replicate') else ''}"
        f"{' --skip ' + ','.join(options['skip']) if options.get('skip') else ''}`, in a data set of its "
        "own per "
        "database: a small demo data set, then the calls of `hotline/demo/calls.py` (airing surges, the demo "
        f"IVR, two queues, agents on shifts) at {CALLS_PER_DAY:,} calls a day, with their event log, records, "
        "agent states, callbacks and report facts (`CallFact`, `VisitFact`, `HandlingFact`).", "",
        dataset, "",
        "Each query warm, after one untimed run; the replays 2 runs at most.", "",
        queries, "",
        *ratio_lines(results), "",
        "The reports read the facts (one row per call, queue visit and handling, written when a call ends) "
        "with SQL aggregation: the replay of the log is what the facts replace, and the wallboard's today no "
        "longer replays the day's events. Time buckets by Django's `Trunc` in a time zone run a Python function "
        "per row on SQLite and convert every row to local time on PostgreSQL; `hotline/reports/sql.py` computes "
        "them from the stored instant when the zone keeps one offset (SQLite's strftime, PostgreSQL's date_bin). "
        "`hotline/reports/callstats.py` groups with PostgreSQL's hash aggregate in memory (work_mem 64 MB, no "
        "sort, set around each grouped query) and reads the rows without Django's per-value conversion of the "
        "integer sums. `work_mem` rows: the session's work_mem 64 MB instead of the default 4 MB (the callstats "
        "queries set it themselves now). `--replicate K` copies the generated calls' facts and events K times, "
        "each copy a span earlier (INSERT … SELECT), for sizes generating would take an hour to reach. "
        "The 15-minute rollup is faster still but is one more table "
        "to keep in step with late writes (after-call work ends after the call; thresholds change and facts are "
        "rebuilt); at 100,000 calls the facts meet every goal without it (above 1.5 million calls, hourly buckets × "
        "queue × agent over the whole log do not: docs/reports.md, Measured). DuckDB was not measured: it is not a "
        "dependency of "
        "Hotline, and it would read a copy of the facts that has to be kept up to date.", "",
        machine_line(machine),
    ])


class ReportsBenchmark:
    """`hotline bench reports`."""

    name = SECTION
    help = "The KPI report, hour × queue × agent, the airing funnel and the wallboard over a large call log."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--calls", type=int, default=100_000,
                            help="Calls generated (default 100,000; 1,000,000 for about 6.5 million call events).")
        parser.add_argument("--runs", type=int, default=10, help="Timed runs per query (default 10).")
        parser.add_argument("--customers", type=int, default=1_000, help="Demo data set customers (default 1,000).")
        parser.add_argument("--orders", type=int, default=2_000, help="Demo data set orders (default 2,000).")
        parser.add_argument("--databases", default="sqlite", help="sqlite, postgres or both (default sqlite).")
        parser.add_argument("--postgres", action="store_true", help="Measure PostgreSQL too (--databases "
                                                                    "sqlite,postgres).")
        parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/",
                            help=f"PostgreSQL server; the data set database defaults to {DATABASE_NAME}.")
        parser.add_argument("--sqlite-path", type=Path, default=None,
                            help="SQLite data set file (default: bench-reports.sqlite3 in the data folder).")
        parser.add_argument("--seed", type=int, default=1, help="Data set seed (default 1).")
        parser.add_argument("--replicate", type=int, default=0, metavar="K",
                            help="Copy the generated calls' facts and events K times, each copy moved back by the "
                                 "data set's span (100,000 calls and K=14: 1.5 million calls, 11 million events).")
        parser.add_argument("--skip", type=lambda text: [name for name in text.split(",") if name], default=[],
                            help="Queries left out, comma-separated (e.g. wallboard).")
        parser.add_argument("--no-copy-events", action="store_true",
                            help="With --replicate: copy the facts only, not the call events.")
        parser.add_argument("--reload", action="store_true", help="Rebuild the data set even if it matches.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds allowed per measuring process.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--part", default="prepare", choices=("prepare", "measure"), help=argparse.SUPPRESS)

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        if options["calls"] < 100 or options["runs"] < 1:
            raise BenchError("--calls must be at least 100 and --runs at least 1.")
        if not 0 <= options["replicate"] <= 100:
            raise BenchError("--replicate must be between 0 and 100.")
        if options["worker"]:
            run_here(options, out, err)
            return
        os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)
        sqlite_path = options["sqlite_path"] or settings.DATA_DIR / "bench-reports.sqlite3"
        engines = parse_engines("sqlite,postgres" if options["postgres"] else options["databases"])
        results = [self.measure(dataset_target(engine, sqlite_path, options["postgres_url"], DATABASE_NAME), options,
                                err) for engine in engines]
        postgresql = next((r["version"] for r in results if r["engine"] == "postgresql"), "")
        machine = describe_machine(postgresql)
        publish(SECTION, render_section(results, machine, options), {"machine": machine, "results": results},
                options, out, err)

    def measure(self, target: Target, options: dict[str, Any], err: Writer) -> dict[str, Any]:
        """The data set, then the measurements, each in a process of its own."""
        ensure_database(target)
        err.write(f"{target.label} ({target.url}):\n")
        dataset = run_worker(target, self.argv(options, "prepare"), options["timeout"])
        measured = run_worker(target, self.argv(options, "measure"), options["timeout"])
        return {"engine": measured["engine"], "version": measured["version"], "dataset": dataset,
                "measured": measured}

    @staticmethod
    def argv(options: dict[str, Any], part: str) -> list[str]:
        argv = ["bench", SECTION, "--part", part, "--calls", str(options["calls"]), "--runs", str(options["runs"]),
                "--customers", str(options["customers"]), "--orders", str(options["orders"]),
                "--seed", str(options["seed"]), "--replicate", str(options["replicate"])]
        argv += ["--no-copy-events"] if options["no_copy_events"] else []
        argv += ["--skip", ",".join(options["skip"])] if options["skip"] else []
        return [*argv, "--reload"] if options["reload"] and part == "prepare" else argv

"""`hotline bench lookup`: phone look-up latency on the screen-pop path, per database.

Each database gets a benchmark data set (the demo data at `--customers`, loaded once and reused while
its size, seed and generator version match), then `--lookups` calls of
`hotline.crm.queries.customers_by_phone` with numbers written the ways trunks and agents write them,
about a tenth of them numbers nobody in the data set has.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Max, Min

from hotline.bench.base import Writer
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.stats import summarize
from hotline.bench.targets import BenchError, ensure_database, parse_engines, run_worker, targets
from hotline.crm.models import CustomerPhone
from hotline.crm.queries import customers_by_phone
from hotline.demo.loader import (
    DATASET_VERSION,
    DemoOptions,
    erase_all_data,
    existing_data,
    latest_load,
    load_demo,
    pending_migrations,
)
from hotline.demo.prefixes import MOBILE

SECTION = "lookup"
BENCH_ORDERS = 5_000
WARMUP = 200
CHUNK = 500  # ids per IN (…) query while sampling, well under SQLite's variable limit
MOBILE_NOTATIONS = ("{n}", "{a} {b} {c}", "+86 {a} {b} {c}", "+86{n}", "0086-{a}-{b}-{c}", "86{n}", "0{n}",
                    "{a}-{b}-{c}")  # fmt: skip
LANDLINE_NOTATIONS = ("{n}", "{area}-{rest}", "({area}) {rest}")


@dataclass(frozen=True)
class Probe:
    """One look-up: the number as written, and whether the data set has it."""

    raw: str
    expect_hit: bool


# ---------------------------------------------------------------- in the measuring process

def notation(number: str, rng: random.Random) -> str:
    """The normal-form number written one of the ways it reaches us (`+86 138 0013 8000`, `0731-8812…`)."""
    if number.startswith("1"):
        return rng.choice(MOBILE_NOTATIONS).format(n=number, a=number[:3], b=number[3:7], c=number[7:])
    area = number[:3] if number[1] in "12" else number[:4]  # 010 and 02x have three digits, others four
    return rng.choice(LANDLINE_NOTATIONS).format(n=number, area=area, rest=number[len(area):])


def prepare_dataset(customers: int, seed: int, reload: bool, err: Writer) -> dict[str, Any]:
    """Migrate, and load the benchmark data set unless the one already there has the same size and seed."""
    if pending_migrations():
        call_command("migrate", verbosity=0, interactive=False)
    loaded = latest_load()
    wanted = {"version": DATASET_VERSION, "customers": customers, "seed": seed}
    if not reload and loaded and all(loaded.get(key) == value for key, value in wanted.items()):
        err.write(f"  reusing the data set loaded earlier ({customers:,} customers)\n")
        return {"loaded_now": False, "load_seconds": loaded.get("seconds")}
    if existing_data():
        if loaded is None or loaded.get("purpose") != "bench":
            raise BenchError(f"{connection.settings_dict['NAME']} holds data that is not a benchmark data set; "
                             "refusing to erase it. Point the benchmark at another database.")
        erase_all_data()
    err.write(f"  loading {customers:,} customers (once; later runs reuse them)\n")
    options = DemoOptions(customers=customers, orders=min(BENCH_ORDERS, customers), seed=seed, purpose="bench")
    report = load_demo(options, progress=lambda message: err.write(f"  {message}\n"))
    return {"loaded_now": True, "load_seconds": round(report.seconds, 1)}


def make_probes(count: int, miss_ratio: float, rng: random.Random) -> list[Probe]:
    """`count` look-ups in random order: numbers drawn from the data set, and numbers it lacks."""
    misses = round(count * miss_ratio)
    found = [Probe(notation(n, rng), True) for n in _present_numbers(count - misses, rng)]
    absent = [Probe(notation(n, rng), False) for n in _absent_numbers(misses, rng)]
    probes = found + absent
    rng.shuffle(probes)
    return probes


def _present_numbers(count: int, rng: random.Random) -> list[str]:
    bounds = CustomerPhone.objects.aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        raise BenchError("The data set has no phone numbers.")
    numbers: list[str] = []
    while len(numbers) < count:
        ids = [rng.randint(bounds["low"], bounds["high"]) for _ in range(min(CHUNK, count - len(numbers)))]
        by_id = dict(CustomerPhone.objects.filter(id__in=ids).values_list("id", "number"))
        numbers += [by_id[pk] for pk in ids if pk in by_id]  # in drawing order, so a seed repeats the run
    return numbers[:count]


def _absent_numbers(count: int, rng: random.Random) -> list[str]:
    """Numbers on the data set's real prefixes that nobody in it has: what a new caller looks like."""
    prefixes = [prefix for rows in MOBILE.values() for prefix, _carrier in rows]
    numbers: list[str] = []
    while len(numbers) < count:
        batch = {f"{rng.choice(prefixes)}{rng.randrange(10_000):04d}" for _ in range(min(CHUNK, count - len(numbers)))}
        taken = set(CustomerPhone.objects.filter(number__in=batch).values_list("number", flat=True))
        numbers += sorted(batch - taken)
    return numbers[:count]


def measure(probes: list[Probe], warmup: list[Probe]) -> dict[str, Any]:
    """Time each look-up through the screen-pop query; count answers that contradict the data set."""
    for probe in warmup:
        customers_by_phone(probe.raw)
    latencies: list[float] = []
    wrong = 0
    started = time.perf_counter()
    for probe in probes:
        before = time.perf_counter()
        found = customers_by_phone(probe.raw)
        latencies.append(time.perf_counter() - before)
        wrong += bool(found) != probe.expect_hit
    elapsed = time.perf_counter() - started
    return {"summary": summarize(latencies, elapsed).as_dict(), "wrong": wrong,
            "misses": sum(not probe.expect_hit for probe in probes)}


def database_version() -> str:
    """`3.40.1` or `15.20`: the version of the database server this process talks to."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        return str(cursor.fetchone()[0]).split()[0]


def run_here(options: dict[str, Any], out: Writer, err: Writer) -> None:
    """The measuring process: prepare the data set, measure, print one JSON line."""
    dataset = prepare_dataset(options["customers"], options["seed"], options["reload"], err)
    rng = random.Random(f"lookup-{options['seed']}")
    warmup = make_probes(WARMUP, options["miss_ratio"], rng)
    probes = make_probes(options["lookups"], options["miss_ratio"], rng)
    err.write(f"  measuring {options['lookups']:,} look-ups\n")
    result = measure(probes, warmup)
    result.update(dataset, engine=connection.vendor, version=database_version(), customers=options["customers"],
                  phones=CustomerPhone.objects.count())
    out.write(json.dumps(result) + "\n")


# ---------------------------------------------------------------- in the command's own process

def render_section(results: list[dict[str, Any]], machine: dict[str, str], options: dict[str, Any]) -> str:
    """The Markdown section for docs/benchmarks.md."""
    rows = [[f"{_label(r)} {r['version']}", f"{r['customers']:,}", f"{r['phones']:,}",
             f"{r['summary']['count']:,} ({r['misses']:,})", *(_ms(r['summary'][key]) for key in
             ("p50_ms", "p90_ms", "p99_ms", "max_ms")), f"{r['summary']['per_second']:,.0f}", _load(r)]
            for r in results]
    table = markdown_table(["database", "customers", "phone numbers", "look-ups (misses)", "p50", "p90", "p99",
                            "max", "look-ups/s", "data set load"], rows)
    wrong = sum(r["wrong"] for r in results)
    verdict = ("Every number in the data set found its customer and every other number found none."
               if wrong == 0 else f"{wrong} look-ups gave a wrong answer: the figures are not valid.")
    return "\n".join([
        "## Phone look-up (screen pop)", "",
        f"`hotline bench lookup --customers {options['customers']} --lookups {options['lookups']}`: each look-up "
        "is `hotline.crm.queries.customers_by_phone(raw)`, the screen-pop path: normalise the number as a trunk "
        "or an agent wrote it (`+86 138 0013 8000`, `0086-138-…`, `013800138000`, `0731-8812 3456`…), one "
        "equality query on the indexed `crm_customerphone.number`, then the customers by primary key. One "
        f"client, one look-up after another, after {WARMUP} warm-up look-ups; "
        f"{options['miss_ratio']:.0%} of the numbers belong to nobody in the data set.", "",
        table, "", verdict, "", machine_line(machine), "",
        "The data set is the demo data (`hotline loaddemo --customers N`): every customer has a mobile number, "
        "a fifth also a landline; \"data set load\" is how long `loaddemo` took to write it.",
    ])


def _label(result: dict[str, Any]) -> str:
    return "PostgreSQL" if result["engine"] == "postgresql" else "SQLite"


def _ms(value: float) -> str:
    return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"


def _load(result: dict[str, Any]) -> str:
    seconds = result.get("load_seconds")
    if not isinstance(seconds, int | float):
        return "?"
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds:,.0f} s"


class LookupBenchmark:
    """`hotline bench lookup`."""

    name = SECTION
    help = "Phone look-up latency (screen pop) over a large customer base, per database."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000, help="Data set size (default 1,000,000).")
        parser.add_argument("--lookups", type=int, default=5_000, help="Look-ups to time (default 5,000).")
        parser.add_argument("--miss-ratio", type=float, default=0.1, help="Share of unknown numbers (default 0.1).")
        parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both (default).")
        parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/",
                            help="PostgreSQL server; the database defaults to hotline_bench and is created.")
        parser.add_argument("--sqlite-path", type=Path, default=None,
                            help="SQLite file (default: bench-lookup.sqlite3 in the data folder).")
        parser.add_argument("--seed", type=int, default=1, help="Data set and sample seed (default 1).")
        parser.add_argument("--reload", action="store_true", help="Reload the data set even if it matches.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds allowed per database.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)

    def check(self, options: dict[str, Any]) -> None:
        if options["customers"] < 1 or options["lookups"] < 1:
            raise BenchError("--customers and --lookups must be at least 1.")
        if not 0 <= options["miss_ratio"] < 1:
            raise BenchError("--miss-ratio must be at least 0 and below 1.")

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        self.check(options)
        if options["worker"]:
            run_here(options, out, err)
            return
        sqlite_path = options["sqlite_path"] or settings.DATA_DIR / "bench-lookup.sqlite3"
        results = []
        for target in targets(parse_engines(options["databases"]), sqlite_path, options["postgres_url"]):
            ensure_database(target)
            err.write(f"{target.label} ({target.url}):\n")
            results.append(run_worker(target, self.worker_argv(options), options["timeout"]))
        postgresql = next((r["version"] for r in results if r["engine"] == "postgresql"), "")
        machine = describe_machine(postgresql)
        section = render_section(results, machine, options)
        publish(SECTION, section, {"machine": machine, "results": results}, options, out, err)

    @staticmethod
    def worker_argv(options: dict[str, Any]) -> list[str]:
        argv = ["bench", SECTION, "--customers", str(options["customers"]), "--lookups", str(options["lookups"]),
                "--miss-ratio", str(options["miss_ratio"]), "--seed", str(options["seed"])]
        return [*argv, "--reload"] if options["reload"] else argv

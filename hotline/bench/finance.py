"""`hotline bench finance`: the receivables by courier over a million orders, and a 50,000-line remittance
statement read, matched and applied.

Per database (`--databases sqlite,postgres`), in a data set of its own (`finance_data.py`: a small demo data
set, then `--orders` orders written in bulk, reused while its size and seed match):

* **receivables**: `hotline.finance.receivables.receivables()` (ageing by courier), warm, `--runs` times:
  p50, p95 and max. Next to it, the reference query this bench computes the same figures with (one SQL
  statement), which also checks the data set's open amount. Goal: under 500 ms.
* **statement**: EMS's remittance statement for `--lines` of its parcels delivered and not remitted, with
  differences (per 100 lines: a short payment, an over-payment, an unknown tracking number, a duplicate
  line, an already remitted parcel, an undelivered one, a refused one, a COD fee off the courier's rule),
  written as its GBK CSV; then read (`statement_file.read_statement`), its parcels loaded
  (`statement_parcels.load_parcels`) and matched (`matching.match_statement`). Goal: under 20 s together.
  The apply (`actions.remittance.do_apply_remittance`) is timed too when it exists, in a transaction rolled
  back, so that the bench can run again on the same data.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib
import inspect
import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.bench.base import Writer
from hotline.bench.finance_data import (
    GENERATOR_VERSION,
    STATEMENT_COLUMNS,
    generate,
    generated,
    order_number,
)
from hotline.bench.logistics_data import database_version, dataset_target, prepare_dataset
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError, Target, ensure_database, parse_engines, run_worker
from hotline.demo.loader import pending_migrations
from hotline.finance.models import LineOutcome
from hotline.lib.money import ZERO, yuan
from hotline.logistics.models import Courier, Shipment, ShipmentStatus
from hotline.orders.models import Status

SECTION = "finance"
DATABASE_NAME = "hotline_bench_finance"
GOAL_RECEIVABLES_SECONDS = 0.5
GOAL_STATEMENT_SECONDS = 20.0
ID_CHUNK = 5_000
# What line `i` of the statement is, by i % 100 (every other line is a parcel paid as due).
LINE_PATTERN: dict[int, str] = {
    10: LineOutcome.SHORT, 20: LineOutcome.OVER, 30: LineOutcome.UNKNOWN, 40: LineOutcome.DUPLICATE,
    50: LineOutcome.REMITTED, 60: LineOutcome.UNDELIVERED, 70: LineOutcome.REFUSED, 80: "fee"}
SHORT_BY, OVER_BY, FEE_OFF_BY = Decimal("10.00"), Decimal("5.00"), Decimal("1.00")


# ---------------------------------------------------------------- the statement file (not timed)

@dataclass(frozen=True)
class StatementPlan:
    """The statement as written: its CSV bytes (GBK) and the outcome each line should get."""

    data: bytes
    lines: int
    planned: dict[str, int]
    fee_differs: int
    net_total: Decimal


Parcel = tuple[str, str, Decimal]  # tracking number, order number, COD due


def _parcels(courier: Courier, status: str, needed: int, remitted: bool = False) -> list[Parcel]:
    """(tracking, order number, COD due) of `needed` of the courier's parcels in `status` outside the statement's
    block; `remitted`: only parcels already on a statement."""
    rows = Shipment.objects.filter(courier=courier, status=status, cod_due__gt=0)
    # remitted: settled on a statement (a parcel remitted short is still owed the rest: a full line is "over")
    rows = (rows.filter(order__status=Status.SETTLED, remittance_lines__isnull=False) if remitted
            else rows.filter(remittance_lines__isnull=True))
    found = [(tracking or "", number, due) for tracking, number, due in
             rows.order_by("pk").values_list("tracking_number", "order__number", "cod_due")[:needed]]
    if len(found) < needed:
        raise BenchError(f"The data set has {len(found)} {courier.code} parcels {status}"
                         f"{' and remitted' if remitted else ''}; the statement needs {needed}. Raise --orders.")
    return found


def _block(courier: Courier, lines: int) -> list[Parcel]:
    """The statement's own parcels: the courier's delivered, unremitted parcels of the first `lines` orders."""
    rows = Shipment.objects.filter(courier=courier, status=ShipmentStatus.DELIVERED, order__number__gte=order_number(0),
                                   order__number__lte=order_number(lines - 1))
    return [(tracking or "", number, due) for tracking, number, due in
            rows.order_by("order__number").values_list("tracking_number", "order__number", "cod_due")]


def statement_lines(lines: int) -> Iterator[tuple[str, str, str, Decimal]]:
    """(outcome, tracking, order number, collected) per line, with the parcels drawn from the data set."""
    ems = Courier.objects.get(code="ems")
    per_kind = lines // 100 + 1
    others: dict[str, Iterator[Parcel]] = {
        LineOutcome.REMITTED: iter(_parcels(ems, ShipmentStatus.DELIVERED, per_kind, remitted=True)),
        LineOutcome.UNDELIVERED: iter(_parcels(ems, ShipmentStatus.IN_TRANSIT, per_kind)),
        LineOutcome.REFUSED: iter(_parcels(ems, ShipmentStatus.REFUSED, per_kind))}
    block = iter(_block(ems, lines))
    previous: tuple[str, str, str, Decimal] = ("", "", "", ZERO)
    for index in range(lines):
        kind = LINE_PATTERN.get(index % 100, LineOutcome.MATCHED)
        if kind == LineOutcome.UNKNOWN:
            line = (kind, f"XX{index:09d}CN", "", Decimal("198.00"))
        elif kind == LineOutcome.DUPLICATE:
            line = (kind, *previous[1:])
        elif kind in others:
            tracking, number, due = next(others[kind])
            line = (kind, tracking, number, due)
        else:
            tracking, number, due = next(block)
            extra = {str(LineOutcome.SHORT): -SHORT_BY, str(LineOutcome.OVER): OVER_BY}.get(kind, ZERO)
            line = (kind, tracking, number, due + extra)
        previous = line
        yield line


def build_statement(lines: int, courier: Courier) -> StatementPlan:
    """EMS's statement CSV (GBK): a header, a line per parcel, the 合计 row; and what each line should be."""
    headers = [STATEMENT_COLUMNS[key] for key in ("tracking_number", "order_number", "collected", "fee", "net")]
    rows = [",".join(headers)]
    planned: Counter[str] = Counter()
    totals = [ZERO, ZERO, ZERO]
    fee_differs = 0
    for kind, tracking, number, collected in statement_lines(lines):
        fee = yuan(max(collected * courier.cod_fee_percent / 100, courier.cod_fee_min))
        if kind == "fee":
            fee += FEE_OFF_BY
            fee_differs += 1
        outcome = LineOutcome.MATCHED if kind == "fee" else kind
        planned[str(outcome)] += 1
        totals = [totals[0] + collected, totals[1] + fee, totals[2] + collected - fee]
        rows.append(f"{tracking},{number},{collected},{fee},{collected - fee}")
    rows.append(f"合计,,{totals[0]},{totals[1]},{totals[2]}")
    data = ("\r\n".join(rows) + "\r\n").encode("gbk")
    return StatementPlan(data, lines, dict(sorted(planned.items())), fee_differs, totals[2])


# ---------------------------------------------------------------- measuring

def percentiles(samples: list[float]) -> dict[str, float]:
    """p50, p95 and max of the samples (nearest rank), in seconds."""
    ordered = sorted(samples)

    def rank(share: float) -> float:
        return ordered[max(0, math.ceil(len(ordered) * share) - 1)]

    return {"p50": round(rank(0.5), 4), "p95": round(rank(0.95), 4), "max": round(ordered[-1], 4),
            "runs": len(ordered)}


@contextmanager
def recording_queries() -> Iterator[list[tuple[str, Any, float]]]:
    """The SQL statements run inside, with their parameters and seconds."""
    seen: list[tuple[str, Any, float]] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((sql, params, time.perf_counter() - started))

    with connection.execute_wrapper(wrapper):
        yield seen


def explain(sql: str, params: Any) -> list[str]:
    """The database's plan for one statement."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(cell) for cell in row) for row in cursor.fetchall()]


def timed(work: Callable[[], Any], runs: int) -> tuple[dict[str, float], Any, list[tuple[str, Any, float]]]:
    """Run once to warm up (its queries recorded), then `runs` times timed."""
    with recording_queries() as queries:
        result = work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return percentiles(samples), result, queries


REFERENCE_SQL = """
SELECT s.courier_id,
       CASE WHEN s.delivered_at >= %s THEN 0 WHEN s.delivered_at >= %s THEN 1 WHEN s.delivered_at >= %s THEN 2
            WHEN s.delivered_at >= %s THEN 3 ELSE 4 END AS bucket,
       COUNT(*), SUM(s.cod_due),
       SUM(COALESCE((SELECT SUM(p.amount) FROM finance_payment p WHERE p.order_id = o.id), 0))
FROM orders_order o JOIN logistics_shipment s ON s.order_id = o.id
WHERE o.status = 'delivered' AND s.status = 'delivered' AND s.cod_due > 0
GROUP BY 1, 2
"""
BUCKET_DAYS = (7, 15, 30, 60)


def reference_receivables() -> dict[str, Any]:
    """The open COD amount by courier and age (0–7, 8–15, 16–30, 31–60, > 60 days), in one statement."""
    now = timezone.now()
    params = [now - datetime.timedelta(days=days) for days in BUCKET_DAYS]
    with connection.cursor() as cursor:
        cursor.execute(REFERENCE_SQL, params)
        rows = cursor.fetchall()
    due = sum((Decimal(str(row[3])) - Decimal(str(row[4])) for row in rows), ZERO)
    return {"parcels": sum(row[2] for row in rows), "due": str(yuan(due)), "groups": len(rows)}


def _receivables_call() -> Callable[[], Any] | None:
    """B1's receivables() (today's, by courier and age), when it exists in this checkout."""
    return _optional("hotline.finance.receivables", "receivables")  # type: ignore[no-any-return]


def measure_receivables(runs: int) -> dict[str, Any]:
    """The receivables (when they exist) and the reference query, warm, `runs` times each."""
    reference, figures, queries = timed(reference_receivables, runs)
    result: dict[str, Any] = {"reference": {**reference, **figures,
                                            "plan": explain(REFERENCE_SQL, queries[0][1]) if queries else []}}
    call = _receivables_call()
    if call is None:
        result["receivables"] = None
        return result
    seconds, answer, queries = timed(call, runs)
    slowest = max(queries, key=lambda query: query[2]) if queries else None
    result["receivables"] = {**seconds, "queries": len(queries), "parcels": answer.total.count,
                             "due": str(answer.total.total), "couriers": len(answer.rows)}
    if slowest is not None:
        result["receivables"]["slowest"] = {"sql": slowest[0], "seconds": round(slowest[2], 4),
                                            "plan": explain(slowest[0], slowest[1])}
    return result


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _stage(seconds: dict[str, float], stage: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return work()
    finally:
        seconds[stage] = round(time.perf_counter() - started, 3)


def measure_statement(lines: int, runs: int, err: Writer) -> dict[str, Any]:
    """Write the statement, then read, load and match it `runs` times (and apply it, rolled back)."""
    courier = Courier.objects.get(code="ems")
    plan = build_statement(lines, courier)
    result: dict[str, Any] = {"lines": lines, "file_bytes": len(plan.data), "planned": plan.planned,
                              "fee_differs": plan.fee_differs, "net_total": str(plan.net_total), "runs": []}
    read = _optional("hotline.finance.statement_file", "read_statement")
    load = _optional("hotline.finance.statement_parcels", "load_parcels")
    fee_rule = _optional("hotline.finance.statement_parcels", "fee_rule")
    match = _optional("hotline.finance.matching", "match_statement")
    if None in (read, load, fee_rule, match):
        result["missing"] = True
        return result
    for run in range(runs):
        err.write(f"  statement: run {run + 1} of {runs}\n")
        seconds: dict[str, float] = {}
        file = _stage(seconds, "read", functools.partial(read, plan.data, courier))
        loaded = _stage(seconds, "load", functools.partial(load, file.lines, courier))
        report = _stage(seconds, "match", functools.partial(
            match, file.lines, *loaded, courier.pk, fee_rule(courier), file.stated_total, file.stated_total))
        result["runs"].append(seconds)
    result["matched"] = {str(outcome): n for outcome, n in sorted(report.counts().items())}
    result["fee_not_ok"] = sum(1 for m in report.matches if not m.fee_ok)
    apply = _optional("hotline.finance.actions.remittance", "do_apply_remittance")
    if apply is not None:
        result["apply"] = measure_apply(apply, file, plan, courier, err)
    return result


class RolledBack(Exception):
    """Raised to undo the measured apply."""


def measure_apply(apply: Callable[..., Any], file: Any, plan: StatementPlan, courier: Courier,
                  err: Writer) -> dict[str, Any] | None:
    """A2's apply of the matched statement, timed inside a transaction that is then rolled back."""
    clerk = User.objects.filter(role=Role.FINANCE).order_by("pk").first()
    parameters = inspect.signature(apply).parameters
    arguments = {"file": file, "actor": clerk, "number": f"BENCH-{plan.lines}",
                 "file_name": "bench-statement.csv", "bank_total": plan.net_total}
    given = {name: value for name, value in arguments.items() if name in parameters}
    err.write("  statement: apply (rolled back)\n")
    seconds: dict[str, Any] = {}
    try:
        with transaction.atomic():
            applied = _stage(seconds, "apply", lambda: apply(courier, **given))
            seconds.update(payments=applied.payments, settled=applied.settled, open_items=applied.open_items)
            raise RolledBack
    except RolledBack:
        return seconds
    except TypeError as exc:  # a signature this bench does not know yet
        err.write(f"  apply not measured: {exc}\n")
        return None


# ---------------------------------------------------------------- the measuring process

def prepare(options: dict[str, Any], err: Writer) -> dict[str, Any]:
    """The data set: reused while its generator, size and seed match, else (re)built."""
    if pending_migrations():
        call_command("migrate", verbosity=0, interactive=False)
        refresh_statistics()
    wanted = {"version": GENERATOR_VERSION, "orders": options["orders"], "lines": options["lines"],
              "seed": options["seed"]}
    done = generated()
    if done and not options["reload"] and all(done.get(key) == value for key, value in wanted.items()):
        err.write(f"  reusing the {options['orders']:,} orders generated earlier\n")
        return {"generated_now": False, "kinds": done["kinds"], "rows": done["rows"],
                "seconds": done.get("seconds")}
    prepare_dataset(options["customers"], options["demo_orders"], options["seed"],
                    options["reload"] or done is not None, err)
    err.write(f"  generating {options['orders']:,} orders\n")
    figures = generate(options["orders"], options["lines"], options["seed"], err)
    refresh_statistics()
    return {"generated_now": True, **figures}


def refresh_statistics() -> None:
    """The planner's statistics after the bulk writes or new indexes, as a maintained database has them.
    SQLite: ANALYZE, or it takes a new index for a poor one (the receivables' covering parcel index lost to the
    plain order_id index without its sqlite_stat1 row). PostgreSQL: VACUUM as well, which sets the visibility
    map that index-only scans need (autovacuum would, later, after a bulk load)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("VACUUM ANALYZE")


def run_here(options: dict[str, Any], out: Writer, err: Writer) -> None:
    """The measuring process: prepare the data set, or measure in it; one JSON line."""
    if options["part"] == "prepare":
        result = prepare(options, err)
    else:
        err.write(f"  receivables: {options['runs']} warm runs\n")
        result = {"receivables": measure_receivables(options["runs"]),
                  "statement": measure_statement(options["lines"], options["statement_runs"], err)}
    result.update(engine=connection.vendor, version=database_version())
    out.write(json.dumps(result) + "\n")


# ---------------------------------------------------------------- reporting

def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _headroom(ratio: float) -> str:
    return f"{ratio:.2f}× {'✓' if ratio >= 1 else '✗ missed'}"


def _label(result: dict[str, Any]) -> str:
    return f"{'PostgreSQL' if result['engine'] == 'postgresql' else 'SQLite'} {result['version']}"


def dataset_rows(result: dict[str, Any]) -> list[list[str]]:
    d = result["dataset"]
    kinds, rows = d["kinds"], d["rows"]
    work = ", ".join(f"{kinds.get(kind, 0):,} {kind}" for kind in
                     ("statement", "settled", "open", "partial", "refused", "returned", "transit", "cancelled",
                      "ordered"))
    written = ", ".join(f"{rows.get(name, 0):,} {name.replace('_', ' ')}" for name in
                        ("orders", "shipments", "payments", "lines", "settlements", "statements", "open_items"))
    seconds = _s(d["seconds"]) if d.get("seconds") is not None else "—"
    return [[_label(result), work, f"{kinds.get('prepaid', 0):,}", written, seconds]]


def receivables_rows(result: dict[str, Any]) -> list[list[str]]:
    r = result["receivables"]
    ref = r["reference"]
    goal = f"< {GOAL_RECEIVABLES_SECONDS * 1000:.0f} ms"
    rows = []
    if r["receivables"] is not None:
        b = r["receivables"]
        rows.append([_label(result), "`receivables()`",
                     f"{b['parcels']:,} open parcels, ¥{Decimal(b['due']):,} due, {b['couriers']} couriers; "
                     f"{b['queries']} queries", _ms(b["p50"]), _ms(b["p95"]),
                     _ms(b["max"]), goal, _headroom(GOAL_RECEIVABLES_SECONDS / b["max"])])
    else:
        rows.append([_label(result), "`receivables()`", "not in this checkout yet", "—", "—", "—", goal, "—"])
    rows.append([_label(result), "reference SQL (one statement)",
                 f"{ref['parcels']:,} open parcels, ¥{Decimal(ref['due']):,} due, {ref['groups']} courier × age "
                 "groups", _ms(ref["p50"]), _ms(ref["p95"]), _ms(ref["max"]), goal,
                 _headroom(GOAL_RECEIVABLES_SECONDS / ref["max"])])
    return rows


def statement_rows(result: dict[str, Any]) -> list[list[str]]:
    s = result["statement"]
    label = _label(result)
    if s.get("missing"):
        return [[label, "read + load + match", f"{s['lines']:,} lines", "not in this checkout yet", "", "", "—"]]
    runs = s["runs"]
    best = min(runs, key=lambda run: sum(run.values()))
    worst = max(runs, key=lambda run: sum(run.values()))
    rows = [[label, stage, f"{s['lines']:,} lines" if stage == "read" else "", _s(best[stage]), _s(worst[stage]),
             "", ""] for stage in ("read", "load", "match")]
    total = sum(worst.values())
    rows.append([label, "**read + load + match**", f"{s['lines']:,} lines, {s['file_bytes'] / 1e6:.1f} MB GBK",
                 f"**{_s(sum(best.values()))}**", f"**{_s(total)}**", f"< {GOAL_STATEMENT_SECONDS:.0f} s",
                 _headroom(GOAL_STATEMENT_SECONDS / total)])
    apply = s.get("apply")
    rows.append([label, "apply (rolled back)", "", _s(apply["apply"]) if apply else "not in this checkout yet",
                 "", "", ""])
    return rows


def outcome_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    if not results:
        return []
    planned = results[0]["statement"]["planned"]
    rows = []
    for outcome in LineOutcome.values:
        cells = [f"`{outcome}`", f"{planned.get(outcome, 0):,}"]
        for result in results:
            matched = result["statement"].get("matched")
            cells.append(f"{matched.get(outcome, 0):,}" if matched is not None else "—")
        rows.append(cells)
    fee = [f"fee off the rule (of `{LineOutcome.MATCHED}`)", f"{results[0]['statement']['fee_differs']:,}"]
    fee += [f"{r['statement']['fee_not_ok']:,}" if "fee_not_ok" in r["statement"] else "—" for r in results]
    return [*rows, fee]


def plan_lines(results: list[dict[str, Any]]) -> list[str]:
    """The plans of the queries that missed the goal (EXPLAIN), for the notes."""
    lines = []
    for result in results:
        r = result["receivables"]
        for name, figures in (("receivables()", r["receivables"]), ("reference SQL", r["reference"])):
            if figures is None or figures["max"] < GOAL_RECEIVABLES_SECONDS:
                continue
            plan = figures.get("slowest", {}).get("plan") or figures.get("plan", [])
            lines += [f"{_label(result)}, {name} missed the goal; its slowest statement's plan:", "", "```",
                      *plan, "```", ""]
    return lines


def render_section(results: list[dict[str, Any]], machine: dict[str, str], options: dict[str, Any]) -> str:
    """The Markdown section for docs/benchmarks.md."""
    dataset = markdown_table(["database", "orders by kind", "prepaid", "rows written", "seconds"],
                             [row for result in results for row in dataset_rows(result)])
    receivables = markdown_table(["database", "what", "work", "p50", "p95", "max", "goal", "goal ÷ max"],
                                 [row for result in results for row in receivables_rows(result)])
    statement = markdown_table(["database", "stage", "work", "fastest run", "slowest run", "goal",
                                "goal ÷ slowest"], [row for result in results for row in statement_rows(result)])
    outcomes = markdown_table(["outcome", "written in the file", *(_label(r) for r in results)],
                              outcome_rows(results))
    return "\n".join([
        "## Finance: receivables over a million orders, and a 50,000-line remittance statement", "",
        f"`hotline bench finance --orders {options['orders']} --lines {options['lines']} --runs {options['runs']}`, "
        "in a data set of its own per database: a small demo data set (couriers, users, customers), then the "
        "orders written in bulk (`hotline/bench/finance_data.py`: per 100, 82 settled by a remitted COD payment "
        "with its statement line — one in ten prepaid by transfer instead —, 4 delivered and not remitted over "
        "0–90 days, 1 remitted short, 4 refused, 2 returned, 3 in transit, 2 cancelled, 2 not yet reviewed; the "
        "first orders are EMS parcels delivered 1–20 days ago, the statement's). No order lines or tracking "
        "events are written: neither the receivables nor the matching read them.", "",
        dataset, "",
        "**Receivables** (delivered and not remitted, by courier and age since delivery): warm, after one "
        "untimed call; the reference query is this bench's own one-statement computation of the same figures.",
        "",
        receivables, "",
        "**Statement**: EMS's remittance statement (GBK CSV, 邮件号/订单号/代收金额/手续费/实付金额 and a 合计 row) "
        "for its delivered parcels, with per 100 lines one short payment, one over-payment, one unknown "
        "tracking number, one duplicate line, one parcel already remitted, one not delivered in Hotline, one "
        "refused, and one COD fee off the courier's rule; read, loaded and matched "
        f"{options['statement_runs']} times.", "",
        statement, "",
        "Outcomes (the file as written, and as matching classified it):", "",
        outcomes, "",
        *plan_lines(results),
        machine_line(machine),
    ])


class FinanceBenchmark:
    """`hotline bench finance`."""

    name = SECTION
    help = "Receivables by courier over a million orders, and matching a 50,000-line COD statement, per database."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--orders", type=int, default=1_000_000, help="Orders generated (default 1,000,000).")
        parser.add_argument("--lines", type=int, default=50_000, help="Statement lines (default 50,000).")
        parser.add_argument("--runs", type=int, default=20, help="Timed receivables runs (default 20).")
        parser.add_argument("--statement-runs", type=int, default=3, help="Statement runs (default 3).")
        parser.add_argument("--customers", type=int, default=1_000, help="Demo data set customers (default 1,000).")
        parser.add_argument("--demo-orders", type=int, default=300, help="Demo data set orders (default 300).")
        parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both (default).")
        parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/",
                            help=f"PostgreSQL server; the data set database defaults to {DATABASE_NAME}.")
        parser.add_argument("--sqlite-path", type=Path, default=None,
                            help="SQLite data set file (default: bench-finance.sqlite3 in the data folder).")
        parser.add_argument("--seed", type=int, default=1, help="Data set seed (default 1).")
        parser.add_argument("--reload", action="store_true", help="Rebuild the data set even if it matches.")
        parser.add_argument("--timeout", type=float, default=7200, help="Seconds allowed per measuring process.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--part", default="prepare", choices=("prepare", "measure"), help=argparse.SUPPRESS)

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        if options["lines"] < 100 or options["orders"] < options["lines"] + 1000:
            raise BenchError("--lines must be at least 100, and --orders at least --lines + 1,000 (the statement "
                             "also names parcels outside its own).")
        if min(options["runs"], options["statement_runs"]) < 1:
            raise BenchError("--runs and --statement-runs must be at least 1.")
        if options["worker"]:
            run_here(options, out, err)
            return
        os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)
        sqlite_path = options["sqlite_path"] or settings.DATA_DIR / "bench-finance.sqlite3"
        results = [self.measure(dataset_target(engine, sqlite_path, options["postgres_url"], DATABASE_NAME), options,
                                err) for engine in parse_engines(options["databases"])]
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
        return {**measured, "dataset": dataset}

    @staticmethod
    def argv(options: dict[str, Any], part: str) -> list[str]:
        argv = ["bench", SECTION, "--part", part, "--orders", str(options["orders"]), "--lines", str(options["lines"]),
                "--runs", str(options["runs"]), "--statement-runs", str(options["statement_runs"]),
                "--customers", str(options["customers"]), "--demo-orders", str(options["demo_orders"]),
                "--seed", str(options["seed"])]
        return [*argv, "--reload"] if options["reload"] and part == "prepare" else argv

"""`hotline bench logistics`: a day's orders from review to printed forms, and a courier's feedback file.

Per database, on a copy of the demo data set (its couriers, coverage, products and customers):

* **orders**: `--orders` orders waiting for review, shaped like the demo's (addresses, products, payment,
  delivery method, the hour they were taken), reviewed in one `do_review_orders` call (address checks,
  courier choice, refusal risk, parcels), grouped by `do_create_batches`, and every batch's shipping forms
  drawn as the workbench draws them (`views.documents.render_batch`: `write_forms` over `batch_parcels`,
  `form_data` per parcel) and logged (`do_log_print`). Goal: under 30 s for the three, forms ≥ 50 pages/s.
* **feedback**: `--feedback-rows` parcels shipped by the demo EMS, and EMS's feedback file for them (a CSV
  with its own headers, in GBK and in UTF-8), checked (`check_feedback_file`, the dry run) then applied
  (`apply_feedback_file`), each in a process of its own so that its peak memory (`ru_maxrss`) is its own;
  a tenth of the rows is measured too, to show memory does not grow with the file. Goal: under 60 s.

`--profile` runs each stage under cProfile and lists its hot spots (own time, and cumulative time of
Hotline's functions).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime
import io
import json
import logging
import os
import pstats
import resource
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.bench.base import Writer
from hotline.bench.logistics_data import (
    copy_dataset,
    database_version,
    dataset_target,
    prepare_dataset,
    scratch_target,
)
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError, Target, ensure_database, parse_engines, run_worker
from hotline.logistics.actions import do_create_batches, do_log_print, do_review_orders
from hotline.logistics.feedback import apply_feedback_file, check_feedback_file
from hotline.logistics.models import Courier, EventKind, EventSource, PrintKind, Shipment, ShipmentEvent, ShipmentStatus
from hotline.logistics.views.documents import render_batch
from hotline.orders.models import DeliveryMethod, Order, OrderLine, PaymentMethod, Status

SECTION = "logistics"
DATABASE_NAME = "hotline_bench_logistics"
GOAL_BATCH_SECONDS = 30.0
GOAL_PAGES_PER_SECOND = 50.0
GOAL_FEEDBACK_SECONDS = 60.0
CHUNK = 5_000
ENCODINGS = {"gbk": "GBK", "utf-8": "UTF-8"}
# A day of EMS feedback, 50 rows at a time: mostly delivered, one in seven refused, some held or unreachable.
STATUS_CYCLE = (["妥投"] * 30 + ["本人签收"] * 5 + ["他人代收"] * 4 + ["拒收"] * 7 + ["滞留"] * 2 + ["无人收件"] * 2)
REFUSAL_REASONS = ("客户拒收，称未订购", "客户嫌贵拒收", "家人不同意，拒收", "收件人不在，家属拒付")
ORDER_FIELDS = ("customer_id", "delivery_method", "recipient", "recipient_phone", "province", "city", "district",
                "address_detail", "postcode", "payment_method", "hotline_number_id", "airing_id", "rush", "notes",
                "subtotal", "discount_total", "total", "points", "agent_id", "created_at")
LINE_FIELDS = ("order_id", "product_id", "quantity", "unit_price", "discount", "line_total", "is_gift",
               "is_cross_sell")
T = TypeVar("T")


# ---------------------------------------------------------------- building the work (not timed)

@contextlib.contextmanager
def _times_as_given() -> Iterator[None]:
    """Let bulk_create keep the orders' creation times (the hour of the call feeds the refusal risk)."""
    fields = [f for f in Order._meta.concrete_fields
              if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _templates() -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """The demo's orders that a courier carries, as field values, and their lines."""
    rows = list(Order.objects.exclude(delivery_method=DeliveryMethod.PICKUP).filter(replaces__isnull=True)
                .order_by("pk").values("pk", *ORDER_FIELDS))
    if not rows:
        raise BenchError("The data set has no orders to model the benchmark's orders on.")
    lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in OrderLine.objects.filter(gift_of__isnull=True).order_by("pk").values(*LINE_FIELDS):
        lines[line["order_id"]].append(line)
    return rows, lines


def _on_day(at: datetime.datetime, day: datetime.date) -> datetime.datetime:
    """The same local time of day as `at`, on `day` (the hour of the call feeds the refusal risk)."""
    return timezone.make_aware(datetime.datetime.combine(day, timezone.localtime(at).time()))


def day_after_data() -> datetime.date:
    """The day after the data set's last order: orders placed then come after all of its history, so the
    review sees the same histories (and the same risks) whenever the benchmark runs."""
    last = Order.objects.aggregate(last=models.Max("created_at"))["last"] or timezone.now()
    return timezone.localdate(last) + datetime.timedelta(days=1)


def build_orders(count: int, prefix: str, status: str, day: datetime.date) -> Iterator[list[Order]]:
    """`count` orders copied from the demo's (customer, address, lines, payment, time of day) placed on
    `day`, numbered `<prefix>00000001…`, in `status`, written in bulk; yields them a chunk at a time."""
    templates, lines = _templates()
    for start in range(0, count, CHUNK):
        batch = []
        for index in range(start, min(count, start + CHUNK)):
            template = {k: v for k, v in templates[index % len(templates)].items() if k != "pk"}
            template["created_at"] = template["updated_at"] = _on_day(template["created_at"], day)
            batch.append(Order(number=f"{prefix}{index + 1:08d}", status=status, **template))
        with _times_as_given():
            orders = Order.objects.bulk_create(batch)
        OrderLine.objects.bulk_create([
            OrderLine(**{**line, "order_id": order.pk})
            for index, order in enumerate(orders, start=start)
            for line in lines[templates[index % len(templates)]["pk"]]])
        yield orders


def clerk() -> User:
    """The demo's logistics clerk, who reviews, batches, prints and imports."""
    user = User.objects.filter(role=Role.LOGISTICS, is_active=True).order_by("pk").first()
    if user is None:
        raise BenchError("The data set has no logistics user.")
    return user


# ---------------------------------------------------------------- measuring (in the measuring process)

class Stopwatch:
    """Times stages; with a profiler, also records where each stage spent its time."""

    def __init__(self, profile: bool) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # this process's CPU: on a busy machine, what the stage itself cost
        self.hot_spots: dict[str, dict[str, list[list[Any]]]] = {}
        self.profile = profile

    def run(self, stage: str, work: Callable[[], T]) -> T:
        profiler = cProfile.Profile() if self.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        try:
            return work()
        finally:
            if profiler is not None:
                profiler.disable()
            self.seconds[stage] = time.perf_counter() - started
            self.cpu[stage] = time.process_time() - cpu
            if profiler is not None:
                self.hot_spots[stage] = hot_spots(profiler)


    def figures(self) -> dict[str, Any]:
        """Seconds, CPU seconds and hot spots per stage, for the JSON result."""
        return {"seconds": {stage: round(value, 3) for stage, value in self.seconds.items()},
                "cpu": {stage: round(value, 3) for stage, value in self.cpu.items()}, "hot_spots": self.hot_spots}


def _where(key: tuple[str, int, str]) -> str:
    path, _line, function = key
    base = str(settings.BASE_DIR)
    if path.startswith(base):
        path = path[len(base) + 1:]
    elif "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    return f"{path}:{function}"


def hot_spots(profiler: cProfile.Profile, top: int = 10) -> dict[str, list[list[Any]]]:
    """The functions with the most own time, and Hotline's functions with the most cumulative time, each
    with its share of the stage's time."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values()) or 1.0
    own = sorted(stats.items(), key=lambda item: -item[1][2])[:top]
    ours = sorted(((key, row) for key, row in stats.items() if "/hotline/" in key[0]), key=lambda item: -item[1][3])
    return {"own": [[_where(key), round(row[2] / total, 3), row[1]] for key, row in own],
            "cumulative": [[_where(key), round(row[3] / total, 3), row[1]] for key, row in ours[:top]]}


def measure_orders(count: int, profile: bool, err: Writer) -> dict[str, Any]:
    """Build `count` waiting orders, then review, batch and print them, timed."""
    err.write(f"  building {count:,} orders waiting for review\n")
    orders = [order for chunk in build_orders(count, "LB", Status.ORDERED, day_after_data()) for order in chunk]
    user, watch = clerk(), Stopwatch(profile)
    err.write("  reviewing (courier choice, refusal risk, parcels)\n")
    review = watch.run("review", lambda: do_review_orders(orders, actor=user))
    # only the parcels just reviewed: the data set may hold parcels of its own waiting to ship
    parcels = list(Shipment.objects.filter(order_id__in=review.reviewed).only("pk"))
    batches = watch.run("batches", lambda: do_create_batches(parcels, actor=user))
    err.write(f"  drawing the shipping forms of {len(batches)} batches\n")
    printed = watch.run("forms", lambda: [print_batch(batch, user) for batch in batches])
    return {"orders": count, "reviewed": len(review.reviewed), "flagged": len(review.flagged),
            "confirmations": len(review.confirmations), "batches": len(batches),
            "parcels": Shipment.objects.filter(batch__in=batches).count(),
            "pages": sum(pages for pages, _size in printed), "pdf_bytes": sum(size for _pages, size in printed),
            **watch.figures()}


def print_batch(batch: Any, user: User) -> tuple[int, int]:
    """Draw a batch's forms as the workbench does and log the print; (pages, PDF bytes)."""
    data, pages = render_batch(batch, PrintKind.FORMS)
    do_log_print(batch, PrintKind.FORMS, pages, actor=user)
    return pages, len(data)


def tracking_number(index: int) -> str:
    return f"LB{index + 1:09d}CN"


def build_shipped(count: int) -> Courier:
    """`count` orders shipped by the demo EMS two days ago, each parcel with its picked-up event."""
    courier = Courier.objects.get(code="ems")
    shipped = timezone.now() - datetime.timedelta(days=2)
    chunks = build_orders(count, "LF", Status.SHIPPED, timezone.localdate(shipped) - datetime.timedelta(days=1))
    for start, chunk in zip(range(0, count, CHUNK), chunks, strict=True):
        parcels = Shipment.objects.bulk_create([
            Shipment(order=order, courier=courier, status=ShipmentStatus.SHIPPED, tracking_number=tracking_number(i),
                     cod_due=order.total if order.payment_method == PaymentMethod.COD else Decimal("0"),
                     freight=Decimal("12.00"), weight_kg=Decimal("1.20"), zone="二区", delivery_days=3,
                     shipped_at=shipped, last_event_at=shipped)
            for i, order in enumerate(chunk, start=start)])
        ShipmentEvent.objects.bulk_create([
            ShipmentEvent(shipment=parcel, kind=EventKind.PICKED_UP, at=shipped, source=EventSource.SCAN)
            for parcel in parcels])
    return courier


def feedback_file(count: int, encoding: str, mapping: dict[str, Any]) -> bytes:
    """EMS's feedback file for the parcels: its own headers, one row a parcel, times over yesterday."""
    headers = [mapping["tracking_number"], mapping["status"], mapping["at"], mapping["reason"]]
    start = timezone.localtime() - datetime.timedelta(days=1)
    start = start.replace(hour=8, minute=0, second=0, microsecond=0)
    lines = [",".join(headers)]
    for index in range(count):
        status = STATUS_CYCLE[index % len(STATUS_CYCLE)]
        at = start + datetime.timedelta(seconds=index % 36_000)
        reason = REFUSAL_REASONS[index % len(REFUSAL_REASONS)] if status == "拒收" else ""
        lines.append(f"{tracking_number(index)},{status},{at:%Y-%m-%d %H:%M:%S},{reason}")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_feedback(rows: int, encoding: str, profile: bool, err: Writer) -> dict[str, Any]:
    """Ship `rows` parcels, write the courier's file, then the dry run and the apply, timed, with peak memory."""
    err.write(f"  shipping {rows:,} parcels and writing their feedback file ({ENCODINGS[encoding]})\n")
    courier = build_shipped(rows)
    data = feedback_file(rows, encoding, courier.feedback_columns)
    user, watch = clerk(), Stopwatch(profile)
    peak_before = _peak_mb()
    err.write("  dry run, then apply\n")
    dry = watch.run("dry_run", lambda: check_feedback_file(io.BytesIO(data), courier))
    peak_dry = _peak_mb()
    committed: list[float] = []
    applied = watch.run("apply", lambda: apply_feedback_file(
        io.BytesIO(data), courier, actor=user, before_commit=lambda _result: committed.append(time.perf_counter())))
    finished = time.perf_counter()
    return {"rows": rows, "encoding": encoding, "file_bytes": len(data), "good": dry.good, "problems": dry.blocking,
            "applied": applied.applied, "events": dict(sorted(applied.counts.items())),
            "orders_changed": applied.orders_changed, "rescue_tasks": applied.rescue_tasks,
            **watch.figures(), "after_commit_seconds": round(finished - committed[0], 3) if committed else None,
            "peak_mb": {"before": round(peak_before, 1), "dry_run": round(peak_dry, 1), "apply": round(_peak_mb(), 1)}}


def run_here(options: dict[str, Any], out: Writer, err: Writer) -> None:
    """The measuring process: one part (prepare the data set, orders, or one feedback file), one JSON line."""
    part = options["part"]
    # the console gateway logs every customer message it hands over: 100,000 lines would drown the progress
    logging.getLogger("hotline.notify").setLevel(logging.WARNING)
    if part == "prepare":
        result = prepare_dataset(options["customers"], options["demo_orders"], options["seed"], options["reload"],
                                 err)
    elif part == "orders":
        result = measure_orders(options["orders"], options["profile"], err)
    else:
        result = measure_feedback(options["rows"], options["encoding"], options["profile"], err)
    result.update(engine=connection.vendor, version=database_version())
    out.write(json.dumps(result) + "\n")


# ---------------------------------------------------------------- reporting (in the command's own process)

def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _timed(figures: dict[str, Any], *stages: str) -> str:
    """Wall seconds of the stages together, with this process's CPU seconds when measured."""
    wall = sum(figures["seconds"][stage] for stage in stages)
    cpu = figures.get("cpu")
    return f"{_s(wall)} (CPU {_s(sum(cpu[stage] for stage in stages))})" if cpu else _s(wall)


def _headroom(ratio: float) -> str:
    """Goal over measured (or measured over goal for a rate): above 1 the goal is met with that margin."""
    return f"{ratio:.2f}× {'✓' if ratio >= 1 else '✗ missed'}"


def _label(result: dict[str, Any]) -> str:
    return f"{'PostgreSQL' if result['engine'] == 'postgresql' else 'SQLite'} {result['version']}"


def orders_rows(result: dict[str, Any]) -> list[list[str]]:
    """The orders table's rows of one database: review, batches, forms, and the three together."""
    o, seconds = result["orders"], result["orders"]["seconds"]
    total = seconds["review"] + seconds["batches"] + seconds["forms"]
    pages_per_second = o["pages"] / seconds["forms"] if seconds["forms"] else 0.0
    label = _label(result)
    return [
        [label, "review + courier choice",
         f"{o['orders']:,} orders: {o['reviewed']:,} reviewed, {o['flagged']:,} flagged, "
         f"{o['confirmations']:,} confirmation calls", _timed(o, "review"),
         f"{o['orders'] / seconds['review']:,.0f} orders/s", "", ""],
        [label, "batches", f"{o['batches']:,} batches, {o['parcels']:,} parcels", _timed(o, "batches"), "", "", ""],
        [label, "shipping forms", f"{o['pages']:,} pages, {o['pdf_bytes'] / 1e6:.1f} MB of PDF", _timed(o, "forms"),
         f"{pages_per_second:,.0f} pages/s", f"≥ {GOAL_PAGES_PER_SECOND:.0f} pages/s",
         _headroom(pages_per_second / GOAL_PAGES_PER_SECOND)],
        [label, "**review + choice + batches + forms**", f"{o['orders']:,} orders",
         f"**{_timed(o, 'review', 'batches', 'forms')}**", "",
         f"< {GOAL_BATCH_SECONDS:.0f} s", _headroom(GOAL_BATCH_SECONDS / total)],
    ]


def feedback_rows(result: dict[str, Any]) -> list[list[str]]:
    """The feedback table's rows of one database, one per file measured."""
    rows = []
    for f in result["feedback"]:
        dry, apply = f["seconds"]["dry_run"], f["seconds"]["apply"]
        after = f.get("after_commit_seconds") or 0.0
        peak = f["peak_mb"]
        problems = f"{f['problems']:,} problems" if f["problems"] else "no problems"
        rows.append([
            _label(result), f"{f['rows']:,} rows, {ENCODINGS[f['encoding']]}, {f['file_bytes'] / 1e6:.1f} MB",
            f"{f['good']:,} events, {problems}; {f['orders_changed']:,} orders changed, "
            f"{f['rescue_tasks']:,} rescue calls", _timed(f, "dry_run"), _s(apply - after), _s(after),
            _timed(f, "dry_run", "apply"), f"{f['rows'] / (dry + apply):,.0f}",
            f"{peak['before']:.0f} → {peak['apply']:.0f} MB (+{peak['apply'] - peak['before']:.0f})",
            _headroom(GOAL_FEEDBACK_SECONDS / (dry + apply))])
    return rows


def hot_spot_lines(results: list[dict[str, Any]]) -> list[str]:
    """Markdown bullets naming each profiled stage's hot spots (only with --profile)."""
    lines = []
    for result in results:
        stages = [("orders", stage, spots) for stage, spots in result["orders"].get("hot_spots", {}).items()]
        stages += [(f"feedback {f['rows']:,} {ENCODINGS[f['encoding']]}", stage, spots)
                   for f in result["feedback"] for stage, spots in f.get("hot_spots", {}).items()]
        for part, stage, spots in stages:
            own = ", ".join(f"`{where}` {share:.0%}" for where, share, _calls in spots["own"][:5])
            ours = ", ".join(f"`{where}` {share:.0%}" for where, share, _calls in spots["cumulative"][:6])
            lines.append(f"- {_label(result)}, {part}, {stage}: own time {own}; Hotline cumulative {ours}")
    return lines


def render_section(results: list[dict[str, Any]], machine: dict[str, str], options: dict[str, Any]) -> str:
    """The Markdown section for docs/benchmarks.md."""
    orders = markdown_table(["database", "stage", "work", "seconds", "rate", "goal", "goal ÷ measured"],
                            [row for result in results for row in orders_rows(result)])
    feedback = markdown_table(["database", "file", "outcome", "dry run", "apply to the commit",
                               "after the commit", "total", "rows/s", "peak memory (RSS)",
                               f"< {GOAL_FEEDBACK_SECONDS:.0f} s: goal ÷ measured"],
                              [row for result in results for row in feedback_rows(result)])
    spots = hot_spot_lines(results)
    return "\n".join([
        "## Logistics: review to printed forms, and feedback import", "",
        f"`hotline bench logistics --orders {options['orders']} --feedback-rows {options['feedback_rows']}`, on a "
        f"fresh copy of the demo data set ({options['customers']:,} customers, {options['demo_orders']:,} demo "
        "orders, six couriers) for each part. **Orders**: orders waiting for review, copied from the demo's "
        "(address, products, payment, delivery method, hour of the call), reviewed in one `do_review_orders` "
        "(address check, courier choice, refusal risk, a parcel each, confirmation calls for high risk), "
        "`do_create_batches` (one per courier), then every batch's shipping forms drawn as the workbench draws "
        "them (`render_batch`: `write_forms` over `batch_parcels`, ReportLab, Code128 + QR) and logged. Seconds are "
        "wall-clock; in brackets the measuring process's own CPU seconds (the machine is shared: the load average "
        "is under the tables; on PostgreSQL the server's work is not in them).", "",
        orders, "",
        "**Feedback**: parcels shipped by the demo EMS, and EMS's CSV for them (its own headers 邮件号码/邮件状态/"
        "处理时间/未妥投原因; per 50 rows 39 delivered, 7 refused with a reason, 2 held, 2 unreachable), through "
        "`check_feedback_file` (the dry run) then `apply_feedback_file` (one transaction: events, orders "
        "delivered with points or refused with a rescue call, customers' messages). Each file runs in its own "
        "process: peak memory is that process's `ru_maxrss` after building the parcels and reading the file into "
        "memory, then after the apply; the tenth-size file shows what grows with the rows. \"After the commit\" "
        "is what `apply_feedback_file` still does once committed: handing the customers' messages over (more than "
        "50 go to a `notify.deliver` job for the worker, which sends them outside these figures); the total "
        "counts it.", "",
        feedback, "",
        *(["Hot spots (cProfile, share of the stage's time):", "", *spots, ""] if spots else []),
        machine_line(machine),
    ])


class LogisticsBenchmark:
    """`hotline bench logistics`."""

    name = SECTION
    help = "Review, courier choice and shipping forms for a day's orders, and a courier feedback import, per database."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--orders", type=int, default=10_000, help="Orders to review and print (default 10,000).")
        parser.add_argument("--feedback-rows", type=int, default=100_000,
                            help="Rows of the feedback file (default 100,000); a tenth is measured too.")
        parser.add_argument("--customers", type=int, default=10_000, help="Demo data set customers (default 10,000).")
        parser.add_argument("--demo-orders", type=int, default=5_000, help="Demo data set orders (default 5,000).")
        parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both (default).")
        parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/",
                            help=f"PostgreSQL server; the data set database defaults to {DATABASE_NAME}, each run "
                                 f"works in a copy ({DATABASE_NAME}_run).")
        parser.add_argument("--sqlite-path", type=Path, default=None,
                            help="SQLite data set file (default: bench-logistics.sqlite3 in the data folder); each "
                                 "run works in a copy beside it.")
        parser.add_argument("--seed", type=int, default=1, help="Data set seed (default 1).")
        parser.add_argument("--reload", action="store_true", help="Reload the data set even if it matches.")
        parser.add_argument("--profile", action="store_true", help="Profile each stage and list its hot spots.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds allowed per measuring process.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument("--part", default="prepare", choices=("prepare", "orders", "feedback"),
                            help=argparse.SUPPRESS)
        parser.add_argument("--rows", type=int, default=0, help=argparse.SUPPRESS)
        parser.add_argument("--encoding", default="gbk", choices=tuple(ENCODINGS), help=argparse.SUPPRESS)

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        if min(options["orders"], options["feedback_rows"], options["customers"], options["demo_orders"]) < 10:
            raise BenchError("--orders, --feedback-rows, --customers and --demo-orders must be at least 10.")
        if options["worker"]:
            run_here(options, out, err)
            return
        # the measuring processes name their database in DATABASE_URL, which asks for a key: this one's
        os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)
        sqlite_path = options["sqlite_path"] or settings.DATA_DIR / "bench-logistics.sqlite3"
        results = [self.measure(dataset_target(engine, sqlite_path, options["postgres_url"], DATABASE_NAME), options,
                                err) for engine in parse_engines(options["databases"])]
        postgresql = next((r["version"] for r in results if r["engine"] == "postgresql"), "")
        machine = describe_machine(postgresql)
        publish(SECTION, render_section(results, machine, options), {"machine": machine, "results": results},
                options, out, err)

    def measure(self, dataset: Target, options: dict[str, Any], err: Writer) -> dict[str, Any]:
        """Every part on one database: the data set once, then each part in a fresh copy of it."""
        ensure_database(dataset)
        err.write(f"{dataset.label} ({dataset.url}):\n")
        prepared = run_worker(dataset, self.argv(options, "prepare"), options["timeout"])
        scratch = scratch_target(dataset)
        parts = [("orders", 0, "gbk"), ("feedback", max(1, options["feedback_rows"] // 10), "gbk"),
                 ("feedback", options["feedback_rows"], "gbk"), ("feedback", options["feedback_rows"], "utf-8")]
        result: dict[str, Any] = {"dataset": prepared, "feedback": []}
        for part, rows, encoding in parts:
            copy_dataset(dataset, scratch)
            measured = run_worker(scratch, self.argv(options, part, rows, encoding), options["timeout"])
            result.update(engine=measured["engine"], version=measured["version"])
            if part == "orders":
                result["orders"] = measured
            else:
                result["feedback"].append(measured)
        return result

    @staticmethod
    def argv(options: dict[str, Any], part: str, rows: int = 0, encoding: str = "gbk") -> list[str]:
        argv = ["bench", SECTION, "--part", part, "--orders", str(options["orders"]),
                "--feedback-rows", str(options["feedback_rows"]), "--customers", str(options["customers"]),
                "--demo-orders", str(options["demo_orders"]), "--seed", str(options["seed"]), "--rows", str(rows),
                "--encoding", encoding]
        argv += ["--reload"] if options["reload"] and part == "prepare" else []
        return [*argv, "--profile"] if options["profile"] else argv

"""`hotline bench risk`: how well the COD refusal risk separates refused from delivered parcels on demo data.

The demo decides each cash-on-delivery parcel by a known refusal model (`hotline.demo.refusals`), so the
score (`hotline.logistics.risk`) can be measured against a truth. Every finished COD order (its parcel
delivered or refused) is scored two ways:

* **as `auc_for_orders` scores it**: each customer's earlier orders, and today's city refusal rates over
  the last 90 days. Looking back, those rates include the scored order's own outcome (and its customer's
  earlier orders count even when their outcome came after the order was placed): a leak a clerk at review
  never has, which flatters the figure.
* **as the clerk would have seen it at review**: the city rates over the 90 days before the order was
  placed, and only the customer's outcomes known by then. The levels are counted on this score.

The AUC of the demo's own refusal probability is the ceiling: what a score that knew the model would reach
on the same orders (the draws are random, so even the truth does not separate them perfectly).
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from hotline.bench.base import Writer
from hotline.bench.logistics_data import database_version, dataset_target, prepare_dataset
from hotline.bench.machine import describe_machine
from hotline.bench.report import add_output_arguments, machine_line, markdown_table, publish
from hotline.bench.targets import BenchError, ensure_database, parse_engines, run_worker
from hotline.demo.refusals import RefusalFeatures, refusal_probability
from hotline.logistics.models import Shipment
from hotline.logistics.risk import (
    HIGH,
    LOW,
    MEDIUM,
    RiskFeatures,
    RiskModel,
    auc,
    auc_for_orders,
    refusal_risk,
    shrunk_rate,
)
from hotline.orders.models import Order, PaymentMethod, Status

SECTION = "risk"
DATABASE_NAME = "hotline_bench_risk"
WINDOW = datetime.timedelta(days=90)  # as risk_for_orders' default `days`
NEW_CUSTOMER_WINDOW = datetime.timedelta(days=1)
LEVELS = (LOW, MEDIUM, HIGH)


# ---------------------------------------------------------------- what was known when an order was placed

@dataclass
class Outcomes:
    """Finished parcels in time order, per city and overall, to count those finished in a window."""

    times: dict[tuple[str, str], list[datetime.datetime]] = field(default_factory=lambda: defaultdict(list))
    refused: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, city: tuple[str, str], at: datetime.datetime, refused: bool) -> None:
        for key in (city, ("", "")):
            self.times[key].append(at)
            self.refused[key].append(int(refused))

    def freeze(self) -> None:
        """Sort by time and turn the refusals into running sums (refused[key][i] = refusals among the first i)."""
        for key, times in self.times.items():
            pairs = sorted(zip(times, self.refused[key], strict=True))
            self.times[key] = [at for at, _refused in pairs]
            sums = [0]
            for _at, refused in pairs:
                sums.append(sums[-1] + refused)
            self.refused[key] = sums

    def window(self, key: tuple[str, str], start: datetime.datetime, end: datetime.datetime) -> tuple[int, int]:
        """(refused, finished) among the parcels finished in [start, end)."""
        times = self.times.get(key, [])
        low, high = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
        sums = self.refused.get(key, [0])
        return sums[high] - sums[low], high - low


@dataclass(frozen=True)
class Scored:
    """One finished COD order: its outcome, and its features as known when it was placed."""

    refused: bool
    at_review: int
    level: str
    truth: float


def _orders() -> list[dict[str, Any]]:
    rows = Order.objects.exclude(status=Status.CANCELLED).values(
        "id", "customer_id", "created_at", "province", "city", "total", "payment_method", "customer__created_at")
    return [dict(row) for row in rows]


def _finished() -> dict[int, tuple[bool, datetime.datetime]]:
    """Each order with a finished parcel: refused or not, and when that became known."""
    outcomes: dict[int, tuple[bool, datetime.datetime]] = {}
    rows = (Shipment.objects.filter(refused_at__isnull=False) | Shipment.objects.filter(delivered_at__isnull=False))
    for order_id, refused_at, delivered_at in rows.values_list("order_id", "refused_at", "delivered_at"):
        at = refused_at if refused_at is not None else delivered_at
        if at is not None:
            outcomes[order_id] = (refused_at is not None or outcomes.get(order_id, (False, at))[0], at)
    return outcomes


def _history_before(past: list[dict[str, Any]], order: dict[str, Any],
                    finished: dict[int, tuple[bool, datetime.datetime]]) -> tuple[int, int, int]:
    """(refusals, deliveries known before the order was placed, orders placed before it)."""
    at = order["created_at"]
    earlier = [p for p in past if (p["created_at"], p["id"]) < (at, order["id"])]
    known = [finished[p["id"]] for p in earlier if p["id"] in finished and finished[p["id"]][1] < at]
    return sum(r for r, _at in known), sum(not r for r, _at in known), len(earlier)


def _city_rate(outcomes: Outcomes, order: dict[str, Any], model: RiskModel) -> float | None:
    """The city's refusal rate over the window before the order, shrunk as `city_refusal_rates` does."""
    end = order["created_at"]
    refused, finished = outcomes.window(("", ""), end - WINDOW, end)
    national = shrunk_rate(refused, finished, model.base_rate, model.city_prior_strength)
    if not order["city"]:
        return national
    refused, finished = outcomes.window((order["province"], order["city"]), end - WINDOW, end)
    return shrunk_rate(refused, finished, national, model.city_prior_strength)


def score_orders(model: RiskModel | None = None) -> list[Scored]:
    """Every finished COD order, scored as review would have scored it, with its outcome and the truth."""
    model = model or RiskModel()
    orders, finished = _orders(), _finished()
    by_customer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    outcomes = Outcomes()
    for order in orders:
        by_customer[order["customer_id"]].append(order)
        if order["id"] in finished:
            refused, at = finished[order["id"]]
            outcomes.add((order["province"], order["city"]), at, refused)
    outcomes.freeze()
    scored_orders = [o for o in orders if o["payment_method"] == PaymentMethod.COD and o["id"] in finished]
    scored = []
    for order in scored_orders:
        refusals, deliveries, previous = _history_before(by_customer[order["customer_id"]], order, finished)
        features = RiskFeatures(past_refusals=refusals, past_deliveries=deliveries, previous_orders=previous,
                                city_refusal_rate=_city_rate(outcomes, order, model), amount=order["total"],
                                hour=timezone.localtime(order["created_at"]).hour)
        risk = refusal_risk(features, model)
        scored.append(Scored(finished[order["id"]][0], risk.score, risk.level,
                             _truth(order, refusals, deliveries, previous)))
    return scored


def _truth(order: dict[str, Any], refusals: int, deliveries: int, previous: int) -> float:
    """The demo's own refusal probability for the order (its new-customer flag approximated: no earlier
    order, and the customer on file for less than a day)."""
    new = previous == 0 and order["customer__created_at"] >= order["created_at"] - NEW_CUSTOMER_WINDOW
    return refusal_probability(RefusalFeatures(
        city=order["city"] or order["province"], previous_refusals=refusals, previous_deliveries=deliveries,
        new_customer=new, total=order["total"], local_hour=timezone.localtime(order["created_at"]).hour))


def measure(options: dict[str, Any], err: Writer) -> dict[str, Any]:
    """Score every finished COD order; AUCs and the refusals per level."""
    err.write("  scoring every finished cash-on-delivery order\n")
    scored = score_orders()
    labels = [s.refused for s in scored]
    if all(labels) or not any(labels):
        raise BenchError("The data set needs both refused and delivered COD parcels.")
    cod = Order.objects.filter(payment_method=PaymentMethod.COD).only(
        "id", "customer_id", "created_at", "province", "city", "total", "payment_method")
    levels = {level: {"orders": sum(s.level == level for s in scored),
                      "refused": sum(s.refused and s.level == level for s in scored)} for level in LEVELS}
    return {"orders": len(scored), "refused": sum(labels),
            "auc_for_orders": auc_for_orders(list(cod)),
            "auc_at_review": auc([s.at_review for s in scored], labels),
            "auc_truth": auc([s.truth for s in scored], labels), "levels": levels}


def run_here(options: dict[str, Any], out: Writer, err: Writer) -> None:
    dataset = prepare_dataset(options["customers"], options["demo_orders"], options["seed"], options["reload"], err)
    result = measure(options, err)
    result.update(dataset, engine=connection.vendor, version=database_version())
    out.write(json.dumps(result) + "\n")


# ---------------------------------------------------------------- reporting

def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "–"


def level_rows(result: dict[str, Any]) -> list[list[str]]:
    """Per level: orders, their share, refused, the refusal rate, and the share of all refusals."""
    rows = []
    for level in LEVELS:
        figures = result["levels"][level]
        rows.append([level, f"{figures['orders']:,}", _pct(figures["orders"], result["orders"]),
                     f"{figures['refused']:,}", _pct(figures["refused"], figures["orders"]),
                     _pct(figures["refused"], result["refused"])])
    rows.append(["all", f"{result['orders']:,}", "100.0%", f"{result['refused']:,}",
                 _pct(result["refused"], result["orders"]), "100.0%"])
    return rows


def clerk_sentence(result: dict[str, Any]) -> str:
    """What the levels mean for a clerk who calls the high ones (and the medium ones)."""
    high, medium = result["levels"][HIGH], result["levels"][MEDIUM]
    both = {"orders": high["orders"] + medium["orders"], "refused": high["refused"] + medium["refused"]}
    return (f"Calling every **high** order before shipping reaches {_pct(high['refused'], result['refused'])} of the "
            f"refusals while calling {_pct(high['orders'], result['orders'])} of the orders; **medium or high** "
            f"reaches {_pct(both['refused'], result['refused'])} of the refusals for "
            f"{_pct(both['orders'], result['orders'])} of the orders.")


def render_section(result: dict[str, Any], machine: dict[str, str], options: dict[str, Any]) -> str:
    """The Markdown section for docs/benchmarks.md."""
    aucs = markdown_table(["score", "AUC"], [
        ["as `auc_for_orders` computes it (today's city rates: includes the order's own outcome)",
         f"{result['auc_for_orders']:.3f}"],
        ["as review would have seen it (city rates of the 90 days before the order, outcomes known by then)",
         f"**{result['auc_at_review']:.3f}**"],
        ["the demo's own refusal probability (the ceiling on these orders)", f"{result['auc_truth']:.3f}"]])
    levels = markdown_table(["level (at review)", "orders", "share of orders", "refused", "refusal rate",
                             "share of all refusals"], level_rows(result))
    return "\n".join([
        "## COD refusal risk: separation on demo data", "",
        f"`hotline bench risk --customers {options['customers']} --demo-orders {options['demo_orders']}`: every "
        f"cash-on-delivery order of the demo data set whose parcel was delivered or refused "
        f"({result['orders']:,} orders, {result['refused']:,} refused, {_pct(result['refused'], result['orders'])}), "
        "scored by `hotline.logistics.risk`; the demo refuses parcels by a known model (`hotline.demo.refusals`). "
        "AUC is the chance that a refused order scores above a delivered one (0.5 is a coin, 1 is perfect).", "",
        aucs, "", levels, "", clerk_sentence(result), "",
        f"{_label(result)}. {machine_line(machine)}",
    ])


def _label(result: dict[str, Any]) -> str:
    return f"{'PostgreSQL' if result['engine'] == 'postgresql' else 'SQLite'} {result['version']}"


class RiskBenchmark:
    """`hotline bench risk`."""

    name = SECTION
    help = "How well the COD refusal risk separates refused from delivered parcels on demo data (AUC, levels)."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=50_000, help="Demo data set customers (default 50,000).")
        parser.add_argument("--demo-orders", type=int, default=25_000, help="Demo data set orders (default 25,000).")
        parser.add_argument("--databases", default="sqlite", help="sqlite (default), postgres or both.")
        parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/",
                            help=f"PostgreSQL server; the database defaults to {DATABASE_NAME}.")
        parser.add_argument("--sqlite-path", type=Path, default=None,
                            help="SQLite data set file (default: bench-risk.sqlite3 in the data folder).")
        parser.add_argument("--seed", type=int, default=1, help="Data set seed (default 1).")
        parser.add_argument("--reload", action="store_true", help="Reload the data set even if it matches.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds allowed per database.")
        add_output_arguments(parser, SECTION, settings.BASE_DIR / "docs" / "benchmarks.md")
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)

    def handle(self, options: dict[str, Any], out: Writer, err: Writer) -> None:
        if min(options["customers"], options["demo_orders"]) < 10:
            raise BenchError("--customers and --demo-orders must be at least 10.")
        if options["worker"]:
            run_here(options, out, err)
            return
        os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)  # the measuring process names its database
        sqlite_path = options["sqlite_path"] or settings.DATA_DIR / "bench-risk.sqlite3"
        results = []
        for engine in parse_engines(options["databases"]):
            target = dataset_target(engine, sqlite_path, options["postgres_url"], DATABASE_NAME)
            ensure_database(target)
            err.write(f"{target.label} ({target.url}):\n")
            results.append(run_worker(target, self.argv(options), options["timeout"]))
        postgresql = next((r["version"] for r in results if r["engine"] == "postgresql"), "")
        machine = describe_machine(postgresql)
        section = "\n\n".join(render_section(result, machine, options) for result in results)
        publish(SECTION, section, {"machine": machine, "results": results}, options, out, err)

    @staticmethod
    def argv(options: dict[str, Any]) -> list[str]:
        argv = ["bench", SECTION, "--customers", str(options["customers"]), "--demo-orders",
                str(options["demo_orders"]), "--seed", str(options["seed"])]
        return [*argv, "--reload"] if options["reload"] else argv

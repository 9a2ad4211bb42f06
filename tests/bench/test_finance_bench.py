"""`hotline bench finance` at a tiny size, through the command: the rows it generates, the receivables it finds,
the statement's lines by outcome as written and as matched (never the timings), and its report."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.bench.finance import render_section
from hotline.bench.finance_data import KIND_COUNTS, PATTERN, expected_counts, kind_of

TINY = ["--orders", "2000", "--lines", "500", "--runs", "2", "--statement-runs", "1", "--customers", "60",
        "--demo-orders", "30", "--databases", "sqlite", "--no-write", "--json"]


@pytest.fixture(scope="module")
def finance_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("bench-finance")
    out = StringIO()
    call_command("bench", "finance", *TINY, "--sqlite-path", str(folder / "data.sqlite3"), stdout=out,
                 stderr=StringIO())
    results: list[dict[str, Any]] = json.loads(out.getvalue())["results"]
    assert len(results) == 1
    return results[0]


def test_the_kinds_of_orders_come_in_a_fixed_cycle():
    assert len(PATTERN) == sum(KIND_COUNTS.values()) == 100
    assert [kind_of(index, 10) for index in range(10)] == ["statement"] * 10
    assert expected_counts(2000, 500) == {"statement": 500, "settled": 1230, "open": 60, "partial": 15,
                                          "refused": 60, "returned": 30, "transit": 45, "cancelled": 30,
                                          "ordered": 30, "prepaid": 164}


def test_the_data_set_holds_exactly_the_rows_generated(finance_run):
    dataset = finance_run["dataset"]

    assert dataset["kinds"] == expected_counts(2000, 500)
    rows = dataset["rows"]
    # a parcel for every order but the cancelled and the not yet reviewed; a payment for every settled order
    # (164 of them by transfer) and every short remittance; a statement line for each COD one of those
    assert {name: rows[name] for name in ("orders", "shipments", "payments", "lines", "settlements", "open_items")} \
        == {"orders": 2000, "shipments": 1940, "payments": 1245, "lines": 1081, "settlements": 1230, "open_items": 15}
    assert rows["statements"] > 6


def test_the_receivables_agree_with_the_reference_query(finance_run):
    figures = finance_run["receivables"]
    reference, receivables = figures["reference"], figures["receivables"]

    # the statement's 500 parcels, the 60 open and the 15 short, and the demo's own delivered COD parcels
    assert reference["parcels"] >= 575
    assert (receivables["parcels"], receivables["due"]) == (reference["parcels"], reference["due"])
    assert receivables["couriers"] == 6


def test_the_statement_lines_are_matched_as_written(finance_run):
    statement = finance_run["statement"]

    assert statement["planned"] == {"duplicate": 5, "matched": 465, "over": 5, "refused": 5, "remitted": 5,
                                    "short": 5, "undelivered": 5, "unknown": 5}
    assert statement["matched"] == statement["planned"]
    assert statement["fee_differs"] == statement["fee_not_ok"] == 5
    assert len(statement["runs"]) == 1 and set(statement["runs"][0]) == {"read", "load", "match"}


def test_the_apply_writes_the_paying_lines_and_is_rolled_back(finance_run):
    apply = finance_run["statement"]["apply"]

    # matched, short and over lines pay their parcels; all but the short ones pay in full; 40 differences
    assert (apply["payments"], apply["settled"]) == (475, 470)
    assert apply["open_items"] >= 35


def test_the_section_reports_goals_and_the_plans_of_a_miss():
    result = {
        "engine": "sqlite", "version": "3.40.1",
        "dataset": {"kinds": {"settled": 82, "statement": 10}, "rows": {"orders": 100}, "seconds": 1.5},
        "receivables": {"reference": {"parcels": 7, "due": "1234.50", "groups": 3, "p50": 0.2, "p95": 0.6,
                                      "max": 0.8, "runs": 3, "plan": ["SCAN o"]},
                        "receivables": {"p50": 0.1, "p95": 0.2, "max": 0.25, "runs": 3, "queries": 2, "parcels": 7,
                                        "due": "1234.50", "couriers": 2}},
        "statement": {"lines": 100, "file_bytes": 5000, "planned": {"matched": 93}, "fee_differs": 1,
                      "net_total": "1.00", "runs": [{"read": 1.0, "load": 2.0, "match": 1.0}],
                      "matched": {"matched": 93}, "fee_not_ok": 1, "apply": {"apply": 3.5}},
    }
    machine = {"cpu": "AMD EPYC", "cores": "2", "ram": "23.4 GiB", "os": "Debian 12", "python": "3.11.7",
               "django": "5.2", "sqlite": "3.40.1", "date": "2026-12-07"}

    section = render_section([result], machine, {"orders": 100, "lines": 100, "runs": 3, "statement_runs": 1})

    assert ("| SQLite 3.40.1 | `receivables()` | 7 open parcels, ¥1,234.50 due, 2 couriers; 2 queries | 100 ms "
            "| 200 ms | 250 ms | < 500 ms | 2.00× ✓ |") in section
    assert "| SQLite 3.40.1 | reference SQL (one statement) |" in section and "0.62× ✗ missed |" in section
    assert "SQLite 3.40.1, reference SQL missed the goal; its slowest statement's plan:\n\n```\nSCAN o\n```" in section
    assert ("| SQLite 3.40.1 | **read + load + match** | 100 lines, 0.0 MB GBK | **4.00 s** | **4.00 s** | < 20 s "
            "| 5.00× ✓ |") in section
    assert "| SQLite 3.40.1 | apply (rolled back) |  | 3.50 s |" in section
    assert "| `matched` | 93 | 93 |" in section


def test_sizes_are_checked(tmp_path: Path):
    with pytest.raises(CommandError, match="--lines must be at least 100"):
        call_command("bench", "finance", "--orders", "1000", "--lines", "500", "--no-write")
    with pytest.raises(CommandError, match="--runs and --statement-runs"):
        call_command("bench", "finance", "--orders", "2000", "--lines", "500", "--runs", "0", "--no-write")

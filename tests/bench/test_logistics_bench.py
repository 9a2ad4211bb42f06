"""`hotline bench logistics` and `hotline bench risk` at a tiny size, through the command: the tables' rows and
their counts (never their timings), the data set reused, and what a bench database may not be."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.bench.logistics import STATUS_CYCLE, feedback_file, render_section
from hotline.bench.logistics_data import dataset_target, scratch_target
from hotline.bench.risk import clerk_sentence, level_rows
from hotline.bench.targets import BenchError

TINY = ["--customers", "60", "--demo-orders", "30", "--databases", "sqlite", "--no-write"]


def _rows(text: str, first_cell: str) -> list[list[str]]:
    """The cells of the Markdown table rows that start with `first_cell`."""
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith(f"| {first_cell}")]


@pytest.fixture(scope="module")
def logistics_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    folder = tmp_path_factory.mktemp("bench-logistics")
    out, err = StringIO(), StringIO()
    call_command("bench", "logistics", "--orders", "50", "--feedback-rows", "200", *TINY,
                 "--sqlite-path", str(folder / "data.sqlite3"), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), folder


def test_logistics_orders_table_counts_every_stage(logistics_run):
    out, err, _folder = logistics_run
    rows = _rows(out, "SQLite")
    stages = [row[1] for row in rows[:4]]

    assert stages == ["review + courier choice", "batches", "shipping forms", "**review + choice + batches + forms**"]
    review, batches, forms, total = rows[:4]
    reviewed, flagged, calls = map(int, re.fullmatch(
        r"50 orders: (\d+) reviewed, (\d+) flagged, (\d+) confirmation calls", review[2]).groups())
    assert reviewed + flagged == 50 and reviewed > flagged  # flagged: incomplete addresses, no courier for COD
    assert calls <= reviewed
    assert re.fullmatch(rf"\d batches, {reviewed} parcels", batches[2])
    assert forms[2].startswith(f"{reviewed} pages, ")  # one page per parcel
    assert (forms[5], total[5]) == ("≥ 50 pages/s", "< 30 s")
    assert total[2] == "50 orders"
    assert "Not written to" in err and "--no-write" in err


def test_logistics_feedback_table_counts_events_and_outcomes(logistics_run):
    out, _err, _folder = logistics_run
    files = [(row[1].rsplit(",", 1)[0], row[2]) for row in _rows(out, "SQLite")[4:]]

    # per 50 rows: 39 delivered, 7 refused and 2 unreachable (a rescue call each), 2 held (no change)
    assert files == [
        ("20 rows, GBK", "20 events, no problems; 20 orders changed, 0 rescue calls"),
        ("200 rows, GBK", "200 events, no problems; 184 orders changed, 36 rescue calls"),
        ("200 rows, UTF-8", "200 events, no problems; 184 orders changed, 36 rescue calls"),
    ]


def test_each_part_runs_in_a_copy_and_the_data_set_is_reused(logistics_run, capfd):
    _out, _err, folder = logistics_run
    assert (folder / "data.sqlite3").exists() and (folder / "data-run.sqlite3").exists()
    out = StringIO()

    call_command("bench", "logistics", "--orders", "20", "--feedback-rows", "20", *TINY,
                 "--sqlite-path", str(folder / "data.sqlite3"), stdout=out, stderr=StringIO())

    # the measuring processes write their progress on the inherited stderr
    assert "reusing the data set loaded earlier (60 customers, 30 orders)" in capfd.readouterr().err
    assert _rows(out.getvalue(), "SQLite")[0][2].startswith("20 orders: ")


def test_the_feedback_file_is_the_couriers_own_in_either_encoding():
    mapping = {"tracking_number": "邮件号码", "status": "邮件状态", "at": "处理时间", "reason": "未妥投原因"}

    gbk, utf8 = feedback_file(100, "gbk", mapping), feedback_file(100, "utf-8", mapping)

    assert gbk.decode("gbk") == utf8.decode("utf-8")
    lines = utf8.decode("utf-8").split("\r\n")
    assert lines[0] == "邮件号码,邮件状态,处理时间,未妥投原因"
    assert len(lines) == 102 and lines[-1] == ""
    assert lines[1].startswith("LB000000001CN,妥投,")
    assert sum(",拒收," in line for line in lines) == 2 * STATUS_CYCLE.count("拒收") == 14


def test_hot_spots_are_listed_when_profiled():
    spots = {"own": [["hotline/logistics/choice.py:price", 0.25, 1000]],
             "cumulative": [["hotline/logistics/actions/review.py:do_review_orders", 0.9, 1]]}
    result = {"engine": "sqlite", "version": "3.40.1",
              "orders": {"orders": 10, "reviewed": 9, "flagged": 1, "confirmations": 2, "batches": 2, "parcels": 9,
                         "pages": 9, "pdf_bytes": 90_000, "seconds": {"review": 1.0, "batches": 0.5, "forms": 0.5},
                         "hot_spots": {"review": spots}},
              "feedback": []}
    machine = {"cpu": "AMD EPYC", "cores": "2", "ram": "23.4 GiB", "os": "Debian 12", "python": "3.11.7",
               "django": "5.2", "sqlite": "3.40.1", "date": "2026-12-07"}

    section = render_section([result], machine, {"orders": 10, "feedback_rows": 100, "customers": 60,
                                                 "demo_orders": 30})

    assert ("- SQLite 3.40.1, orders, review: own time `hotline/logistics/choice.py:price` 25%; Hotline cumulative "
            "`hotline/logistics/actions/review.py:do_review_orders` 90%") in section
    assert ("| SQLite 3.40.1 | shipping forms | 9 pages, 0.1 MB of PDF | 0.50 s | 18 pages/s | ≥ 50 pages/s "
            "| 0.36× ✗ missed |") in section
    assert "| SQLite 3.40.1 | **review + choice + batches + forms** | 10 orders | **2.00 s** |  | < 30 s | 15.00× ✓ |" \
        in section


def test_risk_reports_the_auc_and_refusals_per_level(tmp_path):
    out = StringIO()

    call_command("bench", "risk", "--customers", "200", "--demo-orders", "100", "--no-write",
                 "--sqlite-path", str(tmp_path / "risk.sqlite3"), stdout=out, stderr=StringIO())

    text = out.getvalue()
    aucs = [float(row[1].strip("*")) for row in _rows(text, "as ") + _rows(text, "the demo")]
    assert len(aucs) == 3 and all(0 <= value <= 1 for value in aucs)
    levels = {row[0]: row for row in _rows(text, "low") + _rows(text, "medium") + _rows(text, "high") +
              _rows(text, "all")}
    assert set(levels) == {"low", "medium", "high", "all"}
    orders, refused = int(levels["all"][1]), int(levels["all"][3])
    assert sum(int(levels[level][1]) for level in ("low", "medium", "high")) == orders
    assert sum(int(levels[level][3]) for level in ("low", "medium", "high")) == refused
    assert f"({orders} orders, {refused} refused," in text
    assert "Calling every **high** order before shipping reaches" in text


def test_level_rows_and_the_clerks_sentence():
    result = {"orders": 1000, "refused": 200, "levels": {"low": {"orders": 600, "refused": 60},
                                                         "medium": {"orders": 300, "refused": 80},
                                                         "high": {"orders": 100, "refused": 60}}}

    assert level_rows(result) == [["low", "600", "60.0%", "60", "10.0%", "30.0%"],
                                  ["medium", "300", "30.0%", "80", "26.7%", "40.0%"],
                                  ["high", "100", "10.0%", "60", "60.0%", "30.0%"],
                                  ["all", "1,000", "100.0%", "200", "20.0%", "100.0%"]]
    assert clerk_sentence(result) == (
        "Calling every **high** order before shipping reaches 30.0% of the refusals while calling 10.0% of the "
        "orders; **medium or high** reaches 70.0% of the refusals for 40.0% of the orders.")


def test_bench_databases_are_their_own():
    sqlite = dataset_target("sqlite", Path("/tmp/x/bench-logistics.sqlite3"), "", "unused")
    postgres = dataset_target("postgres", Path("unused"), "postgres://postgres@127.0.0.1:5432/", "hotline_bench_x")

    assert scratch_target(sqlite).url == "sqlite:////tmp/x/bench-logistics-run.sqlite3"
    assert postgres.url == "postgres://postgres@127.0.0.1:5432/hotline_bench_x"
    assert scratch_target(postgres).url == "postgres://postgres@127.0.0.1:5432/hotline_bench_x_run"
    with pytest.raises(BenchError, match="never runs in a test database"):
        dataset_target("postgres", Path("unused"), "postgres://postgres@127.0.0.1:5432/test", "hotline_bench_x")


def test_bad_sizes_are_refused():
    with pytest.raises(CommandError, match="at least 10"):
        call_command("bench", "logistics", "--orders", "0", "--no-write")
    with pytest.raises(CommandError, match="at least 10"):
        call_command("bench", "risk", "--customers", "5", "--no-write")

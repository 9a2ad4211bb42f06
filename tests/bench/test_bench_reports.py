"""`hotline bench reports` at a tiny size, through the command: the data set it generates, every query run,
and the section it writes (never the timings)."""

from __future__ import annotations

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.bench.report import markers
from hotline.reports.callstats import visit_counts
from hotline.reports.models import VisitFact
from hotline.reports.periods import bucket_annotations, bucket_start
from hotline.reports.sql import fast_bucket_annotations

TINY = ["--calls", "400", "--runs", "1", "--customers", "40", "--orders", "60", "--databases", "sqlite"]


def test_a_tiny_run_writes_its_section(tmp_path: Path):
    output = tmp_path / "benchmarks.md"
    call_command("bench", "reports", *TINY, "--sqlite-path", str(tmp_path / "data.sqlite3"), "--output",
                 str(output), "--write", stdout=StringIO(), stderr=StringIO())

    text = output.read_text(encoding="utf-8")
    start, end = markers("reports")
    section = text.partition(start)[2].partition(end)[0]
    assert "## Reports: KPIs, the airing funnel and the wallboard" in section
    for label in ("day's KPIs by queue × hour (facts)", "hour × queue × agent, all facts", "airing funnel, 30 days",
                  "wallboard `floor_snapshot` (today)", "replay of today's log", "15-min rollup"):
        assert label in section
    assert "| SQLite " in section and "Machine: " in section

    # A second run reuses the data set instead of generating it again.
    out = StringIO()
    call_command("bench", "reports", *TINY, "--sqlite-path", str(tmp_path / "data.sqlite3"), "--no-write", "--json",
                 stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())["results"][0]
    assert result["dataset"]["generated_now"] is False
    assert result["dataset"]["counts"]["call_records"] == result["measured"]["sizes"]["calls"] > 300

    # --replicate 2: the facts and events copied twice, a span earlier each; --replicate 0 removes the copies.
    out = StringIO()
    call_command("bench", "reports", *TINY, "--replicate", "2", "--sqlite-path", str(tmp_path / "data.sqlite3"),
                 "--output", str(output), "--write", "--json", stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())["results"][0]
    counts, sizes = result["dataset"]["counts"], result["measured"]["sizes"]
    assert result["dataset"]["generated_now"] is False and result["dataset"]["replicated"]["copies"] == 2
    assert sizes["calls"] == 3 * counts["call_records"] and sizes["handlings"] == 3 * counts["handling_facts"]
    assert sizes["call_events"] == 3 * counts["call_events"]
    assert result["measured"]["hour_queue_agent"]["result"] == result["measured"]["hour_queue_agent_native"]["result"]
    assert "`--replicate 2`: the facts and events copied 2×" in output.read_text(encoding="utf-8")
    out = StringIO()
    call_command("bench", "reports", *TINY, "--sqlite-path", str(tmp_path / "data.sqlite3"), "--no-write", "--json",
                 stdout=out, stderr=StringIO())
    result = json.loads(out.getvalue())["results"][0]
    assert result["measured"]["sizes"]["calls"] == result["dataset"]["counts"]["call_records"]


def test_sizes_are_checked():
    with pytest.raises(CommandError, match="--calls must be at least 100"):
        call_command("bench", "reports", "--calls", "10", "--no-write")


MOMENTS = ["2026-11-23T15:59:59.999+00:00", "2026-11-23T16:00:00+00:00", "2026-11-23T16:14:59+00:00",
           "2026-11-23T16:15:00+00:00", "2026-11-24T03:44:00+00:00", "2026-11-30T15:59:00+00:00",
           "2026-11-30T16:00:00+00:00", "2026-12-01T00:30:00+00:00"]


@pytest.mark.parametrize("grain", ["15min", "hour", "day", "month"])
def test_native_buckets_equal_django_buckets(db, grain):
    for index, moment in enumerate(MOMENTS):
        VisitFact.objects.create(call_id=f"c{index}", queue="orders", result="answered", wait_ms=1000 * index,
                                 entered_at=datetime.datetime.fromisoformat(moment))
    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC)
    names = ["bucket", "quarter"] if grain == "15min" else ["bucket"]

    def grouped(annotations):
        rows = visit_counts(VisitFact.objects.annotate(**annotations), names)
        return {bucket_start(dict(zip(names, key, strict=True)), grain): counts.queued for key, counts in rows.items()}

    native = grouped(fast_bucket_annotations("entered_at", grain, start, end))
    assert native == grouped(bucket_annotations("entered_at", grain))
    assert sum(native.values()) == len(MOMENTS)

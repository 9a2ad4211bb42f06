"""`hotline bench lookup`: probes, correctness of the measured path, the data set reuse, the written section."""

from __future__ import annotations

import os
import random
import re
from io import StringIO
from urllib.parse import urlsplit, urlunsplit

import django
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hotline.bench.lookup import make_probes, measure, notation, prepare_dataset, render_section
from hotline.bench.targets import BenchError
from hotline.crm.models import Customer, CustomerPhone
from hotline.demo.loader import DemoOptions, load_demo
from hotline.lib.phones import normalize_phone
from tests import factories

RESULT = {"engine": "sqlite", "version": "3.40.1", "customers": 1_000_000, "phones": 1_200_857, "misses": 500,
          "wrong": 0, "load_seconds": 296.4, "loaded_now": False,
          "summary": {"count": 5000, "p50_ms": 0.1234, "p90_ms": 0.2, "p99_ms": 0.45, "max_ms": 12.5,
                      "mean_ms": 0.15, "per_second": 6543.2}}
MACHINE = {"cpu": "AMD EPYC", "cores": "2", "ram": "23.4 GiB", "os": "Debian 12, Linux 6.1", "python": "3.11.2",
           "django": "5.2.8", "sqlite": "3.40.1", "date": "2026-11-24"}
OPTIONS = {"customers": 1_000_000, "lookups": 5000, "miss_ratio": 0.1}


@pytest.mark.parametrize("number", ["13800138000", "15912345678", "01062345678", "073188123456", "02161234567"])
def test_every_notation_folds_back_to_the_number(number):
    rng = random.Random(1)
    written = {notation(number, rng) for _ in range(200)}

    assert all(normalize_phone(raw) == number for raw in written)
    assert len(written) > 2  # several notations really are used


def test_mobile_notations_include_what_trunks_send():
    written = {notation("13800138000", random.Random(seed)) for seed in range(200)}

    assert {"+86 138 0013 8000", "0086-138-0013-8000", "8613800138000", "013800138000"} <= written


def test_probes_mix_known_and_unknown_numbers_and_the_lookup_path_answers_them_right(db):
    load_demo(DemoOptions(customers=120, orders=30, seed=2))
    probes = make_probes(100, 0.1, random.Random(4))

    known = set(CustomerPhone.objects.values_list("number", flat=True))
    assert len(probes) == 100
    assert sum(not p.expect_hit for p in probes) == 10
    assert all((normalize_phone(p.raw) in known) == p.expect_hit for p in probes)
    result = measure(probes, warmup=probes[:5])
    assert (result["wrong"], result["misses"], result["summary"]["count"]) == (0, 10, 100)


def test_render_section_table_and_verdict():
    section = render_section([RESULT, {**RESULT, "engine": "postgresql", "version": "15.14", "load_seconds": 61.25,
                                       "wrong": 0}], {**MACHINE, "postgresql": "15.14"}, OPTIONS)

    assert section.startswith("## Phone look-up (screen pop)\n")
    assert "`hotline bench lookup --customers 1000000 --lookups 5000`" in section
    assert ("| SQLite 3.40.1 | 1,000,000 | 1,200,857 | 5,000 (500) | 0.123 ms | 0.200 ms | 0.450 ms | 12.5 ms "
            "| 6,543 | 296 s |") in section
    assert "| PostgreSQL 15.14 | 1,000,000 | 1,200,857 | 5,000 (500) |" in section
    assert section.count("| 61.2 s |") == 1
    assert "Every number in the data set found its customer and every other number found none." in section
    assert "10% of the numbers belong to nobody" in section


def test_render_section_says_when_figures_are_invalid():
    section = render_section([{**RESULT, "wrong": 3}], MACHINE, OPTIONS)

    assert "3 look-ups gave a wrong answer: the figures are not valid." in section


def test_a_matching_data_set_is_reused(db):
    load_demo(DemoOptions(customers=40, orders=20, seed=3))
    err = StringIO()

    prepared = prepare_dataset(40, 3, reload=False, err=err)

    assert prepared["loaded_now"] is False
    assert "reusing" in err.getvalue()
    assert Customer.objects.count() == 40


def test_another_size_reloads_the_data_set(transactional_db):
    load_demo(DemoOptions(customers=40, orders=20, seed=3, purpose="bench"))

    prepared = prepare_dataset(30, 3, reload=False, err=StringIO())

    assert prepared["loaded_now"] is True
    assert Customer.objects.count() == 30


def test_a_database_with_other_data_is_never_erased(db):
    factories.make_customer()

    with pytest.raises(BenchError, match="not a benchmark data set"):
        prepare_dataset(30, 3, reload=False, err=StringIO())

    assert Customer.objects.count() == 1


def test_a_demo_database_is_never_erased_for_a_benchmark(db):
    load_demo(DemoOptions(customers=40, orders=20, seed=3))  # what `hotline demo` loads: users play with it

    with pytest.raises(BenchError, match="not a benchmark data set"):
        prepare_dataset(30, 3, reload=False, err=StringIO())

    assert Customer.objects.count() == 40


def test_bad_options_are_refused():
    with pytest.raises(CommandError, match="--miss-ratio"):
        call_command("bench", "lookup", "--miss-ratio", "1.5", "--no-write")
    with pytest.raises(CommandError, match="--databases"):
        call_command("bench", "lookup", "--databases", "oracle", "--no-write")


@pytest.fixture
def bench_postgres_url():
    """A PostgreSQL database of its own when the suite runs on PostgreSQL, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    import psycopg

    name = f"hotline_bench_test_{os.getpid()}"
    parts = urlsplit(url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_command_measures_each_database_and_writes_its_section(tmp_path, bench_postgres_url):
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n\nNotes kept by hand.\n", encoding="utf-8")
    engines = "sqlite,postgres" if bench_postgres_url else "sqlite"
    argv = ["bench", "lookup", "--customers", "60", "--lookups", "50", "--databases", engines,
            "--sqlite-path", str(tmp_path / "bench.sqlite3"), "--output", str(output)]
    if bench_postgres_url:
        argv += ["--postgres-url", bench_postgres_url]

    call_command(*argv, stdout=StringIO(), stderr=StringIO())
    call_command(*argv, stdout=StringIO(), stderr=StringIO())  # the second run reuses the data set

    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nNotes kept by hand.\n\n<!-- bench:lookup -->\n")
    assert text.count("<!-- bench:lookup -->") == text.count("<!-- /bench:lookup -->") == 1
    rows = re.findall(r"^\| (SQLite|PostgreSQL) [\d.]+ \| 60 \| \d+ \| 50 \(5\) \|", text, flags=re.MULTILINE)
    assert rows == (["SQLite", "PostgreSQL"] if bench_postgres_url else ["SQLite"])
    assert "Every number in the data set found its customer and every other number found none." in text
    assert f"Django {django.get_version()}" in text

"""The pure parts of the benchmarks: percentiles, summaries, the machine description, the Markdown file."""

from __future__ import annotations

import pytest

from hotline.bench.machine import cpu_model, memory_gib, os_name
from hotline.bench.report import DOCUMENT_HEADER, machine_line, markdown_table, replace_section, write_section
from hotline.bench.stats import LatencySummary, percentile, summarize
from hotline.bench.targets import BenchError, parse_engines, postgres_url


@pytest.mark.parametrize(("percent", "expected"), [(50, 5), (90, 9), (99, 10), (100, 10), (10, 1), (0.1, 1)])
def test_percentile_is_the_nearest_rank(percent, expected):
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], percent) == expected


def test_percentile_of_one_value_is_that_value():
    assert percentile([7.5], 50) == percentile([7.5], 99) == 7.5


@pytest.mark.parametrize(("values", "percent"), [([], 50), ([1], 0), ([1], 101)])
def test_percentile_refuses_nonsense(values, percent):
    with pytest.raises(ValueError):
        percentile(values, percent)


def test_summarize_converts_seconds_to_milliseconds_and_counts_per_second():
    latencies = [0.004, 0.001, 0.003, 0.002] + [0.001] * 96  # unsorted on purpose

    summary = summarize(latencies, elapsed_s=0.5)

    assert summary == LatencySummary(count=100, p50_ms=1.0, p90_ms=1.0, p99_ms=3.0, max_ms=4.0,
                                     mean_ms=pytest.approx(1.06), per_second=200.0)


def test_summarize_refuses_no_latencies():
    with pytest.raises(ValueError):
        summarize([], 1.0)


def test_machine_details_are_read_from_proc_and_os_release():
    cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n"
    meminfo = "MemTotal:       24576000 kB\nMemFree:        1000 kB\n"
    release = 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'

    assert cpu_model(cpuinfo) == "AMD EPYC 7B13"
    assert cpu_model("processor: 0\n") == "unknown"
    assert memory_gib(meminfo) == pytest.approx(23.4375)
    assert os_name(release) == "Debian GNU/Linux 12 (bookworm)"


def test_machine_line_names_every_version():
    machine = {"cpu": "AMD EPYC", "cores": "2", "ram": "23.4 GiB", "os": "Debian 12, Linux 6.1", "python": "3.11.2",
               "django": "5.2.8", "sqlite": "3.40.1", "postgresql": "15.14", "date": "2026-11-24"}

    assert machine_line(machine) == ("Machine: AMD EPYC, 2 cores, 23.4 GiB RAM, Debian 12, Linux 6.1; Python 3.11.2, "
                                     "Django 5.2.8, SQLite 3.40.1, PostgreSQL 15.14. Measured 2026-11-24.")
    assert "PostgreSQL" not in machine_line({**machine, "postgresql": ""})
    assert machine_line({**machine, "load": "1.9"}).endswith(
        "Measured 2026-11-24, load average 1.9 (other work on the machine) at the end of the run.")


def test_markdown_table():
    assert markdown_table(["a", "b"], [["1", "2"], ["3", "4"]]) == "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |"


def test_a_new_section_is_appended_after_the_existing_text():
    document = "# Benchmarks\n\nIntro.\n"

    assert replace_section(document, "lookup", "## Lookup\nfigures\n") == (
        "# Benchmarks\n\nIntro.\n\n<!-- bench:lookup -->\n## Lookup\nfigures\n<!-- /bench:lookup -->\n")


def test_a_section_is_replaced_in_place_and_the_rest_kept():
    document = ("# Benchmarks\n\n<!-- bench:lookup -->\nold\n<!-- /bench:lookup -->\n\n"
                "<!-- bench:engine -->\nengine figures\n<!-- /bench:engine -->\n\nHand-written notes.\n")

    updated = replace_section(document, "lookup", "new")

    assert updated == ("# Benchmarks\n\n<!-- bench:lookup -->\nnew\n<!-- /bench:lookup -->\n\n"
                       "<!-- bench:engine -->\nengine figures\n<!-- /bench:engine -->\n\nHand-written notes.\n")
    assert replace_section(updated, "lookup", "new") == updated


def test_an_unclosed_section_is_refused():
    with pytest.raises(ValueError, match="no closing"):
        replace_section("<!-- bench:lookup -->\nold\n", "lookup", "new")


def test_write_section_creates_the_document_with_its_header(tmp_path):
    path = tmp_path / "docs" / "benchmarks.md"

    write_section(path, "lookup", "figures")

    assert path.read_text(encoding="utf-8") == (
        DOCUMENT_HEADER.rstrip() + "\n\n<!-- bench:lookup -->\nfigures\n<!-- /bench:lookup -->\n")


def test_engines_and_postgres_urls():
    assert parse_engines("postgres, sqlite,postgres") == ["postgres", "sqlite"]
    assert postgres_url("postgres://postgres@127.0.0.1:5432/") == "postgres://postgres@127.0.0.1:5432/hotline_bench"
    assert postgres_url("postgresql://u@h/other") == "postgresql://u@h/other"
    with pytest.raises(BenchError, match="--databases"):
        parse_engines("sqlite,mysql")
    with pytest.raises(BenchError, match="--postgres-url"):
        postgres_url("mysql://h/db")

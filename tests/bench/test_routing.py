"""`hotline bench routing`: its options are checked and its section is written in the benchmarks page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

MACHINE = {"cpu": "Test CPU", "cores": "2", "ram": "1.0 GiB", "os": "Debian", "python": "3.11.7",
           "django": "5.2", "sqlite": "3.40.1", "date": "2026-11-25", "load": ""}


def test_the_section_names_the_world_and_the_figures() -> None:
    from hotline.bench.routing import render_section

    options = {"agents": 240, "queues": 16, "callers": 500, "rounds": 5000}
    result = {"p50_us": 12.34, "p99_us": 40.06, "max_us": 1500.0, "rounds": 5000.0, "waiting_at_end": 500.0}
    section = render_section(result, options, MACHINE)
    assert "| 240 | 16 | 500 | 5,000 | 12.3 µs | 40.1 µs | 1.50 ms |" in section.splitlines()
    assert section.startswith("## Routing decision (ACD)\n")


def test_a_small_run_writes_its_section(tmp_path: Path) -> None:
    # given a benchmarks page with another benchmark's section
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\n<!-- bench:lookup -->\nlookup figures\n<!-- /bench:lookup -->\n")
    # when a tiny routing benchmark runs
    call_command("bench", "routing", "--agents", "8", "--queues", "4", "--callers", "5", "--rounds", "20",
                 "--output", str(page), stdout=io.StringIO(), stderr=io.StringIO())
    # then its section is added after the other one, which is kept
    text = page.read_text()
    assert text.index("lookup figures") < text.index("<!-- bench:routing -->") < text.index("<!-- /bench:routing -->")
    assert "| 8 | 4 | 5 | 20 |" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--rounds", "0"], "--agents, --queues and --rounds must be at least 1; --callers at least 0."),
    (["--queues", "2"], "Use at least 3 queues: every agent serves three."),
    (["--agents", "2", "--queues", "3"], "Use at least as many agents as queues."),
])
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("bench", "routing", "--no-write", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert str(refused.value) == message

"""`hotline bench ivr`: its section names the cases and the goal; the silent budget comes from the prompts."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from hotline.bench.ivr import demo_budget, render_section, summarize
from hotline.telephony.engine import PROMPTS
from hotline.telephony.ivr.timing import prompt_seconds

MACHINE = {"cpu": "Test CPU", "cores": "2", "ram": "1.0 GiB", "os": "Debian", "python": "3.11.7",
           "django": "5.2", "sqlite": "3.40.1", "date": "2026-12-07", "load": "3.0"}


def test_the_demo_budget_is_the_welcome_the_menu_and_its_timeout() -> None:
    lengths = prompt_seconds(PROMPTS, ["welcome", "main_menu"])
    budget = demo_budget()
    assert (budget["queue"], budget["nodes"]) == ("orders", ["welcome", "main_menu", "orders"])
    assert budget["seconds"] == lengths["welcome"] + lengths["main_menu"] + 2.0


def test_the_section_has_a_row_per_case_with_the_goal_judged_on_the_slowest_call() -> None:
    times = {"welcome": [0.61, 0.55], "menu": [2.9, 3.1], "silent": [7.2, 8.4], "airing": [0.004, 0.006]}
    section = render_section(summarize(times), demo_budget(), MACHINE)
    lines = section.splitlines()
    assert section.startswith("## IVR: time to an agent (demo flow)\n")
    assert "| 1 pressed during the welcome | 2 | 580 ms | 550 ms | 610 ms | met |" in lines
    assert "| 1 pressed during the menu | 2 | 3.00 s | 2.90 s | 3.10 s | met |" in lines
    assert "| no key | 2 | 7.80 s | 7.20 s | 8.40 s | missed |" in lines
    assert "| during an airing, the number set to skip its menu | 2 | 5 ms | 4 ms | 6 ms | met |" in lines
    assert lines[-1].startswith("Machine: Test CPU, 2 cores")


def test_the_sample_count_is_checked() -> None:
    with pytest.raises(CommandError, match=r"^--samples takes 1 to 100\.$"):
        call_command("bench", "ivr", "--samples", "0", "--no-write", stdout=io.StringIO(), stderr=io.StringIO())

"""`hotline bench relay`: options are checked and the section shows each run's figures."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from hotline.bench.relay import render_section

MACHINE = {"cpu": "Test CPU", "cores": "2", "ram": "1.0 GiB", "os": "Debian", "python": "3.11.7",
           "django": "5.2", "sqlite": "3.40.1", "date": "2026-11-25", "load": ""}


def test_the_section_shows_loss_delay_and_cpu_per_run() -> None:
    result = {"calls": 240.0, "seconds": 5.0, "packets_sent": 120000.0, "packets_relayed": 119990.0, "loss": 10.0,
              "delay_p50_ms": 0.571, "delay_p99_ms": 12.345, "plane_cpu_percent": 23.4, "phones_cpu_percent": 61.0}
    section = render_section([(result, True)], MACHINE)
    assert "| 240 | yes | 5 s | 119,990 / 120,000 | 10 | 0.57 ms | 12.35 ms | 23 % | 61 % |" in section.splitlines()


@pytest.mark.parametrize(("args", "message"), [
    (["--calls", "ten"], "--calls takes whole numbers separated by commas, e.g. 100,240,480."),
    (["--calls", "0"], "--calls takes counts between 1 and 1000."),
    (["--calls", "5", "--seconds", "0.1"], "--seconds must be between 0.5 and 60."),
])
def test_bad_options_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("bench", "relay", "--no-write", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert str(refused.value) == message

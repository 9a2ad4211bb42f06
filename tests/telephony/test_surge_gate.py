"""The surge gate's line count: incremental, and never below zero (a double free must not admit more callers)."""

from __future__ import annotations

import logging

import pytest

from hotline.telephony.callback.surge import SurgeSettings
from hotline.telephony.registry import CallRegistry
from hotline.telephony.surge_gate import SurgeGate


def test_lines_are_counted_as_calls_are_answered_and_end() -> None:
    gate = SurgeGate(SurgeSettings(lines=2), CallRegistry())
    gate.take_line()
    gate.take_line()
    assert (gate.lines_in_use(), gate.admit(object())) == (2, False)
    gate.free_line()
    assert (gate.lines_in_use(), gate.admit(object()), gate.refused) == (1, True, 1)


def test_a_line_freed_twice_is_logged_and_the_count_stays_at_zero(caplog: pytest.LogCaptureFixture) -> None:
    gate = SurgeGate(SurgeSettings(lines=1), CallRegistry())
    gate.take_line()
    gate.free_line()
    with caplog.at_level(logging.ERROR, logger="hotline.telephony.surge_gate"):
        gate.free_line()
    gate.take_line()
    assert gate.lines_in_use() == 1 and gate.admit(object()) is False
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "surge gate: a line was freed that no answered call held"]

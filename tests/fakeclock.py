"""A clock the tests set by hand: while installed, `django.utils.timezone.now()` answers its `now`."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone


class FakeClock:
    """The time code under test reads; `set` moves it."""

    def __init__(self, now: datetime.datetime) -> None:
        self.now = now

    def set(self, when: datetime.datetime) -> None:
        self.now = when


def install_clock(monkeypatch: pytest.MonkeyPatch, now: datetime.datetime) -> FakeClock:
    """A FakeClock at `now` that `timezone.now()` reads until the test ends."""
    clock = FakeClock(now)
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock

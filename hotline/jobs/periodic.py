"""Periodic work on the task worker: a small scheduler thread that calls each registered function once a
minute with the current time (`hotline worker` and the demo's in-process worker start it).

A function must be safe to call at any minute and more than once: it decides itself what is due (the daily
report e-mail keeps `last_sent_on`, claimed in a transaction, so two workers never both send). Each call
runs in its own try/except, so one failing function neither stops the others nor the scheduler.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.db import close_old_connections, connection, connections
from django.utils import timezone

log = logging.getLogger(__name__)

INTERVAL = 60.0  # seconds between two ticks

Periodic = Callable[[datetime.datetime], Any]

# The functions every worker runs, by dotted path (imported at the first tick, so that importing the
# worker does not import every app); `register` adds more.
DEFAULT = ["hotline.reports.mailing.send_due_reports"]
_registered: dict[str, Periodic] = {}


def register(name: str, function: Periodic) -> None:
    """Call `function(now)` on every tick from now on (a second registration under `name` replaces it)."""
    _registered[name] = function


def functions() -> dict[str, Periodic]:
    """The functions a tick calls, by name: the defaults, then the registered ones."""
    found: dict[str, Periodic] = {}
    for path in DEFAULT:
        module, name = path.rsplit(".", 1)
        found[path] = getattr(import_module(module), name)
    found.update(_registered)
    return found


def tick(now: datetime.datetime | None = None) -> dict[str, str]:
    """Call every periodic function once; {name: "ok" or the error} (errors are logged, not raised)."""
    moment = now or timezone.now()
    outcome: dict[str, str] = {}
    try:
        found = functions()
    except Exception as error:  # an import error must not kill the scheduler
        log.exception("periodic: could not load the periodic functions")
        return {"*": repr(error)}
    for name, function in found.items():
        if not connection.in_atomic_block:  # a dropped or old connection is replaced, as between requests
            close_old_connections()
        try:
            function(moment)
            outcome[name] = "ok"
        except Exception as error:
            log.exception("periodic: %s failed", name)
            outcome[name] = repr(error)
    return outcome


class Scheduler:
    """The scheduler thread: `start()` ticks at once and then every `interval` seconds until `stop()`."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                tick()
                self.ticks += 1
                self._stop.wait(self.interval)
        finally:
            connections.close_all()  # this thread's connections

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hotline-periodic", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the tick in hand (waited for up to `timeout` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

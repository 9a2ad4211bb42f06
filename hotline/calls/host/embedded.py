"""The telephony engine inside the web process, for `hotline demo` (ARCHITECTURE: "Embedded default").

The engine gets its own thread and uvloop, so the web server's loop and the engine's 20 ms media path
never wait for each other. Its ORM ports reach the database through `sync_to_async` as they do in
`hotline engine`. Commands from the web side run on the engine's loop (`run`).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from asgiref.sync import sync_to_async
from django.db import connections

from hotline.calls.host.build import build_engine, describe
from hotline.calls.host.config import config_updates, reconfigure
from hotline.telephony.commands import EngineCommand, run
from hotline.telephony.control import EngineControl
from hotline.telephony.engine import Engine

log = logging.getLogger(__name__)

_current: EmbeddedEngine | None = None
START_TIMEOUT = 20.0
COMMAND_TIMEOUT = 5.0


class EmbeddedEngine:
    """An engine running on a daemon thread of this process; `start()` returns once it listens."""

    def __init__(self, sip_port: int | None = None) -> None:
        self.sip_port = sip_port
        self.engine: Engine | None = None
        self.description: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hotline-engine", daemon=True)

    def start(self) -> list[str]:
        """Start the engine and register it for `current()`; raises what stopped it from starting."""
        global _current
        self._thread.start()
        if not self._started.wait(START_TIMEOUT):
            raise TimeoutError("the engine did not start in time")
        if self._error is not None:
            raise self._error
        _current = self
        return self.description

    def _run(self) -> None:
        import uvloop

        loop = self._loop = uvloop.new_event_loop()
        directory = None
        try:
            engine, directory = build_engine(sip_port=self.sip_port)
            engine.config.recordings.mkdir(parents=True, exist_ok=True)
            loop.run_until_complete(engine.start())
            self.engine, self.control = engine, EngineControl(engine)
            self.description = describe(engine)
        except BaseException as exc:  # reported to start(), which raises it in the caller's thread
            self._error = exc
            if directory is not None:
                directory.close()
            connections.close_all()
            self._started.set()
            return
        self._started.set()
        try:
            loop.run_forever()
            loop.run_until_complete(engine.stop())
            # The ORM ports ran in asgiref's worker thread: close its connections, then this thread's.
            loop.run_until_complete(sync_to_async(connections.close_all, thread_sensitive=True)())
        finally:
            directory.close()
            connections.close_all()
            loop.close()
            self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set() or not self._thread.is_alive()

    def run(self, command: EngineCommand) -> str | None:
        """Run a command on the engine's loop and wait for its result (ControlError when refused)."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(run(self.control, command), self._loop)
        try:
            return future.result(COMMAND_TIMEOUT)
        except TimeoutError:
            future.cancel()  # the user is told it failed: it must not happen later behind their back
            raise

    def reload(self) -> None:
        """Hand the engine the current flows, prompts, queues and seats (sync: reads the database here, in
        the caller's thread, then swaps them in on the engine's loop)."""
        engine, loop = self.engine, self._loop
        if engine is None or loop is None or self.stopped:
            return
        updates = config_updates()
        loop.call_soon_threadsafe(lambda: reconfigure(engine, updates))

    def stop(self) -> None:
        """Stop the engine (recordings written, call log flushed) and wait for the thread."""
        global _current
        if _current is self:
            _current = None
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._stopped.wait(START_TIMEOUT)


def current() -> EmbeddedEngine | None:
    """The engine running in this process, if any (one that has stopped does not count)."""
    return _current if _current is not None and not _current.stopped else None

"""The engine's `CallbackStore` port implemented with the ORM (`hotline.calls.callback_actions`).

Captures run in a thread of their own rather than in Django's single sync thread: during a surge that
thread is busy with the call log, and a caller waiting to hear "we will call you back" must not queue
behind hundreds of call steps. Captures that arrive while one batch is being stored wait together and
are stored as the next batch, in one transaction (group commit). The other methods are rare and run in
the sync thread as usual.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, connection, connections

from hotline.calls import callback_actions as actions
from hotline.telephony.ports import CallbackCapture, CallbackChange, StoredCallback

# Captures stored in one transaction at most: bounds how long the first caller of a batch waits for the last.
BATCH_LIMIT = 64

Waiting = tuple[CallbackCapture, "asyncio.Future[StoredCallback]"]


def capture_in_worker(captures: Sequence[CallbackCapture]) -> list[StoredCallback | Exception]:
    """`do_capture_callbacks` in the store's thread, which keeps its database connection between batches.

    Opening a connection per capture (what `close_old_connections` does with `CONN_MAX_AGE=0`) costs
    PostgreSQL a new backend process each time: in a surge that, not the insert, decides how long callers
    ring before the confirmation. A connection the database dropped (a restart) fails the first batch
    that uses it; that batch is retried once on a fresh connection.
    """
    try:
        return [*actions.do_capture_callbacks(captures, actor=None)]
    except (InterfaceError, OperationalError):
        connection.close()
        return [*actions.do_capture_callbacks(captures, actor=None)]


class OrmCallbackStore:
    """`hotline.telephony.ports.CallbackStore` on the `calls` app; writes as the system (actor None).

    Captures are stored in batches on the store's own thread, which keeps one connection open: a batch is
    whatever arrived while the previous one was being written, so a lone capture is stored at once and a
    surge shares its commits. A capture's await returns only after its batch has committed. `close()`
    stores what is still waiting, then closes the connection and the thread.
    """

    def __init__(self) -> None:
        self._captures = ThreadPoolExecutor(1, thread_name_prefix="callback-capture")
        self._waiting: list[Waiting] = []
        self._storing: asyncio.Task[None] | None = None

    async def capture(self, capture: CallbackCapture) -> StoredCallback:
        stored: asyncio.Future[StoredCallback] = asyncio.get_running_loop().create_future()
        self._waiting.append((capture, stored))
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_waiting(), name="callback-captures")
        # A caller who hangs up cancels only this wait: the capture is stored with its batch all the same.
        return await stored

    async def _store_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:BATCH_LIMIT], self._waiting[BATCH_LIMIT:]
            outcomes: list[StoredCallback | Exception]
            try:
                outcomes = await asyncio.get_running_loop().run_in_executor(
                    self._captures, capture_in_worker, [capture for capture, _ in batch])
            except Exception as failure:  # the database is down: every caller of the batch hears the failure
                outcomes = [failure] * len(batch)
            for (_, stored), outcome in zip(batch, outcomes, strict=True):
                if stored.done():  # cancelled: the caller has gone
                    continue
                if isinstance(outcome, Exception):
                    stored.set_exception(outcome)
                else:
                    stored.set_result(outcome)

    async def close(self) -> None:
        """Store what still waits, then close the capture thread's connection (a test database can then be
        dropped) and the thread."""
        if self._storing is not None:
            await self._storing
        await asyncio.get_running_loop().run_in_executor(self._captures, connections.close_all)
        self._captures.shutdown(wait=True)

    async def live(self) -> list[StoredCallback]:
        return await sync_to_async(actions.live_callbacks, thread_sensitive=True)()

    async def record(self, change: CallbackChange) -> None:
        await sync_to_async(actions.do_record_callback_change, thread_sensitive=True)(change, actor=None)

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        return await sync_to_async(actions.upcoming_airing_starts, thread_sensitive=True)(now, within_seconds)

"""The engine's `CallbackStore` port implemented with the ORM (`hotline.calls.callback_actions`).

A capture runs in a thread of its own rather than in Django's single sync thread: during a surge that
thread is busy with the call log, and a caller waiting to hear "we will call you back" must not queue
behind hundreds of call steps. The other methods are rare and run in the sync thread as usual.
"""

from __future__ import annotations

import asyncio
import datetime
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import InterfaceError, OperationalError, connection, connections

from hotline.calls import callback_actions as actions
from hotline.telephony.ports import CallbackCapture, CallbackChange, StoredCallback


def capture_in_worker(capture: CallbackCapture) -> StoredCallback:
    """`do_capture_callback` in a pool thread, which keeps its database connection between captures.

    Opening a connection per capture (what `close_old_connections` does with `CONN_MAX_AGE=0`) costs
    PostgreSQL a new backend process each time: in a surge that, not the insert, decides how long callers
    ring before the confirmation. A connection the database dropped (a restart) fails the first capture
    that uses it; that capture is retried once on a fresh connection.
    """
    try:
        return actions.do_capture_callback(capture, actor=None)
    except (InterfaceError, OperationalError):
        connection.close()
        return actions.do_capture_callback(capture, actor=None)


class OrmCallbackStore:
    """`hotline.telephony.ports.CallbackStore` on the `calls` app; writes as the system (actor None).

    Captures run one at a time on the store's own thread (a few milliseconds each on PostgreSQL, so well
    over a hundred a second), which keeps one connection open; `close()` closes it.
    """

    def __init__(self) -> None:
        self._captures = ThreadPoolExecutor(1, thread_name_prefix="callback-capture")

    async def capture(self, capture: CallbackCapture) -> StoredCallback:
        return await asyncio.get_running_loop().run_in_executor(self._captures, capture_in_worker, capture)

    async def close(self) -> None:
        """Close the capture thread's connection (a test database can then be dropped) and the thread."""
        await asyncio.get_running_loop().run_in_executor(self._captures, connections.close_all)
        self._captures.shutdown(wait=True)

    async def live(self) -> list[StoredCallback]:
        return await sync_to_async(actions.live_callbacks, thread_sensitive=True)()

    async def record(self, change: CallbackChange) -> None:
        await sync_to_async(actions.do_record_callback_change, thread_sensitive=True)(change, actor=None)

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        return await sync_to_async(actions.upcoming_airing_starts, thread_sensitive=True)(now, within_seconds)

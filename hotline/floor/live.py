"""Plumbing of the live screens' websockets: the threads their database reads run on, the close code for a
refused socket, and how old an open call record may be before it no longer counts as a call in progress."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import DatabaseError, connection

T = TypeVar("T")

# A websocket refused for want of a login or a permission closes with this code (HTTP's 403, in the
# 4000-4999 range the websocket protocol leaves to applications).
CLOSE_FORBIDDEN = 4403
# A call record left open by an engine that died is not a call in progress after this long.
STALE_CALL = datetime.timedelta(hours=4)

# Pops are read on threads of their own that keep their database connections: Django's single sync thread
# is the engine's call log in the demo, and a fresh connection per pop (PostgreSQL forks a backend) would
# cost more than the look-up itself.
_pop_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="desk-pop")
# The wallboard's figures read a day of calls: they get a thread of their own, so they never delay a pop.
_floor_threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wallboard")


def _with_connection(work: Callable[[], T]) -> T:
    """Run `work` on this thread's connection; once more on a fresh one if that connection had died."""
    try:
        return work()
    except DatabaseError:
        connection.close()
        return work()


async def in_pop_thread(work: Callable[[], T]) -> T:
    """Run a desk read (a pop, an agent's state) on the pop threads."""
    return await asyncio.get_running_loop().run_in_executor(_pop_threads, _with_connection, work)


async def in_floor_thread(work: Callable[[], T]) -> T:
    """Run a wallboard read (the floor's figures) on its own thread."""
    return await asyncio.get_running_loop().run_in_executor(_floor_threads, _with_connection, work)


def close_connections() -> None:
    """Close the reader threads' database connections (a test database can only be dropped without them)."""
    for pool in (_pop_threads, _floor_threads):
        _close_in(pool)


def _close_in(pool: ThreadPoolExecutor) -> None:
    workers = pool._max_workers
    barrier = threading.Barrier(workers)

    def close() -> None:
        connection.close()
        # Every worker closes its own: each waits here until all are in, so no worker runs two of these.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)

    for future in [pool.submit(close) for _ in range(workers)]:
        future.result(timeout=10)

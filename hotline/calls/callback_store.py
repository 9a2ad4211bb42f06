"""The engine's `CallbackStore` port implemented with the ORM (`hotline.calls.callback_actions`).

A capture runs in a worker thread of its own rather than in Django's single sync thread: during a surge
that thread is busy with the call log, and a caller waiting to hear "we will call you back" must not
queue behind hundreds of call steps. The other methods are rare and run in the sync thread as usual.
"""

from __future__ import annotations

import datetime

from asgiref.sync import sync_to_async
from django.db import close_old_connections

from hotline.calls import callback_actions as actions
from hotline.telephony.ports import CallbackCapture, CallbackChange, StoredCallback


def capture_in_worker(capture: CallbackCapture) -> StoredCallback:
    """`do_capture_callback` in a pool thread, with Django's connection hygiene around it.

    Outside a request nothing closes a worker thread's connection: without this, a connection broken by a
    database restart would stay in the thread for good, and each pool thread would keep one open forever.
    """
    close_old_connections()
    try:
        return actions.do_capture_callback(capture, actor=None)
    finally:
        close_old_connections()


class OrmCallbackStore:
    """`hotline.telephony.ports.CallbackStore` on the `calls` app; writes as the system (actor None)."""

    async def capture(self, capture: CallbackCapture) -> StoredCallback:
        return await sync_to_async(capture_in_worker, thread_sensitive=False)(capture)

    async def live(self) -> list[StoredCallback]:
        return await sync_to_async(actions.live_callbacks, thread_sensitive=True)()

    async def record(self, change: CallbackChange) -> None:
        await sync_to_async(actions.do_record_callback_change, thread_sensitive=True)(change, actor=None)

    async def upcoming_airings(self, now: datetime.datetime, within_seconds: float) -> list[datetime.datetime]:
        return await sync_to_async(actions.upcoming_airing_starts, thread_sensitive=True)(now, within_seconds)

"""The engine's `CallLog` port implemented with the ORM: each method runs one action in Django's
sync thread, so the engine's loop never blocks on the database."""

from __future__ import annotations

from asgiref.sync import sync_to_async

from hotline.calls import actions, callback_actions
from hotline.telephony.events import AgentStateChanged, CallEvent


class OrmCallLog:
    """`hotline.telephony.ports.CallLog` on the `calls` app; writes as the system (actor None)."""

    async def append(self, event: CallEvent) -> None:
        await sync_to_async(actions.do_append_call_event, thread_sensitive=True)(event, actor=None)

    async def append_agent_state(self, event: AgentStateChanged) -> None:
        await sync_to_async(actions.do_append_agent_state, thread_sensitive=True)(event, actor=None)

    async def close_call(self, call_id: str) -> None:
        await sync_to_async(actions.do_close_call_record, thread_sensitive=True)(call_id, actor=None)

    async def link_recording(self, call_id: str, path: str, duration_seconds: float, channels: int) -> None:
        await sync_to_async(actions.do_link_recording, thread_sensitive=True)(
            call_id, path, duration_seconds, channels, actor=None)

    async def file_voicemail(self, call_id: str, path: str, duration_seconds: float) -> None:
        await sync_to_async(callback_actions.do_file_voicemail, thread_sensitive=True)(
            call_id, path, duration_seconds, actor=None)

"""The calls in progress, for the wallboard's actions (listen, pick up, force hang-up, transfer)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from hotline.calls.models import CallRecord
from hotline.floor.live import STALE_CALL

MAX_CALLS = 200


def _phase(record: CallRecord) -> str:
    if record.answered_at is not None:
        return "talking"
    if record.agent_key:
        return "ringing"
    return "waiting" if record.enqueued_at is not None else "arriving"


def live_calls(now: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """Calls not ended, oldest first: id, caller, queue, agent, phase and since when (ISO)."""
    now = now or timezone.now()
    records = (CallRecord.objects.filter(ended_at__isnull=True, arrived_at__gte=now - STALE_CALL)
               .order_by("arrived_at")[:MAX_CALLS])
    return [{"call_id": r.call_id, "caller": r.caller, "queue": r.queue, "agent": r.agent_key,
             "direction": r.direction, "phase": _phase(r),
             "since": (r.answered_at or r.enqueued_at or r.arrived_at).isoformat()} for r in records]

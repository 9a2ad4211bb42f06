"""Reads about calls, agents and seats that several screens and the engine host share."""

from __future__ import annotations

from typing import Any

from hotline.calls.models import QueueMember


def agent_skills(agent: Any) -> tuple[tuple[str, int], ...]:
    """The agent's queues with skill levels (`QueueMember` rows), by queue name; empty when none."""
    rows = QueueMember.objects.filter(agent=agent).select_related("queue").order_by("queue__name")
    return tuple((row.queue.name, row.level) for row in rows)

"""Reads about calls, agents, seats and queues that several screens, the API and the engine host share.

Each is one small query with one meaning, so that the desk, the wallboard and the API do not each spell
it their own way.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from hotline.accounts.models import Role, User
from hotline.calls.models import CallRecord, Queue, QueueMember, Seat


def agent_skills(agent: Any) -> tuple[tuple[str, int], ...]:
    """The agent's queues with skill levels (`QueueMember` rows), by queue name; empty when none."""
    rows = QueueMember.objects.filter(agent=agent).select_related("queue").order_by("queue__name")
    return tuple((row.queue.name, row.level) for row in rows)


def seat_of(agent: User) -> Seat | None:
    """The seat the agent is logged in at, if any."""
    return Seat.objects.filter(agent=agent).first()


def call_record(call_id: str) -> CallRecord | None:
    """The call with this engine id, if it was logged."""
    return CallRecord.objects.filter(call_id=call_id).first()


def call_takers() -> QuerySet[User]:
    """Who takes calls (active agents and supervisors), by user name: the people a call can be transferred
    to and the floor's names."""
    return User.objects.filter(role__in=[Role.AGENT, Role.SUPERVISOR], is_active=True).order_by("username")


def queues_by_name() -> QuerySet[Queue]:
    """Every queue, by name (the desk's and the wallboard's transfer targets)."""
    return Queue.objects.order_by("name")

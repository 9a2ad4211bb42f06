"""Service tests speak English unless a test switches to Chinese; calls are built as the engine leaves them."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls.models import CallRecord
from hotline.lib import bus
from hotline.service.models import CallNote, Category, Complaint, ComplaintEvent, Department, Message, Notice

T0 = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0), datetime.UTC)


@pytest.fixture(autouse=True)
def _in_english(english: None) -> None:
    """Every test here asserts English messages unless it overrides the language."""


def make_call(call_id: str, caller: str = "13800138000", agent: Any = None, minutes: int = 0,
              outcome: str = "answered", direction: str = "inbound") -> CallRecord:
    """A closed call record from `caller`, answered by `agent` (a user or an agent key), T0 + minutes."""
    key = agent if isinstance(agent, str) else (agent.username if agent else "")
    user = None if isinstance(agent, str) else agent
    return CallRecord.objects.create(call_id=call_id, caller=caller, direction=direction, agent_key=key, agent=user,
                                     arrived_at=T0 + datetime.timedelta(minutes=minutes), outcome=outcome)


def state() -> dict[str, Any]:
    """Everything the service actions write, to assert that a refused request changed nothing."""
    return {
        "complaints": list(Complaint.objects.order_by("id").values()),
        "notes": list(CallNote.objects.order_by("id").values()),
        "messages": list(Message.objects.order_by("id").values()),
        "events": list(ComplaintEvent.objects.order_by("id").values()),
        "notices": list(Notice.objects.order_by("id").values()),
        "categories": list(Category.objects.order_by("id").values()),
        "departments": list(Department.objects.order_by("id").values()),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Payloads published on "service.message" during the test."""
    seen: list[dict[str, Any]] = []

    def listener(topic: str, payload: dict[str, Any]) -> None:
        seen.append(payload)

    bus.subscribe("service.message", listener)
    yield seen
    bus.unsubscribe("service.message", listener)

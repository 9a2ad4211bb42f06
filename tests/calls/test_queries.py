"""The reads screens share (`hotline.calls.queries`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from hotline.calls.models import CallRecord, Queue, QueueMember
from hotline.calls.queries import agent_skills, call_record, call_takers, queues_by_name, seat_of
from hotline.calls.seats import do_create_seat, do_log_in_to_seat
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_agent_s_seat_and_skills(users: Any) -> None:
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    assert (seat_of(users["agent"]), agent_skills(users["agent"])) == (None, ())
    do_log_in_to_seat(seat, users["agent"], actor=users["agent"])
    QueueMember.objects.create(agent=users["agent"], queue=Queue.objects.create(name="orders"), level=2)
    QueueMember.objects.create(agent=users["agent"], queue=Queue.objects.create(name="after_sales"))
    assert (seat_of(users["agent"]), agent_skills(users["agent"])) == (seat, (("after_sales", 1), ("orders", 2)))


def test_a_call_by_its_engine_id() -> None:
    call = CallRecord.objects.create(call_id="c-1", arrived_at=timezone.now())
    assert (call_record("c-1"), call_record("c-2")) == (call, None)


def test_call_takers_are_the_active_agents_and_supervisors_by_name(users: Any) -> None:
    gone = factories.make_user("agent", username="a_gone")
    gone.is_active = False
    gone.save()
    factories.make_user("agent", username="a_first")
    assert [user.username for user in call_takers()] == ["a_first", "t_agent", "t_supervisor"]


def test_queues_by_name() -> None:
    for name in ("orders", "after_sales"):
        Queue.objects.create(name=name)
    assert [queue.name for queue in queues_by_name()] == ["after_sales", "orders"]

"""A complaint's whole life on the fake clock: opened with the category's SLA, assigned, noted, the customer
called, escalated once when overdue (a message to the supervisors), resolved, confirmed, reopened and
escalated again; each step with its history row and audit row. Refusals change nothing."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.jobs import periodic
from hotline.service.actions import (
    do_add_complaint_note,
    do_assign_complaint,
    do_close_complaint,
    do_confirm_resolution,
    do_open_complaint,
    do_record_contact,
    do_reopen_complaint,
    do_take_complaint,
    escalate_overdue,
)
from hotline.service.models import Category, Complaint, Department, Message
from hotline.service.queries import inbox
from tests.fakeclock import install_clock
from tests.orders.helpers import place
from tests.service.conftest import T0, state

H = datetime.timedelta(hours=1)


def events(complaint: Complaint) -> list[tuple[str, str, str, str]]:
    """(kind, actor, text, outcome) of every history row, oldest first."""
    return [(e.kind, e.actor.username if e.actor else "", e.text, e.outcome)
            for e in complaint.events.order_by("at", "id")]


@pytest.mark.django_db
def test_the_seeded_categories_and_departments() -> None:
    rows = [(c.code, c.name, c.sla_hours, c.department.name if c.department else "")
            for c in Category.objects.order_by("position")]
    assert rows == [("product_quality", "产品质量", 48, "质量部"), ("delivery", "配送", 24, "物流部"),
                    ("service", "服务态度", 24, "客服部"), ("billing", "费用", 48, "财务部"),
                    ("other", "其他", 72, "客服部")]


def test_escalation_is_registered_on_the_worker() -> None:
    assert periodic.functions()["service.escalate_overdue_complaints"] is escalate_overdue


def test_the_whole_life_of_a_complaint(world, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = install_clock(monkeypatch, T0)
    agent, supervisor = users["agent"], users["supervisor"]
    order = place(world, agent)
    complaint = do_open_complaint(world.customer, "Parcel crushed", actor=agent, category="delivery", order=order,
                                  call_id="c-7", priority="high")
    assert complaint.department is not None
    assert (complaint.due_at, complaint.department.name, complaint.priority, complaint.status) == (
        T0 + 24 * H, "物流部", "high", "open")

    clock.set(T0 + H)
    quality = Department.objects.get(name="质量部")
    do_assign_complaint(complaint, actor=supervisor, owner=supervisor, department=quality)
    clock.set(T0 + 2 * H)
    do_add_complaint_note(complaint, "Courier says it left intact", actor=supervisor)
    do_record_contact(complaint, "no_answer", actor=supervisor)
    do_record_contact(complaint, "reached", "Will send photos", actor=supervisor)

    # Not yet due: nothing happens; one minute past due: escalated once, however often the worker ticks.
    assert escalate_overdue(T0 + 24 * H - datetime.timedelta(minutes=1)) == 0
    clock.set(T0 + 24 * H + datetime.timedelta(minutes=1))
    assert escalate_overdue(clock.now) == 1
    assert escalate_overdue(clock.now + H) == 0
    stored = Complaint.objects.get()
    assert (stored.escalated_at, stored.status, stored.owner) == (clock.now, "open", supervisor)
    alert = Message.objects.get()
    assert (alert.sender, alert.to_supervisors, alert.call_id) == (None, True, "c-7")
    assert alert.body == (f"Complaint #{complaint.pk} (配送, 王小明) was due at 2026-03-03 17:00 and is not closed; "
                          f"owner: t_supervisor.")
    assert inbox(supervisor) == [alert] and inbox(agent) == []

    clock.set(T0 + 30 * H)
    do_take_complaint(complaint, actor=supervisor)
    clock.set(T0 + 31 * H)
    do_close_complaint(complaint, "Sent a new one", actor=supervisor)
    clock.set(T0 + 72 * H)
    do_reopen_complaint(complaint, "The new one is broken too", actor=supervisor)
    stored = Complaint.objects.get()
    assert (stored.status, stored.closed_at, stored.escalated_at, stored.due_at, stored.reopened) == (
        "in_progress", None, None, T0 + 72 * H + 24 * H, 1)
    assert escalate_overdue(T0 + 97 * H) == 1  # due again, escalated again
    clock.set(T0 + 98 * H)
    do_close_complaint(complaint, "Refunded", actor=supervisor)
    assert escalate_overdue(T0 + 200 * H) == 0  # a closed complaint is never escalated
    clock.set(T0 + 99 * H)
    do_confirm_resolution(complaint, "Happy with the refund", actor=supervisor)

    stored = Complaint.objects.get()
    assert (stored.status, stored.resolution, stored.closed_at, stored.confirmed_at) == (
        "closed", "Refunded", T0 + 98 * H, T0 + 99 * H)
    assert [(e.kind, e.at) for e in stored.events.order_by("at", "id")][-3:] == [
        ("escalated", T0 + 97 * H), ("closed", T0 + 98 * H), ("confirmed", T0 + 99 * H)]
    assert events(stored) == [
        ("opened", "t_agent", "Parcel crushed", ""),
        ("assigned", "t_supervisor", "t_supervisor · 质量部 · High", ""),
        ("note", "t_supervisor", "Courier says it left intact", ""),
        ("contact", "t_supervisor", "", "no_answer"),
        ("contact", "t_supervisor", "Will send photos", "reached"),
        ("escalated", "", alert.body, ""),
        ("taken", "t_supervisor", "", ""),
        ("closed", "t_supervisor", "Sent a new one", ""),
        ("reopened", "t_supervisor", "The new one is broken too", ""),
        ("escalated", "", Message.objects.order_by("id").last().body, ""),  # type: ignore[union-attr]
        ("closed", "t_supervisor", "Refunded", ""),
        ("confirmed", "t_supervisor", "Happy with the refund", ""),
    ]
    assert [e.action for e in AuditEntry.objects.filter(object_type="service.complaint").order_by("id")] == [
        "open_complaint", "assign_complaint", "note_complaint", "contact_complaint", "contact_complaint",
        "escalate_complaint", "take_complaint", "close_complaint", "reopen_complaint", "escalate_complaint",
        "close_complaint", "confirm_complaint"]
    assert AuditEntry.objects.filter(action="escalate_complaint").first().actor_name == "system"  # type: ignore[union-attr]


def test_the_worker_tick_escalates(world, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    install_clock(monkeypatch, T0)
    complaint = do_open_complaint(world.customer, "Rude", actor=users["agent"], category="service")
    assert periodic.tick(T0 + 25 * H)["service.escalate_overdue_complaints"] == "ok"
    assert Complaint.objects.get(pk=complaint.pk).escalated_at == T0 + 25 * H
    assert Message.objects.count() == 1


def _open(world: Any, users: dict[str, Any]) -> Complaint:
    return do_open_complaint(world.customer, "late", actor=users["agent"])


@pytest.mark.parametrize(("step", "message"), [
    (lambda c, u: do_add_complaint_note(c, "  ", actor=u), "{'text': ['Write the note.']}"),
    (lambda c, u: do_record_contact(c, "maybe", actor=u), "{'outcome': ['Say how the contact attempt went.']}"),
    (lambda c, u: do_reopen_complaint(c, "why", actor=u), "['Only a closed complaint can be reopened.']"),
    (lambda c, u: do_reopen_complaint(c, "", actor=u), "{'reason': ['Say why the complaint is reopened.']}"),
    (lambda c, u: do_confirm_resolution(c, actor=u), "['Only a resolved complaint can be confirmed.']"),
    (lambda c, u: do_assign_complaint(c, actor=u, priority="asap"), "{'priority': ['Choose a priority.']}"),
    (lambda c, u: do_assign_complaint(c, actor=u, owner=c.created_by),
     "{'owner': ['Choose someone who handles complaints.']}"),
])
def test_bad_steps_change_nothing(world, users, step, message) -> None:  # type: ignore[no-untyped-def]
    complaint = _open(world, users)
    before = state()
    with pytest.raises(ValidationError) as error:
        step(complaint, users["supervisor"])
    assert str(error.value) == message
    assert state() == before


def test_a_closed_complaint_is_confirmed_once_and_not_assigned(world, users) -> None:  # type: ignore[no-untyped-def]
    complaint = _open(world, users)
    do_close_complaint(complaint, "done", actor=users["supervisor"])
    do_confirm_resolution(complaint, actor=users["supervisor"])
    before = state()
    with pytest.raises(ValidationError) as error:
        do_confirm_resolution(complaint, actor=users["supervisor"])
    assert error.value.messages == ["The customer has already confirmed this resolution."]
    with pytest.raises(ValidationError) as error:
        do_assign_complaint(complaint, actor=users["supervisor"], priority="low")
    assert error.value.messages == ["This complaint is closed; reopen it first."]
    assert state() == before


def test_a_retired_category_cannot_be_chosen(world, users) -> None:  # type: ignore[no-untyped-def]
    Category.objects.filter(code="billing").update(active=False)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_open_complaint(world.customer, "charged twice", actor=users["agent"], category="billing")
    assert error.value.message_dict == {"category": ["Choose one of the complaint categories."]}
    assert state() == before


@pytest.mark.parametrize("role", ["agent", "logistics", "finance", "manager"])
def test_only_handlers_work_a_complaint(world, users, role) -> None:  # type: ignore[no-untyped-def]
    complaint = _open(world, users)
    before = state()
    for step in (lambda: do_add_complaint_note(complaint, "x", actor=users[role]),
                 lambda: do_record_contact(complaint, "busy", actor=users[role]),
                 lambda: do_assign_complaint(complaint, actor=users[role], priority="low"),
                 lambda: do_confirm_resolution(complaint, actor=users[role]),
                 lambda: do_reopen_complaint(complaint, "x", actor=users[role])):
        with pytest.raises(PermissionDenied, match=re.escape("You do not have permission to do this.")):
            step()
    assert state() == before

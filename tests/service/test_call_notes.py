"""After-call notes: who may write them, correcting one, and a caller's recent contacts with their notes."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.service.actions import do_save_call_note
from hotline.service.models import CallNote
from hotline.service.queries import recent_contacts
from tests import factories
from tests.service.conftest import T0, make_call, state


def test_the_calls_agent_writes_the_note_and_corrects_it(world, users) -> None:  # type: ignore[no-untyped-def]
    make_call("c-1", agent=users["agent"])
    note = do_save_call_note("c-1", "enquiry", " asked about the price ", actor=users["agent"],
                             customer=world.customer)
    again = do_save_call_note("c-1", "order_placed", "ordered two", actor=users["agent"])
    stored = CallNote.objects.get()
    assert again.pk == note.pk
    assert (stored.call_id, stored.agent, stored.customer, stored.disposition, stored.notes) == (
        "c-1", users["agent"], world.customer, "order_placed", "ordered two")
    entries = list(AuditEntry.objects.filter(action="save_call_note").order_by("id"))
    assert [(e.before and e.before["disposition"], e.after["disposition"]) for e in entries] == [
        (None, "enquiry"), ("enquiry", "order_placed")]


def test_a_supervisor_may_write_a_note_on_anyones_call(users) -> None:  # type: ignore[no-untyped-def]
    make_call("c-1", agent=users["agent"])
    note = do_save_call_note("c-1", "complaint", "escalated", actor=users["supervisor"])
    assert (note.agent, note.disposition) == (users["supervisor"], "complaint")


@pytest.mark.parametrize("who", ["other_agent", "manager", "logistics"])
def test_nobody_else_may(users, who) -> None:  # type: ignore[no-untyped-def]
    actor = factories.make_user("agent", username="other") if who == "other_agent" else users[who]
    make_call("c-1", agent=users["agent"])
    before = state()
    refusal = "Only the agent who had the call, or a supervisor, can write its note."
    with pytest.raises(PermissionDenied, match=re.escape(refusal)):
        do_save_call_note("c-1", "enquiry", actor=actor)
    assert state() == before


def test_a_call_without_an_agent_is_only_for_supervisors(users) -> None:  # type: ignore[no-untyped-def]
    make_call("c-1", agent=None, outcome="abandoned_in_queue")
    with pytest.raises(PermissionDenied):
        do_save_call_note("c-1", "other", actor=users["agent"])
    assert CallNote.objects.count() == 0


@pytest.mark.parametrize(("call_id", "disposition", "notes", "errors"), [
    ("nope", "enquiry", "", {"call_id": ["Unknown call nope."]}),
    ("", "enquiry", "", {"call_id": ["Say which call this note is for."]}),
    ("c-1", "happy", "", {"disposition": ["Choose how the call ended."]}),
    ("c-1", "enquiry", "x" * 2001, {"notes": ["At most 2000 characters."]}),
])
def test_invalid_notes_change_nothing(users, call_id, disposition, notes, errors) -> None:  # type: ignore[no-untyped-def]
    make_call("c-1", agent=users["agent"])
    before = state()
    with pytest.raises(ValidationError) as error:
        do_save_call_note(call_id, disposition, notes, actor=users["agent"])
    assert error.value.message_dict == errors
    assert state() == before


def test_recent_contacts_join_each_call_with_its_note(users, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    agent = users["agent"]
    agent.first_name = "李娜"
    agent.save()
    make_call("c-old", agent=agent, minutes=0)
    make_call("c-land", caller="02087654321", agent="ghost", minutes=10, outcome="abandoned_in_queue")
    make_call("c-mid", agent=agent, minutes=20)
    make_call("c-out", agent=users["supervisor"], minutes=30, direction="outbound")
    make_call("c-other", caller="13900139000", agent=agent, minutes=40)
    do_save_call_note("c-mid", "order_placed", "two sets", actor=agent)
    do_save_call_note("c-out", "callback_requested", "call after 6pm", actor=users["supervisor"])
    do_save_call_note("c-other", "enquiry", "not this caller", actor=agent)
    with django_assert_num_queries(2):
        contacts = recent_contacts(["+86 138 0013 8000", "020-8765 4321", "  "], limit=3)
    assert contacts == [
        {"call_id": "c-out", "at": T0.replace(minute=30), "direction": "outbound", "outcome": "answered",
         "agent": "t_supervisor", "disposition": "Callback requested", "notes": "call after 6pm"},
        {"call_id": "c-mid", "at": T0.replace(minute=20), "direction": "inbound", "outcome": "answered",
         "agent": "李娜", "disposition": "Order placed", "notes": "two sets"},
        {"call_id": "c-land", "at": T0.replace(minute=10), "direction": "inbound", "outcome": "abandoned_in_queue",
         "agent": "ghost", "disposition": "", "notes": ""},
    ]


def test_the_note_of_the_calls_own_agent_wins_after_a_transfer(users) -> None:  # type: ignore[no-untyped-def]
    make_call("c-1", agent=users["agent"])
    do_save_call_note("c-1", "order_placed", "mine", actor=users["agent"])
    do_save_call_note("c-1", "enquiry", "supervisor's", actor=users["supervisor"])
    assert [(c["disposition"], c["notes"]) for c in recent_contacts(["13800138000"])] == [("Order placed", "mine")]


def test_no_numbers_no_contacts(db, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        assert recent_contacts([]) == []

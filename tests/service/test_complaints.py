"""Complaints: agents open them, supervisors close them with a resolution; refusals change nothing."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.service.actions import do_close_complaint, do_open_complaint, do_take_complaint
from hotline.service.models import Complaint
from hotline.service.queries import open_complaints
from tests import factories
from tests.orders.helpers import place
from tests.service.conftest import state


def test_an_agent_opens_a_complaint_about_an_order(world, users) -> None:  # type: ignore[no-untyped-def]
    order = place(world, users["agent"])
    complaint = do_open_complaint(world.customer, "  Parcel arrived broken  ", actor=users["agent"],
                                  category="delivery", order=order, call_id="c-1")
    stored = Complaint.objects.get()
    assert (stored.pk, stored.customer, stored.order, stored.call_id, stored.category_id, stored.summary) == (
        complaint.pk, world.customer, order, "c-1", "delivery", "Parcel arrived broken")
    assert (stored.status, stored.resolution, stored.created_by, stored.closed_at) == (
        "open", "", users["agent"], None)
    entry = AuditEntry.objects.get(action="open_complaint")
    assert (entry.actor, entry.object_id, entry.after["summary"]) == (users["agent"], str(complaint.pk),
                                                                     "Parcel arrived broken")


def test_a_supervisor_takes_and_closes_it(world, users) -> None:  # type: ignore[no-untyped-def]
    complaint = do_open_complaint(world.customer, "Rude courier", actor=users["agent"], category="service")
    do_take_complaint(complaint, actor=users["supervisor"])
    assert Complaint.objects.get().status == "in_progress"
    closed = do_close_complaint(complaint, " Apologised, courier reported ", actor=users["supervisor"])
    stored = Complaint.objects.get()
    assert (stored.status, stored.resolution) == ("closed", "Apologised, courier reported")
    assert stored.closed_at == closed.closed_at and stored.closed_at is not None
    entry = AuditEntry.objects.get(action="close_complaint")
    assert (entry.before["status"], entry.after["status"]) == ("in_progress", "closed")


def test_open_complaints_are_the_unclosed_ones_newest_first(world, users) -> None:  # type: ignore[no-untyped-def]
    first = do_open_complaint(world.customer, "one", actor=users["agent"])
    second = do_open_complaint(world.customer, "two", actor=users["agent"])
    third = do_open_complaint(world.customer, "three", actor=users["agent"])
    do_take_complaint(first, actor=users["supervisor"])
    do_close_complaint(second, "done", actor=users["supervisor"])
    do_open_complaint(factories.make_customer("李红", "13900139000"), "other customer", actor=users["agent"])
    assert open_complaints(world.customer) == [third, first]


@pytest.mark.parametrize(("summary", "kwargs", "message"), [
    ("   ", {}, "{'summary': ['Describe the complaint.']}"),
    ("x" * 2001, {}, "{'summary': ['At most 2000 characters.']}"),
    ("ok", {"category": "weather"}, "{'category': ['Choose one of the complaint categories.']}"),
    ("ok", {"priority": "asap"}, "{'priority': ['Choose a priority.']}"),
])
def test_invalid_complaints_are_refused(world, users, summary, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    before = state()
    with pytest.raises(ValidationError) as error:
        do_open_complaint(world.customer, summary, actor=users["agent"], **kwargs)
    assert str(error.value) == message
    assert state() == before


def test_an_order_of_another_customer_is_refused(world, users) -> None:  # type: ignore[no-untyped-def]
    order = place(world, users["agent"])
    other = factories.make_customer("李红", "13900139000")
    before = state()
    with pytest.raises(ValidationError) as error:
        do_open_complaint(other, "late", actor=users["agent"], order=order)
    assert error.value.message_dict == {"order": ["This order belongs to another customer."]}
    assert state() == before


@pytest.mark.parametrize("role", ["logistics", "finance", "manager"])
def test_roles_without_the_permission_cannot_open(world, users, role) -> None:  # type: ignore[no-untyped-def]
    before = state()
    with pytest.raises(PermissionDenied, match=re.escape("You do not have permission to do this.")):
        do_open_complaint(world.customer, "late", actor=users[role])
    assert state() == before


def test_an_agent_cannot_take_or_close_a_complaint(world, users) -> None:  # type: ignore[no-untyped-def]
    complaint = do_open_complaint(world.customer, "late", actor=users["agent"])
    before = state()
    with pytest.raises(PermissionDenied):
        do_close_complaint(complaint, "fixed", actor=users["agent"])
    with pytest.raises(PermissionDenied):
        do_take_complaint(complaint, actor=users["agent"])
    assert state() == before


def test_closing_needs_a_resolution_and_an_unclosed_complaint(world, users) -> None:  # type: ignore[no-untyped-def]
    complaint = do_open_complaint(world.customer, "late", actor=users["agent"])
    before = state()
    with pytest.raises(ValidationError) as error:
        do_close_complaint(complaint, "  ", actor=users["supervisor"])
    assert error.value.message_dict == {"resolution": ["Say how the complaint was resolved."]}
    assert state() == before
    do_close_complaint(complaint, "refunded", actor=users["supervisor"])
    closed = state()
    with pytest.raises(ValidationError) as error:
        do_close_complaint(complaint, "again", actor=users["admin"])
    assert error.value.messages == ["This complaint is already closed."]
    with pytest.raises(ValidationError) as error:
        do_take_complaint(complaint, actor=users["supervisor"])
    assert error.value.messages == ["Only an open complaint can be taken in hand."]
    assert state() == closed

"""Back-office screens of customer service, as anonymous, each role, and with permission; saves audited."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.accounts.models import AuditEntry
from hotline.service.actions import do_ask_supervisor, do_open_complaint, do_save_call_note
from hotline.service.models import Complaint, Script
from tests.backoffice.helpers import admin_url, english_client
from tests.conftest import ROLES
from tests.service.conftest import make_call

BACK_OFFICE = {"supervisor", "logistics", "finance", "manager", "admin"}
CAN_VIEW = {
    "service/script": {"supervisor", "manager", "admin"},
    "service/complaint": {"supervisor", "manager", "admin"},
    "service/callnote": {"supervisor", "manager", "admin"},
    "service/message": {"supervisor", "admin"},
}
CAN_ADD = {"service/script": {"supervisor", "admin"}, "service/complaint": set(), "service/callnote": set(),
           "service/message": set()}


def expected(role: str | None, allowed: set[str]) -> int:
    if role is None or role not in BACK_OFFICE:
        return 302
    return 200 if role in allowed else 403


@pytest.fixture
def things(world: Any, users: dict[str, Any]) -> dict[str, int]:
    make_call("c-1", agent=users["agent"])
    return {
        "service/script": Script.objects.create(title="开场白", body="{salutation}您好").pk,
        "service/complaint": do_open_complaint(world.customer, "broken", actor=users["agent"]).pk,
        "service/callnote": do_save_call_note("c-1", "enquiry", "price", actor=users["agent"]).pk,
        "service/message": do_ask_supervisor("May I?", actor=users["agent"]).pk,
    }


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", sorted(CAN_VIEW))
def test_changelist_and_change_page(screen: str, role: str | None, users: dict[str, Any],
                                    things: dict[str, int]) -> None:
    client = english_client(users[role] if role else None)
    assert client.get(admin_url(screen)).status_code == expected(role, CAN_VIEW[screen])
    assert client.get(admin_url(screen, "change", things[screen])).status_code == expected(role, CAN_VIEW[screen])
    assert client.get(admin_url(screen, "add")).status_code == expected(role, CAN_ADD[screen])


def test_a_supervisor_writes_a_script_and_it_is_audited(world: Any, users: dict[str, Any]) -> None:
    client = english_client(users["supervisor"])
    response = client.post(admin_url("service/script", "add"), {
        "title": "Pitch", "body": "{salutation}, {product} is {price} yuan.", "product": world.product.pk,
        "hotline_number": "", "position": "3", "active": "on"})
    assert response.status_code == 302
    script = Script.objects.get()
    assert (script.title, script.product, script.hotline_number, script.position, script.active) == (
        "Pitch", world.product, None, 3, True)
    assert AuditEntry.objects.get(action="add").object_id == str(script.pk)


def test_writing_a_resolution_closes_the_complaint(things: dict[str, int], users: dict[str, Any]) -> None:
    client = english_client(users["supervisor"])
    url = admin_url("service/complaint", "change", things["service/complaint"])
    response = client.post(url, {"category": "delivery", "resolution": "Sent a new one"})
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.category_id, complaint.status, complaint.resolution) == ("delivery", "closed", "Sent a new one")
    assert [e.action for e in AuditEntry.objects.filter(object_type="service.complaint").order_by("id")] == [
        "open_complaint", "change", "close_complaint"]

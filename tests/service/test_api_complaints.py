"""/api/complaints: open, list with filters, one with its history, every step; the one error format;
permissions; a refused request changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.service.models import Complaint
from tests.api.helpers import ApiClient, raw_token
from tests.orders.helpers import place
from tests.service.conftest import state

DENIED = {"detail": "You do not have permission to do this."}


@pytest.fixture
def as_role(users: dict[str, Any]) -> Any:
    made: dict[str, ApiClient] = {}

    def client_for(role: str) -> ApiClient:
        if role not in made:
            made[role] = ApiClient(raw_token(users[role]))
        return made[role]

    return client_for


def test_open_then_work_a_complaint_through_the_api(world, users, as_role) -> None:  # type: ignore[no-untyped-def]
    order = place(world, users["agent"])
    opened = as_role("agent").post("/api/complaints", {
        "customer_id": world.customer.pk, "summary": " Box dented ", "category": "delivery", "order": order.number,
        "call_id": "c-1", "priority": "high"})
    assert opened.status_code == 201, opened.content
    body = opened.json()
    complaint = Complaint.objects.get()
    assert {k: body[k] for k in ("id", "customer_id", "order", "call_id", "category", "category_name", "priority",
                                 "owner", "summary", "status", "overdue", "reopened")} == {
        "id": complaint.pk, "customer_id": world.customer.pk, "order": order.number, "call_id": "c-1",
        "category": "delivery", "category_name": "配送", "priority": "high", "owner": None, "summary": "Box dented",
        "status": "open", "overdue": False, "reopened": 0}
    assert [(e["kind"], e["actor"], e["text"]) for e in body["events"]] == [("opened", "t_agent", "Box dented")]

    sup = as_role("supervisor")
    path = f"/api/complaints/{complaint.pk}/steps"
    assert sup.post(path, {"step": "take"}).json()["owner"] == "t_supervisor"
    assert sup.post(path, {"step": "contact", "outcome": "reached", "text": "ok"}).status_code == 200
    closed = sup.post(path, {"step": "close", "resolution": "Replaced"}).json()
    assert (closed["status"], closed["resolution"]) == ("closed", "Replaced")
    confirmed = sup.post(path, {"step": "confirm"}).json()
    assert confirmed["confirmed_at"] is not None
    assert [e["kind"] for e in confirmed["events"]] == ["opened", "taken", "contact", "closed", "confirmed"]

    listed = as_role("manager").get("/api/complaints", status="closed", category="delivery")
    assert [row["id"] for row in listed.json()["items"]] == [complaint.pk]
    assert as_role("manager").get("/api/complaints", status="open").json()["items"] == []
    assert as_role("manager").get(f"/api/complaints/{complaint.pk}").json()["id"] == complaint.pk


@pytest.mark.parametrize(("body", "status", "expected"), [
    ({"summary": "  ", "category": "delivery"}, 422, {"errors": {"summary": ["Describe the complaint."]}}),
    ({"summary": "x", "category": "weather"}, 422,
     {"errors": {"category": ["Choose one of the complaint categories."]}}),
    ({"summary": "x", "order": "NOPE"}, 404, {"detail": "Order NOPE does not exist."}),
    ({"summary": "x", "colour": "red"}, 422, {"errors": {"colour": ["Unknown field."]}}),
])
def test_bad_input_is_refused_in_the_one_error_format(world, users, as_role, body, status, expected) -> None:  # type: ignore[no-untyped-def]
    before = state()
    response = as_role("agent").post("/api/complaints", {"customer_id": world.customer.pk, **body})
    assert (response.status_code, response.json()) == (status, expected)
    assert state() == before


def test_a_bad_step_is_a_field_error(world, users, as_role) -> None:  # type: ignore[no-untyped-def]
    complaint = as_role("agent").post("/api/complaints", {"customer_id": world.customer.pk, "summary": "x"}).json()
    before = state()
    response = as_role("supervisor").post(f"/api/complaints/{complaint['id']}/steps", {"step": "reopen",
                                                                                      "reason": "again"})
    assert (response.status_code, response.json()) == (
        422, {"errors": {"__all__": ["Only a closed complaint can be reopened."]}})
    missing = as_role("supervisor").post("/api/complaints/99999/steps", {"step": "take"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "Complaint #99999 does not exist."})
    assert state() == before


def test_permissions(world, users, as_role) -> None:  # type: ignore[no-untyped-def]
    complaint = as_role("agent").post("/api/complaints", {"customer_id": world.customer.pk, "summary": "x"}).json()
    before = state()
    for role in ("logistics", "finance"):
        assert as_role(role).get("/api/complaints").json() == DENIED
        assert as_role(role).post("/api/complaints", {"customer_id": world.customer.pk, "summary": "y"}).json() \
            == DENIED
    for role in ("agent", "manager"):
        response = as_role(role).post(f"/api/complaints/{complaint['id']}/steps", {"step": "take"})
        assert (response.status_code, response.json()) == (403, DENIED)
    assert ApiClient().get("/api/complaints").status_code == 401
    assert state() == before

"""/service/ screens and /desk/service/ fragments: anonymous, without permission, with permission; the list's
filters; every step through the detail page; the desk's F4 form; the bulletin board; messages to a colleague."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.service.actions import do_escalate_complaint, do_open_complaint, do_post_notice
from hotline.service.models import Complaint, Message, Notice
from tests import factories
from tests.conftest import ROLES
from tests.orders.helpers import place
from tests.service.conftest import state

VIEWERS = {"agent", "supervisor", "manager", "admin"}
HANDLERS = {"supervisor", "admin"}


def client_for(user: Any) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", [None, *ROLES])
def test_who_sees_the_list_and_the_page(world, users, role) -> None:  # type: ignore[no-untyped-def]
    complaint = do_open_complaint(world.customer, "late", actor=users["agent"])
    client = client_for(users[role] if role else None)
    for url in ("/service/complaints/", f"/service/complaints/{complaint.pk}/"):
        status = client.get(url).status_code
        assert status == (302 if role is None else 200 if role in VIEWERS else 403), (url, status)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_who_works_a_complaint(world, users, role) -> None:  # type: ignore[no-untyped-def]
    complaint = do_open_complaint(world.customer, "late", actor=users["agent"])
    before = state()
    response = client_for(users[role] if role else None).post(f"/service/complaints/{complaint.pk}/take")
    if role in HANDLERS:
        assert response.status_code == 302
        assert Complaint.objects.get().status == "in_progress"
    else:
        assert response.status_code == (302 if role is None else 403)
        assert state() == before


def test_the_list_filters(world, users) -> None:  # type: ignore[no-untyped-def]
    a = do_open_complaint(world.customer, "one", actor=users["agent"], category="delivery")
    b = do_open_complaint(world.customer, "two", actor=users["agent"], category="billing")
    c = do_open_complaint(world.customer, "three", actor=users["agent"], category="delivery")
    client = client_for(users["supervisor"])
    client.post(f"/service/complaints/{c.pk}/take")
    Complaint.objects.filter(pk=b.pk).update(due_at=timezone.now() - datetime.timedelta(minutes=1))

    def ids(**query: str) -> list[int]:
        response = client.get("/service/complaints/", query)
        assert response.status_code == 200
        return [row.pk for row in response.context["complaints"]]

    assert ids() == [c.pk, b.pk, a.pk]
    assert ids(category="delivery") == [c.pk, a.pk]
    assert ids(status="in_progress") == [c.pk]
    assert ids(owner="t_supervisor") == [c.pk]
    assert ids(owner="none") == [b.pk, a.pk]
    assert ids(overdue="1") == [b.pk]
    assert ids(department=str(b.department_id)) == [b.pk]
    bad = client.get("/service/complaints/", {"status": "lost"})
    assert (bad.status_code, bad.context["errors"]) == (422, ["Unknown status “lost”."])


def test_every_step_through_the_page(world, users) -> None:  # type: ignore[no-untyped-def]
    complaint = do_open_complaint(world.customer, "late", actor=users["agent"])
    client = client_for(users["supervisor"])
    url = f"/service/complaints/{complaint.pk}/"
    for step, data in [("assign", {"owner": "t_admin", "priority": "urgent"}), ("note", {"text": "called courier"}),
                       ("contact", {"outcome": "busy"}), ("close", {"resolution": "refunded"}),
                       ("confirm", {"text": "ok"}), ("reopen", {"reason": "again"})]:
        assert client.post(url + step, data).status_code == 302, step
    stored = Complaint.objects.get()
    assert (stored.owner, stored.priority, stored.status, stored.reopened) == (users["admin"], "urgent",
                                                                               "in_progress", 1)
    page = client.get(url)
    assert [e.kind for e in page.context["events"]] == ["opened", "assigned", "note", "contact", "closed",
                                                        "confirmed", "reopened"]
    before = state()
    refused = client.post(url + "close", {"resolution": " "})
    assert (refused.status_code, refused.context["errors"]) == (422, ["Say how the complaint was resolved."])
    assert client.post(url + "explode").status_code == 404
    assert state() == before


def test_the_back_office_opens_a_complaint_by_phone_number(world, users) -> None:  # type: ignore[no-untyped-def]
    client = client_for(users["supervisor"])
    before = state()
    refused = client.post("/service/complaints/new", {"phone": "13900000000", "summary": "x"})
    assert (refused.status_code, refused.context["errors"]) == (422, ["No customer has this phone number."])
    assert state() == before
    response = client.post("/service/complaints/new", {"phone": "138 0013 8000", "summary": "Wrong colour",
                                                       "category": "service", "priority": "low"})
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/service/complaints/{complaint.pk}/"
    assert (complaint.customer, complaint.category_id, complaint.priority, complaint.created_by) == (
        world.customer, "service", "low", users["supervisor"])


def test_the_desk_form_and_opening_from_it(world, users) -> None:  # type: ignore[no-untyped-def]
    order = place(world, users["agent"])
    client = client_for(users["agent"])
    form = client.get("/desk/service/complaints/form", {"customer_id": world.customer.pk, "call_id": "c-3"})
    assert form.status_code == 200
    assert [o.pk for o in form.context["orders"]] == [order.pk]
    assert [c.code for c in form.context["categories"]] == ["product_quality", "delivery", "service", "billing",
                                                            "other"]
    before = state()
    for data, errors in [({"customer_id": world.customer.pk, "summary": " "}, {"summary": ["Describe the complaint."]}),
                         ({"summary": "x"}, {"customer_id": [
                             "The caller is not a customer yet: save the customer first."]}),
                         ({"customer_id": world.customer.pk, "summary": "x", "order_id": "999999"},
                          {"order": ["Unknown order."]})]:
        refused = client.post("/desk/service/complaints", data)
        assert (refused.status_code, {k: v for k, v in refused.context["errors"].items() if v}) == (422, errors)
    assert state() == before
    opened = client.post("/desk/service/complaints", {"customer_id": world.customer.pk, "call_id": "c-3",
                                                      "order_id": order.pk, "category": "delivery",
                                                      "summary": "Box dented", "priority": "high"})
    complaint = Complaint.objects.get()
    assert opened.status_code == 200
    assert (complaint.call_id, complaint.order, complaint.priority) == ("c-3", order, "high")
    assert client_for(users["logistics"]).get("/desk/service/complaints/form").status_code == 403


def test_the_pop_shows_category_due_and_overdue(world, users) -> None:  # type: ignore[no-untyped-def]
    from hotline.desk.pop import Offered, render_pop

    complaint = do_open_complaint(world.customer, "Box dented", actor=users["agent"], category="delivery")
    Complaint.objects.filter(pk=complaint.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    do_escalate_complaint(complaint)
    html = render_pop(Offered(call_id="c-9", caller="13800138000"), users["agent"], "en")["html"]
    assert "<b>配送</b>: Box dented" in html
    assert '<span class="badge bad">Overdue</span>' in html


def test_the_bulletin_board(users) -> None:  # type: ignore[no-untyped-def]
    sup = client_for(users["supervisor"])
    later = timezone.localtime() + datetime.timedelta(hours=2)
    before = state()
    refused = sup.post("/service/notices/", {"title": "New price", "expires_at": "2001-01-01T10:00"})
    assert (refused.status_code, refused.context["errors"]) == (422, ["The notice must expire in the future."])
    refused = sup.post("/service/notices/", {"title": " ", "expires_at": later.strftime("%Y-%m-%dT%H:%M")})
    assert refused.context["errors"] == ["Give the notice a title."]
    assert state() == before
    assert sup.post("/service/notices/", {"title": "新价格", "body": "今晚 ¥298",
                                          "expires_at": later.strftime("%Y-%m-%dT%H:%M")}).status_code == 302
    notice = Notice.objects.get()
    board = client_for(users["agent"]).get("/desk/service/notices")
    assert board.context["notices"] == [notice]
    assert client_for(users["agent"]).get("/service/notices/").status_code == 403
    assert client_for(users["agent"]).post(f"/service/notices/{notice.pk}/withdraw").status_code == 403
    assert sup.post(f"/service/notices/{notice.pk}/withdraw").status_code == 302
    assert client_for(users["agent"]).get("/desk/service/notices").context["notices"] == []


def test_an_expired_notice_leaves_the_board(users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.fakeclock import install_clock

    now = timezone.now()
    clock = install_clock(monkeypatch, now)
    notice = do_post_notice("Break rota", actor=users["supervisor"], expires_at=now + datetime.timedelta(hours=1))
    agent = client_for(users["agent"])
    assert agent.get("/desk/service/notices").context["notices"] == [notice]
    clock.set(now + datetime.timedelta(hours=1))
    assert agent.get("/desk/service/notices").context["notices"] == []


def test_an_agent_messages_a_colleague_from_the_desk(users) -> None:  # type: ignore[no-untyped-def]
    colleague = factories.make_user("agent", username="colleague")
    client = client_for(users["agent"])
    assert client.post("/desk/messages/send", {"body": "Can you cover line 2?", "recipient": "colleague",
                                               "kind": "message"}).status_code == 200
    message = Message.objects.get()
    assert (message.sender, message.recipient, message.to_supervisors) == (users["agent"], colleague, False)
    before = state()
    for name in ("t_logistics", "t_agent", "nobody"):
        refused = client.post("/desk/messages/send", {"body": "hi", "recipient": name, "kind": "message"})
        assert (refused.status_code, refused.context["errors"]) == (400, ["Choose another recipient."])
    assert state() == before
    inbox = client_for(colleague).get("/desk/messages")
    assert list(inbox.context["messages"]) == [message]

"""The /notify/ screen as anonymous (sign in), without permission (403, nothing written), with it: the outbox
with its counts and filters, sending one message again, and the SMS opt-outs."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.notify.actions import queue_notification
from hotline.notify.models import Notification, SmsOptOut

pytestmark = pytest.mark.django_db

PAGES = ["/notify/", "/notify/opt-outs/"]


def client_for(user: Any = None) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def failed_message(world: Any) -> Notification:
    note = queue_notification(world.customer, "HL1", "您的订单已发货")
    assert note is not None
    Notification.objects.filter(pk=note.pk).update(status="failed", attempts=2, error="timeout: timed out")
    return note


def written() -> dict[str, Any]:
    return {"notes": list(Notification.objects.values("pk", "status", "attempts")),
            "opt_outs": list(SmsOptOut.objects.values_list("number", flat=True)), "audit": AuditEntry.objects.count()}


def posts(world: Any) -> list[tuple[str, dict[str, str]]]:
    note = failed_message(world)
    opt_out = SmsOptOut.objects.create(number="13900000001", source="reply", text="T")
    return [(f"/notify/{note.pk}/retry/", {}), ("/notify/opt-outs/add/", {"number": "13900000002"}),
            (f"/notify/opt-outs/{opt_out.pk}/lift/", {})]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_users_are_sent_to_sign_in(db: Any, url: str) -> None:
    response = client_for().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")


@pytest.mark.parametrize("role", ["agent", "finance"])
def test_roles_without_the_outbox_may_not_open_or_post(users: dict[str, Any], world: Any, role: str) -> None:
    client = client_for(users[role])
    assert [client.get(url).status_code for url in PAGES] == [403, 403]
    targets = posts(world)
    before = written()
    assert [client.post(url, data).status_code for url, data in targets] == [403, 403, 403]
    assert written() == before


def test_a_manager_reads_the_outbox_but_may_not_change_it(users: dict[str, Any], world: Any) -> None:
    client = client_for(users["manager"])
    targets = posts(world)
    before = written()
    page = client.get("/notify/")
    assert page.status_code == 200 and "Send again" not in page.content.decode()
    assert [client.post(url, data).status_code for url, data in targets] == [403, 403, 403]
    assert written() == before


@pytest.mark.parametrize("role", ["supervisor", "logistics", "admin"])
def test_the_outbox_shows_counts_and_messages_with_a_retry_button(users: dict[str, Any], world: Any,
                                                                 role: str) -> None:
    note = failed_message(world)
    queue_notification(world.customer, "HL2", "已送达")
    html = client_for(users[role]).get("/notify/").content.decode()
    assert "<b>1</b> Failed" in html and "<b>1</b> Queued" in html and "<b>0</b> Delivered" in html
    assert "您的订单已发货" in html and "timeout: timed out" in html and "Other message" in html
    assert f'action="/notify/{note.pk}/retry/"' in html


def test_the_filter_narrows_the_outbox(users: dict[str, Any], world: Any) -> None:
    failed_message(world)
    queue_notification(world.customer, "HL2", "已送达")
    client = client_for(users["supervisor"])
    assert "已送达" not in client.get("/notify/?status=failed").content.decode()
    assert "已送达" in client.get("/notify/?status=queued").content.decode()
    assert "No message." in client.get("/notify/?q=13999999999").content.decode()
    assert "已送达" in client.get("/notify/?q=13800138000").content.decode()
    # an unknown status is ignored, not an error
    assert client.get("/notify/?status=lost").status_code == 200


def test_send_again_delivers_the_message_and_is_audited(users: dict[str, Any], world: Any) -> None:
    note = failed_message(world)
    response = client_for(users["supervisor"]).post(f"/notify/{note.pk}/retry/", follow=True)
    assert f"Message {note.pk}: Kept in outbox." in response.content.decode()
    note.refresh_from_db()
    assert (note.status, note.attempts, note.error) == ("outbox", 3, "")
    assert AuditEntry.objects.filter(action="notify.retry", object_id=str(note.pk)).count() == 1


def test_a_sent_message_is_not_sent_again(users: dict[str, Any], world: Any) -> None:
    note = failed_message(world)
    Notification.objects.filter(pk=note.pk).update(status="sent")
    before = written()
    response = client_for(users["logistics"]).post(f"/notify/{note.pk}/retry/", follow=True)
    assert "Only a failed, refused, undelivered or waiting message can be sent again." in response.content.decode()
    assert written() == before


def test_opt_outs_are_recorded_listed_and_lifted_on_the_screen(users: dict[str, Any]) -> None:
    client = client_for(users["supervisor"])
    response = client.post("/notify/opt-outs/add/", {"number": "139 0000 0002"}, follow=True)
    assert "The number gets no more SMS." in response.content.decode()
    opt_out = SmsOptOut.objects.get()
    assert (opt_out.number, opt_out.source) == ("13900000002", "staff")
    assert "13900000002" in client.get("/notify/opt-outs/").content.decode()
    client.post(f"/notify/opt-outs/{opt_out.pk}/lift/")
    assert SmsOptOut.objects.count() == 0


def test_a_bad_number_is_refused_with_its_reason(users: dict[str, Any]) -> None:
    before = written()
    response = client_for(users["supervisor"]).post("/notify/opt-outs/add/", {"number": "020-87654321"})
    assert response.status_code == 400
    assert "Only a mobile number receives SMS: 020-87654321" in response.content.decode()
    assert written() == before

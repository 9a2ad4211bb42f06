"""The desk's pages and small forms: every one as anonymous, without permission and with it; call notes,
messages to the supervisors, and playing a past call's recording."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls.models import Callback, CallbackReason, CallbackStatus, CallRecord, Queue, Seat
from hotline.service.models import CallNote, Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOW = timezone.now()


def client_for(user: Any = None) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def saved() -> dict[str, Any]:
    """What the desk's forms may write, to assert that a refused request changed nothing."""
    return {"notes": list(CallNote.objects.values()), "messages": list(Message.objects.values()),
            "audit": AuditEntry.objects.count()}


def record_call(call_id: str = "c-1", caller: str = "13800138000", agent: str = "t_agent") -> CallRecord:
    return CallRecord.objects.create(call_id=call_id, caller=caller, dnis="4008001000", agent_key=agent,
                                     arrived_at=NOW, answered_at=NOW, ended_at=NOW)


# ---------------------------------------------------------------- access

GETS = ["/desk/", "/desk/callbacks", "/desk/messages"]
POSTS = ["/desk/messages/send", "/desk/notes"]


@pytest.mark.parametrize("url", GETS)
def test_anonymous_users_are_sent_to_sign_in(url: str) -> None:
    response = client_for().get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")


@pytest.mark.parametrize("url", POSTS)
def test_anonymous_posts_are_sent_to_sign_in_and_save_nothing(url: str) -> None:
    record_call()
    before = saved()
    response = client_for().post(url, {"call_id": "c-1", "disposition": "enquiry", "body": "hi"})
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={quote(url)}")
    assert saved() == before


@pytest.mark.parametrize("url", GETS)
def test_users_who_do_not_take_calls_get_403(users: dict[str, Any], url: str) -> None:
    assert client_for(users["logistics"]).get(url).status_code == 403


@pytest.mark.parametrize("url", POSTS)
def test_posts_without_permission_get_403_and_save_nothing(users: dict[str, Any], url: str) -> None:
    record_call(agent="t_logistics")
    before = saved()
    response = client_for(users["logistics"]).post(url, {"call_id": "c-1", "disposition": "enquiry",
                                                         "body": "hi", "kind": "question"})
    assert response.status_code == 403
    assert saved() == before


@pytest.mark.parametrize("url", GETS + POSTS)
def test_reading_pages_do_not_accept_the_other_method(agent: Any, url: str) -> None:
    response = client_for(agent).post(url) if url in GETS else client_for(agent).get(url)
    assert response.status_code == 405


# ---------------------------------------------------------------- desk page


def test_the_desk_page_for_a_seated_agent(agent: Any, users: dict[str, Any]) -> None:
    Queue.objects.create(name="sales", wrapup_seconds=15)
    Seat.objects.create(name="A-01", sip_username="a01", agent=agent)
    Seat.objects.create(name="A-02", sip_username="a02")

    response = client_for(agent).get("/desk/")

    assert response.status_code == 200
    config = response.context["config"]
    assert (config["ws"], config["wrapup"]) == ("/ws/desk/?lang=en", {"sales": 15})
    assert config["states"]["on_call"] == "On a call"
    assert config["reasons"]["lunch"] == "Lunch"
    assert (response.context["seat"].name, [s.name for s in response.context["free_seats"]]) == ("A-01", ["A-02"])
    assert [user.username for user in response.context["agents"]] == ["t_supervisor"]
    content = response.content.decode()
    assert 'id="desk-config"' in content and 'data-seat="A-01"' in content


def test_the_desk_names_queues_by_their_label_and_knows_the_seats_sip_users(agent: Any) -> None:
    Queue.objects.create(name="orders", label="订购", wrapup_seconds=60)
    Queue.objects.create(name="aftersales", wrapup_seconds=30)  # no label: its name
    Seat.objects.create(name="A-01", sip_username="8001", agent=agent)
    Seat.objects.create(name="A-02", sip_username="8002")

    response = client_for(agent).get("/desk/")

    config = response.context["config"]
    assert config["queues"] == {"aftersales": "aftersales", "orders": "订购"}
    assert config["seat_users"] == {"A-01": "8001", "A-02": "8002"}
    assert (config["states"]["ready_offline"], config["wrapup_extension"]) == ("Ready · phone offline", 30)
    assert config["texts"]["phone_hint"] == ("Register the seat's phone (SIP user %(user)s) to take calls: calls are "
                                             "offered only to a phone that can ring.")
    content = response.content.decode()
    assert '<option value="queue:orders">Queue 订购</option>' in content
    assert '<option value="queue:aftersales">Queue aftersales</option>' in content
    assert 'id="btn-extend" title="F9" hidden>Extend wrap-up +30 s <kbd>F9</kbd></button>' in content
    assert 'id="customer-q"' in content


def test_a_supervisor_may_use_the_desk(users: dict[str, Any]) -> None:
    response = client_for(users["supervisor"]).get("/desk/")
    assert response.status_code == 200
    assert response.context["seat"] is None


# ---------------------------------------------------------------- callbacks and messages


def callback(number: str, minutes_ago: int, status: str = CallbackStatus.PENDING) -> Callback:
    captured = NOW - datetime.timedelta(minutes=minutes_ago)
    return Callback.objects.create(number=number, reason=CallbackReason.SURGE, arrived_at=captured,
                                   captured_at=captured, updated_at=captured, status=status)


def test_the_callback_worklist_mine_and_all(agent: Any) -> None:
    record_call("c-1", caller="13800138000")
    callback("13800138000", minutes_ago=20)
    callback("13912345678", minutes_ago=10)
    callback("13700137000", minutes_ago=30, status=CallbackStatus.ANSWERED)

    mine = client_for(agent).get("/desk/callbacks")
    everyone = client_for(agent).get("/desk/callbacks", {"scope": "all"})

    assert (mine.status_code, mine.context["scope"]) == (200, "mine")
    assert [cb.number for cb in mine.context["callbacks"]] == ["13800138000"]
    assert (everyone.status_code, everyone.context["scope"]) == (200, "all")
    assert [cb.number for cb in everyone.context["callbacks"]] == ["13800138000", "13912345678"]
    assert "13700137000" not in everyone.content.decode()


def test_the_message_list_shows_the_agent_s_inbox(agent: Any, users: dict[str, Any]) -> None:
    Message.objects.create(sender=users["supervisor"], recipient=agent, body="请推荐套餐")
    Message.objects.create(sender=users["supervisor"], to_supervisors=True, body="班长之间的话")

    response = client_for(agent).get("/desk/messages")

    assert response.status_code == 200
    assert [m.body for m in response.context["messages"]] == ["请推荐套餐"]
    assert "请推荐套餐" in response.content.decode() and "班长之间的话" not in response.content.decode()


def test_asking_a_question_writes_a_question_to_the_supervisors(agent: Any) -> None:
    response = client_for(agent).post("/desk/messages/send", {"kind": "question", "body": " 能否包邮? ",
                                                              "call_id": "c-1"})

    assert response.status_code == 200
    assert "Sent." in response.content.decode()
    assert list(Message.objects.values("sender", "recipient", "to_supervisors", "kind", "body", "call_id")) == [
        {"sender": agent.pk, "recipient": None, "to_supervisors": True, "kind": "question", "body": "能否包邮?",
         "call_id": "c-1"}]


def test_a_plain_message_goes_to_the_supervisors(agent: Any) -> None:
    response = client_for(agent).post("/desk/messages/send", {"body": "我去开会"})

    assert response.status_code == 200
    assert list(Message.objects.values("sender", "recipient", "to_supervisors", "kind", "body", "call_id")) == [
        {"sender": agent.pk, "recipient": None, "to_supervisors": True, "kind": "message", "body": "我去开会",
         "call_id": ""}]


def test_an_empty_question_is_refused_and_nothing_is_sent(agent: Any) -> None:
    before = saved()
    response = client_for(agent).post("/desk/messages/send", {"kind": "question", "body": "   "})
    assert response.status_code == 400
    assert "Write your question." in response.content.decode()
    assert saved() == before


# ---------------------------------------------------------------- call notes


def test_the_agent_saves_the_note_of_their_call(agent: Any) -> None:
    record_call()

    response = client_for(agent).post("/desk/notes", {"call_id": "c-1", "disposition": "order_placed",
                                                      "notes": " 周末送货 "})

    assert response.status_code == 200
    assert "Notes saved." in response.content.decode()
    assert list(CallNote.objects.values("call_id", "agent", "customer", "disposition", "notes")) == [
        {"call_id": "c-1", "agent": agent.pk, "customer": None, "disposition": "order_placed", "notes": "周末送货"}]


def test_a_note_for_an_unknown_call_is_refused_and_nothing_is_saved(agent: Any) -> None:
    record_call()
    before = saved()

    response = client_for(agent).post("/desk/notes", {"call_id": "c-404", "disposition": "enquiry", "notes": "x"})

    assert response.status_code == 400
    assert "Unknown call c-404." in response.content.decode()
    assert saved() == before


def test_a_note_without_a_disposition_is_refused_and_nothing_is_saved(agent: Any) -> None:
    record_call()
    before = saved()
    response = client_for(agent).post("/desk/notes", {"call_id": "c-1", "disposition": "", "notes": "x"})
    assert response.status_code == 400
    assert saved() == before

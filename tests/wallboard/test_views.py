"""The wallboard page: anonymous users sign in first, users who neither supervise nor read reports get 403,
supervisors get the actions, managers watch only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls.models import Queue
from hotline.service.models import Message, MessageKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def client_for(user: Any = None) -> Client:
    client = Client(headers={"accept-language": "en"})
    if user is not None:
        client.force_login(user)
    return client


def page_config(content: bytes) -> dict[str, Any]:
    """The JSON the page hands to wallboard.js (`json_script` with id wallboard-config)."""
    text = content.decode()
    start = text.index('<script id="wallboard-config" type="application/json">') + len(
        '<script id="wallboard-config" type="application/json">')
    config: dict[str, Any] = json.loads(text[start:text.index("</script>", start)])
    return config


def test_anonymous_users_are_sent_to_sign_in() -> None:
    response = client_for().get("/wallboard/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/wallboard/")


@pytest.mark.parametrize("role", ["agent", "logistics"])
def test_users_who_neither_supervise_nor_read_reports_get_403(users: dict[str, Any], role: str) -> None:
    assert client_for(users[role]).get("/wallboard/").status_code == 403


def test_finance_reads_reports_and_so_may_watch_the_floor_without_actions(users: dict[str, Any]) -> None:
    response = client_for(users["finance"]).get("/wallboard/")
    assert (response.status_code, page_config(response.content)["can_act"]) == (200, False)


def test_a_supervisor_gets_the_wallboard_with_actions(users: dict[str, Any]) -> None:
    Queue.objects.create(name="sales")
    Queue.objects.create(name="after-sales")

    response = client_for(users["supervisor"]).get("/wallboard/")

    assert response.status_code == 200
    config = page_config(response.content)
    assert (config["ws"], config["can_act"]) == ("/ws/wallboard/", True)
    assert config["states"]["on_call"] == "On a call"
    assert config["texts"]["barge"] == "Barge"
    assert response.context["can_act"] is True
    assert [queue.name for queue in response.context["queues"]] == ["after-sales", "sales"]
    assert [user.username for user in response.context["agents"]] == ["t_agent", "t_supervisor"]


def test_a_manager_watches_without_actions(users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).get("/wallboard/")

    assert response.status_code == 200
    assert page_config(response.content)["can_act"] is False
    assert response.context["can_act"] is False


def test_the_page_only_answers_get(users: dict[str, Any]) -> None:
    assert client_for(users["supervisor"]).post("/wallboard/").status_code == 405


# ---------------------------------------------------------------- questions from agents


def question(users: dict[str, Any], body: str = "能否包邮?") -> Message:
    return Message.objects.create(sender=users["agent"], to_supervisors=True, kind=MessageKind.QUESTION, body=body,
                                  call_id="c-1")


def messages() -> dict[str, Any]:
    return {"messages": list(Message.objects.order_by("id").values()), "audit": AuditEntry.objects.count()}


@pytest.mark.parametrize("url", ["/wallboard/questions", "/wallboard/questions/1/answer"])
def test_anonymous_users_are_sent_to_sign_in_for_questions(url: str) -> None:
    response = client_for().get(url) if url.endswith("questions") else client_for().post(url, {"body": "可以"})
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


@pytest.mark.parametrize("role", ["agent", "manager", "logistics"])
def test_only_supervisors_see_and_answer_questions(users: dict[str, Any], role: str) -> None:
    asked = question(users)
    before = messages()
    client = client_for(users[role])
    assert client.get("/wallboard/questions").status_code == 403
    assert client.post(f"/wallboard/questions/{asked.pk}/answer", {"body": "可以"}).status_code == 403
    assert messages() == before


def test_a_supervisor_sees_the_open_questions_longest_waiting_first(users: dict[str, Any]) -> None:
    first, second = question(users, "第一个问题"), question(users, "第二个问题")
    answered = question(users, "已经回答")
    Message.objects.filter(pk=answered.pk).update(answered_at=timezone.now())

    response = client_for(users["supervisor"]).get("/wallboard/questions")

    assert response.status_code == 200
    assert list(response.context["questions"]) == [first, second]
    assert "已经回答" not in response.content.decode()


def test_a_supervisor_answers_a_question(users: dict[str, Any]) -> None:
    asked = question(users)

    response = client_for(users["supervisor"]).post(f"/wallboard/questions/{asked.pk}/answer", {"body": " 可以包邮 "})

    assert response.status_code == 200
    assert list(response.context["questions"]) == []
    asked.refresh_from_db()
    assert asked.answered_at is not None
    assert list(Message.objects.filter(reply_to=asked).values("sender", "recipient", "kind", "body", "call_id")) == [
        {"sender": users["supervisor"].pk, "recipient": users["agent"].pk, "kind": "message", "body": "可以包邮",
         "call_id": "c-1"}]


def test_an_empty_answer_is_refused_and_nothing_changes(users: dict[str, Any]) -> None:
    asked = question(users)
    before = messages()
    response = client_for(users["supervisor"]).post(f"/wallboard/questions/{asked.pk}/answer", {"body": "  "})
    assert response.status_code == 400
    assert "Write an answer." in response.content.decode()
    assert messages() == before


def test_answering_an_unknown_question_is_404(users: dict[str, Any]) -> None:
    before = messages()
    response = client_for(users["supervisor"]).post("/wallboard/questions/999999/answer", {"body": "可以"})
    assert response.status_code == 404
    assert messages() == before

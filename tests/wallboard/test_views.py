"""The wallboard page: anonymous users sign in first, users who neither supervise nor read reports get 403,
supervisors get the actions, managers watch only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hotline.calls.models import Queue

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

"""The blacklist screen at /blacklist/: entries with their reports and reporters; supervisors add and lift
entries; everybody else is refused, and a refusal changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from hotline.accounts.models import AuditEntry
from hotline.crm.actions import do_report_number
from hotline.crm.models import BlacklistEntry


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def texts(response: Any) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def reported(users: dict[str, Any]) -> BlacklistEntry:
    """13800138000 reported three times (blacklisted), 13900139000 once."""
    do_report_number("13800138000", actor=users["agent"], reason="prank calls")
    do_report_number("13800138000", actor=users["agent"], reason="")
    do_report_number("13800138000", actor=users["supervisor"], reason="again")
    do_report_number("13900139000", actor=users["agent"], reason="silent call")
    return BlacklistEntry.objects.get(number="13800138000")


@pytest.mark.django_db
def test_supervisors_see_the_entries_with_their_reports(users: dict[str, Any], reported: BlacklistEntry) -> None:
    response = client_for(users["supervisor"]).get("/blacklist/")
    assert response.status_code == 200
    assert [entry.number for entry in response.context["entries"]] == ["13800138000"]
    page = texts(response)
    assert "t_supervisor ：again" in page.replace("t_supervisor：", "t_supervisor ：")
    assert page.count("t_agent") == 2
    everything = client_for(users["supervisor"]).get("/blacklist/", {"show": "all"})
    assert [entry.number for entry in everything.context["entries"]] == ["13800138000", "13900139000"]
    reported_only = client_for(users["manager"]).get("/blacklist/", {"show": "reported"})
    assert [entry.number for entry in reported_only.context["entries"]] == ["13900139000"]
    one = client_for(users["supervisor"]).get("/blacklist/", {"show": "all", "q": "139-0013-9000"})
    assert [entry.number for entry in one.context["entries"]] == ["13900139000"]


@pytest.mark.django_db
def test_a_supervisor_lifts_an_entry_and_its_reports_stay(users: dict[str, Any], reported: BlacklistEntry) -> None:
    response = client_for(users["supervisor"]).post(f"/blacklist/{reported.pk}/lift", {"reason": "wrong number"})
    assert (response.status_code, response["Location"]) == (302, "/blacklist/")
    reported.refresh_from_db()
    assert (reported.active, reported.report_count, reported.reports.count()) == (False, 0, 3)
    audit = AuditEntry.objects.get(action="lift_blacklist")
    assert (audit.actor_name, (audit.after or {})["why"]) == ("t_supervisor", "wrong number")


@pytest.mark.django_db
def test_a_supervisor_blacklists_a_number_at_once(users: dict[str, Any]) -> None:
    supervisor = client_for(users["supervisor"])
    response = supervisor.post("/blacklist/add", {"number": "+86 137 0013 7000", "action": "reject",
                                                  "reason": "fraud"})
    assert response.status_code == 302
    entry = BlacklistEntry.objects.get()
    assert (entry.number, entry.action, entry.active, entry.reason) == ("13700137000", "reject", True, "fraud")
    assert "13700137000 is blacklisted." in texts(supervisor.get("/blacklist/"))


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field", "message"), [
    ({"number": "abc", "action": "warn"}, "number", None),
    ({"number": "13700137000", "action": "hang"}, "action",
     "Select a valid choice. hang is not one of the available choices."),
    ({"number": "13700137000", "action": "warn", "reason": "x" * 201}, "reason",
     "Ensure this value has at most 200 characters (it has 201)."),
])
def test_a_wrong_entry_is_refused_on_its_field(english: None, users: dict[str, Any], data: dict[str, str],
                                              field: str, message: str | None) -> None:
    response = client_for(users["supervisor"]).post("/blacklist/add", data)
    assert response.status_code == 422
    errors = response.context["add_form"].errors[field]
    assert len(errors) == 1 and (message is None or errors == [message])
    assert BlacklistEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_lift_with_a_too_long_reason_changes_nothing(english: None, users: dict[str, Any],
                                                       reported: BlacklistEntry) -> None:
    response = client_for(users["supervisor"]).post(f"/blacklist/{reported.pk}/lift", {"reason": "x" * 201})
    assert response.status_code == 422
    assert "Ensure this value has at most 200 characters (it has 201)." in texts(response)
    reported.refresh_from_db()
    assert (reported.active, reported.report_count) == (True, 3)


@pytest.mark.django_db
def test_the_screen_and_its_writes_need_their_permissions(users: dict[str, Any], reported: BlacklistEntry) -> None:
    assert Client().get("/blacklist/").status_code == 302
    for role in ("agent", "logistics", "finance"):
        assert client_for(users[role]).get("/blacklist/").status_code == 403
    manager = client_for(users["manager"])
    assert manager.get("/blacklist/").status_code == 200
    assert "Lift" not in texts(manager.get("/blacklist/"))
    assert manager.post(f"/blacklist/{reported.pk}/lift").status_code == 403
    assert client_for(users["agent"]).post("/blacklist/add", {"number": "13700137000", "action": "warn"}
                                           ).status_code == 403
    reported.refresh_from_db()
    assert (reported.active, BlacklistEntry.objects.count()) == (True, 2)

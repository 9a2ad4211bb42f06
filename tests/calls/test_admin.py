"""The calls screens of the back office: anonymous, without permission, with permission; read-only."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.models import CallEvent, CallRecord, Recording
from hotline.telephony import events as ev
from tests.backoffice.helpers import admin_url, english_client
from tests.calls.helpers import Call, log
from tests.conftest import ROLES

SCREENS = ["calls/callrecord", "calls/callevent", "calls/recording"]
CAN_VIEW = {"supervisor", "manager", "admin"}  # docs/permissions.md: calls.view_callrecord
BACK_OFFICE = {"supervisor", "logistics", "finance", "manager", "admin"}


@pytest.fixture
def logged(world: Any) -> dict[str, int]:
    log(Call("c1").queued().step(ev.Answer, 9, agent="t_agent").step(ev.Hangup, 70, agent="t_agent"))
    async_to_sync(OrmCallLog().link_recording)("c1", "/var/lib/hotline/recordings/c1.wav", 61.0, 2)
    return {"calls/callrecord": CallRecord.objects.get().pk, "calls/callevent": CallEvent.objects.first().pk,
            "calls/recording": Recording.objects.get().pk}  # type: ignore[union-attr]


def client(users: dict[str, Any], role: str | None) -> Client:
    return english_client(users[role] if role else None)


def expected(role: str | None) -> int:
    if role not in BACK_OFFICE:
        return 302
    return 200 if role in CAN_VIEW else 403


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.parametrize("screen", SCREENS)
def test_list_and_detail(screen: str, role: str | None, users: dict[str, Any], logged: dict[str, int]) -> None:
    browser = client(users, role)
    listing = browser.get(admin_url(screen))
    assert listing.status_code == expected(role)
    assert browser.get(admin_url(screen, "change", logged[screen])).status_code == expected(role)
    if listing.status_code == 302:
        assert listing["Location"] == f"/admin/login/?next={admin_url(screen)}"


@pytest.mark.parametrize("screen", SCREENS)
def test_nobody_adds_changes_or_deletes(screen: str, users: dict[str, Any], logged: dict[str, int]) -> None:
    browser = client(users, "admin")
    before = (CallRecord.objects.count(), CallEvent.objects.count(), Recording.objects.count())
    assert browser.get(admin_url(screen, "add")).status_code == 403
    assert browser.post(admin_url(screen, "change", logged[screen]), {"queue": "forged"}).status_code == 403
    assert browser.post(admin_url(screen, "delete", logged[screen]), {"post": "yes"}).status_code == 403
    assert (CallRecord.objects.count(), CallEvent.objects.count(), Recording.objects.count()) == before
    assert not CallEvent.objects.filter(queue="forged").exists()


def test_the_call_list_filters_by_outcome_and_shows_the_recording(users: dict[str, Any],
                                                                  logged: dict[str, int]) -> None:
    log(Call("c2").queued().step(ev.Abandon, 60))
    browser = client(users, "manager")
    page = browser.get(admin_url("calls/callrecord") + "?outcome=abandoned_in_queue")
    assert [row.call_id for row in page.context["cl"].result_list] == ["c2"]
    detail = browser.get(admin_url("calls/callrecord", "change", logged["calls/callrecord"])).content.decode()
    recording = Recording.objects.get(call__call_id="c1")
    # played in the browser, never shown as the file's place on the server
    assert f'<audio controls preload="none" src="/calls/recordings/{recording.pk}/audio"' in detail
    assert "/var/lib/hotline/recordings/c1.wav" not in detail


def test_events_filter_by_kind(users: dict[str, Any], logged: dict[str, int]) -> None:
    page = client(users, "supervisor").get(admin_url("calls/callevent") + "?kind=answer")
    assert [(row.call_id, row.kind) for row in page.context["cl"].result_list] == [("c1", "answer")]


def test_a_caller_is_found_in_any_notation(users: dict[str, Any], logged: dict[str, int]) -> None:
    page = client(users, "manager").get(admin_url("calls/callrecord"), {"q": "+86 138 0013 8000"})
    assert [row.call_id for row in page.context["cl"].result_list] == ["c1"]

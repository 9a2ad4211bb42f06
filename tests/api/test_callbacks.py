"""GET /api/callbacks, GET /api/voicemails and POST /api/voicemails/{id}/handle: filters, exact JSON,
permissions, and a refused request changing nothing."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from hotline.calls.callback_actions import do_capture_callback, do_record_callback_change
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.models import Voicemail
from hotline.telephony import events as ev
from hotline.telephony.ports import CallbackCapture, CallbackChange
from tests import factories
from tests.api.helpers import iso, nothing_written
from tests.calls.helpers import Call, log
from tests.conftest import ROLES

VIEWERS = {"agent", "supervisor", "manager", "admin"}  # docs/permissions.md: calls.view_callback / view_voicemail
HANDLERS = {"supervisor", "admin"}  # calls.change_voicemail
DENIED = {"detail": "You do not have permission to do this."}


@pytest.fixture
def book(world: Any) -> SimpleNamespace:
    """Three callbacks: 13800138001 (airing A, reached twice, dialled once, no answer), 13800138002
    (airing B, pending) and 13800138003 (to a number we do not know, so no airing; answered)."""
    now = timezone.now().replace(microsecond=0)
    first = factories.make_airing(world.station, now - datetime.timedelta(minutes=30))
    second = factories.make_airing(world.station, now - datetime.timedelta(minutes=10))
    arrived = now - datetime.timedelta(minutes=5)

    def capture(number: str, airing: Any, call_id: str, reason: str = "surge", late: int = 0,
                dnis: str = "4008001000") -> Any:
        return do_capture_callback(CallbackCapture(
            number=number, hotline_number=dnis, airing_id=airing.pk if airing else None, call_id=call_id,
            reason=reason, arrived_at=arrived + datetime.timedelta(seconds=late)))

    a = capture("13800138001", first, "c1")
    capture("13800138001", first, "c2", reason="abandoned", late=30)
    b = capture("13800138002", second, "c3", reason="requested")
    c = capture("13800138003", None, "c4", reason="overflow", dnis="4008009999")
    retry = now + datetime.timedelta(minutes=10)
    for change in (
        CallbackChange(a.callback_id, "dialled", now, "dialling", 1, call_id="out-1"),
        CallbackChange(a.callback_id, "retry_scheduled", now, "pending", 1, not_before=retry, last_result="no_answer"),
        CallbackChange(c.callback_id, "dialled", now, "dialling", 1, call_id="out-2"),
        CallbackChange(c.callback_id, "answered", now, "answered", 1, last_result="answered"),
    ):
        do_record_callback_change(change)
    return SimpleNamespace(a=a, b=b, c=c, first=first, second=second, arrived=arrived, retry=retry)


def test_the_list_shows_every_callback_oldest_capture_first_with_exact_values(book: SimpleNamespace,
                                                                                as_role: Any) -> None:
    response = as_role("agent").get("/api/callbacks")
    assert response.status_code == 200
    assert response.json() == {"count": 3, "items": [
        {"id": book.a.callback_id, "status": "pending", "number": "13800138001", "hotline_number": "4008001000",
         "airing_id": book.first.pk, "reason": "surge", "arrived_at": iso(book.arrived),
         "captured_at": iso(book.a.captured_at), "reach_attempts": 2, "dial_attempts": 1,
         "not_before": iso(book.retry), "last_result": "no_answer", "not_dialled": ""},
        {"id": book.b.callback_id, "status": "pending", "number": "13800138002", "hotline_number": "4008001000",
         "airing_id": book.second.pk, "reason": "requested", "arrived_at": iso(book.arrived),
         "captured_at": iso(book.b.captured_at), "reach_attempts": 1, "dial_attempts": 0,
         "not_before": iso(book.b.captured_at), "last_result": "", "not_dialled": ""},
        {"id": book.c.callback_id, "status": "answered", "number": "13800138003", "hotline_number": "4008009999",
         "airing_id": None, "reason": "overflow", "arrived_at": iso(book.arrived),
         "captured_at": iso(book.c.captured_at), "reach_attempts": 1, "dial_attempts": 1,
         "not_before": None, "last_result": "answered", "not_dialled": ""},
    ]}


def test_a_held_callback_says_why_it_is_never_dialled(world: Any, as_role: Any) -> None:
    held = do_capture_callback(CallbackCapture(
        number="00882130000001", hotline_number="4008001000", airing_id=None, call_id="fraud-1", reason="abandoned",
        arrived_at=timezone.now(), not_dialled="international"))
    response = as_role("supervisor").get("/api/callbacks", status="held")
    assert response.status_code == 200
    assert [(item["id"], item["number"], item["status"], item["not_dialled"]) for item in response.json()["items"]] == [
        (held.callback_id, "00882130000001", "held", "international")]


@pytest.mark.parametrize(("query", "expected"), [
    ({"status": "pending"}, ["13800138001", "13800138002"]),
    ({"status": "answered,pending"}, ["13800138001", "13800138002", "13800138003"]),
    ({"status": ["answered", "dialling"]}, ["13800138003"]),
    ({"status": "expired"}, []),
    ({"number": "+86 138-0013-8002"}, ["13800138002"]),
    ({"status": "pending", "number": "13800138003"}, []),
    ({"limit": "1", "offset": "1"}, ["13800138002"]),
])
def test_the_list_filters(book: SimpleNamespace, as_role: Any, query: dict[str, Any], expected: list[str]) -> None:
    response = as_role("supervisor").get("/api/callbacks", **query)
    assert response.status_code == 200, response.json()
    assert [item["number"] for item in response.json()["items"]] == expected


def test_the_list_filters_by_airing(book: SimpleNamespace, as_role: Any) -> None:
    response = as_role("agent").get("/api/callbacks", airing=str(book.second.pk))
    assert [item["id"] for item in response.json()["items"]] == [book.b.callback_id]


def test_an_unknown_status_is_a_field_error(book: SimpleNamespace, as_role: Any) -> None:
    response = as_role("agent").get("/api/callbacks", status="pending,ringing")
    assert (response.status_code, response.json()) == (422, {"errors": {"status": ["Unknown status “ringing”."]}})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/api/callbacks", "/api/voicemails"])
def test_who_may_list(book: SimpleNamespace, as_role: Any, role: str, path: str) -> None:
    response = as_role(role).get(path)
    if role in VIEWERS:
        assert response.status_code == 200
    else:
        assert (response.status_code, response.json()) == (403, DENIED)


def test_anonymous_is_asked_to_authenticate(book: SimpleNamespace, anonymous: Any) -> None:
    assert anonymous.get("/api/callbacks").status_code == 401
    assert anonymous.get("/api/voicemails").status_code == 401


@pytest.fixture
def mails(world: Any) -> SimpleNamespace:
    """Two voicemails, both new: vm1 from 13900139000, then vm2 from 13700137000."""
    log(Call("vm1", caller="13900139000").step(ev.Hangup, 40), Call("vm2", caller="13700137000").step(ev.Hangup, 40))
    file = async_to_sync(OrmCallLog().file_voicemail)
    file("vm1", "/tmp/vm1.wav", 12.5)
    file("vm2", "/tmp/vm2.wav", 3.0)
    return SimpleNamespace(vm1=Voicemail.objects.get(call_id="vm1"), vm2=Voicemail.objects.get(call_id="vm2"))


def test_voicemails_newest_first_and_handling_one(mails: SimpleNamespace, as_role: Any, users: Any) -> None:
    # when a supervisor handles the first message with a note
    response = as_role("supervisor").post(f"/api/voicemails/{mails.vm1.pk}/handle", {"note": "已回电，下单"})
    # then it answers with the handled message
    mails.vm1.refresh_from_db()
    handled = {"id": mails.vm1.pk, "call_id": "vm1", "caller": "13900139000", "hotline_number": "4008001000",
               "airing_id": None, "duration_seconds": "12.500", "created_at": iso(mails.vm1.created_at),
               "status": "handled", "handled_by": "t_supervisor", "handled_at": iso(mails.vm1.handled_at),
               "note": "已回电，下单"}
    assert (response.status_code, response.json()) == (200, handled)
    # and the worklist of new messages has only the other one
    new = as_role("agent").get("/api/voicemails", status="new").json()
    assert new == {"count": 1, "items": [
        {"id": mails.vm2.pk, "call_id": "vm2", "caller": "13700137000", "hotline_number": "4008001000",
         "airing_id": None, "duration_seconds": "3.000", "created_at": iso(mails.vm2.created_at),
         "status": "new", "handled_by": None, "handled_at": None, "note": ""}]}
    everything = as_role("agent").get("/api/voicemails").json()
    assert [item["call_id"] for item in everything["items"]] == ["vm2", "vm1"]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_handle_a_voicemail(mails: SimpleNamespace, as_role: Any, role: str) -> None:
    client = as_role(role)
    if role in HANDLERS:
        assert client.post(f"/api/voicemails/{mails.vm1.pk}/handle", {}).status_code == 200
        assert Voicemail.objects.get(pk=mails.vm1.pk).status == "handled"
    else:
        with nothing_written():
            response = client.post(f"/api/voicemails/{mails.vm1.pk}/handle", {"note": "x"})
        assert (response.status_code, response.json()) == (403, DENIED)
        assert Voicemail.objects.get(pk=mails.vm1.pk).status == "new"


def test_handling_twice_or_a_missing_voicemail_is_refused(mails: SimpleNamespace, as_role: Any) -> None:
    client = as_role("supervisor")
    assert client.post(f"/api/voicemails/{mails.vm1.pk}/handle", {"note": "first"}).status_code == 200
    with nothing_written():
        again = client.post(f"/api/voicemails/{mails.vm1.pk}/handle", {"note": "second"})
        missing = client.post("/api/voicemails/999999/handle", {})
        unknown = client.post(f"/api/voicemails/{mails.vm2.pk}/handle", {"note": "x", "done": True})
    assert (again.status_code, again.json()) == (
        422, {"errors": {"__all__": ["This voicemail has already been handled."]}})
    assert (missing.status_code, missing.json()) == (404, {"detail": "Voicemail #999999 does not exist."})
    assert unknown.status_code == 422
    assert Voicemail.objects.get(pk=mails.vm1.pk).note == "first"


def test_an_unknown_voicemail_status_filter_is_a_field_error(mails: SimpleNamespace, as_role: Any) -> None:
    response = as_role("agent").get("/api/voicemails", status="old")
    assert (response.status_code, response.json()) == (422, {"errors": {"status": ["Unknown status “old”."]}})

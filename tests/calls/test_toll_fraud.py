"""Toll fraud on the web side: callbacks the dial policy refuses are stored held with why, shown on the desk
worklist and the admin list, never live for the dialer; click-to-dial refuses the same numbers; an
international caller is kept in one normal form."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.calls.actions import normalize_caller
from hotline.calls.callback_actions import do_capture_callback, do_record_callback_change
from hotline.calls.commands import do_click_to_dial, refusal_message
from hotline.calls.host.callback_store import OrmCallbackStore
from hotline.calls.models import Callback, CallbackEvent
from hotline.telephony.control import ControlError
from hotline.telephony.ports import CallbackCapture, CallbackChange
from tests.backoffice.helpers import admin_url, english_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BASE = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)


def capture(number: str, not_dialled: str = "", call_id: str = "c1") -> CallbackCapture:
    return CallbackCapture(number=number, hotline_number="4008001000", airing_id=None, call_id=call_id,
                           reason="abandoned", arrived_at=BASE, not_dialled=not_dialled)


def rows() -> list[tuple[str, str, str, int]]:
    return list(Callback.objects.order_by("id").values_list("number", "status", "not_dialled", "reach_attempts"))


def test_refused_captures_are_held_with_why_and_never_live_for_the_dialer(world: Any) -> None:
    foreign = do_capture_callback(capture("00882130000001", "international", "c1"))
    again = do_capture_callback(capture("+882130000001", "international", "c2"))  # the same caller again
    premium = do_capture_callback(capture("9001234567", "premium", "c3"))
    anonymous = [do_capture_callback(capture("anonymous", "no_caller_id", f"c{n}")) for n in (4, 5)]
    chinese = do_capture_callback(capture("13800138000", "", "c6"))

    assert rows() == [("00882130000001", "held", "international", 2), ("9001234567", "held", "premium", 1),
                      ("anonymous", "held", "no_caller_id", 1), ("anonymous", "held", "no_caller_id", 1),
                      ("13800138000", "pending", "", 1)]
    assert (again.callback_id, again.status, again.not_dialled) == (foreign.callback_id, "held", "international")
    assert len({c.callback_id for c in anonymous}) == 2  # callers without a number are never merged
    assert [(e.kind, e.detail) for e in CallbackEvent.objects.filter(callback_id=premium.callback_id)] == [
        ("captured", "abandoned"), ("not_dialled", "premium")]
    live = async_to_sync(OrmCallbackStore().live)()
    assert [c.callback_id for c in live] == [chinese.callback_id]


def test_a_caller_with_no_caller_id_at_all_is_still_captured_held() -> None:
    stored = do_capture_callback(capture("", "no_caller_id"))
    assert (stored.number, stored.status, stored.not_dialled) == ("", "held", "no_caller_id")
    with pytest.raises(ValidationError):
        do_capture_callback(capture("", ""))  # a callback to dial needs a number
    with pytest.raises(ValidationError):
        do_capture_callback(capture("00882130000001", "too_expensive"))
    assert rows() == [("", "held", "no_caller_id", 1)]


def test_a_hold_at_dial_time_is_saved_on_the_row_with_its_event(world: Any) -> None:
    stored = do_capture_callback(capture("13800138000"))
    do_record_callback_change(CallbackChange(callback_id=stored.callback_id, kind="not_dialled", at=timezone.now(),
                                             status="held", dial_attempts=0, detail="number_limit",
                                             not_dialled="number_limit"))
    assert rows() == [("13800138000", "held", "number_limit", 1)]
    row = Callback.objects.get()
    assert row.not_dialled_text == "not dialled: daily dial limit of this number reached"
    bad = CallbackChange(callback_id=stored.callback_id, kind="not_dialled", at=timezone.now(), status="held",
                         dial_attempts=0, not_dialled="bored")
    with pytest.raises(ValidationError):
        do_record_callback_change(bad)


def test_the_desk_worklist_and_the_admin_list_say_why_a_callback_was_not_dialled(world: Any, users: Any) -> None:
    do_capture_callback(capture("00882130000001", "international", "c1"))
    do_capture_callback(capture("13800138000", "", "c2"))
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["agent"])
    worklist = client.get("/desk/callbacks", {"scope": "all"})
    html = worklist.content.decode()
    assert [(cb.number, cb.not_dialled_text) for cb in worklist.context["callbacks"]] == [
        ("00882130000001", "not dialled: international number"), ("13800138000", "")]
    assert "not dialled: international number" in html
    assert html.count('class="link dial"') == 1  # no "Call" button on a number the policy refuses
    admin = english_client(users["supervisor"]).get(admin_url("calls/callback") + "?not_dialled=international")
    assert [r.number for r in admin.context["cl"].result_list] == ["00882130000001"]
    assert "not dialled: international number" in admin.content.decode()


def test_the_desk_worklist_reads_not_dialled_in_chinese(world: Any, users: Any) -> None:
    do_capture_callback(capture("9001234567", "premium"))
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(users["agent"])
    assert "未拨打：付费号码" in client.get("/desk/callbacks", {"scope": "all", "lang": "zh-hans"}).content.decode()


@pytest.mark.parametrize(("number", "message"), [
    ("00882130000001", "Not dialled: international number."),
    ("+44 20 7946 0000", "Not dialled: international number."),
    ("9001234567", "Not dialled: premium-rate number."),
    ("020-16812345", "Not dialled: premium-rate number."),
    ("95588", "Not dialled: service number."),
    ("4008001000", "Not dialled: service number."),
])
def test_click_to_dial_refuses_what_the_dial_policy_refuses_and_changes_nothing(
        users: Any, number: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        do_click_to_dial(number, actor=users["agent"])
    assert error.value.message_dict == {"number": [message]}
    assert AuditEntry.objects.filter(action="click_to_dial").count() == 0


def test_the_engine_s_dial_refusal_reads_as_its_reason() -> None:
    assert refusal_message(ControlError("not_dialled", "number_limit")) == (
        "Not dialled: daily dial limit of this number reached.")
    assert refusal_message(ControlError("not_dialled", "nonsense")) == "The engine refused the command."


@pytest.mark.parametrize(("raw", "normal"), [
    ("+86 138 0013 8000", "13800138000"), ("+882 130000001", "00882130000001"),
    ("00882130000001", "00882130000001"), ("anonymous", "anonymous"), ("9001234567", "9001234567"),
])
def test_the_caller_number_is_kept_in_one_normal_form(raw: str, normal: str) -> None:
    assert normalize_caller(raw) == normal

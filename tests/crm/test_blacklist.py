"""The blacklist: a number reported HOTLINE_BLACKLIST_THRESHOLD times (default 3) is blacklisted
with action warn; supervisors blacklist at once (warn or reject) and lift entries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hotline.accounts.models import AuditEntry
from hotline.crm.actions import do_blacklist_number, do_lift_blacklist, do_report_number
from hotline.crm.models import BlacklistEntry, BlacklistReport
from hotline.crm.queries import blacklist_action

NOTATIONS = ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "138 0013 8000", "8613800138000"]


def blacklist_state() -> dict[str, Any]:
    return {
        "entries": list(BlacklistEntry.objects.order_by("pk").values_list(
            "pk", "number", "action", "report_count", "active", "activated_at", "reason")),
        "reports": BlacklistReport.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def test_the_default_threshold_is_three(settings: Any) -> None:
    assert settings.HOTLINE_BLACKLIST_THRESHOLD == 3


def test_the_third_report_blacklists_with_a_warning(users: dict[str, Any], events: list[Any],
                                                    django_capture_on_commit_callbacks: Any) -> None:
    # Given two agents report the number, in different notations
    with django_capture_on_commit_callbacks(execute=True):
        do_report_number("+86 138 0013 8000", actor=users["agent"], reason="骚扰电话")
        entry = do_report_number("138-0013-8000", actor=users["supervisor"], reason="又打来了")
    # Then it is counted but not yet blacklisted
    assert (entry.number, entry.report_count, entry.active, entry.activated_at) == ("13800138000", 2, False, None)
    assert (entry.reason, entry.created_by) == ("骚扰电话", users["agent"])
    assert blacklist_action("13800138000") is None
    assert events == []
    # When a third report comes in
    with django_capture_on_commit_callbacks(execute=True):
        entry = do_report_number("13800138000", actor=users["agent"])
    # Then the number is blacklisted, with the agent warned
    assert (entry.report_count, entry.active, entry.action) == (3, True, "warn")
    assert entry.activated_at is not None
    assert events == [("blacklist.activated", {"number": "13800138000", "action": "warn"})]
    assert list(BlacklistReport.objects.order_by("pk").values_list("reported_by", "reason")) == [
        (users["agent"].pk, "骚扰电话"), (users["supervisor"].pk, "又打来了"), (users["agent"].pk, "")]
    audit = list(AuditEntry.objects.filter(action="report_number").order_by("pk"))
    assert [(e.before["report_count"], e.after["report_count"], e.after["active"]) for e in audit] == [  # type: ignore[index]
        (0, 1, False), (1, 2, False), (2, 3, True)]


@pytest.mark.parametrize("notation", NOTATIONS)
def test_blacklist_action_for_any_notation(users: dict[str, Any], notation: str) -> None:
    for _ in range(3):
        do_report_number("13800138000", actor=users["agent"])
    assert blacklist_action(notation) == "warn"


def test_further_reports_keep_counting_without_reactivating(users: dict[str, Any]) -> None:
    for _ in range(3):
        entry = do_report_number("13800138000", actor=users["agent"])
    activated = entry.activated_at
    entry = do_report_number("13800138000", actor=users["agent"])
    assert (entry.report_count, entry.active, entry.activated_at) == (4, True, activated)


def test_the_threshold_is_a_setting(users: dict[str, Any], settings: Any) -> None:
    settings.HOTLINE_BLACKLIST_THRESHOLD = 5
    counts = []
    for _ in range(5):
        entry = do_report_number("13800138000", actor=users["agent"])
        counts.append((entry.report_count, entry.active))
    assert counts == [(1, False), (2, False), (3, False), (4, False), (5, True)]


def test_a_threshold_of_one_blacklists_at_once(users: dict[str, Any], settings: Any) -> None:
    settings.HOTLINE_BLACKLIST_THRESHOLD = 1
    assert do_report_number("13800138000", actor=users["agent"]).active is True


def test_manual_blacklist_with_reject(users: dict[str, Any], events: list[Any],
                                      django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        entry = do_blacklist_number("0086 138 0013 8000", actor=users["supervisor"], action="reject",
                                    reason="恶意下单")
    assert (entry.number, entry.action, entry.active, entry.report_count, entry.reason) == (
        "13800138000", "reject", True, 0, "恶意下单")
    assert [blacklist_action(n) for n in NOTATIONS] == ["reject"] * len(NOTATIONS)
    assert events == [("blacklist.activated", {"number": "13800138000", "action": "reject"})]
    audit = AuditEntry.objects.get(action="blacklist_number")
    assert (audit.actor, audit.after["action"], audit.after["active"]) == (users["supervisor"], "reject", True)  # type: ignore[index]


def test_manual_blacklist_of_a_reported_number_keeps_its_count(users: dict[str, Any]) -> None:
    do_report_number("13800138000", actor=users["agent"], reason="骚扰")
    entry = do_blacklist_number("13800138000", actor=users["supervisor"], action="reject")
    assert (entry.report_count, entry.active, entry.action, entry.reason) == (1, True, "reject", "骚扰")
    assert BlacklistEntry.objects.count() == 1


def test_an_unknown_action_is_refused(users: dict[str, Any]) -> None:
    before = blacklist_state()
    with pytest.raises(ValidationError) as refused:
        do_blacklist_number("13800138000", actor=users["supervisor"], action="block")
    assert refused.value.message_dict == {"action": ["Choose warn or reject."]}
    assert blacklist_state() == before


def test_lifting_resets_the_count_and_keeps_the_reports(users: dict[str, Any]) -> None:
    # Given a number blacklisted by three reports
    for _ in range(3):
        entry = do_report_number("13800138000", actor=users["agent"])
    # When a supervisor lifts it
    lifted = do_lift_blacklist(entry, actor=users["supervisor"], reason="误报")
    # Then it is no longer blacklisted, its count starts again, its reports stay on file
    assert (lifted.active, lifted.report_count, lifted.activated_at) == (False, 0, None)
    assert blacklist_action("13800138000") is None
    assert BlacklistReport.objects.filter(entry=entry).count() == 3
    audit = AuditEntry.objects.get(action="lift_blacklist")
    assert (audit.before["active"], audit.after["active"], audit.after["why"]) == (True, False, "误报")  # type: ignore[index]
    # and it takes three new reports to blacklist it again
    again = [do_report_number("13800138000", actor=users["agent"]).active for _ in range(3)]
    assert again == [False, False, True]


def test_lifting_a_rejected_number(users: dict[str, Any]) -> None:
    entry = do_blacklist_number("13800138000", actor=users["supervisor"], action="reject")
    do_lift_blacklist(entry, actor=users["supervisor"])
    assert blacklist_action("13800138000") is None


@pytest.mark.parametrize(("raw", "message"), [
    ("", "Enter a phone number."),
    ("abc", "“abc” is not a phone number: use digits only."),
    ("12345", "“12345” is not a valid Chinese mobile or landline number."),
    ("+44 20 7946 0958", "Only Chinese numbers (+86) are supported."),
    ("1" * 33, "A phone number has at most 32 characters."),
])
def test_bad_numbers_are_refused_and_nothing_is_written(users: dict[str, Any], raw: str, message: str) -> None:
    before = blacklist_state()
    for action in (lambda: do_report_number(raw, actor=users["agent"]),
                   lambda: do_blacklist_number(raw, actor=users["supervisor"])):
        with pytest.raises(ValidationError) as refused:
            action()
        assert refused.value.messages == [message]
    assert blacklist_state() == before


def test_an_oversized_reason_is_refused(users: dict[str, Any]) -> None:
    before = blacklist_state()
    with pytest.raises(ValidationError) as refused:
        do_report_number("13800138000", actor=users["agent"], reason="x" * 201)
    assert refused.value.message_dict == {"reason": ["A reason has at most 200 characters."]}
    with pytest.raises(ValidationError) as manual:
        do_blacklist_number("13800138000", actor=users["supervisor"], reason="x" * 201)
    assert manual.value.message_dict == {"reason": ["Ensure this value has at most 200 characters (it has 201)."]}
    assert blacklist_state() == before


@pytest.mark.parametrize("raw", ["", "not a number", "13900000000"])
def test_blacklist_action_of_unknown_or_invalid_numbers(db: Any, raw: str) -> None:
    assert blacklist_action(raw) is None

"""Company data (categories with their SLA, departments) and notices: who may write them, bad input."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.service.actions import (
    do_open_complaint,
    do_post_notice,
    do_save_category,
    do_save_department,
    do_withdraw_notice,
)
from hotline.service.models import Category
from tests.service.conftest import state


def test_a_supervisor_adds_a_category_with_its_sla_and_complaints_follow_it(world, users) -> None:  # type: ignore[no-untyped-def]
    legal = do_save_department(None, actor=users["supervisor"], name="法务部")
    category = do_save_category(None, actor=users["supervisor"], code="false_ad", name="虚假宣传", sla_hours="6",
                                department=legal)
    complaint = do_open_complaint(world.customer, "广告说能治病", actor=users["agent"], category="false_ad")
    assert complaint.due_at is not None
    assert (complaint.category, complaint.department, complaint.due_at - complaint.created_at) == (
        category, legal, datetime.timedelta(hours=6))
    assert [e.action for e in AuditEntry.objects.order_by("id")][:2] == ["save_department", "save_complaint_category"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"code": "x y", "name": "n", "sla_hours": 5},
     "{'code': ['Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.']}"),
    ({"code": "ok", "name": "", "sla_hours": 5}, "{'name': ['This field cannot be blank.']}"),
    ({"code": "ok", "name": "n", "sla_hours": "soon"}, "{'sla_hours': ['Give the SLA in whole hours.']}"),
    ({"code": "ok", "name": "n", "sla_hours": 0}, "{'sla_hours': ['The SLA is between 1 and 2160 hours.']}"),
    ({"code": "delivery", "name": "n", "sla_hours": 5},
     "{'code': ['Complaint category with this Code already exists.']}"),
])
def test_bad_categories_are_refused(users, fields, message) -> None:  # type: ignore[no-untyped-def]
    before = state()
    with pytest.raises(ValidationError) as error:
        do_save_category(None, actor=users["admin"], **fields)
    assert str(error.value) == message
    assert state() == before


def test_a_used_code_cannot_change(world, users) -> None:  # type: ignore[no-untyped-def]
    do_open_complaint(world.customer, "late", actor=users["agent"], category="delivery")
    delivery = Category.objects.get(code="delivery")
    before = state()
    with pytest.raises(ValidationError) as error:
        do_save_category(delivery, actor=users["admin"], code="shipping", name="配送", sla_hours=24)
    assert error.value.message_dict == {"code": ["Complaints use this code; it cannot change."]}
    assert state() == before
    do_save_category(delivery, actor=users["admin"], code="delivery", name="配送", sla_hours=12)
    assert Category.objects.get(code="delivery").sla_hours == 12


@pytest.mark.parametrize("role", ["agent", "logistics", "finance", "manager"])
def test_only_supervisors_and_admins_keep_categories_and_notices(users, role) -> None:  # type: ignore[no-untyped-def]
    before = state()
    later = timezone.now() + datetime.timedelta(hours=1)
    with pytest.raises(PermissionDenied, match=re.escape("You do not have permission to do this.")):
        do_save_category(None, actor=users[role], code="x", name="x", sla_hours=1)
    with pytest.raises(PermissionDenied):
        do_save_department(None, actor=users[role], name="x")
    with pytest.raises(PermissionDenied):
        do_post_notice("x", actor=users[role], expires_at=later)
    assert state() == before


def test_notices_expire_within_ninety_days_and_withdraw_once(users) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    before = state()
    with pytest.raises(ValidationError) as error:
        do_post_notice("x", actor=users["supervisor"], expires_at=now + datetime.timedelta(days=91))
    assert error.value.message_dict == {"expires_at": ["A notice expires within 90 days."]}
    with pytest.raises(ValidationError) as error:
        do_post_notice("x", actor=users["supervisor"], expires_at=None)
    assert error.value.message_dict == {"expires_at": ["The notice must expire in the future."]}
    assert state() == before
    notice = do_post_notice(" 新品 ", " 明晚首播 ", actor=users["supervisor"],
                            expires_at=now + datetime.timedelta(days=1))
    assert (notice.title, notice.body, notice.author) == ("新品", "明晚首播", users["supervisor"])
    first = do_withdraw_notice(notice, actor=users["admin"]).withdrawn_at
    assert first is not None
    assert do_withdraw_notice(notice, actor=users["admin"]).withdrawn_at == first
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["post_notice", "withdraw_notice"]

"""Review of issue 17: the expiry entry names the cut-off day in the company's time zone (Asia/Shanghai)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from hotline.crm.models import PointsEntry, PointsKind
from hotline.crm.points import credit, expire_points
from tests import factories

UTC = datetime.UTC


@pytest.mark.django_db
def test_the_expiry_note_names_the_local_day_late_in_the_utc_evening(settings: Any, english: None) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.HOTLINE_POINTS_EXPIRY_MONTHS = 24
    customer = factories.make_customer()
    lot = credit(customer.pk, PointsKind.EARN, 300, note="old")
    assert lot is not None
    PointsEntry.objects.filter(pk=lot.pk).update(at=datetime.datetime(2024, 11, 1, tzinfo=UTC))
    # 20:00 UTC on 7 December is 04:00 on 8 December in Shanghai: two years before is 8 December 2024
    now = datetime.datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
    with timezone.override("Asia/Shanghai"):
        assert expire_points(now) == 1
    expired = PointsEntry.objects.get(kind=PointsKind.EXPIRE)
    assert (expired.points, expired.balance, expired.note) == (-300, 0, "Points earned before 2024-12-08")

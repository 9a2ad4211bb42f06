"""Review of issue 17: the campaign tests' "all day" calling window must hold at any hour the CI runs, the last
minute before local midnight included (it was 00:00–23:59, which refuses from 23:59 Shanghai = 15:59 UTC)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from hotline.calls.models import Queue
from hotline.campaigns import actions
from hotline.campaigns.models import CampaignStatus, ContactStatus
from tests import factories
from tests.campaigns.test_actions import campaign, delivered


def test_the_test_campaign_is_dialled_in_the_last_minute_of_the_day(users: dict[str, Any], monkeypatch: Any,
                                                                    settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    Queue.objects.create(name="orders")
    delivered(factories.make_customer("甲", "13900000001"), 7)
    made = campaign(users)
    actions.do_load_list(made, actor=users["supervisor"])
    actions.do_set_campaign_status(made, CampaignStatus.RUNNING, actor=users["supervisor"])
    shanghai = ZoneInfo("Asia/Shanghai")
    late = datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=1), datetime.time(23, 59, 30),
                                     tzinfo=shanghai)
    monkeypatch.setattr(timezone, "now", lambda: late)
    with timezone.override(shanghai):
        contact = actions.do_take_preview(made, actor=users["agent"])
    assert contact is not None and contact.status == ContactStatus.PREVIEWING

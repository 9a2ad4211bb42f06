"""The care screen in headless Chromium: a supervisor produces today's birthday list (a lunar birthday on it),
greets everyone on it, and an SMS greeting is queued for each customer of the list. Chromium is never skipped."""

from __future__ import annotations

import datetime
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from lunar_python import Lunar, LunarMonth

from hotline.crm.models import CareList, Customer
from hotline.lib.lunar import lunar_month_day
from hotline.notify.models import Notification
from tests import factories, livetest

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 20_000
PASSWORD = "pw-for-tests"
SCREENSHOT = Path("/tmp/hotline-care-list.png")  # looked at by hand; the integrator makes the docs' screenshots


def lunar_born_today(today: datetime.date) -> datetime.date:
    """A solar date of birth in the 1980s whose lunar month and day are today's."""
    month, day = lunar_month_day(today)
    for year in range(1980, 1990):
        if LunarMonth.fromYm(year, month).getDayCount() >= day:
            solar = Lunar.fromYmd(year, month, day).getSolar()
            return datetime.date(solar.getYear(), solar.getMonth(), solar.getDay())
    raise AssertionError("no year of the 1980s has this lunar day")


@pytest.fixture
def customers(users: dict[str, Any]) -> dict[str, Customer]:
    today = timezone.localdate()
    born = lunar_born_today(today)
    not_today = today + datetime.timedelta(days=40)
    return {
        "李娟": factories.make_customer("李娟", "13900000001", "f", birthday=born, birthday_lunar=True),
        "王强": factories.make_customer("王强", "13900000002", "m", birthday=today.replace(year=1976), level="vip"),
        "张伟": factories.make_customer("张伟", "13900000003", "m", birthday=not_today.replace(year=1992)),
    }


def greet_todays_list(base: str, page: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    page.goto(f"{base}/care/")
    seen["today_count"] = page.text_content("#birthdays-today .count")
    page.click("#birthdays-today button[type=submit]")
    page.wait_for_selector("#job-result", timeout=WAIT_MS)
    seen["produced"] = page.text_content("#job-result .job-summary")
    page.click(".job-links a")
    page.click("#lists tbody a")
    page.wait_for_selector("#care-entries", timeout=WAIT_MS)
    seen["names"] = page.eval_on_selector_all("#care-entries tbody tr td:first-child",
                                              "(cells) => cells.map((c) => c.textContent.trim())")
    page.click("#greet-all")
    page.wait_for_selector("#job-result", timeout=WAIT_MS)
    seen["greeted"] = page.text_content("#job-result .job-summary")
    page.click(".job-links a")
    page.wait_for_selector("#care-entries", timeout=WAIT_MS)
    seen["outcomes"] = page.eval_on_selector_all("#care-entries tbody td.outcome",
                                                 "(cells) => cells.map((c) => c.textContent.trim())")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    return seen


def test_a_supervisor_greets_todays_birthdays_by_sms(users: dict[str, Any], customers: dict[str, Customer]) -> None:
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        page = browser.new_page(locale="en-US", viewport={"width": 1440, "height": 900})
        livetest.log_in(page, base, users["supervisor"].username, PASSWORD)
        seen = greet_todays_list(base, page)

    assert seen["today_count"] == "2"
    title = CareList.objects.get().title
    assert seen["produced"] == f"{title}: 2 customers."
    assert seen["names"] == ["李娟", "王强"]
    assert seen["greeted"] == "2 customers greeted."
    assert seen["outcomes"] == ["Message queued", "Message queued"]
    assert list(Notification.objects.order_by("recipient").values_list("customer__name", "channel", "recipient",
                                                                       "event")) == [
        ("李娟", "sms", "13900000001", "care_greeting"), ("王强", "sms", "13900000002", "care_greeting")]

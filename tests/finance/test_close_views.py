"""The daily close tab: access (anonymous, agent, logistics, manager read-only, finance closes), a day's
figures live or as stored, the rows behind a figure, the PDF and the Excel, and the refusals (a day closed
twice, today, a day to come, a day that is not a date)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from hotline.finance.models import DailyClose
from tests import factories
from tests.fakeclock import FakeClock as Clock
from tests.fakeclock import install_clock
from tests.finance.test_close import DAY1, DAY1_FIGURES, DAY2, Story, local
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = pytest.mark.django_db
URL = "/finance/close/"
DAY = DAY1.isoformat()
D = Decimal


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Django's clock set by the test (see tests/finance/test_close.py)."""
    return install_clock(monkeypatch, local(DAY1, 9))


@pytest.fixture
def fw(clock: Clock) -> FinanceWorld:
    return build_finance_world()


@pytest.fixture
def story(fw: FinanceWorld, clock: Clock) -> Story:
    """Day 1's story; the clock then stands on day 2 at 08:00, so day 1 has ended."""
    told = Story(fw, clock)
    clock.set(local(DAY2, 8))
    return told


def client_for(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


PAGES = [URL, f"{URL}?day={DAY}", f"{URL}{DAY}/rows/shipped/", f"{URL}{DAY}/pdf/", f"{URL}{DAY}/xlsx/"]


def test_anonymous_is_sent_to_sign_in(story: Story) -> None:
    for url in PAGES:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    assert Client().post(f"{URL}{DAY}/close/").status_code == 302
    assert DailyClose.objects.count() == 0


@pytest.mark.parametrize("role", ["agent", "logistics"])
def test_without_finance_403(story: Story, role: str) -> None:
    client = client_for(factories.make_user(role))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post(f"{URL}{DAY}/close/").status_code == 403
    assert DailyClose.objects.count() == 0


def test_a_manager_sees_the_day_but_cannot_close_it(fw: FinanceWorld, story: Story) -> None:
    client = client_for(fw.manager)
    page = client.get(f"{URL}?day={DAY}")
    assert page.status_code == 200
    assert b"Orders taken" in page.content and b"4,875.00" in page.content
    assert f'action="{URL}{DAY}/close/"'.encode() not in page.content
    assert client.post(f"{URL}{DAY}/close/").status_code == 403
    assert DailyClose.objects.count() == 0


def test_finance_sees_a_past_day_live_and_closes_it(fw: FinanceWorld, story: Story) -> None:
    client = client_for(fw.finance)
    page = client.get(f"{URL}?day={DAY}")
    assert page.status_code == 200 and b"Live" in page.content
    assert f'action="{URL}{DAY}/close/"'.encode() in page.content

    response = client.post(f"{URL}{DAY}/close/")
    assert (response.status_code, response["Location"]) == (302, f"{URL}?day={DAY}")
    close = DailyClose.objects.get()
    assert (close.day, close.figures, close.recorded_by) == (DAY1, DAY1_FIGURES, fw.finance)
    page = client.get(response["Location"])
    assert b"is closed: its figures are stored." in page.content
    assert b"Closed by cashier" in page.content and f'action="{URL}{DAY}/close/"'.encode() not in page.content


def test_closing_a_day_twice_is_refused_and_changes_nothing(fw: FinanceWorld, story: Story) -> None:
    client = client_for(fw.finance)
    client.post(f"{URL}{DAY}/close/")
    before = list(DailyClose.objects.values_list("pk", "day", "recorded_at"))
    response = client.post(f"{URL}{DAY}/close/")
    assert response.status_code == 400
    assert b"2026-12-02 was closed already, by cashier" in response.content
    assert list(DailyClose.objects.values_list("pk", "day", "recorded_at")) == before


def test_today_is_shown_live_and_cannot_be_closed(fw: FinanceWorld, story: Story) -> None:
    client = client_for(fw.finance)
    page = client.get(URL)
    assert page.status_code == 200 and page.context["day"] == DAY2
    assert b"Today is not over" in page.content
    assert f'action="{URL}{DAY2.isoformat()}/close/"'.encode() not in page.content
    response = client.post(f"{URL}{DAY2.isoformat()}/close/")
    assert response.status_code == 400 and b"is not over yet" in response.content
    assert DailyClose.objects.count() == 0


def test_bad_days_are_refused_clearly(fw: FinanceWorld, story: Story) -> None:
    client = client_for(fw.finance)
    page = client.get(f"{URL}?day=2026-13-40")
    assert page.status_code == 400 and "“2026-13-40” is not a day" in page.content.decode()
    page = client.get(f"{URL}?day=2026-12-25")
    assert page.status_code == 400 and b"2026-12-25 has not come yet" in page.content
    for url in (f"{URL}yesterday/pdf/", f"{URL}2026-12-25/xlsx/", f"{URL}{DAY}/rows/profit/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{URL}2026-12-25/close/").status_code == 404
    assert DailyClose.objects.count() == 0


def test_a_figures_rows_page_lists_its_rows_and_the_figure(fw: FinanceWorld, story: Story) -> None:
    page = client_for(fw.finance).get(f"{URL}{DAY}/rows/shipped/")
    assert page.status_code == 200
    table = page.context["table"]
    assert [row[0][0] for row in table] == [s.order.number for s in (story.a, story.b, story.c, story.d, story.g)]
    assert sum(row[-1][0] for row in table) == D("101.00")  # freight, the last column
    assert "Value ¥3,980.00".encode() in page.content and b"Freight \xc2\xa5101.00" in page.content


def test_the_pdf_and_the_workbook_download(fw: FinanceWorld, story: Story) -> None:
    client = client_for(fw.manager)
    pdf = client.get(f"{URL}{DAY}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == 'inline; filename="daily-close-2026-12-02.pdf"'
    workbook = client.get(f"{URL}{DAY}/xlsx/")
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
    assert workbook["Content-Disposition"] == 'attachment; filename="daily-close-2026-12-02.xlsx"'

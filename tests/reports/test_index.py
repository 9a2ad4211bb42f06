"""The reports' index and the page furniture every report shares (period picker, exports, the cell tag)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from django.test import Client

from hotline.reports.tables import Column, Drill
from hotline.reports.templatetags.reports_cells import cell

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_index_lists_every_installed_report(users: dict[str, Any], english: None) -> None:
    from django.urls import NoReverseMatch, reverse

    from hotline.reports.views.common import REPORTS

    page = _client(users["manager"]).get("/reports/").content.decode()
    installed = []
    for name, _label, url, key, _about in REPORTS:
        try:
            installed.append((name, reverse(url), key))
        except NoReverseMatch:
            continue
    assert installed, "no report installed"
    for name, href, key in installed:
        assert f'href="{href}" data-report="{name}"' in page
        assert f'data-key="{key}"' in page  # the number key switches to it (workbench.js)
    assert "period-form" not in page


@pytest.mark.parametrize("role", ["supervisor", "finance", "manager", "admin"])
def test_who_sees_the_index(users: dict[str, Any], role: str) -> None:
    assert _client(users[role]).get("/reports/").status_code == 200


@pytest.mark.parametrize("role", ["agent", "logistics"])
def test_who_does_not(users: dict[str, Any], role: str) -> None:
    assert _client(users[role]).get("/reports/").status_code == 403


def test_period_picker_shows_dates_only_for_custom(users: dict[str, Any]) -> None:
    manager = _client(users["manager"])
    today = manager.get("/reports/drill/calls/").content.decode()  # any page on base.html
    assert today.count('name="from"') == 0  # the drill-down page has no period picker
    from tests import factories

    one, two = factories.make_station("hunan", "湖南卫视").pk, factories.make_station("zj", "浙江卫视").pk
    page = manager.get(f"/reports/funnel/?period=custom&from=2026-03-02&to=2026-03-08&station={one}&station={two}")
    if page.status_code == 404:
        pytest.skip("the funnel report is not installed")
    text = page.content.decode()
    assert 'class="period-picker custom"' in text
    assert 'name="from" value="2026-03-02">' in text
    assert (f"period=custom&amp;from=2026-03-02&amp;to=2026-03-08&amp;station={one}&amp;station={two}&amp;format=xlsx"
            in text)
    yesterday = manager.get("/reports/funnel/?period=yesterday").content.decode()
    assert 'class="period-picker"' in yesterday and 'name="from" value' in yesterday and " disabled>" in yesterday
    assert '<option value="yesterday" selected>' in yesterday


def test_cell_formats_sorts_and_links() -> None:
    share = Column("rate", "rate", "percent")
    assert cell({"rate": Fraction(2, 3)}, share) == '<td data-value="0.6666666666666666" class="num">66.67%</td>'
    assert cell({"rate": None}, share) == '<td data-value="" class="num">—</td>'
    drill = Drill("calls", {"outcome": "answered"})
    count = Column("n", "n", "int")
    assert cell({"n": 3, "_drill": {"n": drill}}, count) == (
        '<td data-value="3" class="num"><a href="/reports/drill/calls/?outcome=answered" data-drill="calls">3</a></td>')
    assert cell({"id": "c<1>", "_link": {"id": "/x?q=1&y=2"}}, Column("id", "id", "text")) == (
        '<td data-value="c&lt;1&gt;"><a href="/x?q=1&amp;y=2" data-link>c&lt;1&gt;</a></td>')

"""End to end in headless Chromium: a manager signs in and lands on the reports' index, switches to the
airing funnel with its number key, picks a day and an airing, compares two stations side by side, exports
the comparison to Excel (the workbook holds the numbers the page shows, table by table, cell by cell),
follows a figure to the calls behind it, and opens the call-center KPIs with their chart drawn.

Chromium is never skipped: a missing browser fails the test. The ORM is used only outside the browser block
(Playwright's sync API runs an event loop in this thread)."""

from __future__ import annotations

import datetime
import re
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from hotline.orders.models import Order
from hotline.reports.models import CallFact
from tests import factories, livetest

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 60_000  # generous: the suite runs on two workers beside SIPp, baresip and chromium
PASSWORD = "pw-for-tests"  # tests.factories.make_user's
DAY = datetime.date(2026, 11, 24)


def _at(hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(hour, minute)))


def _world() -> dict[str, Any]:
    """Two stations, an airing each at 20:00; Hunan's brings 5 calls (3 answered, one abandoned in the queue,
    one refused with 503) and 2 orders, Zhejiang's 3 calls (2 answered, one left in the IVR)."""
    manager = factories.make_user("manager", username="boss")
    hunan, zhejiang = factories.make_station("hunan", "湖南卫视"), factories.make_station("zj", "浙江卫视")
    numbers = {hunan.pk: factories.make_hotline("4008001000", hunan),
               zhejiang.pk: factories.make_hotline("4008002000", zhejiang)}
    airings = {hunan.pk: factories.make_airing(hunan, starts_at=_at(20, 0)),
               zhejiang.pk: factories.make_airing(zhejiang, starts_at=_at(20, 0))}
    plan = [(hunan, ["answered", "answered", "answered", "abandoned_in_queue", "refused_503"]),
            (zhejiang, ["answered", "answered", "abandoned_in_ivr"])]
    for station, outcomes in plan:
        for n, outcome in enumerate(outcomes):
            CallFact.objects.create(call_id=f"{station.code}-{n}", arrived_at=_at(20, 2 + n), outcome=outcome,
                                    airing=airings[station.pk], station=station, hotline_number=numbers[station.pk],
                                    queue="" if outcome in ("refused_503", "abandoned_in_ivr") else "sales",
                                    agent_key="a1" if outcome == "answered" else "",
                                    wait_ms=5000 if outcome != "refused_503" else None,
                                    talk_ms=120_000 if outcome == "answered" else None)
    for n in range(2):
        order = Order.objects.create(number=f"HL-E2E-{n}", customer=factories.make_customer(phone=f"1390000000{n}"),
                                     recipient="王小明", recipient_phone="13800138000", airing=airings[hunan.pk],
                                     hotline_number=numbers[hunan.pk], call_id=f"hunan-{n}", total=Decimal("398.00"),
                                     subtotal=Decimal("398.00"))
        Order.objects.filter(pk=order.pk).update(created_at=_at(20, 10 + n))
    return {"username": manager.username, "hunan": hunan.pk, "zj": zhejiang.pk, "airing": airings[hunan.pk].pk}


def _tables(page: Any) -> list[dict[str, Any]]:
    """Every report table on the page: its title and its rows' cell texts (body and total row)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('section.report-table')).map((section) => ({"
        " title: section.querySelector('h2').textContent.trim(),"
        " rows: Array.from(section.querySelectorAll('tbody tr[data-row], tfoot tr'))"
        "   .map((row) => Array.from(row.children).map((cell) => cell.textContent.trim())) }))")


def _number(text: str) -> Decimal | str | None:
    """A cell's text as the number it shows (¥1,234.50 → 1234.50, 66.67% → 66.67); words stay words."""
    if text == "—":
        return None
    plain = text.replace("¥", "").replace(",", "").replace("%", "").replace("−", "-")
    return Decimal(plain) if re.fullmatch(r"-?\d+(\.\d+)?", plain) else text


def _sheet_rows(path: Path) -> list[list[list[Any]]]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    found = []
    for sheet in book.worksheets:
        rows = [list(row) for row in sheet.iter_rows(min_row=5, values_only=True)]
        found.append([row for row in rows if any(value is not None for value in row[1:])])
    return found


def _comparable(value: Any) -> Decimal | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return Decimal(str(value)).normalize()


def test_a_manager_compares_two_stations_and_exports_what_the_screen_shows(tmp_path: Path) -> None:
    world = _world()
    day = DAY.isoformat()
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        context = browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "en"},
                                      accept_downloads=True)
        page = context.new_page()
        csp_refusals: list[str] = []
        page.on("console", lambda message: csp_refusals.append(message.text)
                if "Content Security Policy" in message.text else None)
        livetest.log_in(page, base, world["username"], PASSWORD)
        landed = page.url
        cards = page.eval_on_selector_all("a[data-report]", "(links) => links.map((a) => a.dataset.report)")

        page.keyboard.press("3")  # the funnel's key
        page.wait_for_url(f"{base}/reports/funnel/", timeout=WAIT_MS)
        page.select_option("select[name=period]", "custom")
        page.fill("input[name=from]", day)
        page.fill("input[name=to]", day)
        with page.expect_navigation():
            page.click("#period-form button[type=submit]")
        page.select_option("select[name=airing]", str(world["airing"]))
        with page.expect_navigation():
            page.click("#period-form button[type=submit]")
        one_airing = _tables(page)
        unexplained = page.get_attribute("[data-unexplained]", "data-unexplained")

        page.select_option("select[name=airing]", "")
        page.select_option("select[name=station]", [str(world["hunan"]), str(world["zj"])])
        with page.expect_navigation():
            page.click("#period-form button[type=submit]")
        compared_url = page.url
        compared = _tables(page)
        charts_drawn = page.eval_on_selector_all("[data-chart]",
                                                 "(charts) => charts.map((c) => !!c.querySelector('svg'))")
        with page.expect_download(timeout=WAIT_MS) as download:
            page.click("a[data-export=xlsx]")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)

        hunan_row = page.locator("section#table-calls tbody tr[data-row]", has_text="湖南卫视")
        offered = hunan_row.locator("a[data-drill]").first
        offered_text = offered.text_content()
        with page.expect_navigation():
            offered.click()
        page.wait_for_selector("#drill-count", timeout=WAIT_MS)
        drilled = page.get_attribute("#drill-count", "data-count")
        drilled_calls = page.eval_on_selector_all("tbody tr[data-row] td:first-child",
                                                  "(cells) => cells.map((c) => c.textContent.trim())")

        page.goto(f"{base}/reports/kpis/?period=custom&from={day}&to={day}")
        page.wait_for_selector("[data-chart] svg", timeout=WAIT_MS)
        header = page.locator("table[data-sortable] th[data-sort]").nth(1)
        header.focus()
        page.keyboard.press("Enter")
        sorted_by = header.get_attribute("aria-sort")

    assert csp_refusals == []
    assert landed == f"{base}/reports/"
    assert "funnel" in cards and "kpis" in cards
    assert unexplained == "0"
    calls = next(table for table in one_airing if table["title"] == "Calls")
    assert calls["rows"][0][:3] == ["湖南卫视 2026-11-24 20:00", "1", "5"]  # selection, airings, offered
    stations = next(table for table in compared if table["title"] == "Calls")
    assert {row[0]: row[2] for row in stations["rows"]} == {"湖南卫视": "5", "浙江卫视": "3"}  # offered
    assert sorted(re.findall(r"station=(\d+)", compared_url)) == sorted([str(world["hunan"]), str(world["zj"])])
    assert charts_drawn and all(charts_drawn)
    assert saved.name == f"funnel-{day}-{day}.xlsx"
    sheets = _sheet_rows(saved)
    assert len(sheets) == len(compared)
    for table, sheet in zip(compared, sheets, strict=True):
        screen = [[_number(text) for text in row] for row in table["rows"]]
        workbook = [[_comparable(value) for value in row[:len(screen[0])]] for row in sheet[:len(screen)]]
        assert [[v.normalize() if isinstance(v, Decimal) else v for v in row] for row in screen] == workbook, table
    assert (offered_text, drilled) == ("5", "5")
    assert sorted(drilled_calls) == [f"hunan-{n}" for n in range(5)]
    assert sorted_by in ("ascending", "descending")

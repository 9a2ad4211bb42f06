"""/reports/lines/: who may see it, the tables and charts on the page, and bad input answered with a
translated 400."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from hotline.telephony import events as ev
from tests.calls.helpers import Call, log

pytestmark = pytest.mark.django_db

URL = "/reports/lines/"
DAY = {"period": "custom", "from": "2026-11-24", "to": "2026-11-24", "grain": "hour"}


def calls() -> None:
    log(Call("c1").step(ev.Hangup, 600), Call("c2", 300).step(ev.Hangup, 600),
        Call("c3", 400).step(ev.Hangup, 0, by=ev.HangupParty.SYSTEM, cause=ev.HangupCause.REFUSED_503),
        Call("i1", 900).step(ev.IvrNode, 1, flow="demo", node="main_menu", queue="").step(ev.Hangup, 5))


def test_a_supervisor_sees_occupancy_and_ivr(client, users, settings, english) -> None:  # type: ignore[no-untyped-def]
    settings.HOTLINE_LINES = 2
    calls()
    client.force_login(users["supervisor"])
    response = client.get(URL, DAY)
    assert response.status_code == 200
    tables = {table.key: table for table in response.context["tables"]}
    assert set(tables) == {"occupancy", "ivr"}
    eight = next(row for row in tables["occupancy"].rows if row["bucket"].hour == 20)
    assert (eight["peak"], eight["full_minutes"], eight["blocked"]) == (2, 5, 1)
    assert tables["occupancy"].totals["blocked"] == 1
    assert eight["_drill"]["blocked"].params["outcome"] == "refused_503,rejected"
    (menu,) = tables["ivr"].rows
    assert (menu["node"], menu["visits"], menu["exits"], menu["completed"]) == ("demo/main_menu", 1, 1, 0)
    assert [chart.key for chart in response.context["charts"]] == ["chart-occupancy", "chart-blocked", "chart-ivr"]
    page = response.content.decode()
    assert 'id="table-occupancy"' in page and 'data-drill="ivr_node_calls"' in page
    assert "Licensed lines: 2." in page


def test_compare_adds_the_comparison_table(client, users) -> None:  # type: ignore[no-untyped-def]
    client.force_login(users["manager"])
    response = client.get(URL, {**DAY, "compare": "1", "flow": "demo"})
    assert response.status_code == 200
    assert [table.key for table in response.context["tables"]] == ["compare", "occupancy", "ivr"]


def test_an_agent_may_not_see_it(client, users) -> None:  # type: ignore[no-untyped-def]
    client.force_login(users["agent"])
    assert client.get(URL, DAY).status_code == 403


@pytest.mark.parametrize(("params", "message"), [
    ({**DAY, "from": "2026-11-25"}, "The period ends (2026-11-24) before it starts (2026-11-25): swap the dates."),
    ({**DAY, "colour": "red"}, "Unknown filter: colour"),
    ({**DAY, "flow": "nope"}, "Unknown IVR flow: nope"),
    ({**DAY, "grain": "year"}, "Unknown grouping: year"),
])
def test_bad_input_is_a_clear_400(client, users, english, params, message) -> None:  # type: ignore[no-untyped-def]
    client.force_login(users["supervisor"])
    response = client.get(URL, params)
    assert response.status_code == 400
    assert response.context["error"] == message
    assert message in response.content.decode().replace("&#x27;", "'")
    assert "tables" not in response.context


def test_the_error_is_translated(client, users) -> None:  # type: ignore[no-untyped-def]
    client.force_login(users["supervisor"])
    with translation.override("zh-hans"):
        response = client.get(URL, {**DAY, "colour": "red"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.context["error"] == translation.gettext("Unknown filter: %(name)s") % {"name": "colour"}


def test_a_node_figure_links_to_its_calls(client, users) -> None:  # type: ignore[no-untyped-def]
    calls()
    client.force_login(users["supervisor"])
    ivr = {table.key: table for table in client.get(URL, DAY).context["tables"]}["ivr"]
    (menu,) = ivr.rows
    response = client.get(menu["_drill"]["calls"].url())
    assert response.status_code == 200
    page = response.content.decode()
    assert ">i1<" in page and ">c1<" not in page
    assert client.get(menu["_drill"]["exits"].url()).status_code == 200


def test_the_excel_export_holds_the_numbers_of_the_screen(client, users, settings) -> None:  # type: ignore[no-untyped-def]
    import io

    from openpyxl import load_workbook

    settings.HOTLINE_LINES = 2
    calls()
    client.force_login(users["supervisor"])
    screen = {table.key: table for table in client.get(URL, DAY).context["tables"]}
    response = client.get(URL, {**DAY, "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[str(screen["occupancy"].title)]
    found = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0] is not None}
    eight = found[datetime.datetime(2026, 11, 24, 20, 0)]
    assert eight[1:] == (2, pytest.approx(241 / 720, abs=0.005), 5, pytest.approx(241 / 12, abs=0.005), 1)
    ivr = book[str(screen["ivr"].title)]
    assert ("demo/main_menu", 1, 1, 0, 1, 100, 0) in list(ivr.iter_rows(values_only=True))


def test_the_pdf_export(client, users) -> None:  # type: ignore[no-untyped-def]
    calls()
    client.force_login(users["supervisor"])
    response = client.get(URL, {**DAY, "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")

"""/reports/kpis/: the call-center KPIs per queue, hotline number and agent, per hour, compared with the
previous period; exact figures, drill-downs to exactly the rows behind them, access and bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _

from hotline.accounts.models import AuditEntry
from hotline.calls.models import (
    AgentStateEvent,
    Callback,
    CallbackReason,
    CallbackStatus,
    Queue,
    ServiceLevelDenominator,
    Voicemail,
)
from hotline.reports import drill
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from hotline.reports.tables import Drill, ReportTable
from hotline.telephony.events import AgentState
from tests import factories
from tests.calls.helpers import at, log
from tests.reports.test_callstats import evening, wrapup_after_close

pytestmark = pytest.mark.django_db

DAY = {"period": "custom", "from": "2026-11-24", "to": "2026-11-24", "grain": "hour"}


def callback(world: Any, offset: float, status: str) -> Callback:
    return Callback.objects.create(number=f"1380013{int(offset) % 10000:04d}", reason=CallbackReason.SURGE,
                                   arrived_at=at(offset), captured_at=at(offset), status=status,
                                   updated_at=at(offset), hotline_number=world.hotline)


@pytest.fixture
def evening_floor(world: Any) -> Any:
    """The evening of test_callstats on the world's hotline number; "service" counts answered calls only;
    three callbacks today (reached, expired, pending) and one yesterday; a voicemail; two agents' states."""
    Queue.objects.create(name="sales", label="订购")
    Queue.objects.create(name="service", label="售后", service_level_variant=ServiceLevelDenominator.ANSWERED)
    log(*evening())
    wrapup_after_close("x1", 10 + 79 + 12, "a9", "service")
    callback(world, 100, CallbackStatus.ANSWERED)
    callback(world, 200, CallbackStatus.EXPIRED)
    callback(world, 300, CallbackStatus.PENDING)
    callback(world, -24 * 3600, CallbackStatus.ANSWERED)  # yesterday
    Voicemail.objects.create(call_id="vm1", caller="13900000000", path="vm1.wav", duration_seconds=Decimal("12.5"),
                             created_at=at(400), hotline_number=world.hotline)
    for agent, offset, state in [("a1", 0, AgentState.READY), ("a1", 600, AgentState.ON_CALL),
                                 ("a1", 900, AgentState.READY), ("a2", 0, AgentState.NOT_READY)]:
        AgentStateEvent.objects.create(agent_key=agent, state=state, at=at(offset), mono=5000.0 + offset)
    return world


def client_for(user: Any) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


def get(user: Any, **params: str) -> Any:
    return client_for(user).get("/reports/kpis/", params)


def table(response: Any, key: str) -> ReportTable:
    found: ReportTable = next(t for t in response.context["tables"] if t.key == key)
    return found


def rows_by_name(found: ReportTable) -> dict[str, dict[str, Any]]:
    return {str(row["name"]): row for row in found.rows}


def figures(row: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    return tuple(row[key] for key in keys)


COUNTS = ("offered", "answered", "abandoned", "short", "callback_visits", "handled")


def test_per_queue_every_figure_exactly(users: dict[str, Any], evening_floor: Any) -> None:
    response = get(users["supervisor"], **DAY)

    assert response.status_code == 200
    kpis = table(response, "kpis")
    rows = rows_by_name(kpis)
    assert list(rows) == ["售后", "订购"]
    sales, service, total = rows["订购"], rows["售后"], kpis.totals
    assert total is not None
    assert figures(sales, *COUNTS) == (12, 6, 3, 1, 1, 6)
    assert sales["service_level"] == Fraction(4, 9)  # the default variant: short abandons excluded
    assert sales["asa"] == Fraction(10_000 + 20_000 + 25_000 + 20_000 + 20_001 + 5_000, 6_000)
    assert (sales["abandon_rate"], sales["abandon_time"], sales["longest_wait"]) == \
        (Fraction(3, 11), Fraction(40_000 + 8_000 + 5_001, 3_000), 40)
    assert (sales["talk"], sales["hold"], sales["acw"]) == \
        (Fraction(235_999, 6_000), Fraction(10, 6), Fraction(30, 6))
    assert sales["aht"] == sales["talk"] + sales["hold"] + sales["acw"]
    assert figures(service, *COUNTS) == (3, 2, 1, 0, 0, 2)
    assert service["service_level"] == 1  # "service" counts answered calls only: both within 20 s
    assert (service["aht"], service["acw"]) == (Fraction(55 + 60 + 5 + 12, 2), 6)
    # rows of a queue have no callbacks, voicemails, blocked calls or occupancy; the totals have them
    assert figures(sales, "occupancy", "callbacks", "voicemails", "blocked") == (None, None, None, None)
    assert figures(total, *COUNTS) == (15, 8, 4, 1, 1, 8)
    assert total["service_level"] == Fraction(6, 12)  # the default variant over both queues
    assert figures(total, "callbacks", "reached", "expired", "voicemails", "blocked") == (3, 1, 1, 1, 1)
    assert total["occupancy"] == Fraction(300, 4 * 3600)  # a1 on a call 5 min of 4 h ready; a2 not ready
    assert response.context["totals"].visits.queued == 15


def test_the_page_shows_the_figures_as_people_read_them(users: dict[str, Any], evening_floor: Any) -> None:
    text = get(users["manager"], **DAY).content.decode()
    assert '<td data-value="12" class="num"><a href="/reports/drill/visits/?end=' in text
    assert "44.44%" in text  # the sales service level
    assert 'data-chart="chart-calls"' in text and 'id="chart-sl"' in text


def test_every_count_drills_down_to_exactly_its_rows(users: dict[str, Any], evening_floor: Any) -> None:
    kpis = table(get(users["supervisor"], **DAY), "kpis")
    checked = 0
    for row in [*kpis.rows, kpis.totals]:
        assert row is not None
        for column, link in row["_drill"].items():
            assert isinstance(link, Drill)
            function = drill.find(link.name)
            assert function is not None, link.name
            assert function(link.params).count == row[column], (row["name"], column)
            checked += 1
    assert checked == 2 * 6 - 2 + 11  # "service" has no short abandon and no callback: a zero links to nothing
    service = rows_by_name(kpis)["售后"]
    assert (service["short"], "short" in service["_drill"], "offered" in service["_drill"]) == (0, False, True)


def test_per_hotline_number_with_callbacks_voicemails_and_blocked(users: dict[str, Any], evening_floor: Any) -> None:
    kpis = table(get(users["manager"], by="hotline_number", **DAY), "kpis")
    rows = rows_by_name(kpis)
    assert list(rows) == ["4008001000"]
    number = rows["4008001000"]
    assert figures(number, *COUNTS) == (15, 8, 4, 1, 1, 8)
    assert figures(number, "callbacks", "reached", "expired", "voicemails", "blocked") == (3, 1, 1, 1, 1)
    assert number["service_level"] == Fraction(6, 12) and number["occupancy"] is None
    assert kpis.totals is not None and kpis.totals["handled"] == 8


def test_per_agent_with_occupancy_and_the_unanswered_row(users: dict[str, Any], evening_floor: Any) -> None:
    kpis = table(get(users["supervisor"], by="agent", **DAY), "kpis")
    rows = rows_by_name(kpis)
    with translation.override("zh-hans"):
        unanswered_label = str(_("(not answered)"))
    assert sorted(rows) == sorted([unanswered_label, "a1", "a2", "a9"])
    a1 = rows["a1"]
    # a1 answered c1, c3, t20b and x2 in "sales"
    assert figures(a1, "offered", "answered", "handled") == (4, 4, 4)
    assert a1["occupancy"] == Fraction(300, 4 * 3600)
    assert rows["a2"]["occupancy"] is None and figures(rows["a2"], "answered", "handled") == (2, 2)
    assert figures(rows["a9"], "answered", "handled", "occupancy") == (2, 2, None)
    unanswered = rows[unanswered_label]
    assert figures(unanswered, "offered", "answered", "abandoned", "short", "callback_visits") == (7, 0, 4, 1, 1)
    assert unanswered["_drill"] == {}


def test_one_agent_and_one_queue(users: dict[str, Any], evening_floor: Any) -> None:
    kpis = table(get(users["supervisor"], agent="a1", **DAY), "kpis")
    assert kpis.totals is not None
    assert figures(kpis.totals, "answered", "handled", "occupancy", "callbacks") == (4, 4, Fraction(1, 48), None)
    only = table(get(users["supervisor"], queue="service", **DAY), "kpis")
    assert only.totals is not None
    assert list(rows_by_name(only)) == ["售后"]
    assert figures(only.totals, "offered", "service_level", "occupancy") == (3, 1, None)


def test_per_hour_and_per_quarter_hour_with_the_call_curve(users: dict[str, Any], evening_floor: Any) -> None:
    response = get(users["supervisor"], **DAY)
    hours = table(response, "series")
    assert len(hours.rows) == 24
    eight = hours.rows[20]
    assert eight["name"] == "11-24 20:00"
    assert figures(eight, "offered", "answered", "abandoned", "short", "callback_visits", "handled") == \
        (15, 8, 4, 1, 1, 8)
    assert [row["offered"] for row in hours.rows if row["name"] != "11-24 20:00"] == [0] * 23
    assert hours.rows[0]["service_level"] is None
    curve, level = response.context["charts"]
    assert (curve.kind, curve.key, level.kind) == ("stacked_bar", "chart-calls", "line")
    assert [list(values)[20] for _name, values in curve.series] == [8, 4, 1, 1]
    assert level.series[0][1][20] == Decimal("50.00") and level.series[0][1][0] is None
    quarters = table(get(users["supervisor"], **{**DAY, "grain": "15min"}), "series")
    assert len(quarters.rows) == 96 and quarters.rows[80]["offered"] == 15


def test_compare_with_the_previous_period(users: dict[str, Any], evening_floor: Any) -> None:
    compared = table(get(users["manager"], compare="1", **DAY), "compare")
    rows = {str(row["metric"]): row for row in compared.rows}
    with translation.override("zh-hans"):
        offered, callbacks, level = (rows[str(_(name))] for name in ("Offered", "Callbacks captured", "Service level"))
    assert (offered["now"], offered["before"], offered["change"]) == ("15", "0", "+15")
    assert (callbacks["now"], callbacks["before"], callbacks["change"]) == ("3", "1", "+2")  # one yesterday
    assert (level["now"], level["before"], level["change"]) == ("50.00%", "—", "—")


def test_an_agent_may_not_see_the_report(users: dict[str, Any]) -> None:
    assert get(users["agent"], **DAY).status_code == 403


def test_excel_and_pdf_exports(users: dict[str, Any], evening_floor: Any) -> None:
    response = get(users["manager"], format="xlsx", **DAY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    pdf = get(users["manager"], format="pdf", **DAY)
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")


def _zh(message: str, **values: str) -> str:
    with translation.override("zh-hans"):
        return _(message) % values


@pytest.mark.parametrize(("params", "message"), [
    ({"queue": "nope"}, ("Unknown queue: %(value)s", {"value": "nope"})),
    ({"agent": "nobody"}, ("Unknown agent: %(value)s", {"value": "nobody"})),
    ({"hotline_number": "abc"}, ("Unknown hotline number: %(value)s", {"value": "abc"})),
    ({"station": "1"}, ("Unknown filter: %(name)s", {"name": "station"})),
    ({"by": "station"}, ("Group by queue, hotline number or agent, not %(value)s", {"value": "station"})),
    ({"from": "2026-11-25", "to": "2026-11-24"},
     ("The period ends (%(last)s) before it starts (%(first)s): swap the dates.",
      {"first": "2026-11-25", "last": "2026-11-24"})),
    ({"grain": "decade"}, ("Unknown grouping: %(value)s", {"value": "decade"})),
])
def test_bad_input_is_a_translated_400_that_changes_nothing(users: dict[str, Any], evening_floor: Any,
                                                            params: dict[str, str],
                                                            message: tuple[str, dict[str, str]]) -> None:
    counts = [model.objects.count() for model in (CallFact, VisitFact, HandlingFact, Callback, AuditEntry)]

    response = get(users["supervisor"], **{**DAY, **params})

    assert response.status_code == 400
    assert response.context["error"] == _zh(message[0], **message[1])
    assert response.context["tables"] == []
    assert [model.objects.count() for model in (CallFact, VisitFact, HandlingFact, Callback, AuditEntry)] == counts
    assert get(users["supervisor"], **{**DAY, **params, "format": "xlsx"}).status_code == 400


def test_an_empty_day_shows_dashes_not_zeros(users: dict[str, Any], world: Any) -> None:
    kpis = table(get(users["supervisor"], **DAY), "kpis")
    assert kpis.rows == []
    assert kpis.totals is not None
    assert figures(kpis.totals, "offered", "service_level", "asa", "aht", "occupancy") == (0, None, None, None, None)


def test_the_voicemail_drill_down(evening_floor: Any) -> None:
    function = drill.find("voicemails")
    assert function is not None
    start, end = at(0).isoformat(), (at(0) + datetime.timedelta(hours=1)).isoformat()
    rows = function({"start": start, "end": end, "hotline_number": str(evening_floor.hotline.pk)})
    assert rows.count == 1
    assert [(row["call_id"], row["duration"]) for row in rows.rows] == [("vm1", Fraction(25, 2))]
    assert function({"start": end, "end": (at(0) + datetime.timedelta(hours=2)).isoformat()}).count == 0


def test_one_hotline_number(users: dict[str, Any], evening_floor: Any) -> None:
    other = factories.make_hotline("4008002000")
    mine = table(get(users["supervisor"], hotline_number=str(evening_floor.hotline.pk), **DAY), "kpis")
    theirs = table(get(users["supervisor"], hotline_number=str(other.pk), by="agent", **DAY), "kpis")
    assert mine.totals is not None and theirs.totals is not None
    assert figures(mine.totals, "offered", "handled", "callbacks", "blocked", "occupancy") == (15, 8, 3, 1, None)
    assert (theirs.rows, figures(theirs.totals, "offered", "handled", "callbacks")) == ([], (0, 0, 0))

"""Media planning (/reports/media/): stations × slots × weekdays with exact money, the rankings, the heat
map's cells, products by station, the stations' efficiency curve, the drill-down behind a slot, and the
view's answers (200 with and without spend, 403, 400 for bad input).

The story (local time, Asia/Shanghai; T0 = Tuesday 24 Nov 2026 20:00; 2 massagers = ¥796, a knee pad ¥99):
- 湖南 (number 4008001000): A1 Tue 20:00 ¥10,000 — 3 calls, orders o1 (¥796, delivered), o2 (¥99, delivered),
  o3 (¥796, refused); A2 Tue 21:30 ¥6,000 — 1 call, o4 (¥796, delivered); A4 Wed 09:00 ¥3,000 — 1 call,
  o7 (¥796, delivered).
- 江苏 (number 4008002000): A3 Tue 20:10 ¥8,000 — 2 calls, o5 (¥796, delivered), o6 (¥99, only ordered);
  A5 Wed 09:30 ¥2,000 — nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.utils import timezone

from hotline.reports import media as m
from hotline.reports.drill import find
from hotline.reports.periods import Period, parse_period
from tests import factories
from tests.calls.helpers import T0, Call, log
from tests.fakeclock import FakeClock as Clock
from tests.fakeclock import install_clock
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = pytest.mark.django_db
D = Decimal
HUNAN, JIANGSU = "4008001000", "4008002000"
WEEK = {"period": "custom", "from": "2026-11-23", "to": "2026-11-29", "grain": "day"}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch, T0)


def minutes(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=n)


class Story:
    """The module docstring's airings, calls and orders."""

    def __init__(self, clock: Clock) -> None:
        self.fw: FinanceWorld = build_finance_world()
        w = self.fw.w
        self.hunan = factories.make_station("hunan", "湖南卫视")
        self.jiangsu = factories.make_station("jiangsu", "江苏卫视")
        factories.make_hotline(HUNAN, self.hunan)
        factories.make_hotline(JIANGSU, self.jiangsu)
        air = factories.make_airing
        self.a1 = air(self.hunan, minutes(0), cost="10000.00")
        self.a2 = air(self.hunan, minutes(90), cost="6000.00")
        self.a3 = air(self.jiangsu, minutes(10), cost="8000.00")
        self.a4 = air(self.hunan, minutes(13 * 60), cost="3000.00")
        self.a5 = air(self.jiangsu, minutes(13 * 60 + 30), cost="2000.00")
        log(Call("c1", 60, dnis=HUNAN), Call("c2", 120, dnis=HUNAN), Call("c3", 200, dnis=HUNAN),
            Call("c4", 90 * 60 + 30, dnis=HUNAN), Call("c5", 630, dnis=JIANGSU), Call("c6", 700, dnis=JIANGSU),
            Call("c7", 13 * 3600 + 60, dnis=HUNAN))
        self.orders = {}
        for name, at, number, lines, fate in (
                ("o1", 2, HUNAN, (), "delivered"), ("o2", 3, HUNAN, ((w.kneepad, 1),), "delivered"),
                ("o3", 4, HUNAN, (), "refused"), ("o4", 92, HUNAN, (), "delivered"),
                ("o5", 12, JIANGSU, (), "delivered"), ("o6", 13, JIANGSU, ((w.kneepad, 1),), "ordered"),
                ("o7", 13 * 60 + 2, HUNAN, (), "delivered")):
            clock.set(minutes(at + 5))
            fields: dict[str, Any] = {"hotline_number": number, "called_at": minutes(at)}
            if fate == "ordered":
                order = w.place(*lines, **fields)
            else:
                parcel = getattr(self.fw, fate)(None, *lines, at=minutes(at + 60), **fields)
                order = parcel.order
            self.orders[name] = order
        clock.set(minutes(14 * 60))


@pytest.fixture
def story(clock: Clock) -> Story:
    return Story(clock)


def week(**extra: str) -> Period:
    return parse_period({**WEEK, **extra}, now=minutes(14 * 60))


def slots(story: Story, hours: int = 2) -> dict[tuple[str, int, int], m.SlotRow]:
    rows = m.slot_rows(m.airing_rows(week()), hours)
    names = {story.hunan.pk: "hunan", story.jiangsu.pk: "jiangsu"}
    return {(names[row.station_id], row.weekday, row.slot): row for row in rows}


def test_attribution_is_as_the_story_says(story: Story) -> None:
    airing_of = {name: order.airing_id for name, order in story.orders.items()}
    assert airing_of == {"o1": story.a1.pk, "o2": story.a1.pk, "o3": story.a1.pk, "o4": story.a2.pk,
                         "o5": story.a3.pk, "o6": story.a3.pk, "o7": story.a4.pk}


def test_slot_figures_to_the_fen(story: Story) -> None:
    found = slots(story)
    assert set(found) == {("hunan", 1, 20), ("jiangsu", 1, 20), ("hunan", 2, 8), ("jiangsu", 2, 8)}
    tue = found[("hunan", 1, 20)].figures
    assert (tue.airings, tue.cost, tue.calls, tue.orders, tue.delivered, tue.revenue) == (
        2, D("16000.00"), 4, 4, 3, D("1691.00"))
    assert tue.cost_per_delivered == D("5333.33")
    assert tue.revenue_per_yuan == Fraction(1691, 16000)
    js = found[("jiangsu", 1, 20)].figures
    assert (js.airings, js.cost, js.calls, js.orders, js.delivered, js.revenue) == (1, D("8000.00"), 2, 2, 1,
                                                                                   D("796.00"))
    assert js.cost_per_delivered == D("8000.00")
    assert js.revenue_per_yuan == Fraction(796, 8000)
    wed = found[("hunan", 2, 8)].figures
    assert (wed.cost_per_delivered, wed.revenue_per_yuan) == (D("3000.00"), Fraction(796, 3000))
    empty = found[("jiangsu", 2, 8)].figures
    assert (empty.airings, empty.calls, empty.orders, empty.cost_per_delivered, empty.revenue_per_yuan) == (
        1, 0, 0, None, 0)
    total = m.totals_of(m.airing_rows(week()))
    assert (total.airings, total.cost, total.calls, total.orders, total.delivered, total.revenue) == (
        5, D("29000.00"), 7, 7, 5, D("3283.00"))


def test_one_hour_slots_split_the_evening(story: Story) -> None:
    found = slots(story, 1)
    assert found[("hunan", 1, 20)].figures.calls == 3
    assert found[("hunan", 1, 21)].figures.calls == 1
    assert found[("hunan", 1, 21)].figures.cost_per_delivered == D("6000.00")


def test_rankings(story: Story) -> None:
    names = {story.hunan.pk: "hunan", story.jiangsu.pk: "jiangsu"}
    rows = m.slot_rows(m.airing_rows(week()), 2)
    by_cost = [(names[r.station_id], r.weekday) for r in m.ranked(rows, "cost", names)]
    assert by_cost == [("hunan", 2), ("hunan", 1), ("jiangsu", 1), ("jiangsu", 2)]
    by_revenue = [(names[r.station_id], r.weekday) for r in m.ranked(rows, "revenue", names)]
    assert by_revenue == [("hunan", 2), ("hunan", 1), ("jiangsu", 1), ("jiangsu", 2)]
    by_calls = [(names[r.station_id], r.weekday, r.figures.calls) for r in m.ranked(rows, "calls", names)]
    assert by_calls == [("hunan", 1, 4), ("jiangsu", 1, 2), ("hunan", 2, 1), ("jiangsu", 2, 0)]


def test_heat_map_cells(story: Story) -> None:
    rows = m.slot_rows(m.airing_rows(week()), 2)
    assert m.heat_cells(rows, money=True) == {(1, 20): Fraction(2487, 24000), (2, 8): Fraction(796, 5000)}
    assert m.heat_cells(rows, money=False) == {(1, 20): 6, (2, 8): 1}


def test_products_by_station(story: Story) -> None:
    w = story.fw.w
    rows = {(row["station_id"], row["product_id"]): (row["orders"], row["units"], row["delivered"],
                                                     m.yuan(row["revenue"]))
            for row in m.product_station_rows(week())}
    assert rows == {
        (story.hunan.pk, w.massager.pk): (4, 8, 3, D("2388.00")),
        (story.hunan.pk, w.kneepad.pk): (1, 1, 1, D("99.00")),
        (story.jiangsu.pk, w.massager.pk): (1, 2, 1, D("796.00")),
        (story.jiangsu.pk, w.kneepad.pk): (1, 1, 0, D("0.00")),
    }


def test_station_efficiency_per_day(story: Story) -> None:
    series = m.station_series(week())
    tue = timezone.localtime(T0).replace(hour=0, minute=0)
    wed = tue + datetime.timedelta(days=1)
    assert series == {(tue, story.hunan.pk): {"calls": 4, "orders": 4},
                      (tue, story.jiangsu.pk): {"calls": 2, "orders": 2},
                      (wed, story.hunan.pk): {"calls": 1, "orders": 1}}


def test_slot_drill_lists_exactly_the_airings_behind_the_row(story: Story) -> None:
    period = week()
    rows = find("media_slot")({"start": period.start.isoformat(), "end": period.end.isoformat(),  # type: ignore[misc]
                               "station": str(story.hunan.pk), "weekday": "1", "slot": "20", "slot_hours": "2"})
    assert [(row["airing"], row["calls"], row["orders"], row["delivered"]) for row in rows.rows] == [
        (story.a1.pk, 3, 3, 2), (story.a2.pk, 1, 1, 1)]
    assert rows.count == 2


def test_bad_filters_are_translated_errors(story: Story) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        m.parse_station("abc")
    with pytest.raises(ValidationError):
        m.parse_slot_hours("5")
    with pytest.raises(ValidationError):
        m.parse_rank("cost", money=False)
    assert m.parse_rank(None, money=True) == "cost"


# ---------------------------------------------------------------- the view

def get(client: Any, user: Any, **params: str) -> Any:
    client.force_login(user)
    return client.get("/reports/media/", {**WEEK, **params})


def test_manager_sees_the_money_ranking(story: Story, client: Any, english: None) -> None:
    manager = factories.make_user("manager")
    response = get(client, manager, compare="1")
    assert response.status_code == 200
    tables = {table.key: table for table in response.context["tables"]}
    ranked = [(row["station"], row["slot"], row["cost_per_delivered"]) for row in tables["slots"].rows]
    assert ranked == [("湖南卫视", "08–10", D("3000.00")), ("湖南卫视", "20–22", D("5333.33")),
                      ("江苏卫视", "20–22", D("8000.00")), ("江苏卫视", "08–10", None)]
    assert tables["slots"].totals["cost"] == D("29000.00")
    html = response.content.decode()
    assert "¥5,333.33" in html and "Spot cost" in html
    compare = {row["metric"]: (row["now"], row["before"], row["change"]) for row in tables["compare"].rows}
    assert compare["Orders"] == ("7", "0", "+7")
    assert compare["Delivered revenue"] == ("¥3,283.00", "¥0.00", "+¥3,283.00")
    heat = next(chart for chart in response.context["charts"] if chart.key == "media-heat")
    assert heat.series[0][1] == [[10, 1, Fraction(2487, 24000)], [4, 2, Fraction(796, 5000)]]
    revenue = get(client, manager, rank="revenue")
    assert [row["slot"] for row in {t.key: t for t in revenue.context["tables"]}["slots"].rows] == [
        "08–10", "20–22", "20–22", "08–10"]


def test_supervisor_sees_counts_only(story: Story, client: Any, english: None) -> None:
    response = get(client, factories.make_user("supervisor"))
    assert response.status_code == 200
    tables = {table.key: table for table in response.context["tables"]}
    keys = [column.key for column in tables["slots"].columns]
    assert "cost" not in keys and "revenue_per_yuan" not in keys and "revenue" not in keys
    assert [row["delivered"] for row in tables["slots"].rows] == [3, 1, 1, 0]
    assert "Spot cost" not in response.content.decode()
    heat = next(chart for chart in response.context["charts"] if chart.key == "media-heat")
    assert heat.series[0][1] == [[10, 1, 6], [4, 2, 1]]
    assert get(client, factories.make_user("supervisor"), rank="cost").status_code == 400


def test_access_and_bad_input(story: Story, client: Any, english: None) -> None:
    assert get(client, factories.make_user("agent")).status_code == 403
    manager = factories.make_user("manager")
    for params, words in (({"station": "abc"}, "Unknown station: abc"),
                          ({"slot_hours": "4"}, "Time slots are 1, 2 or 3 hours long"),
                          ({"from": "2026-11-29", "to": "2026-11-23"}, "before it starts"),
                          ({"colour": "red"}, "Unknown filter: colour"),
                          ({"rank": "best"}, "Unknown ranking: best")):
        response = get(client, manager, **params)
        assert response.status_code == 400, params
        assert words in response.content.decode()


def test_excel_holds_the_screens_numbers(story: Story, client: Any) -> None:
    import io

    from openpyxl import load_workbook

    response = get(client, factories.make_user("manager"), format="xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    values = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert D("5333.33") in values or 5333.33 in values
    assert D("29000.00") in values or 29000 in values


def test_product_drill_gives_exactly_the_rows(story: Story, client: Any) -> None:
    from hotline.reports import drills  # noqa: F401 — registers the shared drill-downs

    response = get(client, factories.make_user("manager"))
    products = {table.key: table for table in response.context["tables"]}["products"]
    for row in products.rows:
        for figure in ("orders", "delivered"):
            drill = row["_drill"][figure]
            assert find(drill.name)(drill.params).count == row[figure], (row, figure)  # type: ignore[misc]


def test_the_page_in_chinese(story: Story, client: Any) -> None:
    client.force_login(factories.make_user("manager"))
    response = client.get("/reports/media/", {**WEEK, "slot_hours": "1"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    html = response.content.decode()
    assert "星期二" in html and "20–21" in html
    assert "¥10,000.00" in html or "¥10000.00" in html  # grouping as the zh-hans number format says


def test_a_cancelled_order_is_not_an_order_of_its_airing(story: Story, clock: Clock) -> None:
    from hotline.orders.actions import do_transition_order
    from hotline.orders.models import Status

    clock.set(minutes(6))
    order = story.fw.w.place(hotline_number=HUNAN, called_at=minutes(5))
    do_transition_order(order, Status.CANCELLED, actor=story.fw.w.agent, reason="changed their mind")
    clock.set(minutes(14 * 60))

    total = m.totals_of(m.airing_rows(week()))

    assert (order.airing_id, total.orders) == (story.a1.pk, 7)  # as the funnel's "Orders": cancelled left out

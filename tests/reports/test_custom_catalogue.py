"""The custom reports' catalogue: every dimension and measure of every source computes exact values over a
small hand-made world of call facts, queue-visit facts and orders (tests/reports/custom_world.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from hotline.reports.catalogue import SOURCES
from hotline.reports.custom import run
from hotline.reports.periods import parse_period
from tests.reports.custom_world import DAY, build_world

pytestmark = pytest.mark.django_db

PERIOD = parse_period({"period": "custom", "from": DAY.isoformat(), "to": DAY.isoformat()})
TWO_DAYS = parse_period({"period": "custom", "from": DAY.isoformat(),
                         "to": (DAY + datetime.timedelta(days=1)).isoformat()})


@pytest.fixture
def w(db: Any, english: Any) -> Any:
    return build_world()


def table(source: str, dimensions: list[str], measures: list[str] | None = None, filters: dict[str, Any] | None = None,
          period: Any = PERIOD) -> Any:
    definition = {"source": source, "dimensions": dimensions,
                  "measures": measures or list(SOURCES[source].measures), "filters": filters or {}}
    return run(definition, period)


def column(result: Any, dimension: str, measure: str) -> dict[Any, Any]:
    return {row[f"d_{dimension}"]: row[measure] for row in result.rows}


def test_calls_every_measure_in_total(w: Any) -> None:
    totals = table("calls", []).totals
    assert totals == {"calls": 7, "answered": 2, "abandoned": 2, "left_ivr": 1, "blocked": 1, "callbacks": 1,
                      "talk": Fraction(301, 2), "average_wait": Fraction(92, 5), "_drill": totals["_drill"]}


def test_calls_by_station_every_measure(w: Any) -> None:
    result = table("calls", ["station"])
    rows = {row["d_station"]: {k: v for k, v in row.items() if k not in ("d_station", "_drill")} for row in result.rows}
    assert rows == {
        "湖南卫视": {"calls": 3, "answered": 1, "abandoned": 1, "left_ivr": 0, "blocked": 1, "callbacks": 0,
                 "talk": Fraction(60), "average_wait": Fraction(20)},
        "浙江卫视": {"calls": 3, "answered": 0, "abandoned": 1, "left_ivr": 1, "blocked": 0, "callbacks": 1,
                 "talk": Fraction(0), "average_wait": Fraction(47, 2)},
        "(none)": {"calls": 1, "answered": 1, "abandoned": 0, "left_ivr": 0, "blocked": 0, "callbacks": 0,
                   "talk": Fraction(181, 2), "average_wait": Fraction(5)},
    }
    assert [row["d_station"] for row in result.rows][-1] == "(none)"  # no value sorts last


@pytest.mark.parametrize(("dimension", "expected"), [
    ("hour", {"08": 2, "09": 2, "10": 3}),
    ("hour_of_day", {"08:00": 2, "09:00": 2, "10:00": 3}),
    ("airing", {"湖南卫视 2026-11-24 08:00": 2, "(none)": 5}),
    ("hotline_number", {"4008001000": 3, "4008002000": 3, "(none)": 1}),
    ("queue", {"sales": 4, "service": 1, "(none)": 2}),
    ("agent", {"a1": 1, "a2": 1, "(none)": 5}),
    ("outcome", {"answered": 2, "abandoned in queue": 1, "short abandon": 1, "abandoned in IVR": 1,
                 "refused (503, overload)": 1, "callback": 1}),
    ("direction", {"inbound": 6, "outbound": 1}),
])
def test_calls_by_each_dimension(w: Any, dimension: str, expected: dict[str, int]) -> None:
    found = column(table("calls", [dimension], ["calls"]), dimension, "calls")
    if dimension == "hour":
        found = {value.strftime("%H"): count for value, count in found.items()}
    assert found == expected


def test_calls_by_day_week_month(w: Any) -> None:
    assert column(table("calls", ["day"], ["calls"], period=TWO_DAYS), "day", "calls") == {
        DAY: 7, DAY + datetime.timedelta(days=1): 1}
    monday = DAY - datetime.timedelta(days=DAY.weekday())
    assert column(table("calls", ["week"], ["calls"], period=TWO_DAYS), "week", "calls") == {monday: 8}
    assert column(table("calls", ["month"], ["calls"], period=TWO_DAYS), "month", "calls") == {DAY.replace(day=1): 8}


def test_calls_two_dimensions_and_filters(w: Any) -> None:
    result = table("calls", ["station", "outcome"], ["calls"], filters={"queue": ["sales"]})
    assert [(row["d_station"], row["d_outcome"], row["calls"]) for row in result.rows] == [
        ("湖南卫视", "abandoned in queue", 1), ("湖南卫视", "answered", 1),
        ("浙江卫视", "callback", 1), ("浙江卫视", "short abandon", 1)]
    assert result.totals["calls"] == 4
    only = table("calls", [], ["calls"], filters={"station": [str(w.s2.pk), "none"], "outcome": ["open", "callback"]})
    assert only.totals["calls"] == 1


def test_visits_every_measure(w: Any) -> None:
    result = table("visits", ["queue"])
    rows = {row["d_queue"]: {k: v for k, v in row.items() if k not in ("d_queue", "_drill")} for row in result.rows}
    assert rows == {
        "sales": {"offered": 4, "answered": 1, "abandoned": 1, "short_abandons": 1,
                  "service_level": Fraction(1, 2), "asa": Fraction(10), "abandon_rate": Fraction(1, 3)},
        "service": {"offered": 2, "answered": 2, "abandoned": 0, "short_abandons": 0,
                    "service_level": Fraction(1, 2), "asa": Fraction(15), "abandon_rate": Fraction(0)},
    }
    totals = {k: v for k, v in result.totals.items() if k != "_drill"}
    assert totals == {"d_queue": "Total", "offered": 6, "answered": 3, "abandoned": 1, "short_abandons": 1,
                      "service_level": Fraction(1, 2), "asa": Fraction(40, 3), "abandon_rate": Fraction(1, 5)}


@pytest.mark.parametrize(("dimension", "expected"), [
    ("agent", {"a1": 1, "a2": 2, "(none)": 3}),
    ("result", {"answered": 3, "abandoned": 2, "callback": 1}),
    ("hour_of_day", {"08:00": 2, "09:00": 1, "10:00": 3}),
])
def test_visits_by_each_dimension(w: Any, dimension: str, expected: dict[str, int]) -> None:
    assert column(table("visits", [dimension], ["offered"]), dimension, "offered") == expected


def test_visits_by_day(w: Any) -> None:
    assert column(table("visits", ["day"], ["offered"]), "day", "offered") == {DAY: 6}


def test_orders_every_measure(w: Any) -> None:
    totals = {k: v for k, v in table("orders", []).totals.items() if k != "_drill"}
    assert totals == {"orders": 3, "revenue": Decimal("1293.00"), "average_order_value": Decimal("431.00"),
                      "items": 4, "gifts": 1}


def test_orders_by_station(w: Any) -> None:
    result = table("orders", ["station"])
    rows = {row["d_station"]: {k: v for k, v in row.items() if k not in ("d_station", "_drill")} for row in result.rows}
    assert rows == {
        "湖南卫视": {"orders": 1, "revenue": Decimal("796.00"), "average_order_value": Decimal("796.00"),
                 "items": 2, "gifts": 1},
        "浙江卫视": {"orders": 1, "revenue": Decimal("99.00"), "average_order_value": Decimal("99.00"),
                 "items": 1, "gifts": 0},
        "(none)": {"orders": 1, "revenue": Decimal("398.00"), "average_order_value": Decimal("398.00"),
                   "items": 1, "gifts": 0},
    }


def test_orders_by_product_are_lines(w: Any) -> None:
    result = table("orders", ["product"])
    rows = {row["d_product"]: (row["orders"], row["revenue"], row["average_order_value"], row["items"], row["gifts"])
            for row in result.rows}
    assert rows == {"颈椎按摩仪": (2, Decimal("1194.00"), Decimal("597.00"), 3, 0),
                    "按摩靠枕": (0, Decimal("0.00"), None, 0, 1),
                    "护膝": (1, Decimal("99.00"), Decimal("99.00"), 1, 0)}


@pytest.mark.parametrize(("dimension", "expected"), [
    ("airing", {"湖南卫视 2026-11-24 08:00": 1, "(none)": 2}),
    ("agent", {"t_agent": 2, "(none)": 1}),
    ("status", {"Ordered": 1, "Delivered": 1, "Cancelled": 1}),
    ("payment_method", {"Cash on delivery": 2, "Prepaid bank transfer": 1}),
    ("province", {"广东": 2, "湖南": 1}),
    ("day", {DAY: 3}),
])
def test_orders_by_each_dimension(w: Any, dimension: str, expected: dict[Any, int]) -> None:
    assert column(table("orders", [dimension], ["orders"]), dimension, "orders") == expected


def test_orders_filters(w: Any) -> None:
    by_s1 = table("orders", [], ["orders", "revenue"], {"station": [str(w.s1.pk)]})
    assert by_s1.totals["revenue"] == Decimal("796.00")
    assert table("orders", [], ["orders"], {"product": [str(w.knee.pk)]}).totals["orders"] == 1
    assert table("orders", [], ["orders"], {"product": [str(w.pillow.pk)]}).totals["orders"] == 0  # gifts excluded
    assert table("orders", [], ["orders"], {"status": ["ordered", "delivered"]}).totals["orders"] == 2
    by_station = table("orders", ["station"], ["items"], {"station": ["none"]})
    assert [(row["d_station"], row["items"]) for row in by_station.rows] == [("(none)", 1)]


@pytest.mark.parametrize(("source", "dimensions", "filters"), [
    ("calls", ["station", "outcome"], {}),
    ("calls", ["hour", "queue"], {"direction": ["inbound"]}),
    ("calls", ["airing", "hotline_number"], {"outcome": ["answered", "abandoned_in_queue", "short_abandon"]}),
    ("calls", ["agent", "day"], {"station": ["none"]}),
    ("visits", ["queue", "result"], {}),
    ("visits", ["agent"], {"queue": ["sales"]}),
    ("orders", ["station", "status"], {}),
    ("orders", ["product"], {}),
    ("orders", ["agent", "payment_method", "province"], {}),
    ("orders", ["airing"], {"status": ["ordered", "cancelled"]}),
])
def test_every_count_drills_down_to_exactly_its_rows(w: Any, source: str, dimensions: list[str],
                                                      filters: dict[str, Any]) -> None:
    from hotline.reports import drill, drills  # noqa: F401 (registers the drill-downs)

    result = table(source, dimensions, filters=filters)
    checked = 0
    for row in [*result.rows, result.totals]:
        for measure, link in row.get("_drill", {}).items():
            behind = drill.find(link.name)
            assert behind is not None
            assert behind(dict(link.params)).count == row[measure], (row, measure, link.params)
            checked += 1
    # A count has no link only when no drill parameter can say its rows (no queue, no agent, no number)
    # or when the row and the measure exclude each other (answered calls of the "callback" outcome: 0).
    assert checked >= len(result.rows)

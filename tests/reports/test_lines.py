"""Report 2, lines and IVR: occupancy per bucket (peak, time-weighted average, minutes at 100 %, line time,
blocked calls) and IVR node visits, exits and self-service completions, from hand-built calls; exact values."""

from __future__ import annotations

import datetime
import itertools
import random
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

import hotline.reports.drills  # noqa: F401  (registers the shared drill-downs)
from hotline.reports import lines as report
from hotline.reports.drill import find
from hotline.reports.facts import rebuild_facts
from hotline.reports.models import CallFact
from hotline.reports.periods import Period, parse_period
from hotline.telephony import events as ev
from tests.calls.helpers import T0, Call, at, log

pytestmark = pytest.mark.django_db

DAY = {"period": "custom", "from": "2026-11-24", "to": "2026-11-24", "grain": "hour"}
LATER = T0 + datetime.timedelta(days=30)  # "now": the whole day is in the past
SYSTEM = ev.HangupParty.SYSTEM


def day(grain: str = "hour") -> Period:
    return parse_period({**DAY, "grain": grain}, now=LATER)


def by_hour(series: list[report.LineBucket]) -> dict[int, report.LineBucket]:
    return {timezone.localtime(bucket.start).hour: bucket for bucket in series}


def line_calls() -> None:
    """20:00–20:10, 20:05–20:15, 20:10–20:20 (starts as the first ends: never three at once), 20:50–21:10
    (two buckets), a 503 at 20:30 (no line) and a blacklist rejection at 20:40 holding a line 5 s."""
    log(Call("c1").step(ev.Hangup, 600),
        Call("c2", 300).step(ev.Hangup, 600),
        Call("c3", 600).step(ev.Hangup, 600),
        Call("c4", 3000).step(ev.Hangup, 1200),
        Call("c5", 1800).step(ev.Hangup, 0, by=SYSTEM, cause=ev.HangupCause.REFUSED_503),
        Call("c6", 2400).step(ev.Hangup, 5, by=SYSTEM, cause=ev.HangupCause.REJECTED))


def test_occupancy_peak_average_full_minutes_and_line_time() -> None:
    line_calls()
    series = report.occupancy(day(), lines=2, now=LATER)
    assert len(series) == 24
    hours = by_hour(series)
    eight = hours[20]
    assert eight.peak == 2
    assert eight.area == 2405  # 600 × 4 + the rejected call's 5 s
    assert eight.average == Fraction(2405, 3600)
    assert eight.line_minutes == Fraction(2405, 60)
    assert eight.full_minutes == 10  # two calls at once from 20:05 to 20:15
    assert eight.blocked == 2
    nine = hours[21]
    assert (nine.peak, nine.average, nine.full_minutes, nine.blocked) == (1, Fraction(1, 6), 0, 0)
    assert (hours[3].peak, hours[3].average, hours[3].full_minutes) == (0, 0, 0)
    totals = report.line_totals(series)
    assert totals.peak == 2
    assert totals.average == Fraction(3005, 86400)
    assert totals.full_minutes == 10
    assert totals.line_minutes == Fraction(3005, 60)
    assert totals.blocked == 2


def test_no_line_limit_has_no_time_at_full() -> None:
    line_calls()
    series = report.occupancy(day(), lines=0, now=LATER)
    assert by_hour(series)[20].full_minutes is None
    assert report.line_totals(series).full_minutes is None
    assert report.line_totals(series).peak == 2


def test_an_open_call_holds_its_line_until_now_and_later_buckets_are_not_observed() -> None:
    log(Call("open", 7200), close=False)  # 22:00, never hung up
    rebuild_facts()
    assert CallFact.objects.get(call_id="open").ended_at is None
    now = at(7200 + 900)  # 22:15
    hours = by_hour(report.occupancy(day(), lines=1, now=now))
    assert (hours[22].peak, hours[22].average, hours[22].full_minutes) == (1, 1, 15)
    assert hours[22].observed == 900
    assert (hours[23].peak, hours[23].average, hours[23].line_minutes) == (None, None, None)
    totals = report.line_totals(list(hours.values()))
    assert totals.average == Fraction(900, 22 * 3600 + 900)


def test_a_call_from_the_day_before_counts_from_the_period_start() -> None:
    log(Call("night", -(20 * 3600 + 600)).step(ev.Hangup, 1200))  # 23:50 the day before → 00:10
    hours = by_hour(report.occupancy(day(), lines=1, now=LATER))
    assert (hours[0].peak, hours[0].line_minutes, hours[0].full_minutes) == (1, 10, 10)


def test_day_grain_and_week_buckets_clipped_to_the_period() -> None:
    line_calls()
    (one,) = report.occupancy(day("day"), lines=2, now=LATER)
    assert (one.peak, one.average, one.blocked) == (2, Fraction(3005, 86400), 2)
    (week,) = report.occupancy(day("week"), lines=2, now=LATER)  # the week began on Monday the 23rd
    assert week.start == day().start and week.observed == 86400 and week.blocked == 2


def test_quarter_hours() -> None:
    line_calls()
    series = {timezone.localtime(b.start).strftime("%H:%M"): b for b in report.occupancy(day("15min"), 2, LATER)}
    assert len(series) == 96
    first, second, third = series["20:00"], series["20:15"], series["20:30"]
    assert (first.peak, first.average, first.full_minutes) == (2, Fraction(1500, 900), 10)
    assert (second.peak, second.average, second.full_minutes) == (1, Fraction(1, 3), 0)
    assert (third.peak, third.area, third.blocked) == (1, 5, 2)


def test_sweep_applies_points_of_one_instant_together() -> None:
    t = [T0 + datetime.timedelta(seconds=s) for s in range(0, 40, 10)]
    u = [report.micros(moment) for moment in t]
    swept = report.sweep([(u[0], u[1]), (u[1], u[2]), (u[1], u[3])], [(t[0], t[3])], lines=2)
    assert swept[0].peak == 2  # 1, then (−1 +2) at t1: never 3, never a dip to 0 counted
    assert swept[0].area == 10 + 10 + 20
    assert swept[0].full == 10


# ---------------------------------------------------------------- IVR

def node(call: Call, offset: float, name: str, digits: str = "", flow: str = "demo") -> Call:
    return call.step(ev.IvrNode, offset, flow=flow, node=name, digits=digits, queue="")


def ivr_calls() -> None:
    """Six callers through the demo flow (and one through a flow "main" no longer stored)."""
    i1 = node(node(node(Call("i1", 0, "orders"), 1, "welcome"), 3, "main_menu"), 5, "orders", "1")
    i1.step(ev.Enqueue, 6, position=1).step(ev.Answer, 20, agent="a1").step(ev.Hangup, 80, agent="a1")
    i2 = node(node(Call("i2", 10), 1, "welcome"), 3, "main_menu").step(ev.Hangup, 6)  # left at the menu
    i3 = node(node(node(node(node(Call("i3", 20), 1, "welcome"), 3, "main_menu"), 5, "status_by_caller", "2"),
                   9, "status_menu"), 20, "goodbye")
    i3.step(ev.Hangup, 24, by=SYSTEM)  # the flow said goodbye: served by the IVR
    i4 = node(node(node(node(Call("i4", 30, "orders"), 1, "welcome"), 3, "main_menu"), 5, "status_by_caller", "2"),
              9, "status_menu")
    node(node(i4, 12, "main_menu", "9"), 14, "orders", "1").step(ev.Enqueue, 15, position=1) \
        .step(ev.Abandon, 60).step(ev.Hangup, 60)
    i5 = node(Call("i5", 40), 1, "welcome").step(ev.Hangup, 2)  # left during the welcome
    i6 = Call("i6", 50, "sales").queued().step(ev.Answer, 10, agent="a2").step(ev.Hangup, 40, agent="a2")
    log(i1, i2, i3, i4, i5, i6)


def figures(rows: list[report.NodeRow]) -> dict[str, tuple[int, int, int, int, int]]:
    return {row.node: (row.visits, row.calls, row.queued, row.exits, row.completed) for row in rows}


def test_ivr_visits_exits_queue_and_self_service_per_node() -> None:
    ivr_calls()
    rows = report.ivr_nodes(day())
    assert figures(rows) == {
        "demo/welcome": (5, 5, 0, 1, 0),
        "demo/main_menu": (5, 4, 0, 1, 0),  # i4 came back from the status menu
        "demo/orders": (2, 2, 2, 0, 0),
        "demo/status_by_caller": (2, 2, 0, 0, 0),
        "demo/status_menu": (2, 2, 0, 0, 0),
        "demo/goodbye": (1, 1, 0, 0, 1),
        "main/menu": (1, 1, 1, 0, 0),
    }
    assert [row.node for row in rows][:2] == ["demo/main_menu", "demo/welcome"]  # most visits first
    by_node = {row.node: row for row in rows}
    assert by_node["demo/main_menu"].exit_rate == Fraction(1, 4)
    assert by_node["demo/goodbye"].terminal and by_node["demo/goodbye"].exit_rate == 0
    totals = report.ivr_totals(day(), rows)
    assert (totals.calls, totals.queued, totals.exits, totals.completed) == (6, 3, 2, 1)


def test_flow_filter_and_unknown_flow() -> None:
    ivr_calls()
    rows = report.ivr_nodes(day(), "demo")
    assert "main/menu" not in figures(rows) and len(rows) == 6
    totals = report.ivr_totals(day(), rows, "demo")
    assert (totals.calls, totals.queued, totals.exits, totals.completed) == (5, 2, 2, 1)
    report.check_flow(day(), "main")  # not stored, but the period's calls went through it
    compared = report.build(day(), 0, "main", now=LATER, compare=True)  # the day before had no "main" calls
    assert [row.node for row in compared.nodes] == ["main/menu"]
    with pytest.raises(ValidationError) as error:
        report.check_flow(day(), "nope")
    assert error.value.code == "bad_flow"


def test_the_node_drill_gives_exactly_the_calls_of_the_figure() -> None:
    ivr_calls()
    period = day()
    table = report.ivr_table(period, report.ivr_nodes(period), report.ivr_totals(period, report.ivr_nodes(period)))
    row = next(r for r in table.rows if r["node"] == "demo/main_menu")
    drill = find("ivr_node_calls")
    assert drill is not None
    visited = drill(row["_drill"]["calls"].params)
    assert visited.count == row["calls"] == 4
    assert sorted(r["call_id"] for r in visited.rows) == ["i1", "i2", "i3", "i4"]
    orders = next(r for r in table.rows if r["node"] == "demo/orders")
    queued = drill(orders["_drill"]["queued"].params)
    assert queued.count == orders["queued"] == 2
    assert row["_drill"]["exits"].params == {"start": period.start.isoformat(), "end": period.end.isoformat(),
                                             "outcome": "abandoned_in_ivr", "ivr_last_node": "demo/main_menu"}
    calls = find("calls")
    assert calls is not None
    exits = calls(row["_drill"]["exits"].params)
    assert exits.count == row["exits"] == 1 and [r["call_id"] for r in exits.rows] == ["i2"]
    goodbye = next(r for r in table.rows if r["node"] == "demo/goodbye")
    completed = calls(goodbye["_drill"]["completed"].params)
    assert completed.count == goodbye["completed"] == 1 and [r["call_id"] for r in completed.rows] == ["i3"]
    assert set(goodbye["_drill"]) == {"calls", "completed"}  # a 0 links to nothing
    with pytest.raises(ValidationError):
        drill({**row["_drill"]["calls"].params, "color": "red"})
    with pytest.raises(ValidationError):
        drill({**row["_drill"]["calls"].params, "node": "welcome"})


def test_the_blocked_drill_gives_exactly_the_blocked_calls() -> None:
    line_calls()
    table = report.build(day(), 2, now=LATER).tables[0]
    eight = next(r for r in table.rows if r["bucket"].hour == 20)
    calls = find("calls")
    assert calls is not None
    blocked = calls(eight["_drill"]["blocked"].params)
    assert blocked.count == eight["blocked"] == 2
    assert [r["call_id"] for r in blocked.rows] == ["c5", "c6"]
    assert calls(table.totals["_drill"]["blocked"].params).count == table.totals["blocked"] == 2  # type: ignore[index]


def test_compare_with_the_previous_period() -> None:
    line_calls()
    log(node(Call("x", -7200), 1, "welcome").step(ev.Hangup, 30))  # 18:00, left during the welcome
    log(Call("y", -86400).step(ev.Hangup, 120), Call("z", -86400 + 60).step(ev.Hangup, 60))  # the day before
    built = report.build(day(), 2, now=LATER, compare=True)
    compare = built.tables[0]
    assert compare.key == "compare"
    assert [(r["now"], r["before"], r["change"]) for r in compare.rows] == [
        ("2", "2", "0"), ("0.04", "0.00", "+0.03"), ("10.00", "1.00", "+9.00"), ("50.58", "3.00", "+47.58"),
        ("2", "0", "+2"), ("1", "0", "+1"), ("0", "0", "0")]


# ---------------------------------------------------------------- the fast read and sweep against plain counting


def _reference(intervals: list[tuple[int, int]], low: int, high: int, lines: int) -> tuple[int, int, int]:
    """Peak, line time and time at full lines of [low, high) by plain counting at every instant."""
    cuts = sorted({low, high, *(t for pair in intervals for t in pair if low < t < high)})
    peak, area, full = 0, 0, 0
    for a, b in itertools.pairwise(cuts):
        level = sum(1 for start, end in intervals if start <= a < end)
        peak, area = max(peak, level), area + level * (b - a)
        full += (b - a) if level >= lines else 0
    return peak, area, full


def test_sweep_equals_plain_counting_with_shared_instants() -> None:
    """Intervals on a coarse grid (many starts and ends at one instant, some of no length), buckets of
    uneven size with gaps: the running-total sweep gives exactly what counting at each instant gives."""
    rng = random.Random(15)
    base = report.micros(T0)
    intervals = []
    for _ in range(300):
        start = base + rng.randrange(0, 120) * 1_000_000
        intervals.append((start, start + rng.randrange(0, 30) * 1_000_000))
    edges = [0, 7, 20, 33, 60, 61, 90, 130]  # seconds; the buckets skip [60, 61)
    bounds = [(T0 + datetime.timedelta(seconds=a), T0 + datetime.timedelta(seconds=b))
              for a, b in itertools.pairwise(edges) if (a, b) != (60, 61)]
    for lines in (0, 3, 8):
        swept = report.sweep([pair for pair in intervals if pair[0] < pair[1]], bounds, lines)
        for bucket, (low_time, high_time) in zip(swept, bounds, strict=True):
            peak, area, full = _reference(intervals, report.micros(low_time), report.micros(high_time), lines)
            assert (bucket.peak, bucket.area, bucket.full) == (
                peak, Fraction(area, 1_000_000), Fraction(full, 1_000_000) if lines else None)


def test_call_intervals_keep_every_microsecond() -> None:
    """The database's integer microseconds (EpochMicros) are exactly Python's, for times with and without
    a fraction of a second, and clipped to the period and the horizon."""
    log(Call("m1", 0.000001).step(ev.Hangup, 59.5), Call("m2", 120.25).step(ev.Hangup, 1),
        Call("m3", 600).step(ev.Hangup, 0.123456))
    period, horizon = day(), T0 + datetime.timedelta(seconds=600.1)
    facts = {fact.call_id: fact for fact in CallFact.objects.filter(call_id__in=["m1", "m2", "m3"])}
    got = sorted(report.call_intervals(period, horizon))
    ends = {c: min(report.micros(fact.ended_at or horizon), report.micros(horizon)) for c, fact in facts.items()}
    expected = sorted((report.micros(fact.arrived_at), ends[c]) for c, fact in facts.items())
    assert got == expected
    assert got[-1][1] - got[-1][0] == 100_000  # m3: 0.1 s before the horizon

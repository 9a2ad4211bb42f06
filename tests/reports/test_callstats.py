"""The report facts aggregated in SQL (hotline/reports/callstats.py) equal the KPIs replayed from the event
log (hotline/calls/kpi.py) for every queue and every service-level variant, as exact Fractions; and each
KPI at its edges as docs/kpi.md defines it, read over the facts."""

from __future__ import annotations

import datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.utils import timezone

from hotline.calls import kpi
from hotline.calls.host.call_log import OrmCallLog
from hotline.calls.kpi import KpiSettings, ServiceLevelVariant
from hotline.reports.callstats import HandlingCounts, VisitCounts, handling_counts, visit_counts
from hotline.reports.models import CallFact, HandlingFact, VisitFact
from hotline.reports.periods import bucket_annotations, bucket_of, bucket_start
from hotline.reports.sql import fast_bucket_annotations
from hotline.telephony import events as ev
from tests.calls.helpers import MONO0, Call, at, log

pytestmark = pytest.mark.django_db

DAY = (at(-3600), at(3600))
QUEUES = ("sales", "service")


def evening() -> list[Call]:
    """The morning of tests/calls/test_kpi.py, and every kind of call the facts must get right."""
    return [
        Call("c1").queued().step(ev.Answer, 13, agent="a1").step(ev.Hold, 33, agent="a1")
        .step(ev.Resume, 43, agent="a1").step(ev.Hangup, 103, agent="a1").step(ev.WrapupEnd, 118, agent="a1"),
        Call("c2", 1).queued().step(ev.Answer, 23, agent="a2").step(ev.Hangup, 83, agent="a2")
        .step(ev.WrapupEnd, 93, agent="a2"),
        Call("c3", 2).queued().step(ev.Answer, 28, agent="a1").step(ev.Hangup, 58, by=ev.HangupParty.AGENT),
        Call("c4", 3).queued().step(ev.Abandon, 8).step(ev.Hangup, 8),  # abandoned after 5 s: exactly S, short
        Call("c5", 4).queued().step(ev.Abandon, 43).step(ev.Hangup, 43),
        Call("c6", 5).queued().step(ev.CallbackRequest, 18, number="13800138000")
        .step(ev.Hangup, 19, by=ev.HangupParty.SYSTEM),
        Call("c7", 6).queued().step(ev.Hangup, 11),  # hangs up in the queue: an abandon
        # answered after exactly T = 20 s: within
        Call("t20", 7).queued().step(ev.Answer, 23, agent="a2").step(ev.Hangup, 50, agent="a2"),
        # answered 1 ms after T: not within
        Call("t20b", 8).queued().step(ev.Answer, 23.001, agent="a1").step(ev.Hangup, 40, agent="a1"),
        # abandoned 1 ms after S: a real abandon
        Call("s5b", 9).queued().step(ev.Abandon, 8.001).step(ev.Hangup, 8.001),
        # transferred before an answer: a visit in each queue, answered in "service" with a hold
        Call("x1", 10).queued().step(ev.Transfer, 13, to_queue="service").step(ev.Enqueue, 13, queue="service")
        .step(ev.Answer, 19, queue="service", agent="a9").step(ev.Hold, 29, queue="service", agent="a9")
        .step(ev.Resume, 34, queue="service", agent="a9").step(ev.Hangup, 79, queue="service", agent="a9"),
        # answered in "sales", then the agent transfers to "service": two handlings
        Call("x2", 11).queued().step(ev.Answer, 8, agent="a1").step(ev.Transfer, 30, agent="a1", to_queue="service")
        .step(ev.Enqueue, 30, queue="service").step(ev.Answer, 40, queue="service", agent="a9")
        .step(ev.Hangup, 100, queue="service", agent="a9").step(ev.WrapupEnd, 35, agent="a1"),
        # "service" waits past T, then the caller gives up there
        Call("x3", 12, queue="service").queued().step(ev.Abandon, 40),
        # in the IVR only, a 503, a surge capture without a queue visit
        Call("ivr", 13).step(ev.IvrNode, 1, flow="main", node="menu").step(ev.Hangup, 6),
        Call("busy", 14).step(ev.Hangup, 0, cause=ev.HangupCause.REFUSED_503, by=ev.HangupParty.SYSTEM),
        Call("surge", 15).step(ev.CallbackRequest, 2, number="13800138001")
        .step(ev.Hangup, 4, by=ev.HangupParty.SYSTEM),
    ]


def wrapup_after_close(call_id: str, offset: float, agent: str, queue: str = "sales") -> None:
    """After-call work that ends once the call was closed (the engine logs it when the agent goes ready)."""
    event = ev.WrapupEnd(call_id=call_id, at=at(offset), mono=MONO0 + offset, queue=queue, agent=agent)
    async_to_sync(OrmCallLog().append)(event)


@pytest.fixture
def logged(db: Any) -> dict[str, Any]:
    calls = evening()
    log(*calls)
    wrapup_after_close("x1", 10 + 79 + 12, "a9", "service")  # 12 s of after-call work, logged after the close
    return kpi.load_calls([call.call_id for call in calls])


def facts_for(queue: str, start: datetime.datetime, end: datetime.datetime) -> tuple[VisitCounts, HandlingCounts]:
    visits = VisitFact.objects.filter(queue=queue, entered_at__gte=start, entered_at__lt=end)
    parts = HandlingFact.objects.filter(queue=queue, answered_at__gte=start, answered_at__lt=end)
    return visit_counts(visits)[()], handling_counts(parts)[()]


def same(replayed: kpi.QueueKpis, visits: VisitCounts, parts: HandlingCounts,
         variant: ServiceLevelVariant) -> None:
    assert (visits.queued, visits.answered, visits.answered_within, visits.abandoned, visits.short_abandons,
            visits.callbacks, parts.handled) == \
        (replayed.queued, replayed.answered, replayed.answered_within, replayed.abandoned, replayed.short_abandons,
         replayed.callbacks, replayed.handled)
    assert visits.service_level(variant) == replayed.service_level
    assert (visits.asa, visits.abandon_rate, visits.average_abandon_time, parts.aht, parts.acw) == \
        (replayed.asa, replayed.abandon_rate, replayed.average_abandon_time, replayed.aht, replayed.acw)


@pytest.mark.parametrize("variant", list(ServiceLevelVariant))
@pytest.mark.parametrize("queue", QUEUES)
def test_facts_equal_the_replay_for_every_queue_and_variant(logged: dict[str, Any], queue: str,
                                                             variant: ServiceLevelVariant) -> None:
    replayed = kpi.queue_kpis(logged, queue, *DAY, KpiSettings(20, variant, 5))
    visits, parts = facts_for(queue, *DAY)
    same(replayed, visits, parts, variant)
    assert replayed == kpi.queue_kpis_for(queue, *DAY, KpiSettings(20, variant, 5))


@pytest.mark.parametrize("split", [0, 10, 12, 15, 20, 3600])
@pytest.mark.parametrize("queue", QUEUES)
def test_facts_equal_the_replay_in_any_split_of_the_period(logged: dict[str, Any], queue: str, split: int) -> None:
    """Half-open periods: the two halves hold every visit and handling once, as in the replay."""
    settings = KpiSettings()
    halves = [(DAY[0], at(split)), (at(split), DAY[1])]
    for start, end in halves:
        same(kpi.queue_kpis(logged, queue, start, end, settings), *facts_for(queue, start, end),
             settings.service_level_variant)
    first, second = (facts_for(queue, start, end) for start, end in halves)
    whole = facts_for(queue, *DAY)
    assert first[0] + second[0] == whole[0] and first[1] + second[1] == whole[1]


def test_the_evenings_figures_exactly(logged: dict[str, Any]) -> None:
    sales, sales_parts = facts_for("sales", *DAY)
    # answered c1 (10 s), c2 (20), c3 (25), t20 (20), t20b (20.001), x2 (5); abandoned c5 (40), c7 (8),
    # s5b (5.001); short c4 (5); callback c6; transferred x1
    assert (sales.queued, sales.answered, sales.answered_within, sales.abandoned, sales.short_abandons,
            sales.callbacks, sales.transferred) == (12, 6, 4, 3, 1, 1, 1)
    assert sales.service_level() == Fraction(4, 9)
    assert sales.service_level(ServiceLevelVariant.ASTERISK_SL2) == Fraction(4 + 3, 10)  # c4, c7, s5b ≤ 20 s
    assert sales.asa == Fraction(10_000 + 20_000 + 25_000 + 20_000 + 20_001 + 5_000, 6_000)
    assert sales.average_abandon_time == Fraction(40_000 + 8_000 + 5_001, 3_000)
    assert sales.longest_wait == 40
    # handlings answered from "sales": c1, c2, c3, t20, t20b, x2 (a1 until the transfer, 3 s of wrap-up)
    assert (sales_parts.handled, sales_parts.talk_ms, sales_parts.hold_ms, sales_parts.acw_ms) == \
        (6, 80_000 + 60_000 + 30_000 + 27_000 + 16_999 + 22_000, 10_000, 15_000 + 10_000 + 0 + 0 + 0 + 5_000)
    service, service_parts = facts_for("service", *DAY)
    assert (service.queued, service.answered, service.abandoned, service.asa) == (3, 2, 1, Fraction(6 + 10, 2))
    assert (service_parts.handled, service_parts.talk_ms, service_parts.hold_ms, service_parts.acw_ms) == \
        (2, 55_000 + 60_000, 5_000, 12_000)


def test_a_wrapup_after_the_close_updates_the_handling_fact(db: Any) -> None:
    log(Call("w").queued().step(ev.Answer, 13, agent="a1").step(ev.Hangup, 73, agent="a1"))
    before = HandlingFact.objects.values_list("acw_ms", "ended").get(call_id="w")
    wrapup_after_close("w", 73 + 21.5, "a1")
    assert (before, HandlingFact.objects.values_list("acw_ms", "ended").get(call_id="w")) == \
        ((0, True), (21_500, True))
    assert CallFact.objects.get(call_id="w").acw_ms == 21_500
    assert handling_counts(HandlingFact.objects.all())[()].acw == Fraction(43, 2)


def test_outcomes_outside_the_queues_are_facts_without_visits(logged: dict[str, Any]) -> None:
    outcomes = dict(CallFact.objects.values_list("call_id", "outcome"))
    assert (outcomes["ivr"], outcomes["busy"], outcomes["surge"], outcomes["c6"], outcomes["c4"]) == \
        ("abandoned_in_ivr", "refused_503", "callback", "callback", "short_abandon")
    assert not VisitFact.objects.filter(call_id__in=["ivr", "busy", "surge"]).exists()


# ---------------------------------------------------------------- edges (docs/kpi.md)

@pytest.mark.parametrize(("wait", "within"), [(20, True), (19.999, True), (20.001, False)])
def test_the_service_level_threshold_is_inclusive(db: Any, wait: float, within: bool) -> None:
    log(Call("e").queued(0).step(ev.Answer, wait, agent="a1").step(ev.Hangup, 60, agent="a1"))
    counts = visit_counts(VisitFact.objects.all())[()]
    assert (counts.answered, counts.answered_within, counts.service_level()) == (1, int(within), int(within))


@pytest.mark.parametrize(("wait", "short"), [(5, True), (4.999, True), (5.001, False)])
def test_the_short_abandon_threshold_is_inclusive(db: Any, wait: float, short: bool) -> None:
    log(Call("e").queued(0).step(ev.Abandon, wait).step(ev.Hangup, wait))
    counts = visit_counts(VisitFact.objects.all())[()]
    assert (counts.short_abandons, counts.abandoned) == ((1, 0) if short else (0, 1))
    # a short abandon leaves the abandon rate's numerator and denominator: nothing left, so undefined
    assert counts.abandon_rate == (None if short else 1)
    assert counts.average_abandon_time == (None if short else Fraction(5001, 1000))


def test_no_rows_give_none_never_zero(db: Any) -> None:
    visits, parts = visit_counts(VisitFact.objects.all())[()], handling_counts(HandlingFact.objects.all())[()]
    assert (visits.queued, parts.handled) == (0, 0)
    assert [visits.service_level(v) for v in ServiceLevelVariant] == [None] * 5
    assert (visits.asa, visits.abandon_rate, visits.average_abandon_time, visits.longest_wait) == (None,) * 4
    assert (parts.aht, parts.talk, parts.hold, parts.acw) == (None,) * 4
    assert visit_counts(VisitFact.objects.all(), ["queue"]) == {}


def test_the_period_is_half_open_on_the_entry_and_the_answer(db: Any) -> None:
    # enters at 100 s (the boundary), answered at 130 s
    log(Call("edge", 97).queued().step(ev.Answer, 33, agent="a1").step(ev.Hangup, 60, agent="a1"))
    assert (facts_for("sales", at(0), at(100))[0].queued, facts_for("sales", at(100), at(200))[0].queued) == (0, 1)
    assert (facts_for("sales", at(0), at(130))[1].handled, facts_for("sales", at(130), at(200))[1].handled) == (0, 1)


def test_a_handling_counts_in_the_period_it_was_answered_even_if_queued_before(db: Any) -> None:
    """kpi and facts agree: queued before midnight, answered after, the handling is the second day's."""
    log(Call("late").queued(0).step(ev.Answer, 30, agent="a1").step(ev.Hangup, 90, agent="a1"))
    calls = kpi.load_calls(["late"])
    first, second = (at(-3600), at(10)), (at(10), at(3600))
    assert [kpi.queue_kpis(calls, "sales", *p, KpiSettings()).handled for p in (first, second)] == [0, 1]
    assert [kpi.queue_kpis(calls, "sales", *p, KpiSettings()).queued for p in (first, second)] == [1, 0]
    assert [facts_for("sales", *p)[1].handled for p in (first, second)] == [0, 1]
    assert kpi.queue_kpis_for("sales", *second).aht == 60


# Local bucket edges (a microsecond either side of midnight, an hour and a quarter hour) in zones of one offset:
# whole hours (Shanghai), half an hour (Kolkata) and three quarters (Kathmandu); and at a leap day. The log
# keeps milliseconds (SQLite's date functions round to them); PostgreSQL is checked a microsecond off too.
EDGES = ["2026-11-23T15:59:59.999+00:00", "2026-11-23T16:00:00+00:00", "2026-11-23T16:14:59.999+00:00",
         "2026-11-23T16:15:00+00:00", "2026-11-24T03:44:00+00:00", "2026-11-30T15:59:59+00:00",
         "2026-11-30T16:00:00+00:00", "2026-12-01T00:30:00+00:00", "2026-11-23T18:29:59.999+00:00",
         "2026-11-23T18:30:00+00:00", "2026-11-23T18:15:00+00:00", "2026-11-23T18:14:59.999+00:00",
         "2024-02-29T23:59:59+00:00", "2024-02-29T16:00:00+00:00", "2024-02-29T15:59:59.999+00:00"]


def _per_bucket(counts: dict[tuple[Any, ...], Any], grain: str) -> dict[datetime.datetime, int]:
    found: dict[datetime.datetime, int] = {}
    for key, value in counts.items():
        start = bucket_start({"bucket": key[0], "quarter": key[1] if grain == "15min" else 0}, grain)
        found[start] = found.get(start, 0) + (value.queued if isinstance(value, VisitCounts) else value.handled)
    return found


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Kolkata", "Asia/Kathmandu"])
@pytest.mark.parametrize("grain", ["15min", "hour", "day"])
def test_fast_buckets_are_the_local_buckets_at_every_edge(db: Any, grain: str, zone: str) -> None:
    """`reports/sql.py`'s buckets (PostgreSQL's date_bin, SQLite's strftime) are each row's local bucket
    (`periods.bucket_of`), one group per bucket, equal to Django's Trunc's; on PostgreSQL they read back as
    the same local datetimes as Trunc's."""
    edges = EDGES + ([e.replace(".999+", ".999999+") for e in EDGES if ".999+" in e]
                     if connection.vendor == "postgresql" else [])
    for index, moment in enumerate(edges):
        VisitFact.objects.create(call_id=f"e{index}", queue="sales", result="answered", wait_ms=index,
                                 entered_at=datetime.datetime.fromisoformat(moment))
        HandlingFact.objects.create(call_id=f"e{index}", seq=0, queue="sales", agent_key=f"a{index % 3}",
                                    answered_at=datetime.datetime.fromisoformat(moment), ended=True, talk_ms=index)
    start = datetime.datetime(2024, 2, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC)
    names = ["bucket", "quarter"] if grain == "15min" else ["bucket"]
    with timezone.override(ZoneInfo(zone)):
        expected: dict[datetime.datetime, int] = {}
        for moment in edges:
            local = bucket_of(datetime.datetime.fromisoformat(moment), grain)
            expected[local] = expected.get(local, 0) + 1
        fast = fast_bucket_annotations("entered_at", grain, start, end)
        assert "date_bin" in str(VisitFact.objects.annotate(**fast).query) or connection.vendor != "postgresql"
        native = visit_counts(VisitFact.objects.annotate(**fast), names)
        assert _per_bucket(native, grain) == expected and len(native) == len(expected)
        parts = HandlingFact.objects.annotate(**fast_bucket_annotations("answered_at", grain, start, end))
        by_agent = handling_counts(parts, [*names, "agent_key"])
        assert _per_bucket(by_agent, grain) == expected
        if grain != "15min":  # Trunc's quarter on PostgreSQL groups by minute (EXTRACT is numeric): not compared
            truncated = visit_counts(VisitFact.objects.annotate(**bucket_annotations("entered_at", grain)), names)
            assert native == truncated
            assert sorted(k[0].isoformat() for k in native) == sorted(k[0].isoformat() for k in truncated) \
                or connection.vendor != "postgresql"  # read back in the zone, as Trunc's are
            assert by_agent == handling_counts(
                HandlingFact.objects.annotate(**bucket_annotations("answered_at", grain)), [*names, "agent_key"])

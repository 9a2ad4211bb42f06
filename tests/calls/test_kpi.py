"""Each KPI computed from a hand-built event sequence, with exact values (docs/kpi.md)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.calls.kpi import (
    KpiSettings,
    ServiceLevelVariant,
    agent_times,
    entry_counts,
    occupancy,
    percent,
    queue_kpis,
    rounded,
    settings_for,
)
from hotline.telephony import events as ev
from hotline.telephony.events import AgentState
from tests.calls.helpers import Call, at, steps

SALES = KpiSettings(service_level_seconds=20, short_abandon_seconds=5)
DAY = (at(-3600), at(3600))


def morning() -> dict[str, list]:  # type: ignore[type-arg]
    """Seven callers enter "sales" at 3 s; waits below are measured from there."""
    c1 = Call("c1").queued().step(ev.Answer, 13, agent="a1").step(ev.Hold, 33, agent="a1") \
        .step(ev.Resume, 43, agent="a1").step(ev.Hangup, 103, agent="a1").step(ev.WrapupEnd, 118, agent="a1")
    c2 = Call("c2", 1).queued().step(ev.Answer, 23, agent="a2").step(ev.Hangup, 83, agent="a2") \
        .step(ev.WrapupEnd, 93, agent="a2")
    c3 = Call("c3", 2).queued().step(ev.Answer, 28, agent="a1").step(ev.Hangup, 58, by=ev.HangupParty.AGENT)
    c4 = Call("c4", 3).queued().step(ev.Abandon, 8).step(ev.Hangup, 8)
    c5 = Call("c5", 4).queued().step(ev.Abandon, 43).step(ev.Hangup, 43)
    c6 = Call("c6", 5).queued().step(ev.CallbackRequest, 18, number="13800138000").step(ev.Hangup, 19)
    c7 = Call("c7", 6).queued().step(ev.Hangup, 11)  # a caller who hangs up in the queue is an abandon
    return steps(c1, c2, c3, c4, c5, c6, c7)


def test_counts_and_every_kpi_of_a_queue() -> None:
    kpis = queue_kpis(morning(), "sales", *DAY, SALES)
    assert (kpis.queued, kpis.answered, kpis.answered_within, kpis.abandoned, kpis.short_abandons,
            kpis.callbacks, kpis.handled) == (7, 3, 2, 2, 1, 1, 3)
    assert kpis.service_level == Fraction(2, 5)  # 2 within 20 s / (3 answered + 2 abandoned after 5 s)
    assert kpis.asa == Fraction(10 + 20 + 25, 3)
    assert kpis.abandon_rate == Fraction(2, 6)  # short abandons leave numerator and denominator
    assert kpis.average_abandon_time == Fraction(40 + 8, 2)
    assert kpis.aht == Fraction((80 + 10 + 15) + (60 + 0 + 10) + (30 + 0 + 0), 3)  # talk + hold + wrap-up
    assert kpis.acw == Fraction(15 + 10 + 0, 3)


@pytest.mark.parametrize(("variant", "expected"), [
    (ServiceLevelVariant.ANSWERED, Fraction(2, 3)),
    (ServiceLevelVariant.ANSWERED_ABANDONED, Fraction(2, 6)),
    (ServiceLevelVariant.EXCLUDE_SHORT, Fraction(2, 5)),
    (ServiceLevelVariant.ASTERISK_SL2, Fraction(2 + 2, 6)),  # c4 (5 s) and c7 (8 s) abandoned within 20 s
    (ServiceLevelVariant.QUEUED, Fraction(5, 7)),  # c1, c2, c4, c6 (callback at 15 s), c7 left within 20 s
])
def test_service_level_variants(variant: ServiceLevelVariant, expected: Fraction) -> None:
    settings = KpiSettings(service_level_seconds=20, service_level_variant=variant, short_abandon_seconds=5)
    assert queue_kpis(morning(), "sales", *DAY, settings).service_level == expected


def test_no_calls_give_none_not_zero() -> None:
    kpis = queue_kpis({}, "sales", *DAY, SALES)
    assert (kpis.queued, kpis.answered, kpis.abandoned) == (0, 0, 0)
    assert (kpis.service_level, kpis.asa, kpis.abandon_rate, kpis.average_abandon_time, kpis.aht, kpis.acw) == \
        (None, None, None, None, None, None)
    assert percent(kpis.service_level) is None and rounded(kpis.asa) is None


def test_only_short_abandons_leave_abandon_rate_undefined() -> None:
    kpis = queue_kpis(steps(Call("s").queued().step(ev.Abandon, 4)), "sales", *DAY, SALES)
    assert (kpis.short_abandons, kpis.abandon_rate, kpis.service_level) == (1, None, None)


@pytest.mark.parametrize(("wait", "short"), [(5, True), (5.001, False), (4.999, True)])
def test_abandon_exactly_at_the_short_threshold_is_short(wait: float, short: bool) -> None:
    kpis = queue_kpis(steps(Call("s").queued(0).step(ev.Abandon, wait)), "sales", *DAY, SALES)
    assert (kpis.short_abandons, kpis.abandoned) == ((1, 0) if short else (0, 1))


@pytest.mark.parametrize(("wait", "within"), [(20, 1), (20.001, 0), (19.999, 1)])
def test_answer_exactly_at_the_service_level_threshold_is_within(wait: float, within: int) -> None:
    kpis = queue_kpis(steps(Call("s").queued(0).step(ev.Answer, wait, agent="a1")), "sales", *DAY, SALES)
    assert kpis.answered_within == within
    assert kpis.service_level == within


def test_float_clock_noise_is_rounded_to_the_millisecond() -> None:
    call = Call("s", start=0.1).queued(0.2).step(ev.Answer, 20.2, agent="a1")  # 5000.3 -> 5020.3 in floats
    assert queue_kpis(steps(call), "sales", *DAY, SALES).asa == 20


def test_the_period_is_half_open_on_the_enqueue_time() -> None:
    calls = steps(Call("in").queued(0).step(ev.Answer, 5, agent="a1"),
                  Call("out", start=100).queued(0).step(ev.Answer, 5, agent="a1"))
    assert queue_kpis(calls, "sales", at(0), at(100), SALES).queued == 1
    assert queue_kpis(calls, "sales", at(100), at(200), SALES).queued == 1


def test_a_transfer_between_queues_counts_in_both() -> None:
    call = Call("t").queued(0).step(ev.Transfer, 10, to_queue="service").step(ev.Enqueue, 10, queue="service") \
        .step(ev.Answer, 16, queue="service", agent="a9").step(ev.Hangup, 46, queue="service")
    sales, service = (queue_kpis(steps(call), q, *DAY, SALES) for q in ("sales", "service"))
    assert (sales.queued, sales.answered, sales.abandoned, sales.service_level) == (1, 0, 0, None)
    assert (service.queued, service.answered, service.asa, service.aht) == (1, 1, 6, 30)


def test_calls_of_other_queues_are_ignored() -> None:
    calls = steps(Call("x", queue="service").queued().step(ev.Answer, 9, agent="a1"))
    assert queue_kpis(calls, "sales", *DAY, SALES).queued == 0


def test_occupancy_is_handling_over_available_time() -> None:
    changes = [("a1", at(-100), AgentState.LOGGED_OUT), ("a1", at(0), AgentState.READY),
               ("a1", at(600), AgentState.RINGING), ("a1", at(610), AgentState.ON_CALL),
               ("a1", at(900), AgentState.WRAP_UP), ("a1", at(960), AgentState.NOT_READY),
               ("a1", at(1200), AgentState.READY),
               ("a2", at(-50), AgentState.READY), ("a2", at(300), AgentState.ON_CALL)]
    times = agent_times(changes, at(0), at(1800))
    a1, a2 = times["a1"], times["a2"]
    assert a1.staffed == 1800 and a1.handling == 290 + 60 and a1.available == 1800 - 240
    assert a1.occupancy == Fraction(350, 1560)
    assert a2.staffed == 1800 and a2.occupancy == Fraction(1500, 1800)  # ready before the period counts from 0
    assert occupancy(times.values()) == Fraction(350 + 1500, 1560 + 1800)
    assert percent(occupancy(times.values())) == Decimal("55.06")


def test_occupancy_without_available_time_is_none() -> None:
    assert occupancy([]) is None
    times = agent_times([("a1", at(0), AgentState.NOT_READY)], at(0), at(60))
    assert times["a1"].occupancy is None and occupancy(times.values()) is None


def test_entry_counts_show_pre_queue_losses_per_airing() -> None:
    calls = {**steps(Call("ivr").step(ev.IvrNode, 1, flow="main", node="welcome").step(ev.Hangup, 4),
                     Call("ok").queued().step(ev.Answer, 9, agent="a1").step(ev.Hangup, 60), airing_id=7),
             **steps(Call("busy").step(ev.Hangup, 0, cause=ev.HangupCause.REFUSED_503, by=ev.HangupParty.SYSTEM),
                     Call("gone").queued().step(ev.Abandon, 60), Call("live").queued())}
    rows = {row.key: row for row in entry_counts(calls, 5)}
    assert list(rows) == [7, None]
    assert (rows[7].calls, rows[7].lost_in_ivr, rows[7].queued, rows[7].answered) == (2, 1, 1, 1)
    none = rows[None]
    assert (none.calls, none.refused, none.queued, none.abandoned_in_queue, none.open, none.lost_in_ivr) == \
        (3, 1, 2, 1, 1, 0)


def test_display_rounding_is_half_up() -> None:
    assert percent(Fraction(2, 3)) == Decimal("66.67")
    assert rounded(Fraction(1, 8), 2) == Decimal("0.13")
    assert rounded(Fraction(55, 3)) == Decimal("18.3")


@pytest.mark.django_db
def test_queue_settings_come_from_the_settings_with_defaults(settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOTLINE_QUEUE_KPI = {"vip": {"service_level_seconds": 10, "service_level_variant": "answered"}}
    assert settings_for("vip") == KpiSettings(10, ServiceLevelVariant.ANSWERED, 5)
    assert settings_for("sales") == KpiSettings()
    settings.HOTLINE_QUEUE_KPI = {"vip": {"service_level_variant": "nonsense"}}
    with pytest.raises(ImproperlyConfigured):
        settings_for("vip")
    settings.HOTLINE_QUEUE_KPI = {"vip": {"short_abandon_seconds": -1}}
    with pytest.raises(ImproperlyConfigured):
        settings_for("vip")


def test_a_handling_counts_in_the_period_it_was_answered_in() -> None:
    """Queued before the boundary, answered after it: the visit is the first period's, the handling the
    second's (as the report facts count them), so every handling counts in exactly one period."""
    calls = steps(Call("x").queued(0).step(ev.Answer, 30, agent="a1").step(ev.Hangup, 90, agent="a1"))
    first, second = (queue_kpis(calls, "sales", *period, SALES) for period in ((at(-60), at(10)), (at(10), at(200))))
    assert (first.queued, first.handled, first.aht, second.queued, second.handled, second.aht) == \
        (1, 0, None, 0, 1, 60)

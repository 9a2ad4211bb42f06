"""Queue rows: choices kept in step with the engine's enums, overflow validation, the engine's QueueConfig."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hotline.accounts.actions import do_save_object
from hotline.calls.host.config import queue_configs
from hotline.calls.kpi import KpiSettings, ServiceLevelVariant, settings_for
from hotline.calls.models import OverflowKind, Queue, ServiceLevelDenominator, Strategy
from hotline.telephony.acd import queue as acd

pytestmark = pytest.mark.django_db


def test_the_web_choices_are_the_engines_values() -> None:
    assert set(Strategy.values) == {s.value for s in acd.Strategy}
    assert set(OverflowKind.values) == {k.value for k in acd.OverflowKind}
    assert set(ServiceLevelDenominator.values) == {v.value for v in ServiceLevelVariant}


def test_queue_rows_become_the_engines_queue_configs(users: Any) -> None:
    do_save_object(Queue(name="after_sales"), actor=users["admin"])
    do_save_object(Queue(name="orders", strategy="ring_all", wrapup_seconds=15, max_wait_seconds=120, max_length=30,
                         overflow="queue", overflow_to="after_sales", announce_seconds=45), actor=users["admin"])
    assert queue_configs() == (
        acd.QueueConfig(queue_id="after_sales", strategy=acd.Strategy.LONGEST_IDLE, wrap_up_seconds=10.0,
                        max_length=100, max_wait_seconds=300.0, overflow=acd.OverflowTarget(), announce_seconds=30.0),
        acd.QueueConfig(queue_id="orders", strategy=acd.Strategy.RING_ALL, wrap_up_seconds=15.0, max_length=30,
                        max_wait_seconds=120.0,
                        overflow=acd.OverflowTarget(kind=acd.OverflowKind.QUEUE, destination="after_sales"),
                        announce_seconds=45.0),
    )


def test_a_queue_row_s_kpi_thresholds_win_over_the_settings(users: Any, settings: Any) -> None:
    settings.HOTLINE_QUEUE_KPI = {"*": {"service_level_seconds": 60}}
    do_save_object(Queue(name="vip", service_level_seconds=10, service_level_variant="answered",
                         short_abandon_seconds=3), actor=users["admin"])
    assert settings_for("vip") == KpiSettings(10, ServiceLevelVariant.ANSWERED, 3)
    assert settings_for("no_row") == KpiSettings(service_level_seconds=60)


@pytest.mark.parametrize(("overflow", "to"), [("queue", ""), ("voicemail", ""), ("busy", "x"), ("callback", "x"),
                                              ("queue", "orders")])
def test_a_bad_overflow_is_refused_and_saves_nothing(users: Any, overflow: str, to: str) -> None:
    with pytest.raises(ValidationError) as error:
        do_save_object(Queue(name="orders", overflow=overflow, overflow_to=to), actor=users["admin"])
    assert list(error.value.message_dict) == ["overflow_to"]
    assert Queue.objects.count() == 0


def test_routing_settings_and_memberships_reach_the_engine(users: Any) -> None:
    from hotline.calls.host.config import seat_configs
    from hotline.calls.models import QueueMember
    from hotline.calls.queries import agent_skills
    from hotline.calls.seats import do_create_seat, do_log_in_to_seat

    vip = do_save_object(Queue(name="vip", strategy="skills", max_misses=3, affinity_seconds=20, vip_priority=5,
                               skill_level=3, widen_after_seconds=30, widen_to_level=1), actor=users["admin"])
    do_save_object(Queue(name="orders"), actor=users["admin"])
    QueueMember.objects.create(agent=users["agent"], queue=vip, level=4)
    (config, _orders) = sorted(queue_configs(), key=lambda q: q.queue_id != "vip")
    assert (config.max_misses, config.affinity_seconds, config.vip_priority, config.entry_level, config.widening) == (
        3, 20.0, 5, 3, (acd.WideningStep(30.0, 1),))
    assert agent_skills(users["agent"]) == (("vip", 4),)
    seat = do_create_seat("A-01", "8001", "s3cret-pass", actor=users["admin"])
    do_log_in_to_seat(seat, users["agent"], actor=users["admin"])
    do_create_seat("A-02", "8002", "s3cret-pass", actor=users["admin"])
    configs = {seat.seat: seat for seat in seat_configs(queue_configs())}
    assert (configs["A-01"].queues, configs["A-01"].levels) == (("vip",), (("vip", 4),))
    assert (configs["A-02"].agent, configs["A-02"].queues) == ("", ("orders", "vip"))

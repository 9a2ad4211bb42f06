"""Queue rows: choices kept in step with the engine's enums, overflow validation, the engine's QueueConfig."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hotline.accounts.actions import do_save_object
from hotline.calls.directory import queue_configs
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

"""Order numbers: `HL{yyyymmdd}-{nnnnnn}` by the local (Asia/Shanghai) date, sequential per day,
never reused, and unique when many agents create orders at the same moment."""

from __future__ import annotations

import datetime
import re
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from hotline.orders.actions import LineInput, do_create_order, do_transition_order
from hotline.orders.models import Order, OrderNumberCounter
from hotline.orders.numbering import next_order_number
from tests.orders.helpers import order_input, place

UTC = datetime.UTC


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the time Django sees (timezone.now) to a fixed instant."""

    def set_to(instant: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: instant)

    return set_to


def test_the_format(world: Any, agent: Any, clock: Any) -> None:
    clock(datetime.datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    order = place(world, agent)
    assert order.number == "HL20261124-000001"
    assert re.fullmatch(r"HL\d{8}-\d{6}", order.number)


@pytest.mark.parametrize(("utc", "number"), [
    # 15:59:59 UTC is 23:59:59 in Shanghai: still the 23rd there
    (datetime.datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC), "HL20261123-000001"),
    # 16:00 UTC is midnight in Shanghai: the 24th, although it is still the 23rd in UTC
    (datetime.datetime(2026, 11, 23, 16, 0, 0, tzinfo=UTC), "HL20261124-000001"),
    (datetime.datetime(2026, 11, 23, 23, 59, 59, tzinfo=UTC), "HL20261124-000001"),
    # 00:30 UTC on the 24th is 08:30 on the 24th in Shanghai
    (datetime.datetime(2026, 11, 24, 0, 30, 0, tzinfo=UTC), "HL20261124-000001"),
])
def test_the_date_is_the_local_date(world: Any, agent: Any, clock: Any, utc: datetime.datetime,
                                    number: str) -> None:
    clock(utc)
    assert place(world, agent).number == number


def test_numbers_follow_each_other_and_start_again_each_local_day(world: Any, agent: Any, clock: Any) -> None:
    clock(datetime.datetime(2026, 11, 23, 15, 59, 58, tzinfo=UTC))
    evening = [place(world, agent).number for _ in range(3)]
    clock(datetime.datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC))
    night = [place(world, agent).number for _ in range(2)]
    assert evening == ["HL20261123-000001", "HL20261123-000002", "HL20261123-000003"]
    assert night == ["HL20261124-000001", "HL20261124-000002"]
    assert list(OrderNumberCounter.objects.order_by("day").values_list("day", "last")) == [
        (datetime.date(2026, 11, 23), 3), (datetime.date(2026, 11, 24), 2)]


def test_the_prefix_is_a_setting(world: Any, agent: Any, clock: Any, settings: Any) -> None:
    settings.HOTLINE_ORDER_PREFIX = "TV"
    clock(datetime.datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    assert place(world, agent).number == "TV20261124-000001"


def test_the_counter_goes_past_six_digits_without_clashing(db: Any) -> None:
    OrderNumberCounter.objects.create(day=datetime.date(2026, 11, 24), last=999_999)
    assert next_order_number(datetime.date(2026, 11, 24)) == "HL20261124-1000000"


def test_a_deleted_order_number_is_never_given_again(world: Any, agent: Any, clock: Any) -> None:
    clock(datetime.datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    place(world, agent)
    latest = place(world, agent)
    assert latest.number == "HL20261124-000002"
    latest.delete()
    assert place(world, agent).number == "HL20261124-000003"


def test_a_replacement_order_takes_the_next_number(world: Any, users: dict[str, Any], clock: Any) -> None:
    clock(datetime.datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    order = place(world, users["agent"])
    for step in ("reviewed", "shipped", "delivered"):
        order = do_transition_order(order, step, actor=users["logistics"])
    do_transition_order(order, "exchanged", actor=users["logistics"], reason="broken")
    assert list(Order.objects.order_by("number").values_list("number", "replaces__number")) == [
        ("HL20261124-000001", None), ("HL20261124-000002", "HL20261124-000001")]


def test_a_refused_order_uses_no_number(world: Any, agent: Any, clock: Any) -> None:
    clock(datetime.datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    place(world, agent)
    with pytest.raises(Exception, match="quantity"):
        do_create_order(order_input(world, LineInput(world.product.pk, 0)), actor=agent)
    # the refused order's increment was rolled back with it: no order ever held number 2
    assert place(world, agent).number == "HL20261124-000002"


THREADS = 8
PER_THREAD = 5


@pytest.mark.django_db(transaction=True)
def test_numbers_are_unique_under_concurrent_creation(world: Any, agent: Any) -> None:
    # Given 8 agents' worth of threads, released together
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("threads writing to the in-memory SQLite test database (shared cache) fail at once with "
                    "'database table is locked' instead of waiting; set HOTLINE_TEST_SQLITE to a file path "
                    "to run this on SQLite. It always runs on PostgreSQL.")
    start = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def agent_at_work() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                order, _created = do_create_order(order_input(world, LineInput(world.product.pk, 1)), actor=agent)
                with lock:
                    numbers.append(order.number)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=agent_at_work) for _ in range(THREADS)]
    # When they all create orders at once
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    # Then every order got its own number, and the numbers are consecutive from 1
    assert errors == []
    today = timezone.localdate()
    expected = [f"HL{today:%Y%m%d}-{n:06d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert sorted(numbers) == expected
    assert sorted(Order.objects.values_list("number", flat=True)) == expected
    assert OrderNumberCounter.objects.get(day=today).last == THREADS * PER_THREAD

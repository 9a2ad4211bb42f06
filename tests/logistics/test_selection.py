"""The courier choice fed from the database: one read of couriers, outcomes and weights for a batch of
orders, and the COD check the desk warns with."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone, translation

from hotline.logistics.choice import Outcomes
from hotline.logistics.models import Courier
from hotline.logistics.selection import (
    choose_for_order,
    choose_for_orders,
    cod_available,
    delivery_stats,
    load_couriers,
    parcel_weights,
)
from tests import factories
from tests.logistics.selection_world import finish, make_courier, make_order

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def world() -> SimpleNamespace:
    """SF (¥12 first kg) delivered 18 of 20 parcels in 深圳 lately; Yunda (¥10) 10 of 20, and 30 more long
    ago; an order of two 1.2 kg massagers waits."""
    customer = factories.make_customer()
    product = factories.make_product(weight_kg=D("1.2"), volume_cm3=3000)
    sf, yunda = make_courier("SF", "express", "12.00"), make_courier("Yunda", "express", "10.00")
    old = timezone.now() - datetime.timedelta(days=120)
    for courier, delivered, refused in ((sf, 18, 2), (yunda, 10, 10)):
        for index in range(delivered + refused):
            finish(make_order(customer, status="delivered"), courier, "delivered" if index < delivered else "refused")
    for _ in range(30):
        finish(make_order(customer, status="delivered"), yunda, "delivered", at=old)
    order = make_order(customer, (product, 2), total="796.00")
    return SimpleNamespace(customer=customer, product=product, sf=sf, yunda=yunda, order=order)


def test_choose_for_orders_reads_everything_once(world: Any, django_assert_num_queries: Any) -> None:
    second = make_order(world.customer, (world.product, 1), payment_method="transfer")
    orders = [world.order, second]
    with django_assert_num_queries(5):  # couriers, coverage, rates; outcomes; weights
        choices = choose_for_orders(orders)
    first = choices[world.order.pk]
    assert first.chosen is not None and first.runner_up is not None
    assert (first.chosen.courier_id, first.runner_up.courier_id) == (world.sf.pk, world.yunda.pk)
    assert (first.chosen.weight_kg, first.chosen.freight, first.chosen.cod_fee, first.chosen.zone,
            first.chosen.delivery_days) == (D("2.4"), D("18.00"), D("0.00"), "A", 2)
    # SF: 18 + 0.125 × 66; Yunda: 16 + 0.425 × 62 (its outcomes of 120 days ago are not counted)
    assert (first.chosen.expected_cost, first.runner_up.expected_cost) == (D("26.25"), D("42.35"))
    assert first.chosen.reason == "SF: covered, cash on delivery, local delivery rate 88 %, freight ¥18"
    prepaid = choices[second.pk].chosen
    assert prepaid is not None and (prepaid.weight_kg, prepaid.freight) == (D("1.2"), D("14.00"))


def test_delivery_stats_count_by_when_a_parcel_ended(world: Any) -> None:
    lost = make_order(world.customer, city="广州", status="shipped")
    finish(lost, world.sf, "lost")
    stats = delivery_stats()
    assert stats.by_city == {(world.sf.pk, "深圳"): Outcomes(delivered=18, refused=2),
                             (world.yunda.pk, "深圳"): Outcomes(delivered=10, refused=10),
                             (world.sf.pk, "广州"): Outcomes(lost=1)}
    assert stats.national[world.sf.pk] == Outcomes(delivered=18, refused=2, lost=1)
    assert delivery_stats(days=200).by_city[(world.yunda.pk, "深圳")] == Outcomes(delivered=40, refused=10)


def test_parcel_weights_take_the_volumetric_weight_when_larger() -> None:
    customer = factories.make_customer()
    pillow = factories.make_product("枕头", weight_kg=D("0.4"), volume_cm3=9000)
    order = make_order(customer, (pillow, 2))
    empty = make_order(customer)
    assert parcel_weights([order.pk, empty.pk]) == {order.pk: D("3.0"), empty.pk: D("0.0")}


def test_inactive_couriers_are_not_loaded(world: Any) -> None:
    Courier.objects.filter(pk=world.yunda.pk).update(active=False)
    assert [courier.name for courier in load_couriers()] == ["SF"]
    assert [courier.name for courier in load_couriers(active_only=False)] == ["SF", "Yunda"]
    choice = choose_for_order(world.order)
    assert choice.chosen is not None and choice.runner_up is None


def test_an_order_no_courier_may_carry_has_a_problem(world: Any) -> None:
    ems = make_order(world.customer, (world.product, 1), delivery_method="ems")
    choice = choose_for_order(ems)
    assert (choice.chosen, choice.problem) == (None, "No courier carries this delivery method.")
    far = make_order(world.customer, (world.product, 1), province="新疆", city="喀什")
    assert choose_for_order(far).problem == "No courier delivers to 新疆喀什南山区."


def test_cod_available_where_a_courier_collects_cash() -> None:
    make_courier("SF", "express", "12.00", {"province": "广东省", "city": "深圳市"},
                 {"province": "广东省", "city": "深圳市", "district": "南山区", "cod_allowed": False},
                 cod_max=D("2000.00"))
    make_courier("EMS", "ems", "15.00", {"province": "广东省", "cod_allowed": False})
    assert cod_available("广东", "深圳", "福田区", D("398.00")) == (True, "")
    assert cod_available("广东", "深圳", "南山区", D("398.00")) == (
        False, "No courier offers cash on delivery for this order in 广东深圳南山区.")
    assert cod_available("广东", "深圳", "福田区", D("2000.01")) == (
        False, "No courier offers cash on delivery for this order in 广东深圳福田区.")
    assert cod_available("广东", "深圳", "福田区", D("398.00"), delivery_method="ems") == (
        False, "No courier offers cash on delivery for this order in 广东深圳福田区.")
    assert cod_available("北京", "北京", "朝阳区", D("398.00")) == (False, "No courier delivers to 北京朝阳区.")
    assert cod_available("北京", "北京", "朝阳区", D("398.00"), delivery_method="pickup") == (True, "")


def test_cod_is_not_refused_before_logistics_is_set_up() -> None:
    assert cod_available("北京", "北京", "朝阳区", D("398.00")) == (True, "")


def test_one_provinces_coverage_is_enough_for_one_address() -> None:
    make_courier("SF", "express", "12.00", {"province": "广东省", "city": "深圳市"}, {"province": "北京市"})
    make_courier("EMS", "ems", "15.00", {"province": "北京市"})
    loaded = load_couriers(province="广东")
    assert [(courier.name, [area.province for area in courier.coverage]) for courier in loaded] == [
        ("EMS", []), ("SF", ["广东省"])]

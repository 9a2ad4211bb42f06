"""Review of issue 17: an order with a gift taken for points stays editable after the gift is withdrawn from the
list (the gift was already given and paid for in points; only new orders may no longer take it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hotline.crm.models import Customer, PointsReward
from hotline.crm.points import credit
from hotline.orders.actions import LineInput, do_update_order
from tests.orders.helpers import order_input, place


def test_an_order_keeps_its_gift_for_points_after_the_gift_is_withdrawn(world: Any,
                                                                         users: dict[str, Any]) -> None:
    credit(world.customer.pk, "earn", 2000, note="test")
    reward = PointsReward.objects.create(product=world.extra, points=2000)
    order = place(world, users["agent"], reward_id=reward.pk)
    PointsReward.objects.filter(pk=reward.pk).update(active=False)
    do_update_order(order, order_input(world, LineInput(world.product.pk, 1)), actor=users["agent"])
    order.refresh_from_db()
    assert order.total == Decimal("398.00")
    assert order.lines.filter(product=world.extra, is_gift=True).count() == 1
    assert Customer.objects.values_list("points", flat=True).get(pk=world.customer.pk) == 0


def test_a_gift_repriced_after_the_order_gives_no_discount_on_an_edit(world: Any, users: dict[str, Any]) -> None:
    credit(world.customer.pk, "earn", 2000, note="test")
    reward = PointsReward.objects.create(product=world.extra, points=2000)
    order = place(world, users["agent"], reward_id=reward.pk)
    PointsReward.objects.filter(pk=reward.pk).update(points=1500)  # the gift is cheaper for new orders
    do_update_order(order, order_input(world, LineInput(world.product.pk, 1)), actor=users["agent"])
    order.refresh_from_db()
    # the 2,000 points paid for the gift, not ¥5 off the price for the 500 the gift no longer costs
    assert (order.total, order.discount_total) == (Decimal("398.00"), Decimal("0.00"))
    assert Customer.objects.values_list("points", flat=True).get(pk=world.customer.pk) == 0

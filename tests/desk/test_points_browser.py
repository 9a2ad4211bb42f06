"""Points at the desk in headless Chromium: an agent finds a customer with 2,500 points, adds a product, sees
the balance and the promotion priced in, types more points than the customer has (refused on the field),
then 1,000 points, sees ¥10 come off, and places the order: the points are spent. Chromium is never skipped."""

from __future__ import annotations

import datetime
from contextlib import ExitStack
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from hotline.crm.models import Customer, PointsEntry, Promotion
from hotline.crm.points import credit
from hotline.orders.models import Order
from tests import livetest
from tests.desk.test_order_outside_a_call import ERRORS, _add_product, _choose_customer, _open_desk, _place, _wait

pytestmark = pytest.mark.django_db(transaction=True)

TOTAL_IS = "(text) => document.querySelector('#order-total').textContent === text"


def redeem_at_the_desk(world: SimpleNamespace) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    with ExitStack() as stack:
        base = stack.enter_context(livetest.serving())
        browser = stack.enter_context(livetest.chromium())
        page = _open_desk(browser, base, world.agent.username)
        _choose_customer(page, "13800138000", "王小明")
        _add_product(page, "801")
        _wait(page, "() => document.querySelector('#points-balance').textContent !== ''")
        seen["balance"] = page.text_content("#points-balance")
        seen["promotions"] = page.text_content("#promotions")
        seen["total_before"] = page.text_content("#order-total")
        page.fill("#redeem-points", "9999")
        page.press("#redeem-points", "Tab")  # leaving the field is a change: a new quote
        _wait(page, "() => document.querySelectorAll('#order-errors li').length > 0")
        seen["refused"] = (page.evaluate(ERRORS), page.get_attribute("#redeem-points", "aria-invalid"))
        page.fill("#redeem-points", "1000")
        page.press("#redeem-points", "Tab")
        _wait(page, "() => document.querySelector('#points-discount').textContent !== ''")
        seen["discount"] = page.text_content("#points-discount")
        seen["total_after"] = page.text_content("#order-total")
        seen["errors_after"] = page.evaluate(ERRORS)
        seen["order"] = _place(page)
    return seen


def test_an_agent_redeems_points_on_an_order(call_world: SimpleNamespace) -> None:
    world = call_world
    credit(world.customer.pk, "earn", 2500, note="test")
    now = timezone.now()
    Promotion.objects.create(name="会员节立减20", kind="amount", amount=Decimal("20"),
                             starts_at=now - datetime.timedelta(hours=1), ends_at=now + datetime.timedelta(hours=1))
    price = world.product.price
    seen = redeem_at_the_desk(world)
    # The untranslated template words are English until the integrator adds the Chinese; the numbers are what count.
    assert "2500" in seen["balance"] and "会员节立减20" in seen["promotions"]
    assert seen["total_before"] == f"¥{price - 20:.2f}"
    errors, invalid = seen["refused"]
    assert (len(errors), "2500" in errors[0], invalid) == (1, True, "true")  # "The customer has only 2500 points."
    assert "1000" in seen["discount"] and "10.00" in seen["discount"]
    assert (seen["total_after"], seen["errors_after"]) == (f"¥{price - 30:.2f}", [])
    order = Order.objects.get(number=seen["order"])
    assert (order.total, Customer.objects.get(pk=world.customer.pk).points) == (price - 30, 1500)
    assert list(PointsEntry.objects.order_by("id").values_list("kind", "points")) == [("earn", 2500),
                                                                                       ("redeem", -1000)]

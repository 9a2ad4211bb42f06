"""Through the API, an agent edits or cancels only the orders they took; supervisors any."""

from __future__ import annotations

import pytest

from hotline.orders.models import Order, Status
from tests import factories
from tests.api.helpers import ApiClient, nothing_written, raw_token

EDIT = {"lines": [{"product_id": 0, "quantity": 3}], "address_text": "北京市朝阳区建国路1号"}
CANCEL = {"to": "cancelled", "reason": "客户改主意"}


def edit_body(shop):  # type: ignore[no-untyped-def]
    return {**EDIT, "lines": [{"product_id": shop.extra.pk, "quantity": 3}]}


@pytest.fixture
def other_agent(db):  # type: ignore[no-untyped-def]
    return ApiClient(raw_token(factories.make_user("agent", username="t_other_agent")))


def test_anonymous_cannot_edit_or_cancel(shop, anonymous):
    with nothing_written():
        assert anonymous.put(f"/api/orders/{shop.order.number}", edit_body(shop)).status_code == 401
        assert anonymous.post(f"/api/orders/{shop.order.number}/transitions", CANCEL).status_code == 401


def test_another_agent_cannot_edit_or_cancel_and_nothing_changes(shop, other_agent):
    refusal = {"detail": f"Order {shop.order.number} was taken by another agent: only they or a supervisor "
                         "may change it."}
    with nothing_written():
        edited = other_agent.put(f"/api/orders/{shop.order.number}", edit_body(shop))
        cancelled = other_agent.post(f"/api/orders/{shop.order.number}/transitions", CANCEL)
    assert (edited.status_code, edited.json()) == (403, refusal)
    assert (cancelled.status_code, cancelled.json()) == (403, refusal)
    order = Order.objects.get(pk=shop.order.pk)
    assert (order.status, [line.quantity for line in order.lines.filter(is_gift=False)]) == (Status.ORDERED, [2])


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_the_agent_who_took_it_and_a_supervisor_may(shop, as_role, role):
    edited = as_role(role).put(f"/api/orders/{shop.order.number}", edit_body(shop))
    assert (edited.status_code, [line["quantity"] for line in edited.json()["lines"]]) == (200, [3])
    cancelled = as_role(role).post(f"/api/orders/{shop.order.number}/transitions", CANCEL)
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")

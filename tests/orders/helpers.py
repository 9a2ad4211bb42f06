"""Builders and checks shared by the order tests."""

from __future__ import annotations

from collections import deque
from typing import Any

from hotline.accounts.models import AuditEntry
from hotline.catalog.models import Product
from hotline.crm.models import Customer
from hotline.notify.models import Notification
from hotline.orders.actions import LineInput, OrderInput, do_create_order, do_transition_order
from hotline.orders.models import Order, OrderLine, OrderNumberCounter, OrderStatusChange, Status
from hotline.orders.transitions import allowed_next


def order_input(world: Any, *lines: LineInput, **fields: Any) -> OrderInput:
    """An order for the world's customer, to their saved address, of `lines` (default: 2 × product)."""
    fields.setdefault("address_id", world.customer.addresses.get().pk)
    wanted = list(lines) or [LineInput(world.product.pk, 2)]
    return OrderInput(customer_id=world.customer.pk, lines=wanted, **fields)


def place(world: Any, actor: Any, *lines: LineInput, **fields: Any) -> Order:
    order, created = do_create_order(order_input(world, *lines, **fields), actor=actor)
    assert created
    return order


def path_to(status: str) -> list[str]:
    """The shortest walk from ordered to `status` through the lifecycle table (not hand-listed)."""
    previous: dict[str, str | None] = {Status.ORDERED: None}
    queue = deque([str(Status.ORDERED)])
    while queue:
        current = queue.popleft()
        for following in allowed_next(current):
            if following not in previous:
                previous[following] = current
                queue.append(following)
    steps: list[str] = []
    at: str | None = status
    while at is not None and previous[at] is not None:
        steps.append(at)
        at = previous[at]
    return steps[::-1]


def walk_to(order: Order, status: str, actor: Any) -> Order:
    for step in path_to(status):
        order = do_transition_order(order, step, actor=actor, reason="getting there")
    assert order.status == status
    return order


def state() -> dict[str, Any]:
    """Everything an order action may write; compare before and after a refused action."""
    return {
        "orders": list(Order.objects.order_by("pk").values_list(
            "pk", "number", "status", "subtotal", "total", "points", "settled_amount", "recipient",
            "province", "address_detail", "payment_method", "notes")),
        "lines": list(OrderLine.objects.order_by("pk").values_list(
            "pk", "order_id", "product_id", "quantity", "unit_price", "line_total", "is_gift")),
        "history": OrderStatusChange.objects.count(),
        "audit": AuditEntry.objects.count(),
        "notifications": Notification.objects.count(),
        "stock": list(Product.objects.order_by("pk").values_list("pk", "stock")),
        "customers": list(Customer.objects.order_by("pk").values_list("pk", "points", "first_airing_id")),
        "counters": list(OrderNumberCounter.objects.order_by("day").values_list("day", "last")),
    }

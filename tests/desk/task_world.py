"""Builders for the order-task tests: orders, parcels and the tasks logistics leaves for agents. They write
through the models: they set up a world, they are not under test."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hotline.catalog.models import Product
from hotline.crm.models import Customer
from hotline.logistics.models import Courier, OrderTask, Shipment, ShipmentStatus, TaskKind, TaskStatus
from hotline.orders.models import Order, OrderLine, Status

_seq = itertools.count(1)
NOW = timezone.now()


def make_courier(name: str = "EMS") -> Courier:
    return Courier.objects.create(code=f"c{next(_seq)}", name=name, kind="ems")


def make_order(customer: Customer, product: Product, *, agent: Any = None, status: str = Status.REVIEWED,
               quantity: int = 1, **fields: Any) -> Order:
    total = product.price * quantity
    values: dict[str, Any] = {"number": f"D{next(_seq):08d}", "recipient": customer.name,
                              "recipient_phone": "13800138000", "province": "广东", "city": "深圳",
                              "district": "南山区", "address_detail": "科技园南路18号", "payment_method": "cod",
                              "delivery_method": "courier", "subtotal": total, "total": total, "status": status,
                              "agent": agent}
    values.update(fields)
    order = Order.objects.create(customer=customer, **values)
    OrderLine.objects.create(order=order, product=product, quantity=quantity, unit_price=product.price,
                             line_total=total)
    return order


def make_shipment(order: Order, courier: Courier, status: str = ShipmentStatus.REFUSED,
                  tracking: str | None = None) -> Shipment:
    return Shipment.objects.create(order=order, courier=courier, status=status,
                                   tracking_number=tracking or f"EA{next(_seq):09d}CN", cod_due=order.total,
                                   freight=Decimal("12.00"))


def make_task(order: Order, kind: str, *, reason: str = "", urgent: bool = False, assigned_to: Any = None,
              shipment: Shipment | None = None, minutes_ago: int = 0, status: str = TaskStatus.OPEN,
              outcome: str = "", done_at: datetime.datetime | None = None) -> OrderTask:
    task = OrderTask.objects.create(order=order, kind=kind, reason=reason or f"{TaskKind(kind).label}",
                                    urgent=urgent, assigned_to=assigned_to, shipment=shipment, status=status,
                                    outcome=outcome, done_at=done_at)
    OrderTask.objects.filter(pk=task.pk).update(created_at=NOW - datetime.timedelta(minutes=minutes_ago))
    task.refresh_from_db()
    return task

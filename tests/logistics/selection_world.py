"""Builders for the courier-choice and refusal-risk database tests: couriers with coverage and prices,
orders with lines, and finished shipments. They write through the models: they set up a world."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hotline.catalog.models import Product
from hotline.crm.models import Customer
from hotline.logistics.models import Courier, Coverage, FeeRate, Shipment, ShipmentStatus
from hotline.orders.models import Order, OrderLine, Status

_seq = itertools.count(1)


def make_courier(name: str, kind: str = "express", fee: str = "10.00", *areas: dict[str, Any],
                 **fields: Any) -> Courier:
    courier = Courier.objects.create(code=f"c{next(_seq)}", name=name, kind=kind, **fields)
    FeeRate.objects.create(courier=courier, zone="A", first_weight_kg=Decimal("1"), first_fee=Decimal(fee),
                           step_kg=Decimal("0.5"), step_fee=Decimal("2.00"))
    for area in areas or ({"province": "广东省", "city": "深圳市"},):
        Coverage.objects.create(courier=courier, zone="A", delivery_days=2, **area)
    return courier


def make_order(customer: Customer, *lines: tuple[Product, int], city: str = "深圳", total: str = "398.00",
               status: str = Status.REVIEWED, at: datetime.datetime | None = None, **fields: Any) -> Order:
    values: dict[str, Any] = {"province": "广东", "district": "南山区", "payment_method": "cod",
                              "delivery_method": "courier"}
    values.update(fields)
    order = Order.objects.create(number=f"T{next(_seq):08d}", customer=customer, recipient=customer.name,
                                 recipient_phone="13800138000", city=city, total=Decimal(total), status=status,
                                 **values)
    for product, quantity in lines:
        OrderLine.objects.create(order=order, product=product, quantity=quantity, unit_price=product.price,
                                 line_total=product.price * quantity)
    if at is not None:
        Order.objects.filter(pk=order.pk).update(created_at=at)
        order.refresh_from_db()
    return order


def finish(order: Order, courier: Courier, outcome: str, at: datetime.datetime | None = None) -> Shipment:
    """A shipment of `order` that ended `outcome` (delivered, refused or lost) at `at` (default now)."""
    at = at or timezone.now()
    status = {"delivered": ShipmentStatus.DELIVERED, "refused": ShipmentStatus.RETURNED,
              "lost": ShipmentStatus.LOST}[outcome]
    return Shipment.objects.create(order=order, courier=courier, status=status, last_event_at=at,
                                   delivered_at=at if outcome == "delivered" else None,
                                   refused_at=at if outcome == "refused" else None)

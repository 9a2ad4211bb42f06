"""Builders for the workbench tests: couriers that cover the test address, orders waiting for review, parcels
on the shelf, in a batch or with the courier. They write through the models: they set up a world."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from hotline.catalog.models import Product
from hotline.crm.models import Customer
from hotline.logistics.models import (
    Courier,
    Coverage,
    DispatchBatch,
    FeeRate,
    Shipment,
    ShipmentStatus,
)
from hotline.orders.models import Order, OrderLine, Status

_seq = itertools.count(1)


def make_courier(name: str = "顺丰速运", kind: str = "express", *, code: str | None = None, fee: str = "12.00",
                 province: str = "广东", city: str = "深圳", cod_allowed: bool = True, **fields: Any) -> Courier:
    """A courier covering one city (zone A: `fee` for the first kg, ¥2 per extra 0.5 kg, 2 days)."""
    courier = Courier.objects.create(code=code or f"c{next(_seq)}", name=name, kind=kind, **fields)
    FeeRate.objects.create(courier=courier, zone="A", first_weight_kg=Decimal("1"), first_fee=Decimal(fee),
                           step_kg=Decimal("0.5"), step_fee=Decimal("2.00"))
    Coverage.objects.create(courier=courier, province=province, city=city, zone="A", delivery_days=2,
                            cod_allowed=cod_allowed)
    return courier


def make_order(customer: Customer, *lines: tuple[Product, int], status: str = Status.ORDERED,
               at: datetime.datetime | None = None, number: str | None = None, **fields: Any) -> Order:
    """An order to the customer in 广东深圳南山区 (cash on delivery by courier unless told otherwise)."""
    values: dict[str, Any] = {"province": "广东", "city": "深圳", "district": "南山区",
                              "address_detail": "科技园南路18号", "payment_method": "cod", "delivery_method": "courier",
                              "recipient": customer.name, "recipient_phone": "13800138000"}
    values.update(fields)
    total = sum((product.price * quantity for product, quantity in lines), Decimal("0"))
    values.setdefault("total", total)
    values.setdefault("subtotal", total)
    order = Order.objects.create(number=number or f"L{next(_seq):07d}", customer=customer, status=status, **values)
    for product, quantity in lines:
        OrderLine.objects.create(order=order, product=product, quantity=quantity, unit_price=product.price,
                                 line_total=product.price * quantity)
    if at is not None:
        Order.objects.filter(pk=order.pk).update(created_at=at)
        order.refresh_from_db()
    return order


def make_parcel(order: Order, courier: Courier, *, status: str = ShipmentStatus.PENDING,
                batch: DispatchBatch | None = None, tracking: str | None = None,
                last_event_at: datetime.datetime | None = None, freight: str = "12.00") -> Shipment:
    """The order's parcel (the order made 已审核, or 已发货 once the parcel has a tracking number)."""
    shipped = status != ShipmentStatus.PENDING
    Order.objects.filter(pk=order.pk).update(status=Status.SHIPPED if shipped else Status.REVIEWED)
    order.refresh_from_db()
    now = timezone.now()
    return Shipment.objects.create(order=order, courier=courier, status=status, batch=batch, tracking_number=tracking,
                                   freight=Decimal(freight), cod_due=order.total, weight_kg=Decimal("1.0"),
                                   choice_reason=f"{courier.name}: 覆盖", shipped_at=now if shipped else None,
                                   last_event_at=last_event_at or (now if shipped else None))


def make_batch(courier: Courier, *parcels: Shipment, number: str | None = None) -> DispatchBatch:
    batch = DispatchBatch.objects.create(number=number or f"B{next(_seq):04d}-{courier.code.upper()}",
                                         courier=courier)
    Shipment.objects.filter(pk__in=[parcel.pk for parcel in parcels]).update(batch=batch)
    return batch


def make_world() -> Any:
    """A product on the shelf (tracked, 10 to sell, at A-01-02), a customer in 深圳, a courier covering 深圳
    with cash on delivery, and one order waiting for review."""
    from types import SimpleNamespace

    from tests import factories

    product = factories.make_product("颈椎按摩仪", "398.00", track_stock=True, stock=10, location="A-01-02",
                                     low_stock=3)
    customer = factories.make_customer("王小明", "13800138000")
    courier = make_courier("顺丰速运", code="sf")
    order = make_order(customer, (product, 1), number="L0000001")
    return SimpleNamespace(product=product, customer=customer, courier=courier, order=order)

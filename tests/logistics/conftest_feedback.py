"""Builders for the feedback-file and push-API tests: couriers and shipped parcels written straight through
the models (the world is set up here, not under test), and a snapshot of everything recording an event may
change, to compare the bulk apply with one-by-one recording and to prove a refused input changed nothing."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from hotline.accounts.models import AuditEntry
from hotline.crm.models import Customer
from hotline.logistics.models import Courier, CourierKind, OrderTask, Shipment, ShipmentEvent, ShipmentStatus
from hotline.notify.models import Notification
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories

_seq = itertools.count(1)
T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def make_courier(code: str = "ems", name: str = "EMS", **fields: Any) -> Courier:
    fields.setdefault("kind", CourierKind.EMS)
    return Courier.objects.create(code=code, name=name, **fields)


def ship(courier: Courier, tracking: str, *, customer: Customer | None = None, points: int = 10,
         agent: Any = None, status: str = ShipmentStatus.SHIPPED) -> Shipment:
    """A shipped COD order of one customer with its parcel on the way."""
    n = next(_seq)
    customer = customer or factories.make_customer(name=f"客户{n}", phone=f"1390000{n:04d}")
    order = Order.objects.create(number=f"D20261201{n:04d}", status=Status.SHIPPED, customer=customer,
                                 recipient=customer.name, recipient_phone="13900000000", province="广东",
                                 city="深圳", district="南山区", total=Decimal("398.00"), subtotal=Decimal("398.00"),
                                 points=points, agent=agent)
    return Shipment.objects.create(order=order, courier=courier, tracking_number=tracking, status=status,
                                   shipped_at=T0, last_event_at=T0)


def outcome() -> dict[str, Any]:
    """Everything recording events may change, without ids and times that differ between two runs."""
    return {
        "shipments": list(Shipment.objects.order_by("tracking_number").values_list(
            "tracking_number", "status", "delivered_at", "refused_at", "refusal_reason", "returned_at",
            "last_event_at")),
        "events": sorted(ShipmentEvent.objects.values_list("shipment__tracking_number", "kind", "at", "detail",
                                                           "source", "actor_id")),
        "orders": list(Order.objects.order_by("number").values_list("number", "status")),
        "history": sorted(OrderStatusChange.objects.values_list("order__number", "from_status", "to_status",
                                                                "reason", "actor_id")),
        "audit": sorted((action, pk, name, _timeless(before), _timeless(after)) for action, pk, name, before, after
                        in AuditEntry.objects.filter(object_type="orders.order").values_list(
                            "action", "object_id", "actor_name", "before", "after")),
        "points": list(Customer.objects.order_by("pk").values_list("pk", "points")),
        "tasks": sorted(OrderTask.objects.values_list("order__number", "kind", "reason", "urgent", "status",
                                                      "assigned_to_id")),
        "notifications": sorted(Notification.objects.values_list("order__number", "channel", "recipient",
                                                                 "subject", "body")),
    }


def _timeless(values: dict[str, Any] | None) -> str:
    """An audit snapshot without `updated_at`, which differs by the run's clock."""
    return str(sorted((key, value) for key, value in (values or {}).items() if key != "updated_at"))

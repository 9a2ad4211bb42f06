"""A small logistics world for the action tests: couriers with coverage, fee rates and COD terms, a
logistics clerk and agents, customers with addresses in and out of coverage, stocked products, and orders
placed the way the desk places them (`do_create_order`). Builders write through the models: they set up
a world, they are not under test (orders are the exception, so that stock is held as in production).

Prices, chosen so that every figure in the tests can be worked out by hand for 2 massagers (2 × 1.2 kg =
2.4 kg, ¥796 COD):
- EMS (EMS, all of 广东, zone A ¥12 first kg + ¥3 per 0.5 kg): freight ¥21, COD fee 1.5 % = ¥11.94
  (at least ¥5, COD only up to ¥3,000), return freight 50 % of the freight.
- ZTO (express, 深圳, zone B ¥10 + ¥2): freight ¥16, COD fee 1 % = ¥7.96; the cheapest express.
- SF (express, 深圳, zone B ¥15 + ¥4): freight ¥27, COD fee 2 % = ¥15.92; the runner-up.
- Yunda (express, 深圳, zone B ¥8 + ¥1): no cash on delivery at all.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hotline.accounts.models import AuditEntry, User
from hotline.catalog.models import Product
from hotline.crm.models import Address, Customer
from hotline.logistics.models import (
    Courier,
    Coverage,
    DispatchBatch,
    FeeRate,
    MovementKind,
    OrderTask,
    PrintLog,
    ReturnLine,
    ReturnReceipt,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    StockMovement,
)
from hotline.notify.models import Notification
from hotline.orders.actions import LineInput, OrderInput, do_create_order, do_transition_order
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories

D = Decimal
_seq = itertools.count(1)
# A fixed time for tracking events: what matters is their order, never the clock.
T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def at(minutes: int) -> datetime.datetime:
    """`minutes` after T0."""
    return T0 + datetime.timedelta(minutes=minutes)


@dataclass
class World:
    """Everything a logistics test starts from (see the module's docstring for the prices)."""

    clerk: User  # logistics: review, ship, record deliveries, returns, stock
    agent: User  # took the orders; makes the calls on the worklist
    other_agent: User
    ems: Courier
    zto: Courier
    sf: Courier
    yunda: Courier
    customer: Customer  # 王小明, 广东 深圳 南山区 科技园南路18号
    massager: Product  # ¥398, 10 points, 1.2 kg, 50 in stock
    kneepad: Product  # ¥99, 2 points, 0.3 kg, 20 in stock

    def place(self, *lines: tuple[Product, int], customer: Customer | None = None, **fields: Any) -> Order:
        """An order taken by `agent` (default 2 massagers, EMS, cash on delivery, the saved address)."""
        customer = customer or self.customer
        fields.setdefault("address_id", customer.addresses.order_by("-is_default", "pk")[0].pk)
        wanted = [LineInput(product.pk, quantity) for product, quantity in lines] or [LineInput(self.massager.pk, 2)]
        order, created = do_create_order(OrderInput(customer_id=customer.pk, lines=wanted, **fields), actor=self.agent)
        assert created
        return order

    def review(self, order: Order) -> Shipment:
        """Review `order` through the action and return its new parcel."""
        from hotline.logistics.actions import do_review_orders

        result = do_review_orders([order], actor=self.clerk)
        assert result.reviewed == [order.pk], result
        return Shipment.objects.get(order=order)

    def ship(self, order: Order, tracking: str | None = None) -> Shipment:
        """Review and scan `order` to shipped through the actions."""
        from hotline.logistics.actions import do_ship_parcel

        if Order.objects.values_list("status", flat=True).get(pk=order.pk) == Status.ORDERED:
            self.review(order)
        return do_ship_parcel(order.number, tracking or f"EA{next(_seq):09d}CN", actor=self.clerk)


def make_courier(code: str, name: str, kind: str, zone: str, first_fee: str, step_fee: str,
                 areas: list[dict[str, Any]], **fields: Any) -> Courier:
    courier = Courier.objects.create(code=code, name=name, kind=kind, **fields)
    FeeRate.objects.create(courier=courier, zone=zone, first_weight_kg=D("1"), first_fee=D(first_fee),
                           step_kg=D("0.5"), step_fee=D(step_fee))
    for area in areas:
        Coverage.objects.create(courier=courier, zone=zone, **area)
    return courier


def stocked_product(name: str, price: str, stock: int, **fields: Any) -> Product:
    """A product whose stock is tracked, with its opening stock on the ledger too."""
    product = factories.make_product(name, price, track_stock=True, stock=stock, **fields)
    StockMovement.objects.create(product=product, kind=MovementKind.RECEIVED, quantity=stock, note="opening")
    return product


def add_address(customer: Customer, province: str, city: str, district: str, detail: str) -> Address:
    """Another saved address, made the default (so `World.place` sends there)."""
    customer.addresses.update(is_default=False)
    return Address.objects.create(customer=customer, recipient=customer.name, phone="13800138000",
                                  province=province, city=city, district=district, detail=detail, is_default=True)


def make_customer(name: str, phone: str, gender: str = "m") -> Customer:
    return factories.make_customer(name, phone, gender)


def make_refuser(w: World, refusals: int = 3) -> Customer:
    """A customer who refused `refusals` parcels before (their history is what the risk reads)."""
    customer = make_customer("李四", "13900139000", "f")
    for _ in range(refusals):
        Order.objects.create(number=f"P{next(_seq):08d}", customer=customer, status=Status.REFUSED,
                             recipient=customer.name, recipient_phone="13900139000", province="广东", city="深圳",
                             district="南山区", address_detail="科技园南路18号", total=D("398.00"))
    return customer


def build_world() -> World:
    clerk = factories.make_user("logistics", "clerk")
    agent = factories.make_user("agent", "agent_wang")
    other = factories.make_user("agent", "agent_li")
    ems = make_courier("ems", "EMS", "ems", "A", "12.00", "3.00",
                       [{"province": "广东", "delivery_days": 3}],
                       cod_max=D("3000.00"), cod_fee_percent=D("1.5"), cod_fee_min=D("5.00"),
                       return_freight_percent=D("50"))
    shenzhen = [{"province": "广东", "city": "深圳", "delivery_days": 2}]
    zto = make_courier("zto", "ZTO", "express", "B", "10.00", "2.00", shenzhen,
                       cod_fee_percent=D("1"), cod_fee_min=D("2.00"))
    sf = make_courier("sf", "SF", "express", "B", "15.00", "4.00", shenzhen,
                      cod_fee_percent=D("2"), cod_fee_min=D("3.00"), cod_max=D("1000.00"))
    yunda = make_courier("yunda", "Yunda", "express", "B", "8.00", "1.00", shenzhen, cod_supported=False)
    return World(clerk=clerk, agent=agent, other_agent=other, ems=ems, zto=zto, sf=sf, yunda=yunda,
                 customer=make_customer("王小明", "13800138000"),
                 massager=stocked_product("颈椎按摩仪", "398.00", 50, points=10, weight_kg=D("1.2")),
                 kneepad=stocked_product("护膝", "99.00", 20, points=2, weight_kg=D("0.3")))


def walk(order: Order, *statuses: str, actor: Any = None) -> Order:
    """Move an order through `statuses` with plain transitions (the system as actor)."""
    for status in statuses:
        order = do_transition_order(order, status, actor=actor, reason="set up")
    return order


def parcel(order: Order, courier: Courier, status: str = ShipmentStatus.SHIPPED, tracking: str | None = None,
           **fields: Any) -> Shipment:
    """A parcel of `order` created directly in `status` (with a tracking number unless pending)."""
    if tracking is None and status != ShipmentStatus.PENDING:
        tracking = f"TN{next(_seq):08d}"
    fields.setdefault("freight", D("21.00"))
    return Shipment.objects.create(order=order, courier=courier, status=status, tracking_number=tracking,
                                   shipped_at=None if status == ShipmentStatus.PENDING else T0, **fields)


def stock_of(product: Product) -> int | None:
    """What the desk may still sell (None for a product whose stock is not tracked)."""
    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)


def ledger(product: Product) -> list[tuple[str, int]]:
    """The product's movements, oldest first, as (kind, quantity)."""
    return list(StockMovement.objects.filter(product=product).order_by("pk").values_list("kind", "quantity"))


def points_of(customer: Customer) -> int:
    return Customer.objects.values_list("points", flat=True).get(pk=customer.pk)


def audit_actions(obj: Any = None) -> list[str]:
    """Audit actions, oldest first (of one object when given)."""
    rows = AuditEntry.objects.order_by("pk")
    if obj is not None:
        rows = rows.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return list(rows.values_list("action", flat=True))


def state() -> dict[str, Any]:
    """Everything a logistics action may write; compare before and after a refused action."""
    return {
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status", "total", "points")),
        "history": OrderStatusChange.objects.count(),
        "shipments": list(Shipment.objects.order_by("pk").values_list(
            "pk", "status", "courier_id", "runner_up_id", "tracking_number", "freight", "cod_due", "cod_fee",
            "batch_id", "overridden", "shipped_at", "delivered_at", "refused_at", "returned_at", "return_freight",
            "last_event_at")),
        "events": ShipmentEvent.objects.count(),
        "tasks": list(OrderTask.objects.order_by("pk").values_list("pk", "kind", "status", "outcome")),
        "movements": StockMovement.objects.count(),
        "stock": list(Product.objects.order_by("pk").values_list("pk", "stock")),
        "points": list(Customer.objects.order_by("pk").values_list("pk", "points")),
        "batches": list(DispatchBatch.objects.order_by("pk").values_list("pk", "status")),
        "prints": PrintLog.objects.count(),
        "receipts": ReturnReceipt.objects.count(),
        "return_lines": ReturnLine.objects.count(),
        "audit": AuditEntry.objects.count(),
        "notifications": Notification.objects.count(),
    }


"""Parcels, tracking events and the stock ledger of the demo orders, planned in memory, written in bulk.

Every order that left the warehouse (its history passes `shipped`) gets one shipment, except self
pick-ups, which no courier carries. The courier follows the order's delivery method, the courier's
coverage of the address and its cash-on-delivery terms (`pick_courier`); freight, weight and COD fee are
computed as `hotline.logistics.choice` computes them. The shipment's times are the order's: shipped at
its `shipped` step, delivered or refused at its `delivered` / `refused` step, back at the warehouse at the
`returned` step that follows a refusal. Tracking numbers count up from a random start per courier, in
each courier's format, like the pre-printed waybill books they come from.

The stock ledger starts with one `received` row per tracked product, sized so that after the `shipped`
rows (one per order and product, at the shipping time):

    on hand = Σ movements = Product.stock + units held by open orders not yet shipped (ordered, reviewed)
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from hotline.demo.catalogue import Catalogue
from hotline.demo.logistics import CourierBook
from hotline.demo.orders import PlannedOrder
from hotline.lib.money import ZERO, yuan
from hotline.logistics.choice import Area, CourierTerms, cod_fee_for, freight_for, parcel_weight
from hotline.logistics.models import (
    EventKind,
    EventSource,
    MovementKind,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    StockMovement,
)
from hotline.orders.models import DeliveryMethod, Order, PaymentMethod, Status

HOUR = datetime.timedelta(hours=1)
HELD_STATUSES = frozenset({Status.ORDERED, Status.REVIEWED})
# Where each delivery method's parcels go, by preference; the post office takes what nobody else can.
METHOD_COURIERS: dict[str, tuple[str, ...]] = {
    DeliveryMethod.EMS: ("ems",), DeliveryMethod.POST: ("post",),
    DeliveryMethod.COURIER: ("fleet", "suda", "sf", "yto"),
}  # fmt: skip
FALLBACK = "post"
EXPRESS_WEIGHTS = {"sf": 35, "yto": 65}
SOURCES = {"ems": EventSource.IMPORT, "post": EventSource.IMPORT, "suda": EventSource.IMPORT,
           "sf": EventSource.PUSH, "yto": EventSource.PUSH, "fleet": EventSource.MANUAL}  # fmt: skip
DETAILS = {EventKind.PICKED_UP: "已揽收（广州仓）", EventKind.IN_TRANSIT: "离开广州处理中心，运输中",
           EventKind.OUT_FOR_DELIVERY: "派送中，请保持电话畅通", EventKind.DELIVERED: "已签收",
           EventKind.RETURNING: "退回寄件人", EventKind.RETURNED: "已退回仓库"}  # fmt: skip
RECEIVED_NOTE = "期初入库"
# The status of a parcel still on its way, by its last event.
ON_THE_WAY: dict[str, str] = {EventKind.IN_TRANSIT: ShipmentStatus.IN_TRANSIT,
                              EventKind.OUT_FOR_DELIVERY: ShipmentStatus.OUT_FOR_DELIVERY}


@dataclass
class LogisticsRows:
    """Rows for bulk_create, in dependency order."""

    shipments: list[Shipment] = field(default_factory=list)
    events: list[ShipmentEvent] = field(default_factory=list)
    movements: list[StockMovement] = field(default_factory=list)


class Waybills:
    """Tracking numbers per courier: consecutive from a random start, in the courier's own format."""

    def __init__(self, rng: random.Random) -> None:
        self.next = {"ems": rng.randrange(10_000_000, 90_000_000), "post": rng.randrange(10**10, 9 * 10**10),
                     "sf": rng.randrange(2 * 10**11, 9 * 10**11), "yto": rng.randrange(10**12, 9 * 10**12),
                     "suda": rng.randrange(10**9, 9 * 10**9), "fleet": rng.randrange(10**7, 9 * 10**7)}
        self.ems_series = "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")

    def number(self, code: str) -> str:
        serial = self.next[code]
        self.next[code] += 1
        if code == "ems":
            return f"{self.ems_series}{serial:08d}{s10_check_digit(serial)}CN"
        return {"post": f"98{serial:011d}", "sf": f"{serial:012d}", "yto": f"YT{serial:013d}",
                "suda": f"SD{serial:010d}", "fleet": f"ZY{serial:08d}"}[code]


def s10_check_digit(serial: int) -> int:
    """The UPU S10 check digit of an 8-digit serial (as on EMS numbers: EA123456785CN)."""
    total = sum(int(digit) * weight for digit, weight in zip(f"{serial:08d}", (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return 0 if check == 10 else 5 if check == 11 else check


def pick_courier(order: PlannedOrder, row: Order, book: CourierBook,
                 rng: random.Random) -> tuple[CourierTerms, Area]:
    """A courier that may carry the parcel: the method's couriers that cover the address and, for cash on
    delivery, collect cash there up to the amount. Our vans, then the city company, come first in their
    areas; otherwise an express company by share; the post office when nobody else can."""
    eligible = []
    for code in METHOD_COURIERS.get(order.delivery_method, ()):
        terms = book.terms[code]
        area = terms.area_for(row.province, row.city, row.district)
        if area is not None and (not _collects(order) or _takes_cash(terms, area, order.total)):
            eligible.append((code, terms, area))
    if not eligible:
        terms = book.terms[FALLBACK]
        area = terms.area_for(row.province, row.city, row.district)
        assert area is not None, f"the post office covers every province, not {row.province}"
        return terms, area
    local = [option for option in eligible if option[0] not in EXPRESS_WEIGHTS]
    if local:
        return local[0][1], local[0][2]
    chosen = rng.choices(eligible, [EXPRESS_WEIGHTS[code] for code, _t, _a in eligible])[0]
    return chosen[1], chosen[2]


def _collects(order: PlannedOrder) -> bool:
    return order.payment_method == PaymentMethod.COD


def _takes_cash(terms: CourierTerms, area: Area, amount: Decimal) -> bool:
    return terms.cod_supported and area.cod_allowed and (terms.cod_max is None or amount <= terms.cod_max)


@dataclass
class ShipmentPlanner:
    """Turns the planned orders into shipments, events and stock movements."""

    catalogue: Catalogue
    book: CourierBook
    logistics_user: int
    now: datetime.datetime
    rng: random.Random

    def rows(self, planned: list[PlannedOrder], orders: dict[int, Order]) -> LogisticsRows:
        result = LogisticsRows()
        waybills = Waybills(self.rng)
        for order in planned:
            steps = {step.to_status: step for step in order.steps}
            waiting = order.status == Status.REVIEWED  # reviewed: its parcel waits on the shelf to be batched
            if (Status.SHIPPED not in steps and not waiting) or order.delivery_method == DeliveryMethod.PICKUP:
                continue
            shipment = self._shipment(order, orders[order.id], waybills, len(result.shipments) + 1)
            result.shipments.append(shipment)
            if not waiting:
                result.events += self._events(shipment)
        result.movements = self._movements(planned)
        return result

    def _shipment(self, order: PlannedOrder, row: Order, waybills: Waybills, shipment_id: int) -> Shipment:
        terms, area = pick_courier(order, row, self.book, self.rng)
        weight = parcel_weight(*self._load(order))
        rate = terms.rate_for(area.zone)
        assert rate is not None, f"{terms.name} has no rate for {area.zone}"
        freight = freight_for(rate, weight)
        cod, total = _collects(order), order.total
        cod_fee = cod_fee_for(terms, total) if cod else ZERO
        at = {step.to_status: step for step in order.steps}
        refused = at.get(Status.REFUSED)
        returned = at.get(Status.RETURNED) if refused else None
        delivered = at.get(Status.DELIVERED)
        code = self.book.code_of(terms.id)
        shipped = at.get(Status.SHIPPED)
        return Shipment(
            id=shipment_id, order_id=order.id, courier_id=terms.id, choice_reason=_reason(terms, area, cod, freight),
            status=self._status(order), tracking_number=waybills.number(code) if shipped else None, weight_kg=weight,
            zone=area.zone,
            freight=freight, cod_due=total if cod else ZERO, cod_fee=cod_fee,
            return_freight=yuan(freight * terms.return_freight_percent / 100) if refused else ZERO,
            delivery_days=area.delivery_days, created_at=at[Status.REVIEWED].at,
            shipped_at=shipped.at if shipped else None,
            delivered_at=delivered.at if delivered else None, refused_at=refused.at if refused else None,
            returned_at=returned.at if returned else None, refusal_reason=refused.reason if refused else "")

    def _load(self, order: PlannedOrder) -> tuple[Decimal, int]:
        """Real weight and packed volume of everything in the parcel, gifts included."""
        products = [(self.catalogue.by_id(line.product_id), line.quantity) for line in order.lines]
        return (sum((product.weight_kg * quantity for product, quantity in products), Decimal(0)),
                sum(product.volume_cm3 * quantity for product, quantity in products))

    def _status(self, order: PlannedOrder) -> str:
        statuses = [step.to_status for step in order.steps]
        if Status.SHIPPED not in statuses:
            return ShipmentStatus.PENDING
        if Status.REFUSED in statuses:
            return ShipmentStatus.RETURNED if Status.RETURNED in statuses else ShipmentStatus.REFUSED
        return ShipmentStatus.DELIVERED if Status.DELIVERED in statuses else ShipmentStatus.SHIPPED

    def _events(self, shipment: Shipment) -> list[ShipmentEvent]:
        """The parcel's timeline; the last event fixes the status of a parcel still on its way, and a
        refused one is on its way back once its `returning` event has come."""
        code = self.book.code_of(shipment.courier_id)
        timeline = list(self._timeline(shipment))
        events = [ShipmentEvent(shipment_id=shipment.pk, kind=kind, at=at, recorded_at=at, detail=detail,
                                source=EventSource.SCAN if kind == EventKind.PICKED_UP else SOURCES[code],
                                actor_id=self.logistics_user if kind == EventKind.PICKED_UP else None)
                  for kind, at, detail in timeline]
        last = timeline[-1][0]
        if shipment.status == ShipmentStatus.SHIPPED:
            shipment.status = ON_THE_WAY.get(last, shipment.status)
        elif shipment.status == ShipmentStatus.REFUSED and last == EventKind.RETURNING:
            shipment.status = ShipmentStatus.RETURNING
        shipment.last_event_at = timeline[-1][1]
        return events

    def _timeline(self, shipment: Shipment) -> Iterator[tuple[str, datetime.datetime, str]]:
        """(kind, time, detail) in time order: optional steps are kept only where they fit before the next
        fixed one (the order's own times) and before now."""
        rng, shipped = self.rng, shipment.shipped_at
        assert shipped is not None
        door = shipment.refused_at or shipment.delivered_at
        yield EventKind.PICKED_UP, shipped, DETAILS[EventKind.PICKED_UP]
        limit = min(door or self.now, self.now)
        transit = shipped + rng.uniform(2, 8) * HOUR
        if transit < limit:
            yield EventKind.IN_TRANSIT, _second(transit), DETAILS[EventKind.IN_TRANSIT]
        out = (door - rng.uniform(1, 4) * HOUR) if door else shipped + (shipment.delivery_days * 24 - 6) * HOUR
        if transit < out < limit:
            yield EventKind.OUT_FOR_DELIVERY, _second(out), DETAILS[EventKind.OUT_FOR_DELIVERY]
        if shipment.delivered_at:
            yield EventKind.DELIVERED, shipment.delivered_at, DETAILS[EventKind.DELIVERED]
        if shipment.refused_at:
            yield EventKind.REFUSED, shipment.refused_at, shipment.refusal_reason
            back = min(shipment.refused_at + rng.uniform(1, 10) * HOUR, shipment.returned_at or self.now)
            if shipment.refused_at < back <= self.now:
                yield EventKind.RETURNING, _second(back), DETAILS[EventKind.RETURNING]
        if shipment.returned_at:
            yield EventKind.RETURNED, shipment.returned_at, DETAILS[EventKind.RETURNED]

    def _movements(self, planned: list[PlannedOrder]) -> list[StockMovement]:
        """The opening receipt per tracked product, then what each order took off the shelf when shipped."""
        tracked = {info.id: info.stock for info in self.catalogue.products.values() if info.stock is not None}
        held: Counter[int] = Counter()
        out: Counter[int] = Counter()
        shipped_rows = []
        for order in planned:
            units: Counter[int] = Counter()
            for line in order.lines:
                if line.product_id in tracked:
                    units[line.product_id] += line.quantity
            shipped = next((step for step in order.steps if step.to_status == Status.SHIPPED), None)
            if order.status in HELD_STATUSES:
                held.update(units)
            elif shipped is not None:
                out.update(units)
                shipped_rows += [StockMovement(product_id=pid, kind=MovementKind.SHIPPED, quantity=-quantity,
                                               order_id=order.id, actor_id=self.logistics_user, at=shipped.at)
                                 for pid, quantity in units.items()]
        # before the first order (a customer's history reaches a year back)
        opening = min((order.created_at for order in planned), default=self.now) - datetime.timedelta(days=1)
        received = [StockMovement(product_id=pid, kind=MovementKind.RECEIVED, quantity=stock + held[pid] + out[pid],
                                  note=RECEIVED_NOTE, actor_id=self.logistics_user, at=opening)
                    for pid, stock in tracked.items() if stock is not None]
        return received + shipped_rows


def _reason(terms: CourierTerms, area: Area, cod: bool, freight: Decimal) -> str:
    """Why this courier, in the words the workbench shows."""
    parts = [f"{terms.name}: 覆盖（{area.zone}）"]
    if cod:
        parts.append("货到付款")
    parts.append(f"{area.delivery_days} 天送达")
    parts.append(f"运费 ¥{freight}")
    return ", ".join(parts)


def _second(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(microsecond=0)

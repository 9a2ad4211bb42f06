"""The courier choice fed from the database: couriers with their coverage and rates, measured delivery
outcomes per courier and city, and parcel weights from the order lines, each read once for a whole batch
of orders, then `hotline.logistics.choice.choose_courier` per order (pure, in memory).

Reads only; storing a choice is `hotline.logistics.actions`' job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from hotline.lib.money import ZERO
from hotline.logistics.choice import (
    STAGE_COD,
    Area,
    Choice,
    CourierTerms,
    DeliveryStats,
    Outcomes,
    Parcel,
    Policy,
    Rate,
    choose_courier,
    parcel_weight,
    place_key,
)
from hotline.logistics.models import Courier, Coverage, FeeRate, Shipment, ShipmentStatus
from hotline.orders.models import DeliveryMethod, Order, OrderLine, PaymentMethod

DEFAULT_DAYS = 90  # delivery success is measured over this many days of feedback
CHUNK = 2000  # order ids per query: SQLite caps the parameters of one statement


def load_couriers(*, active_only: bool = True, province: str = "") -> list[CourierTerms]:
    """Couriers with their coverage rows and fee rates, in three queries; with `province`, only the
    coverage rows of that province (a single address's check reads a few rows, not the country)."""
    couriers = Courier.objects.filter(active=True) if active_only else Courier.objects.all()
    rows = list(couriers.order_by("name", "id"))
    ids = [courier.pk for courier in rows]
    coverage = Coverage.objects.filter(courier_id__in=ids)
    if province:
        coverage = coverage.filter(province__startswith=place_key(province))
    areas: dict[int, list[Area]] = defaultdict(list)
    for row in coverage.order_by("id"):
        areas[row.courier_id].append(Area(row.province, row.city, row.district, row.cod_allowed,
                                          row.delivery_days, row.zone))
    rates: dict[int, list[Rate]] = defaultdict(list)
    for fee in FeeRate.objects.filter(courier_id__in=ids).order_by("id"):
        rates[fee.courier_id].append(Rate(fee.zone, fee.first_weight_kg, fee.first_fee, fee.step_kg, fee.step_fee))
    return [CourierTerms(id=courier.pk, name=courier.name, kind=courier.kind, active=courier.active,
                         cod_supported=courier.cod_supported, cod_max=courier.cod_max,
                         cod_fee_percent=courier.cod_fee_percent, cod_fee_min=courier.cod_fee_min,
                         return_freight_percent=courier.return_freight_percent,
                         coverage=tuple(areas[courier.pk]), rates=tuple(rates[courier.pk])) for courier in rows]


def delivery_stats(*, days: int = DEFAULT_DAYS, now: datetime | None = None) -> DeliveryStats:
    """Delivered, refused and lost parcels per (courier, city) over the last `days`, in one query.

    A parcel counts by when it ended: delivered or refused at, or its last event for a lost one."""
    since = (now or timezone.now()) - timedelta(days=days)
    delivered = Q(delivered_at__gte=since, refused_at__isnull=True)
    refused = Q(refused_at__gte=since)
    lost = Q(status=ShipmentStatus.LOST, last_event_at__gte=since, delivered_at__isnull=True,
             refused_at__isnull=True)
    rows = (Shipment.objects.filter(delivered | refused | lost).values("courier_id", "order__city")
            .annotate(delivered=Count("id", filter=delivered), refused=Count("id", filter=refused),
                      lost=Count("id", filter=lost)))
    return DeliveryStats.from_cities({(row["courier_id"], row["order__city"]):
                                      Outcomes(row["delivered"], row["refused"], row["lost"]) for row in rows})


def parcel_weights(order_ids: Sequence[int]) -> dict[int, Decimal]:
    """Each order's chargeable weight (real or volumetric, whichever is larger) from its lines, gifts
    included: one query per CHUNK orders."""
    real: dict[int, Decimal] = defaultdict(Decimal)
    volume: dict[int, int] = defaultdict(int)
    for start in range(0, len(order_ids), CHUNK):
        lines = OrderLine.objects.filter(order_id__in=order_ids[start:start + CHUNK]).values_list(
            "order_id", "quantity", "product__weight_kg", "product__volume_cm3")
        for order_id, quantity, weight_kg, volume_cm3 in lines:
            real[order_id] += quantity * (weight_kg or ZERO)
            volume[order_id] += quantity * (volume_cm3 or 0)
    return {order_id: parcel_weight(real[order_id], volume[order_id]) for order_id in order_ids}


def parcel_for(order: Order, weight_kg: Decimal) -> Parcel:
    """The order's parcel as the choice sees it: a COD parcel collects the order's total."""
    cod = order.payment_method == PaymentMethod.COD
    return Parcel(delivery_method=order.delivery_method, province=order.province, city=order.city,
                  district=order.district, weight_kg=weight_kg, cod=cod, cod_amount=order.total if cod else ZERO,
                  rush=order.rush)


def choose_for_orders(orders: Iterable[Order], *, days: int = DEFAULT_DAYS, now: datetime | None = None,
                      policy: Policy | None = None) -> dict[int, Choice]:
    """The automatic choice for each order, by order id. Couriers (3 queries), delivery outcomes (1) and
    weights (1 per 2,000 orders) are read once for the whole batch."""
    orders = list(orders)
    couriers = load_couriers()
    stats = delivery_stats(days=days, now=now)
    weights = parcel_weights([order.pk for order in orders])
    return {order.pk: choose_courier(parcel_for(order, weights[order.pk]), couriers, stats, policy)
            for order in orders}


def choose_for_order(order: Order, **options: Any) -> Choice:
    """The automatic choice for one order (see `choose_for_orders`)."""
    return choose_for_orders([order], **options)[order.pk]


def cod_available(province: str, city: str, district: str, amount: Decimal, *,
                  delivery_method: str | None = None, couriers: Sequence[CourierTerms] | None = None,
                  policy: Policy | None = None) -> tuple[bool, str]:
    """Whether some active courier collects `amount` cash on delivery at this address (for the agent's
    warning at order entry), and if not, why in words. Without `delivery_method` any courier kind will do.
    With no active courier at all, logistics is not set up and nothing is refused."""
    couriers = load_couriers(province=province) if couriers is None else couriers
    if not couriers or delivery_method == DeliveryMethod.PICKUP:
        return True, ""
    methods = [delivery_method] if delivery_method else [DeliveryMethod.EMS, DeliveryMethod.POST,
                                                         DeliveryMethod.COURIER]
    best: Choice | None = None
    for method in methods:
        parcel = Parcel(delivery_method=method, province=province, city=city, district=district,
                        weight_kg=Decimal("1.0"), cod=True, cod_amount=amount)
        choice = choose_courier(parcel, couriers, policy=policy)
        # Passing the COD rules is what counts here: a missing price or a slow rush is not the agent's concern.
        if choice.chosen is not None or any(item.stage > STAGE_COD for item in choice.rejected):
            return True, ""
        if best is None or _furthest(choice) > _furthest(best):
            best = choice
    assert best is not None
    return False, best.problem


def _furthest(choice: Choice) -> int:
    return max((item.stage for item in choice.rejected), default=-1)

"""Reads of the logistics workbench: the review queue with its flags, parcels waiting for a batch, batches,
tracking and the stuck list, an order's timeline, returns, write-offs and stock. Nothing here writes."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from hotline.catalog.models import Product
from hotline.logistics.actions import stock_on_hand
from hotline.logistics.actions.returns import _default_return_freight as default_return_freight
from hotline.logistics.checks import address_problem
from hotline.logistics.models import (
    DispatchBatch,
    EventKind,
    EventSource,
    MovementKind,
    OrderTask,
    PrintKind,
    PrintLog,
    ReturnReceipt,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    StockMovement,
    TaskKind,
    TaskStatus,
)
from hotline.logistics.risk import risk_for_orders
from hotline.logistics.selection import choose_for_orders
from hotline.orders.models import DeliveryMethod, Order, OrderLine, Status

PAGE_SIZE = 50
DUPLICATE_WINDOW = datetime.timedelta(hours=24)
# Parcels with the courier: a "stuck" one has had no event for a while in one of these states.
ON_THE_WAY = (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY)
STUCK_DAYS = 3


# ---------------------------------------------------------------- review queue

def waiting_orders() -> QuerySet[Order]:
    """Orders waiting for review: 订购 and not sent back to the agent; rush first, then the oldest."""
    sent_back = OrderTask.objects.filter(order=OuterRef("pk"), kind=TaskKind.FIX, status=TaskStatus.OPEN)
    return (Order.objects.filter(status=Status.ORDERED).exclude(Exists(sent_back))
            .order_by("-rush", "created_at", "id"))


def review_queue(filters: Mapping[str, Any]) -> QuerySet[Order]:
    """The waiting orders narrowed by the review filters (`ReviewFilterForm.cleaned_data`; blanks ignored).
    The risk level is not a column: `filter_by_risk` narrows it afterwards."""
    orders = waiting_orders()
    day_start = _day_start
    if filters.get("date_from"):
        orders = orders.filter(created_at__gte=day_start(filters["date_from"]))
    if filters.get("date_to"):
        orders = orders.filter(created_at__lt=day_start(filters["date_to"] + datetime.timedelta(days=1)))
    if filters.get("airing"):
        orders = orders.filter(airing=filters["airing"])
    if filters.get("province"):
        orders = orders.filter(province__startswith=filters["province"].strip())
    if filters.get("city"):
        orders = orders.filter(city__startswith=filters["city"].strip())
    if filters.get("payment"):
        orders = orders.filter(payment_method=filters["payment"])
    if filters.get("amount_min") is not None:
        orders = orders.filter(total__gte=filters["amount_min"])
    if filters.get("amount_max") is not None:
        orders = orders.filter(total__lte=filters["amount_max"])
    return orders.select_related("customer", "airing__station")


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filter_by_risk(orders: QuerySet[Order], level: str) -> list[Order]:
    """The orders whose refusal risk is at `level` (the score is computed, not stored)."""
    rows = list(orders)
    risks = risk_for_orders(rows)
    return [order for order in rows if risks[order.pk].level == level]


def page_of(rows: Sequence[Any] | QuerySet[Any], number: str | None, size: int = PAGE_SIZE) -> Page:
    """One page of rows (a bad or too large page number gives the nearest page)."""
    return Paginator(rows, size).get_page(number)


def duplicates(orders: Sequence[Order], *, window: datetime.timedelta = DUPLICATE_WINDOW) -> dict[int, str]:
    """For each order that has a twin — another live order to the same recipient phone with a same product,
    placed within `window` of it — the twin's number. Three queries whatever the number of orders."""
    if not orders:
        return {}
    start = min(order.created_at for order in orders) - window
    end = max(order.created_at for order in orders) + window
    candidates = list(Order.objects.filter(recipient_phone__in={order.recipient_phone for order in orders},
                                           created_at__range=(start, end))
                      .exclude(status=Status.CANCELLED).values_list("pk", "number", "recipient_phone", "created_at"))
    products = _products_of({pk for pk, *_rest in candidates} | {order.pk for order in orders})
    by_phone: dict[str, list[tuple[int, str, datetime.datetime]]] = defaultdict(list)
    for pk, number, phone, created in candidates:
        by_phone[phone].append((pk, number, created))
    found: dict[int, str] = {}
    for order in orders:
        for pk, number, created in sorted(by_phone[order.recipient_phone]):
            if pk != order.pk and abs(created - order.created_at) <= window and \
                    products[pk] & products[order.pk]:
                found[order.pk] = number
                break
    return found


def _products_of(order_ids: Iterable[int]) -> dict[int, set[int]]:
    """The products each order buys (gifts aside: a free gift in two orders is not a double order)."""
    products: dict[int, set[int]] = defaultdict(set)
    for order_id, product_id in OrderLine.objects.filter(order_id__in=list(order_ids), is_gift=False) \
            .values_list("order_id", "product_id"):
        products[order_id].add(product_id)
    return products


@dataclass
class ReviewRow:
    """One waiting order as the review screen shows it, with everything that could hold it back."""

    order: Order
    duplicate_of: str = ""
    address_problem: str = ""
    courier: str = ""
    courier_reason: str = ""
    courier_problem: str = ""
    risk: Any = None
    flags: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        """Review would flag it rather than pass it."""
        return bool(self.address_problem or self.courier_problem)


def review_rows(orders: Sequence[Order]) -> list[ReviewRow]:
    """The flags of a page of waiting orders: duplicates, address, the courier that would be chosen (or why
    none), and the COD refusal risk — each computed in bulk for the page."""
    orders = list(orders)
    twins = duplicates(orders)
    choices = choose_for_orders([order for order in orders if order.delivery_method != DeliveryMethod.PICKUP])
    risks = risk_for_orders(orders)
    rows = []
    for order in orders:
        row = ReviewRow(order=order, duplicate_of=twins.get(order.pk, ""), address_problem=address_problem(order),
                        risk=risks.get(order.pk))
        choice = choices.get(order.pk)
        if choice is not None and choice.chosen is not None:
            row.courier, row.courier_reason = choice.chosen.name, str(choice.chosen.reason)
        elif choice is not None:
            row.courier_problem = str(choice.problem)
        rows.append(row)
    return rows


def review_counts() -> dict[str, int]:
    """The queue's size, its rush orders, and orders sent back to agents still open."""
    waiting = waiting_orders()
    return {"waiting": waiting.count(), "rush": waiting.filter(rush=True).count(),
            "sent_back": OrderTask.objects.filter(kind=TaskKind.FIX, status=TaskStatus.OPEN,
                                                  order__status=Status.ORDERED).count()}


# ---------------------------------------------------------------- batches

def unbatched_parcels() -> QuerySet[Shipment]:
    """Reviewed parcels on the shelf, not yet in a dispatch batch."""
    return Shipment.objects.filter(status=ShipmentStatus.PENDING, batch__isnull=True)


def waiting_by_courier() -> list[dict[str, Any]]:
    """Parcels waiting for a batch, counted per courier (name, count), the biggest pile first."""
    return list(unbatched_parcels().values("courier__name").annotate(parcels=Count("id"))
                .order_by("-parcels", "courier__name"))


def recent_batches(limit: int = 30) -> list[DispatchBatch]:
    """The latest batches with their parcel counts and how often each document was printed (`documents`)."""
    batches: list[DispatchBatch] = list(DispatchBatch.objects.select_related("courier")
                   .annotate(parcels=Count("shipments"),
                             waiting=Count("shipments", filter=Q(shipments__status=ShipmentStatus.PENDING)))
                   .order_by("-created_at", "-id")
                   [:limit])
    printed: dict[int, dict[str, int]] = defaultdict(dict)
    for batch_id, kind, count in PrintLog.objects.filter(batch__in=batches).values("batch_id", "kind") \
            .annotate(times=Count("id")).values_list("batch_id", "kind", "times"):
        printed[batch_id][kind] = count
    for batch in batches:
        # (kind, label, times printed) for each document, for the print buttons
        batch.documents = [(kind, label, printed[batch.pk].get(kind, 0))  # type: ignore[attr-defined]
                           for kind, label in PrintKind.choices]
    return batches


def batch_size(batch: DispatchBatch) -> int:
    return batch.shipments.count()


# ---------------------------------------------------------------- tracking

def shipments(filters: Mapping[str, Any]) -> QuerySet[Shipment]:
    """Parcels that have left the warehouse (or wait to), narrowed by courier, status and shipping date."""
    rows = Shipment.objects.select_related("order", "courier").order_by("-shipped_at", "-id")
    if filters.get("courier"):
        rows = rows.filter(courier=filters["courier"])
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("date_from"):
        rows = rows.filter(shipped_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        rows = rows.filter(shipped_at__lt=_day_start(filters["date_to"] + datetime.timedelta(days=1)))
    return rows


def shipped_today_by(user: Any) -> QuerySet[Shipment]:
    """The parcels this user scanned out today (local time), the latest first: the scan screen's list."""
    scans = ShipmentEvent.objects.filter(kind=EventKind.PICKED_UP, source=EventSource.SCAN, actor=user,
                                         at__gte=_day_start(timezone.localdate()))
    return (Shipment.objects.filter(pk__in=scans.values("shipment_id")).select_related("order", "courier")
            .order_by("-shipped_at", "-id"))


def status_counts() -> dict[str, int]:
    """How many parcels are in each state."""
    return dict(Shipment.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def stuck_shipments(days: int = STUCK_DAYS, *, now: datetime.datetime | None = None) -> QuerySet[Shipment]:
    """Parcels with the courier that have had no event for `days` days, the longest silent first."""
    since = (now or timezone.now()) - datetime.timedelta(days=days)
    return (Shipment.objects.filter(status__in=ON_THE_WAY, last_event_at__lt=since)
            .select_related("order", "courier").order_by("last_event_at", "id"))


def order_by_number(number: str) -> Order:
    """The order with this number (scanned or typed, any case), or 404."""
    order = Order.objects.select_related("customer").filter(number=number.strip().upper()).first()
    if order is None:
        raise Http404
    return order


@dataclass
class Timeline:
    """Everything that happened to an order on its way to the customer (and back)."""

    order: Order
    history: list[Any]
    shipments: list[Shipment]
    prints: list[PrintLog]
    tasks: list[OrderTask]
    receipts: list[ReturnReceipt]


def timeline(order: Order) -> Timeline:
    """The order's status history, parcels with their events, prints of its batches, tasks and returns."""
    parcels = list(order.shipments.select_related("courier", "runner_up", "batch").prefetch_related("events")
                   .order_by("created_at", "id"))
    batch_ids = [parcel.batch_id for parcel in parcels if parcel.batch_id]
    return Timeline(
        order=order,
        history=list(order.history.select_related("actor").order_by("at", "id")),
        shipments=parcels,
        prints=list(PrintLog.objects.filter(batch_id__in=batch_ids).select_related("batch", "actor")),
        tasks=list(order.tasks.select_related("assigned_to", "done_by").order_by("created_at", "id")),
        receipts=list(order.return_receipts.prefetch_related("lines__order_line__product")),
    )


# ---------------------------------------------------------------- returns and stock

def today_receipts() -> QuerySet[ReturnReceipt]:
    """Return receipts written today (local time), the latest first."""
    start = _day_start(timezone.localdate())
    return (ReturnReceipt.objects.filter(received_at__gte=start).select_related("order", "received_by")
            .prefetch_related("lines__order_line__product"))


def write_offs(limit: int = 50) -> QuerySet[StockMovement]:
    """Damaged goods written off, the latest first."""
    return StockMovement.objects.filter(kind=MovementKind.WRITTEN_OFF).select_related("product", "order")[:limit]


@dataclass
class StockRow:
    """A product with its goods on the shelf (the ledger) and what the desk may still sell."""

    product: Product
    on_hand: int
    available: int | None

    @property
    def low(self) -> bool:
        return self.product.track_stock and self.available is not None and self.available <= self.product.low_stock


def stock_rows(search: str = "") -> list[StockRow]:
    """Products (on sale or not) with on hand, available and the low-stock warning; low ones first."""
    products = Product.objects.order_by("name")
    if search.strip():
        products = products.filter(Q(name__icontains=search.strip()) | Q(sku__iexact=search.strip())
                                   | Q(short_code=search.strip()))
    products_list = list(products)
    on_hand = stock_on_hand([product.pk for product in products_list])
    rows = [StockRow(product, on_hand[product.pk], product.stock if product.track_stock else None)
            for product in products_list]
    return sorted(rows, key=lambda row: (not row.low, row.product.name))


def return_freight_default(order: Order) -> Decimal:
    """What the return form proposes as the return freight: what the action would record by default."""
    parcel = order.shipments.exclude(status=ShipmentStatus.CANCELLED).select_related("courier").order_by("-pk").first()
    return default_return_freight(order, parcel)

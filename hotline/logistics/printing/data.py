"""What a printed document shows about a parcel, as plain data built from the database.

The renderers take these dataclasses and never touch the ORM, so they are tested without a database and a
batch is read in chunks while its pages are drawn."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hotline.lib.money import ZERO
from hotline.logistics.models import DispatchBatch, Shipment, ShipmentStatus
from hotline.logistics.printing.config import Sender, print_config
from hotline.orders.models import OrderLine

# parcels of a batch read per database round trip while the PDF is drawn
CHUNK = 500
_LIVE = [status for status in ShipmentStatus if status != ShipmentStatus.CANCELLED]


@dataclass(frozen=True, slots=True)
class ParcelItem:
    """One product line in a parcel; gifts are lines at price 0."""

    sku: str
    name: str
    quantity: int
    location: str = ""
    gift: bool = False
    unit_price: Decimal = ZERO
    line_total: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class FormData:
    """Everything a shipping form, a label or a packing list prints about one parcel."""

    order_number: str
    recipient: str
    recipient_phone: str
    address: str
    postcode: str = ""
    destination: str = ""  # province and city, printed large on labels for the sorting centre
    sender_name: str = ""
    sender_phone: str = ""
    sender_address: str = ""
    sender_postcode: str = ""
    cod_amount: Decimal = ZERO
    freight: Decimal = ZERO
    total: Decimal = ZERO
    weight_kg: Decimal = ZERO
    contents: str = ""
    tracking_number: str = ""
    courier: str = ""
    order_date: datetime.date | None = None
    notes: str = ""
    items: tuple[ParcelItem, ...] = ()

    @property
    def pieces(self) -> int:
        """Units in the parcel, gifts included."""
        return sum(item.quantity for item in self.items)

    @property
    def contents_lines(self) -> str:
        """One line per product with its quantity and amount, for delivery notes."""
        return "\n".join(f"{item.name} ×{item.quantity}  " + (_("gift") if item.gift else f"¥{item.line_total}")
                         for item in self.items)


@dataclass(frozen=True, slots=True)
class PickLine:
    """A product to take from the shelves for a batch: how many units, for how many orders, from where."""

    sku: str
    name: str
    location: str
    quantity: int
    orders: int = 1


def contents_summary(items: Iterable[ParcelItem]) -> str:
    """"颈椎按摩仪×2；按摩靠枕×1（赠品）": what the form's 内件品名 box says."""
    gift = _(" (gift)")
    return pgettext("between products", "; ").join(f"{item.name}×{item.quantity}" + (gift if item.gift else "")
                                                     for item in items)


def with_sender(sender: Sender | None) -> dict[str, str]:
    """The four sender fields of FormData, from `sender` or the configured company."""
    sender = sender or print_config().sender
    return {"sender_name": sender.name, "sender_phone": sender.phone, "sender_address": sender.address,
            "sender_postcode": sender.postcode}


def form_data(shipment: Shipment, *, sender: Sender | None = None) -> FormData:
    """The printable data of a parcel. Reads the order and its lines (prefetch them for a batch)."""
    order = shipment.order
    items = tuple(ParcelItem(sku=line.product.sku, name=line.product.name, quantity=line.quantity,
                             location=line.product.location, gift=line.is_gift, unit_price=line.unit_price,
                             line_total=line.line_total) for line in order.lines.all())
    city = "" if order.city == order.province else order.city
    return FormData(
        order_number=order.number, recipient=order.recipient, recipient_phone=order.recipient_phone,
        address=order.address_text, postcode=order.postcode, destination=f"{order.province} {city}".strip(),
        **with_sender(sender),
        cod_amount=shipment.cod_due, freight=shipment.freight, total=order.total, weight_kg=shipment.weight_kg,
        contents=contents_summary(items), tracking_number=shipment.tracking_number or "",
        courier=shipment.courier.name, order_date=timezone.localdate(order.created_at), notes=order.notes,
        items=items)


def batch_shipments(batch: DispatchBatch) -> Iterator[Shipment]:
    """The live parcels of a batch in order-number order, read in chunks with their lines and products."""
    lines = OrderLine.objects.select_related("product").order_by("id")
    return (Shipment.objects.filter(batch=batch).exclude(status=ShipmentStatus.CANCELLED)
            .select_related("order", "courier").prefetch_related(Prefetch("order__lines", queryset=lines))
            .order_by("order__number").iterator(chunk_size=CHUNK))


def batch_parcels(batch: DispatchBatch, *, sender: Sender | None = None) -> Iterator[FormData]:
    """Form data for each live parcel of a batch, lazily: a batch of 10,000 is never all in memory."""
    return (form_data(shipment, sender=sender) for shipment in batch_shipments(batch))


def pick_lines(parcels: Iterable[FormData]) -> list[PickLine]:
    """Units per product over the given parcels, for a pick list (the renderer sorts them by location)."""
    first: dict[str, ParcelItem] = {}
    units: dict[str, int] = {}
    orders: dict[str, int] = {}
    for parcel in parcels:
        for item in parcel.items:
            first.setdefault(item.sku, item)
            units[item.sku] = units.get(item.sku, 0) + item.quantity
        for sku in {item.sku for item in parcel.items}:
            orders[sku] = orders.get(sku, 0) + 1
    return [PickLine(sku=sku, name=item.name, location=item.location, quantity=units[sku], orders=orders[sku])
            for sku, item in first.items()]


def batch_pick_lines(batch: DispatchBatch) -> list[PickLine]:
    """Units per product over the live parcels of a batch, summed by the database."""
    rows = (OrderLine.objects
            # one filter() call: both conditions hold for the same shipment row, the live one in the batch
            .filter(order__shipments__batch=batch, order__shipments__status__in=_LIVE)
            .values("product__sku", "product__name", "product__location")
            .annotate(units=Sum("quantity"), orders=Count("order", distinct=True))
            .order_by())
    return [PickLine(sku=row["product__sku"], name=row["product__name"], location=row["product__location"],
                     quantity=row["units"], orders=row["orders"]) for row in rows]

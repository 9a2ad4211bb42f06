"""From the shelf to the courier: dispatch batches (分检), printed documents, and scan to ship (发货确认)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm
from hotline.logistics.actions.common import require, user_or_none
from hotline.logistics.actions.notices import queue_order_notices
from hotline.logistics.actions.stock import take_shipped_goods
from hotline.logistics.models import (
    BatchStatus,
    DispatchBatch,
    EventKind,
    EventSource,
    OrderTask,
    PrintKind,
    PrintLog,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TaskKind,
    TaskStatus,
)
from hotline.orders.actions import do_transition_order
from hotline.orders.models import Order, Status

SHIPPED_MESSAGE = gettext_lazy("%(salutation)s, your order %(number)s has been shipped by %(courier)s, "
                               "tracking number %(tracking)s.")
TRACKING_PATTERN = re.compile(r"^[A-Z0-9-]{6,40}$")


def normal_tracking_number(text: str) -> str:
    """A scanned or typed tracking number in one form: no spaces, half-width (typed with a Chinese input
    method on, "ＥＡ１２３" is EA123), capitals (EMS numbers end in CN)."""
    tracking = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if not TRACKING_PATTERN.match(tracking):
        raise ValidationError({"tracking_number": _("“%(text)s” is not a tracking number: 6 to 40 letters, digits "
                                                    "or dashes.") % {"text": text.strip()[:50]}})
    return tracking


# ---------------------------------------------------------------- batches and prints

def _batch_number(courier_code: str) -> str:
    day = timezone.localdate()
    prefix = f"{day:%Y%m%d}-{courier_code.upper()}-"
    taken = DispatchBatch.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{taken + 1:02d}"


@transaction.atomic
def do_create_batches(shipments: Iterable[Shipment] | None = None, *, actor: Any) -> list[DispatchBatch]:
    """Group parcels waiting to ship and not yet in a batch (the given ones, or all of them) into one
    batch per courier; returns the new batches."""
    require(actor, Perm.SHIP_ORDER)
    waiting = Shipment.objects.select_for_update().filter(status=ShipmentStatus.PENDING, batch__isnull=True)
    if shipments is not None:
        waiting = waiting.filter(pk__in=[shipment.pk for shipment in shipments])
    by_courier: dict[int, list[int]] = defaultdict(list)
    codes: dict[int, str] = {}
    for pk, courier_id, code in waiting.values_list("pk", "courier_id", "courier__code"):
        by_courier[courier_id].append(pk)
        codes[courier_id] = code
    batches = []
    for courier_id in sorted(by_courier):
        batch = DispatchBatch.objects.create(number=_batch_number(codes[courier_id]), courier_id=courier_id,
                                             created_by=user_or_none(actor))
        Shipment.objects.filter(pk__in=by_courier[courier_id]).update(batch=batch)
        record("create_batch", batch, actor=actor, after={"parcels": len(by_courier[courier_id])})
        batches.append(batch)
    return batches


@transaction.atomic
def do_log_print(batch: DispatchBatch, kind: str, pages: int, *, actor: Any) -> PrintLog:
    """Note that a batch's documents were printed; printing the same kind again is logged as a reprint."""
    require(actor, Perm.SHIP_ORDER)
    if kind not in PrintKind.values:
        raise ValidationError({"kind": _("Unknown document “%(kind)s”.") % {"kind": kind}})
    reprint = PrintLog.objects.filter(batch=batch, kind=kind).exists()
    log = PrintLog.objects.create(batch=batch, kind=kind, pages=pages, reprint=reprint, actor=user_or_none(actor))
    if batch.status == BatchStatus.OPEN and kind == PrintKind.FORMS:
        DispatchBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.PRINTED)
    record("reprint_batch" if reprint else "print_batch", batch, actor=actor, after={"kind": kind, "pages": pages})
    return log


# ---------------------------------------------------------------- scan to ship

def _parcel_to_ship(order_code: str) -> Shipment:
    """The parcel of the scanned order that may ship now, or a ValidationError saying why not."""
    number = order_code.strip().upper()
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise ValidationError({"order": _("No order has the number “%(number)s”.") % {"number": number[:40]}})
    shipment = (Shipment.objects.select_for_update().select_related("courier", "order__customer")
                .filter(order=order, status=ShipmentStatus.PENDING).first())
    if shipment is None:
        done = order.shipments.exclude(tracking_number=None).order_by("-pk").first()
        if done is not None:
            raise ValidationError({"order": _("Order %(number)s has already shipped with %(courier)s, tracking "
                                              "number %(tracking)s.") % {"number": order.number,
                                                                         "courier": done.courier.name,
                                                                         "tracking": done.tracking_number}})
        raise ValidationError({"order": _("Order %(number)s is %(status)s, not reviewed and waiting to ship.")
                               % {"number": order.number, "status": order.get_status_display()}})
    if OrderTask.objects.filter(order=order, kind=TaskKind.CONFIRM, status=TaskStatus.OPEN).exists():
        raise ValidationError({"order": _("Order %(number)s waits for its confirmation call before it ships.")
                               % {"number": order.number}})
    return shipment


def _check_tracking_free(tracking: str, shipment: Shipment) -> None:
    holder = Shipment.objects.filter(tracking_number=tracking).exclude(pk=shipment.pk).select_related("order").first()
    if holder is not None:
        raise ValidationError({"tracking_number": _("Tracking number %(tracking)s is already on order %(number)s.")
                               % {"tracking": tracking, "number": holder.order.number}})


@transaction.atomic
def do_ship_parcel(order_code: str, tracking_number: str, *, actor: Any) -> Shipment:
    """Scan to ship: the order's barcode, then the waybill's tracking number. The parcel is shipped, the
    order locked (已发货), the goods leave the stock ledger, and the customer is told the courier and the
    tracking number. The same tracking number twice is refused."""
    require(actor, Perm.SHIP_ORDER)
    tracking = normal_tracking_number(tracking_number)
    shipment = _parcel_to_ship(order_code)
    _check_tracking_free(tracking, shipment)
    now = timezone.now()
    shipment.tracking_number, shipment.status = tracking, ShipmentStatus.SHIPPED
    shipment.shipped_at = shipment.last_event_at = now
    try:
        with transaction.atomic():
            shipment.save(update_fields=["tracking_number", "status", "shipped_at", "last_event_at"])
    except IntegrityError as exc:  # another clerk scanned the same waybill a moment ago
        raise ValidationError({"tracking_number": _("Tracking number %(tracking)s is already in use.")
                               % {"tracking": tracking}}) from exc
    ShipmentEvent.objects.create(shipment=shipment, kind=EventKind.PICKED_UP, at=now, source=EventSource.SCAN,
                                 actor=user_or_none(actor))
    order = shipment.order
    take_shipped_goods(order, actor=actor)
    do_transition_order(order, Status.SHIPPED, actor=actor, notify=False)
    queue_order_notices([order], SHIPPED_MESSAGE, courier=shipment.courier.name, tracking=tracking)
    _close_batch_when_shipped(shipment.batch_id)
    return shipment


def _close_batch_when_shipped(batch_id: int | None) -> None:
    if batch_id and not Shipment.objects.filter(batch_id=batch_id, status=ShipmentStatus.PENDING).exists():
        DispatchBatch.objects.filter(pk=batch_id).update(status=BatchStatus.SHIPPED)


@dataclass
class BulkShipResult:
    """A pasted or imported list of order ↔ tracking number pairs: problems per line, or what shipped."""

    shipped: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def do_ship_parcels(pairs: Sequence[tuple[str, str]], *, actor: Any) -> BulkShipResult:
    """Ship many parcels at once (pasted from a spreadsheet or a courier's file). Every pair is checked
    first: with any problem, nothing ships and each problem is listed with its line number."""
    require(actor, Perm.SHIP_ORDER)
    result = BulkShipResult()
    seen: dict[str, int] = {}
    orders: dict[str, int] = {}  # an order twice would ship once, then fail inside the transaction
    for line, (order_code, tracking) in enumerate(pairs, start=1):
        problem = _pair_problem(order_code, tracking, seen, line, orders)
        if problem:
            result.errors.append(_("Line %(line)d: %(problem)s") % {"line": line, "problem": problem})
    if result.errors or not pairs:
        if not pairs:
            result.errors.append(_("Paste at least one line: order number, tracking number."))
        return result
    with transaction.atomic():
        for order_code, tracking in pairs:
            result.shipped.append(do_ship_parcel(order_code, tracking, actor=actor).pk)
    return result


def _pair_problem(order_code: str, tracking: str, seen: dict[str, int], line: int, orders: dict[str, int]) -> str:
    try:
        normal = normal_tracking_number(tracking)
        if normal in seen:
            return _("tracking number %(tracking)s is also on line %(other)d.") % {"tracking": normal,
                                                                                 "other": seen[normal]}
        seen[normal] = line
        number = order_code.strip().upper()
        if number in orders:
            return _("order %(number)s is also on line %(other)d.") % {"number": number, "other": orders[number]}
        orders[number] = line
        with transaction.atomic():
            _check_tracking_free(normal, _parcel_to_ship(order_code))
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""

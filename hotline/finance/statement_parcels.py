"""The database side of matching a remittance statement: the parcels its lines name (of any courier, so that
another courier's parcel is recognised as such), what was paid for each so far, and which of them were
remitted or settled before.

A few queries whatever the statement's size: one per 5,000 tracking numbers, one per 5,000 order numbers of
the lines not found by tracking number, one per 5,000 orders for the COD payments (SQLite allows 32,766
parameters in a query; 5,000 keeps every query small on both databases).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from hotline.finance.matching import FeeRule, Parcel
from hotline.finance.models import Payment, PayMethod
from hotline.finance.statement_file import StatementLine
from hotline.lib.money import CENT, ZERO
from hotline.logistics.models import Courier, Shipment, ShipmentStatus
from hotline.orders.models import Status

CHUNK = 5000
_FIELDS = ("pk", "order_id", "order__number", "tracking_number", "courier_id", "status", "order__status",
           "cod_due", "delivered_at")
# Of an order's parcels, the one its order number stands for: a live one before a cancelled one, then the
# newest (an order whose first parcel came back and went out again).
_DEAD = frozenset({ShipmentStatus.CANCELLED.value})


def normal_tracking(text: str) -> str:
    """A tracking number as stored (like hotline.logistics.actions.shipping.normal_tracking_number: no spaces,
    half-width, capitals), without refusing odd ones: a number we never issued is simply not found."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def fee_rule(courier: Courier) -> FeeRule:
    """The courier's COD fee terms."""
    return FeeRule(percent=courier.cod_fee_percent, minimum=courier.cod_fee_min)


def load_parcels(lines: Sequence[StatementLine], courier: Courier | None = None) -> tuple[
        dict[str, Parcel], dict[str, Parcel], set[int]]:
    """(parcels by tracking number, parcels by order number, shipment ids already remitted) for the lines,
    each parcel with what was paid for it so far. `courier` is not a filter: parcels of every courier are
    loaded. By order number only for the lines that have no tracking number or one that is not ours."""
    by_tracking: dict[str, Parcel] = {}
    wanted = {normal_tracking(line.tracking_number) for line in lines if line.tracking_number}
    for chunk in _chunks(wanted):
        for row in Shipment.objects.filter(tracking_number__in=chunk).values_list(*_FIELDS):
            parcel = _parcel(row)
            by_tracking[parcel.tracking_number] = parcel
    orders = {line.order_number.strip().upper() for line in lines if line.order_number and (
        not line.tracking_number or normal_tracking(line.tracking_number) not in by_tracking)}
    by_order: dict[str, Parcel] = {}
    for chunk in _chunks(orders):
        rows = Shipment.objects.filter(order__number__in=chunk).order_by("pk").values_list(*_FIELDS)
        for parcel in map(_parcel, rows):
            known = by_order.get(parcel.order_number)
            if known is None or known.status in _DEAD or parcel.status not in _DEAD:
                by_order[parcel.order_number] = parcel
    paid = _cod_paid({parcel.order_id for parcel in [*by_tracking.values(), *by_order.values()]})
    if paid:
        by_tracking = {key: _with_paid(parcel, paid) for key, parcel in by_tracking.items()}
        by_order = {key: _with_paid(parcel, paid) for key, parcel in by_order.items()}
    return by_tracking, by_order, _remitted([*by_tracking.values(), *by_order.values()])


def _parcel(row: tuple[Any, ...]) -> Parcel:
    pk, order_id, order_number, tracking, courier_id, status, order_status, cod_due, delivered_at = row
    return Parcel(shipment_id=pk, order_id=order_id, order_number=order_number, tracking_number=tracking or "",
                  courier_id=courier_id, status=status, order_status=order_status, cod_due=cod_due,
                  delivered=delivered_at is not None)


def _cod_paid(order_ids: set[int]) -> dict[int, Decimal]:
    """{order id: COD payments so far, net of corrections} for the orders that have any."""
    paid: dict[int, Decimal] = {}
    for chunk in _chunks(order_ids):
        rows = (Payment.objects.filter(order_id__in=chunk, method=PayMethod.COD).values("order_id")
                .annotate(total=Sum("amount")).order_by().values_list("order_id", "total"))
        paid.update((order_id, Decimal(total).quantize(CENT)) for order_id, total in rows)  # SQLite drops places
    return paid


def _with_paid(parcel: Parcel, paid: dict[int, Decimal]) -> Parcel:
    amount = paid.get(parcel.order_id, ZERO)
    return dataclasses.replace(parcel, paid=amount) if amount else parcel


def _remitted(parcels: list[Parcel]) -> set[int]:
    """The parcels whose order is settled, or whose COD payments so far pay it: in full, or at all when
    Hotline has no delivery for it. A delivered parcel paid short is not remitted: a later statement may
    pay the rest."""
    return {parcel.shipment_id for parcel in parcels if parcel.order_status == Status.SETTLED or (
        parcel.paid > 0 and (parcel.paid >= parcel.cod_due or not parcel.delivered))}


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]

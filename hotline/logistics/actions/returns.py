"""Goods coming back to the warehouse: a refused parcel, or a customer's return after delivery."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record
from hotline.accounts.permissions import Perm
from hotline.lib.money import yuan
from hotline.logistics.actions.common import require, user_or_none
from hotline.logistics.actions.events import close_rescue_calls
from hotline.logistics.actions.stock import put_back
from hotline.logistics.models import (
    Condition,
    EventKind,
    EventSource,
    ReturnLine,
    ReturnReceipt,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from hotline.orders.actions import do_transition_order
from hotline.orders.models import Order, Status

# Orders whose goods may come back: refused at the door, returned by the customer after delivery, or the
# goods an exchange replaced.
RETURNABLE = frozenset({Status.SHIPPED, Status.REFUSED, Status.DELIVERED, Status.SETTLED, Status.EXCHANGED})
COMING_BACK = frozenset({ShipmentStatus.REFUSED, ShipmentStatus.RETURNING, ShipmentStatus.RETURNED})


@dataclass(frozen=True)
class ReturnedGoods:
    """Units of one order line received back, in one condition."""

    order_line_id: int
    quantity: int
    condition: str


def _check_goods(order: Order, goods: list[ReturnedGoods]) -> None:
    lines = {line.pk: line for line in order.lines.all()}
    errors: list[str] = []
    received: Counter[int] = Counter()
    for item in goods:
        line = lines.get(item.order_line_id)
        if line is None:
            errors.append(_("Line #%(id)s is not on order %(number)s.") % {"id": item.order_line_id,
                                                                            "number": order.number})
            continue
        if item.condition not in Condition.values:
            errors.append(_("Unknown condition “%(condition)s”.") % {"condition": item.condition})
        if not isinstance(item.quantity, int) or item.quantity < 1:
            errors.append(_("The quantity must be a whole number of at least 1."))
            continue
        received[line.pk] += item.quantity
        if received[line.pk] > line.quantity:
            errors.append(_("Only %(quantity)d of %(product)s were sent.") % {"quantity": line.quantity,
                                                                               "product": line.product.name})
    if not goods:
        errors.append(_("Say what came back, line by line (missing goods too)."))
    if errors:
        raise ValidationError({"goods": errors})


def _parcel(order: Order) -> Shipment | None:
    return (Shipment.objects.select_for_update().select_related("courier").filter(order=order)
            .exclude(status=ShipmentStatus.CANCELLED).order_by("-pk").first())


@transaction.atomic
def do_receive_return(order: Order, goods: list[ReturnedGoods], *, actor: Any, return_freight: Decimal | None = None,
                      note: str = "") -> ReturnReceipt:
    """Receive returned goods: good ones go back on the shelf, damaged ones are written off, missing ones
    noted; the parcel is back (its return freight recorded: by default the courier's share of the outbound
    freight for a refusal) and the order becomes 退货."""
    require(actor, Perm.HANDLE_RETURN)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in RETURNABLE:
        raise ValidationError(_("Order %(number)s is %(status)s: nothing of it can come back.")
                              % {"number": order.number, "status": order.get_status_display()})
    _check_goods(order, goods)
    shipment = _parcel(order)
    if order.status == Status.SHIPPED and (shipment is None or shipment.status not in COMING_BACK):
        raise ValidationError(_("Order %(number)s is still with the courier: record its refusal or return first.")
                              % {"number": order.number})
    freight = yuan(return_freight) if return_freight is not None else _default_return_freight(order, shipment)
    if freight < 0:
        raise ValidationError({"return_freight": _("The return freight cannot be negative.")})
    receipt = ReturnReceipt.objects.create(order=order, shipment=shipment, return_freight=freight, note=note[:300],
                                           received_by=user_or_none(actor))
    ReturnLine.objects.bulk_create([ReturnLine(receipt=receipt, order_line_id=item.order_line_id,
                                               quantity=item.quantity, condition=item.condition) for item in goods])
    _restock(order, goods, actor)
    if shipment is not None:
        _parcel_back(shipment, freight, actor)
    _close_order(order, receipt, actor)
    record("receive_return", receipt, actor=actor, after={"order": order.number, "return_freight": str(freight),
                                                          "goods": [vars(item) for item in goods]})
    return receipt


def _default_return_freight(order: Order, shipment: Shipment | None) -> Decimal:
    if shipment is None or order.status in (Status.DELIVERED, Status.SETTLED, Status.EXCHANGED):
        return yuan(0)  # a customer's own return: they pay the freight unless told otherwise
    return yuan(shipment.freight * shipment.courier.return_freight_percent / 100)


def _restock(order: Order, goods: list[ReturnedGoods], actor: Any) -> None:
    product_of = dict(order.lines.values_list("pk", "product_id"))
    for item in goods:
        if item.condition == Condition.MISSING:
            continue
        put_back(order, product_of[item.order_line_id], item.quantity, restock=item.condition == Condition.GOOD,
                 actor=actor, note=_("return of %(number)s") % {"number": order.number})


def _parcel_back(shipment: Shipment, freight: Decimal, actor: Any) -> None:
    now = timezone.now()
    if shipment.status != ShipmentStatus.RETURNED:
        ShipmentEvent.objects.create(shipment=shipment, kind=EventKind.RETURNED, at=now, source=EventSource.SCAN,
                                     actor=user_or_none(actor))
        shipment.status, shipment.returned_at = ShipmentStatus.RETURNED, now
    shipment.return_freight, shipment.last_event_at = freight, now
    shipment.save()


def _close_order(order: Order, receipt: ReturnReceipt, actor: Any) -> None:
    if order.status == Status.EXCHANGED:  # the old goods of an exchange: restocked, the order stays exchanged
        return
    if order.status == Status.SHIPPED:  # sent back by the courier without a refusal on file: one message only
        do_transition_order(order, Status.REFUSED, actor=actor, reason=_("Returned by the courier"), notify=False)
    reason = _("Goods received back (receipt %(id)d)") % {"id": receipt.pk}
    do_transition_order(order, Status.RETURNED, actor=actor, reason=reason, restock=False)
    close_rescue_calls(order.pk, _("The parcel came back to the warehouse."))

"""Tracking events from couriers (feedback files, the push API) and the warehouse, and what they change.

A parcel's state follows its events through `MOVES`. An event that would move it backwards (refused after
delivered) is a conflict: refused, so a person looks at it. The same event twice is stored once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.permissions import Perm
from hotline.logistics.actions.common import require, user_or_none
from hotline.logistics.models import (
    EventKind,
    OrderTask,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from hotline.orders.actions import do_transition_order
from hotline.orders.models import Status

S = ShipmentStatus
ON_THE_WAY = (S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY)
# event → (states it may arrive in, state it leads to). Informational events keep the state.
MOVES: dict[str, tuple[tuple[str, ...], str | None]] = {
    EventKind.PICKED_UP: (ON_THE_WAY, None),
    EventKind.IN_TRANSIT: (ON_THE_WAY, S.IN_TRANSIT),
    EventKind.OUT_FOR_DELIVERY: (ON_THE_WAY, S.OUT_FOR_DELIVERY),
    EventKind.HELD: (ON_THE_WAY, None),
    EventKind.ADDRESS_CHANGE: (ON_THE_WAY, None),
    EventKind.UNREACHABLE: (ON_THE_WAY, None),
    EventKind.DELIVERED: ((*ON_THE_WAY, S.REFUSED), S.DELIVERED),
    EventKind.REFUSED: (ON_THE_WAY, S.REFUSED),
    EventKind.RETURNING: ((*ON_THE_WAY, S.REFUSED), S.RETURNING),
    EventKind.RETURNED: ((*ON_THE_WAY, S.REFUSED, S.RETURNING), S.RETURNED),
    EventKind.LOST: ((*ON_THE_WAY, S.REFUSED, S.RETURNING), S.LOST),
}
# These call for a rescue call before the courier sends the parcel back.
RESCUE_EVENTS = frozenset({EventKind.REFUSED, EventKind.UNREACHABLE})
# How far along its way a parcel is: an event never moves it back (a late "in transit" after "out for
# delivery" is kept in the history, and the parcel stays out for delivery).
PROGRESS: dict[str, int] = {S.SHIPPED: 0, S.IN_TRANSIT: 1, S.OUT_FOR_DELIVERY: 2, S.REFUSED: 3, S.DELIVERED: 4,
                            S.RETURNING: 4, S.RETURNED: 5, S.LOST: 5}


def next_status(current: str, kind: str) -> str:
    """The parcel's state after an allowed event: the event's target unless that would be a step back."""
    target = MOVES[kind][1]
    if target is None or PROGRESS.get(target, 0) < PROGRESS.get(current, 0):
        return current
    return target


class EventConflict(ValidationError):
    """An event the parcel's state does not allow (it is kept out, and listed for a person)."""


@dataclass(frozen=True)
class EventOutcome:
    """What recording an event did: `created` is False for an event already on file."""

    event: ShipmentEvent
    created: bool


def _conflict(shipment: Shipment, kind: str) -> EventConflict:
    return EventConflict({"status": _("Parcel %(tracking)s is %(state)s: “%(event)s” cannot follow.") % {
        "tracking": shipment.tracking_number, "state": shipment.get_status_display(),
        "event": EventKind(kind).label}})


def check_event(shipment: Shipment, kind: str) -> None:
    """Refuse an event the parcel's present state does not allow (pure: nothing is read or written).
    A refused parcel is delivered only when a rescue call won it back."""
    if kind not in MOVES:
        raise ValidationError({"kind": _("Unknown tracking event “%(kind)s”.") % {"kind": kind}})
    allowed, _target = MOVES[kind]
    if shipment.status not in allowed:
        raise _conflict(shipment, kind)


@transaction.atomic
def do_record_shipment_event(shipment: Shipment, kind: str, at: datetime.datetime, *, source: str, actor: Any,
                             detail: str = "") -> EventOutcome:
    """Record one tracking event and carry it out: delivered → the order is 已交付 (points credited);
    refused → 拒收 with the reason and an urgent rescue call; returning / returned → the goods are on
    their way back (the warehouse's return receipt restocks them and makes the order 退货).
    The same (parcel, event, time) again changes nothing; a conflicting event is refused."""
    require(actor, Perm.RECORD_DELIVERY)
    shipment = Shipment.objects.select_for_update().select_related("order").get(pk=shipment.pk)
    existing = ShipmentEvent.objects.filter(shipment=shipment, kind=kind, at=at).first()
    if existing is not None:
        return EventOutcome(existing, False)
    check_event(shipment, kind)
    if kind == EventKind.DELIVERED and shipment.status == S.REFUSED and not _rescued(shipment):
        raise _conflict(shipment, kind)
    try:
        with transaction.atomic():
            event = ShipmentEvent.objects.create(shipment=shipment, kind=kind, at=at, detail=detail[:200],
                                                 source=source, actor=user_or_none(actor))
    except IntegrityError:  # the same event arrived on another connection a moment ago
        return EventOutcome(ShipmentEvent.objects.get(shipment=shipment, kind=kind, at=at), False)
    _apply(shipment, kind, at, detail, actor)
    return EventOutcome(event, True)


def _rescued(shipment: Shipment) -> bool:
    """A rescue call made after we learnt of the refusal won the customer back: delivered again, or at a new
    address. (When we learnt it, not the courier's time of the refusal: clocks and files disagree.)"""
    won_back = (TaskOutcome.REDELIVER, TaskOutcome.ADDRESS)
    calls = OrderTask.objects.filter(shipment=shipment, kind=TaskKind.RESCUE, outcome__in=won_back)
    learnt = (ShipmentEvent.objects.filter(shipment=shipment, kind=EventKind.REFUSED).order_by("-recorded_at")
              .values_list("recorded_at", flat=True).first())
    if learnt is not None:
        calls = calls.filter(done_at__gte=learnt)
    return calls.exists()


def _apply(shipment: Shipment, kind: str, at: datetime.datetime, detail: str, actor: Any) -> None:
    shipment.status = next_status(shipment.status, kind)
    if shipment.last_event_at is None or at > shipment.last_event_at:
        shipment.last_event_at = at
    order = shipment.order
    if kind == EventKind.DELIVERED:
        shipment.delivered_at = at
        do_transition_order(order, Status.DELIVERED, actor=actor)
        close_rescue_calls(order.pk, _("The parcel was delivered."))
    elif kind == EventKind.REFUSED:
        shipment.refused_at, shipment.refusal_reason = at, detail[:200]
        do_transition_order(order, Status.REFUSED, actor=actor, reason=detail or _("Refused at the door"))
    elif kind == EventKind.RETURNED:
        shipment.returned_at = at
    shipment.save()
    if kind in RESCUE_EVENTS:
        _ask_rescue(shipment, kind, detail)


def close_rescue_calls(order_id: int, why: str) -> None:
    """Rescue calls still open for an order whose parcel was delivered or came back: nothing to win back."""
    OrderTask.objects.filter(order_id=order_id, kind=TaskKind.RESCUE, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, done_at=timezone.now(), outcome_note=why[:300])


def _ask_rescue(shipment: Shipment, kind: str, detail: str) -> None:
    """An urgent call for the order's agent: win the customer back before the parcel goes back."""
    if OrderTask.objects.filter(order=shipment.order, kind=TaskKind.RESCUE, status=TaskStatus.OPEN).exists():
        return
    reason = _("%(event)s (%(courier)s %(tracking)s)%(detail)s") % {
        "event": EventKind(kind).label, "courier": shipment.courier.name, "tracking": shipment.tracking_number,
        "detail": f": {detail}" if detail else ""}
    OrderTask.objects.create(order=shipment.order, shipment=shipment, kind=TaskKind.RESCUE, urgent=True,
                             reason=reason[:300], assigned_to_id=shipment.order.agent_id)

"""The order lifecycle as data: which status may follow which, and who may move it there.

    ordered → reviewed → shipped → delivered → settled
       ↓          ↓          ↓          ↓  ↘        ↓ ↘
    cancelled  cancelled  refused → returned  exchanged (a linked replacement order is created)
                             ↓ (rescued: the customer takes it after all)
                          delivered

Returns and exchanges stay possible after settlement (a customer may send goods back within the
return period); finance reverses the settlement then. Nothing leaves cancelled or returned.
"""

from __future__ import annotations

from hotline.accounts.permissions import Perm
from hotline.orders.models import Status

TRANSITIONS: dict[tuple[str, str], Perm] = {
    (Status.ORDERED, Status.REVIEWED): Perm.REVIEW_ORDER,
    (Status.ORDERED, Status.CANCELLED): Perm.CANCEL_ORDER,
    (Status.REVIEWED, Status.CANCELLED): Perm.CANCEL_ORDER,
    (Status.REVIEWED, Status.SHIPPED): Perm.SHIP_ORDER,
    (Status.SHIPPED, Status.DELIVERED): Perm.RECORD_DELIVERY,
    (Status.SHIPPED, Status.REFUSED): Perm.RECORD_DELIVERY,
    (Status.REFUSED, Status.RETURNED): Perm.HANDLE_RETURN,
    # a refusal rescued by a call: the customer takes the parcel after all, before it goes back
    (Status.REFUSED, Status.DELIVERED): Perm.RECORD_DELIVERY,
    (Status.DELIVERED, Status.SETTLED): Perm.SETTLE_ORDER,
    (Status.DELIVERED, Status.RETURNED): Perm.HANDLE_RETURN,
    (Status.DELIVERED, Status.EXCHANGED): Perm.HANDLE_RETURN,
    (Status.SETTLED, Status.RETURNED): Perm.HANDLE_RETURN,
    (Status.SETTLED, Status.EXCHANGED): Perm.HANDLE_RETURN,
}

# A reason must be given for these, so that the history explains itself.
REASON_REQUIRED = frozenset({Status.CANCELLED, Status.REFUSED, Status.RETURNED, Status.EXCHANGED})


def allowed_next(status: str) -> list[str]:
    """The statuses an order in `status` may move to."""
    return [to for (frm, to) in TRANSITIONS if frm == status]


def required_perm(from_status: str, to_status: str) -> Perm | None:
    """The permission needed for the move, or None when the move is not allowed at all."""
    return TRANSITIONS.get((from_status, to_status))

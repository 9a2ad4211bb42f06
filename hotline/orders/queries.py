"""Reads and access checks on orders."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from hotline.accounts.permissions import Perm
from hotline.calls.models import CallRecord
from hotline.orders.models import Order


def is_on_the_call(user: Any, call_id: str) -> bool:
    """Whether the user is the agent of this call and it has not ended yet."""
    if not call_id or not getattr(user, "pk", None):
        return False
    return CallRecord.objects.filter(call_id=call_id, agent=user, ended_at__isnull=True).exists()


def can_change_order(user: Any, order: Order) -> bool:
    """Whether the user may edit or cancel this order (its status rules apart).

    Supervisors, logistics and admins hold `orders.change_any_order`; an agent changes only the orders
    they took, or an order of a call they are on (a caller ringing back about an order reaches whoever is
    free). `None` is the system (imports, the engine), which may.
    """
    if user is None:
        return True
    if user.has_perm(Perm.CHANGE_ANY_ORDER):
        return True
    if order.agent_id is not None and order.agent_id == getattr(user, "pk", None):
        return True
    return is_on_the_call(user, order.call_id)


def check_can_change_order(user: Any, order: Order) -> None:
    """Raise PermissionDenied, with a translated reason, unless `can_change_order`."""
    if not can_change_order(user, order):
        raise PermissionDenied(_("Order %(number)s was taken by another agent: only they or a supervisor may "
                                 "change it.") % {"number": order.number})

"""Order review (订单审核): check the order, choose its courier, and put a parcel on the shelf to ship.

Review works in bulk, because a logistics clerk reviews a morning's orders at once (and the benchmark
10,000): one query per kind of row, not per order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from hotline.accounts.audit import record
from hotline.accounts.models import AuditEntry
from hotline.accounts.permissions import Perm
from hotline.finance.balances import balances_for
from hotline.lib.bus import publish_on_commit
from hotline.logistics.actions.common import require, user_or_none
from hotline.logistics.actions.notices import queue_order_notices
from hotline.logistics.checks import address_problem
from hotline.logistics.choice import NotEligible, override
from hotline.logistics.models import Courier, OrderTask, Shipment, ShipmentStatus, TaskKind, TaskStatus
from hotline.logistics.risk import HIGH, risk_for_orders
from hotline.logistics.selection import choose_for_order, choose_for_orders
from hotline.orders.actions import STATUS_MESSAGES
from hotline.orders.models import DeliveryMethod, Order, OrderStatusChange, PaymentMethod, Status

# Cash-on-delivery orders at this risk level get a confirmation call before they ship.
CONFIRM_LEVELS = frozenset({HIGH})


@dataclass
class ReviewResult:
    """What a bulk review did: orders reviewed, orders held back with the reason, confirmation calls asked."""

    reviewed: list[int] = field(default_factory=list)
    flagged: dict[int, str] = field(default_factory=dict)
    confirmations: list[int] = field(default_factory=list)


@transaction.atomic
def do_review_orders(orders: Iterable[Order], *, actor: Any) -> ReviewResult:
    """Review the given orders that are still waiting: each gets its courier (the automatic choice, with
    the runner-up and the reason) and a parcel waiting to ship. An order with an incomplete address or no
    eligible courier is not reviewed; it is flagged with why. Risky COD orders get a confirmation call
    on the desk's worklist and cannot ship until it is made."""
    require(actor, Perm.REVIEW_ORDER)
    ids = [order.pk for order in orders]
    sent_back = OrderTask.objects.filter(kind=TaskKind.FIX, status=TaskStatus.OPEN).values("order_id")
    waiting = list(Order.objects.select_for_update().filter(pk__in=ids, status=Status.ORDERED)
                   .exclude(pk__in=sent_back)
                   .select_related("customer").prefetch_related("lines__product", "customer__phones").order_by("pk"))
    result = ReviewResult()
    shipping = [order for order in waiting if order.delivery_method != DeliveryMethod.PICKUP]
    choices = choose_for_orders(shipping)
    ready: list[Order] = []
    unpaid = _unpaid_prepaid(waiting)
    for order in waiting:
        problem = address_problem(order) or unpaid.get(order.pk, "")
        choice = choices.get(order.pk)
        if not problem and choice is not None and choice.chosen is None:
            problem = choice.problem
        if problem:
            result.flagged[order.pk] = problem
        else:
            ready.append(order)
    shipments = [_shipment(order, choices[order.pk]) for order in ready if order.pk in choices]
    _mark_reviewed(ready, actor)
    Shipment.objects.bulk_create(shipments)
    result.reviewed = [order.pk for order in ready]
    parcels = {shipment.order_id for shipment in shipments}  # a pickup has no parcel to hold back
    result.confirmations = _ask_confirmations(
        [o for o in ready if o.payment_method == PaymentMethod.COD and o.pk in parcels], actor)
    queue_order_notices(ready, STATUS_MESSAGES[Status.REVIEWED])
    return result


def _unpaid_prepaid(orders: list[Order]) -> dict[int, str]:
    """Prepaid orders (transfer, card) not yet paid in full, with why: they are not shipped before the money
    is in (finance records it)."""
    prepaid = [order for order in orders if order.payment_method != PaymentMethod.COD]
    problems = {}
    for order_id, balance in balances_for(prepaid).items():
        if not balance.is_paid:
            problems[order_id] = _("Prepaid order not paid yet: ¥%(received)s of ¥%(charge)s received.") % {
                "received": balance.received, "charge": balance.charge}
    return problems


def _shipment(order: Order, choice: Any) -> Shipment:
    chosen, runner_up = choice.chosen, choice.runner_up
    cod = order.payment_method == PaymentMethod.COD
    return Shipment(order=order, courier_id=chosen.courier_id, runner_up_id=runner_up.courier_id if runner_up else None,
                    choice_reason=str(chosen.reason)[:300], weight_kg=chosen.weight_kg, zone=chosen.zone,
                    freight=chosen.freight, cod_due=order.total if cod else 0, cod_fee=chosen.cod_fee if cod else 0,
                    delivery_days=chosen.delivery_days)


def _mark_reviewed(orders: list[Order], actor: Any) -> None:
    """One UPDATE, the status history and the audit rows in bulk (what `do_transition_order` does per order)."""
    if not orders:
        return
    now, user = timezone.now(), user_or_none(actor)
    Order.objects.filter(pk__in=[order.pk for order in orders]).update(status=Status.REVIEWED, updated_at=now)
    OrderStatusChange.objects.bulk_create([
        OrderStatusChange(order=order, from_status=Status.ORDERED, to_status=Status.REVIEWED, actor=user)
        for order in orders])
    AuditEntry.objects.bulk_create([
        AuditEntry(actor=user, actor_name=user.get_username() if user else "system", action="order_reviewed",
                   object_type="orders.order", object_id=str(order.pk), object_repr=order.number,
                   before={"status": Status.ORDERED}, after={"status": Status.REVIEWED})
        for order in orders])
    for order in orders:
        order.status = Status.REVIEWED
        publish_on_commit("order.status_changed", {"order_id": order.pk, "number": order.number,
                                                   "from": Status.ORDERED.value, "to": Status.REVIEWED.value})


def _ask_confirmations(cod_orders: list[Order], actor: Any) -> list[int]:
    """A confirmation call for each risky COD order, for the agent who took it (everyone may take it)."""
    risks = risk_for_orders(cod_orders)
    risky = [order for order in cod_orders if risks[order.pk].level in CONFIRM_LEVELS]
    OrderTask.objects.bulk_create([
        OrderTask(order=order, kind=TaskKind.CONFIRM, urgent=False, assigned_to_id=order.agent_id,
                  reason=_risk_words(risks[order.pk]))
        for order in risky])
    return [order.pk for order in risky]


def _risk_words(risk: Any) -> str:
    reasons = "; ".join(str(reason) for reason in risk.reasons)
    return (_("Refusal risk %(score)d: %(reasons)s") % {"score": risk.score, "reasons": reasons})[:300]


@transaction.atomic
def do_send_back_order(order: Order, *, reason: str, actor: Any) -> OrderTask:
    """Review refuses the order for now: it stays 订购, leaves the review queue, and goes back to the agent's
    worklist on the desk with the reason (call the customer, fix the order, mark it fixed)."""
    require(actor, Perm.REVIEW_ORDER)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the order goes back to the agent.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": 300}})
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Status.ORDERED:
        raise ValidationError(_("Order %(number)s is %(status)s: only orders waiting for review can be sent "
                                "back.") % {"number": order.number, "status": order.get_status_display()})
    if OrderTask.objects.filter(order=order, kind=TaskKind.FIX, status=TaskStatus.OPEN).exists():
        raise ValidationError(_("Order %(number)s is already with the agent.") % {"number": order.number})
    task = OrderTask.objects.create(order=order, kind=TaskKind.FIX, reason=reason, urgent=order.rush,
                                    assigned_to_id=order.agent_id)
    record("send_back_order", order, actor=actor, after={"reason": reason, "task": task.pk})
    return task


@transaction.atomic
def do_change_courier(shipment: Shipment, courier: Courier, *, reason: str, actor: Any) -> Shipment:
    """Logistics overrides the automatic choice for a parcel not yet shipped (audited, with the reason).
    The courier must be able to carry it (coverage, COD terms); freight and fees are computed again."""
    require(actor, Perm.REVIEW_ORDER)
    shipment = Shipment.objects.select_for_update().select_related("order", "courier").get(pk=shipment.pk)
    if shipment.status != ShipmentStatus.PENDING:
        raise ValidationError(_("This parcel has left the warehouse: its courier can no longer change."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you choose another courier.")})
    choice = choose_for_order(shipment.order)
    try:
        by_hand = override(choice, courier.pk)
    except NotEligible as exc:
        # the rule's own words: NotEligible's message repeats the courier's name; inactive ones are not loaded
        why = next((item.reason for item in choice.rejected if item.courier_id == courier.pk),
                   pgettext("courier choice", "not active") if not courier.active else str(exc))
        raise ValidationError({"courier": _("%(courier)s cannot carry this parcel: %(why)s") % {
            "courier": courier.name, "why": why}}) from exc
    option = by_hand.chosen
    assert option is not None  # override always chooses, or refuses
    before = {"courier": shipment.courier.name, "freight": str(shipment.freight)}
    cod = shipment.order.payment_method == PaymentMethod.COD
    shipment.courier, shipment.overridden, shipment.batch = courier, True, None
    # the automatic choice becomes the runner-up (never the chosen courier itself)
    shipment.runner_up_id = by_hand.runner_up.courier_id if by_hand.runner_up else None
    shipment.freight, shipment.zone, shipment.weight_kg = option.freight, option.zone, option.weight_kg
    shipment.cod_fee, shipment.delivery_days = (option.cod_fee if cod else 0), option.delivery_days
    shipment.choice_reason = (_("Chosen by hand: %(reason)s") % {"reason": reason.strip()})[:300]
    shipment.save()
    record("change_courier", shipment, actor=actor, before=before,
           after={"courier": courier.name, "freight": str(shipment.freight), "reason": reason.strip()})
    return shipment

"""Payments and refunds recorded by hand, their corrections, and settling the orders they pay off.

The remittance import records the couriers' COD payments in bulk (actions/remittance.py); both end in the
same rows and the same settlement rule (`settle_if_paid`)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.permissions import Perm
from hotline.finance.actions.common import positive_amount, require, user_or_none
from hotline.finance.balances import balance_of
from hotline.finance.models import Payment, PayMethod, Refund
from hotline.lib.bus import publish_on_commit
from hotline.orders.actions import do_transition_order
from hotline.orders.models import Order, Status

# Money cannot come in for these: nothing is owed (a prepaid order cancelled gets a refund instead).
NO_PAYMENT = frozenset({Status.CANCELLED, Status.REFUSED, Status.RETURNED})
FUTURE_SLACK = datetime.timedelta(minutes=5)  # a clock a little ahead is not a payment from the future


def _check_method(method: str) -> None:
    if method not in PayMethod.values:
        raise ValidationError({"method": _("Unknown payment method “%(method)s”.") % {"method": method}})


def _check_when(at: datetime.datetime | None, field: str) -> datetime.datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + FUTURE_SLACK:
        raise ValidationError({field: _("The time is in the future.")})
    return at


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError({field: _("At most %(max)d characters.") % {"max": limit}})
    return value


@transaction.atomic
def do_record_payment(order: Order, *, method: str, amount: Any, actor: Any, payer: str = "",
                      reference: str = "", received_at: datetime.datetime | None = None,
                      note: str = "") -> Payment:
    """Record money received for an order (收款): a whole or partial payment, never more than is still due.
    A delivered order paid in full is settled."""
    require(actor, Perm.RECORD_PAYMENT)
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_method(method)
    value = positive_amount(amount)
    if order.status in NO_PAYMENT:
        raise ValidationError(_("Order %(number)s is %(status)s: nothing is owed for it.")
                              % {"number": order.number, "status": order.get_status_display()})
    due = balance_of(order).due
    if value > due:
        raise ValidationError({"amount": _("Order %(number)s owes only ¥%(due)s.") % {
            "number": order.number, "due": max(due, Decimal("0.00"))}})
    payment = Payment.objects.create(
        order=order, method=method, amount=value, payer=_text(payer, "payer", 100),
        reference=_text(reference, "reference", 100), received_at=_check_when(received_at, "received_at"),
        note=_text(note, "note", 300), recorded_by=user_or_none(actor))
    record("record_payment", payment, actor=actor, after=snapshot(payment))
    settle_if_paid(order, actor=actor)
    publish_on_commit("finance.payment", {"order_id": order.pk, "payment_id": payment.pk})
    return payment


@transaction.atomic
def do_correct_payment(payment: Payment, *, reason: str, actor: Any) -> Payment:
    """Cancel a payment recorded by mistake with an opposite row (the first row stays as it was)."""
    require(actor, Perm.RECORD_PAYMENT)
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    payment = Payment.objects.get(pk=payment.pk)
    reason = _required_reason(reason)
    if payment.corrects_id is not None or Payment.objects.filter(corrects=payment).exists():
        raise ValidationError(_("This payment was corrected already."))
    if order.status == Status.SETTLED:
        raise ValidationError(_("Order %(number)s is settled: its payments can no longer be corrected.")
                              % {"number": order.number})
    if payment.remittance_line_id is not None:
        raise ValidationError(_("This payment came from a courier's remittance statement: chase the difference "
                                "as an open item instead."))
    balance = balance_of(order)
    if balance.paid - payment.amount < balance.refunded:
        raise ValidationError(_("¥%(refunded)s was refunded for order %(number)s: correct the refund first.")
                              % {"refunded": balance.refunded, "number": order.number})
    correction = Payment.objects.create(
        order=order, method=payment.method, amount=-payment.amount, payer=payment.payer,
        reference=payment.reference, received_at=timezone.now(), corrects=payment, note=reason,
        recorded_by=user_or_none(actor))
    record("correct_payment", correction, actor=actor, after=snapshot(correction))
    publish_on_commit("finance.payment", {"order_id": order.pk, "payment_id": correction.pk})
    return correction


@transaction.atomic
def do_record_refund(order: Order, *, method: str, amount: Any, reason: str, actor: Any, reference: str = "",
                     refunded_at: datetime.datetime | None = None) -> Refund:
    """Give money back (退款) for an order whose goods came back, or a prepaid order cancelled: never more
    than was kept beyond what the order still charges."""
    require(actor, Perm.RECORD_PAYMENT)
    order = Order.objects.select_for_update().get(pk=order.pk)
    _check_method(method)
    value = positive_amount(amount)
    reason = _required_reason(reason)
    refundable = balance_of(order).refundable
    if refundable <= 0:
        raise ValidationError(_("Nothing is to be refunded for order %(number)s.") % {"number": order.number})
    if value > refundable:
        raise ValidationError({"amount": _("At most ¥%(most)s can be refunded for order %(number)s.") % {
            "most": refundable, "number": order.number}})
    refund = Refund.objects.create(order=order, method=method, amount=value, reason=reason,
                                   reference=_text(reference, "reference", 100),
                                   refunded_at=_check_when(refunded_at, "refunded_at"),
                                   recorded_by=user_or_none(actor))
    record("record_refund", refund, actor=actor, after=snapshot(refund))
    publish_on_commit("finance.refund", {"order_id": order.pk, "refund_id": refund.pk})
    return refund


@transaction.atomic
def do_correct_refund(refund: Refund, *, reason: str, actor: Any) -> Refund:
    """Cancel a refund recorded by mistake with an opposite row."""
    require(actor, Perm.RECORD_PAYMENT)
    Order.objects.select_for_update().get(pk=refund.order_id)
    refund = Refund.objects.get(pk=refund.pk)
    reason = _required_reason(reason)
    if refund.corrects_id is not None or Refund.objects.filter(corrects=refund).exists():
        raise ValidationError(_("This refund was corrected already."))
    correction = Refund.objects.create(order_id=refund.order_id, method=refund.method, amount=-refund.amount,
                                       reference=refund.reference, refunded_at=timezone.now(), reason=reason,
                                       corrects=refund, recorded_by=user_or_none(actor))
    record("correct_refund", correction, actor=actor, after=snapshot(correction))
    publish_on_commit("finance.refund", {"order_id": refund.order_id, "refund_id": correction.pk})
    return correction


def _required_reason(reason: str) -> str:
    reason = _text(reason, "reason", 300)
    if not reason:
        raise ValidationError({"reason": _("Give a reason for this change.")})
    return reason


def settle_if_paid(order: Order, *, actor: Any) -> bool:
    """Settle (已结算) a delivered order whose payments reach its total; True when it was settled."""
    if order.status != Status.DELIVERED or not balance_of(order).is_paid:
        return False
    do_transition_order(order, Status.SETTLED, actor=actor, reason=_("Paid in full"))
    return True

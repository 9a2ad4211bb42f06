"""收款/退款 Payments and refunds: find an order (by number or the customer's phone), see its balance and
every money row, record a payment or a refund, correct one recorded by mistake; today's rows below.

Finance records (Perm.RECORD_PAYMENT); managers see the same screen without its forms. Each form calls one
action; a refused one answers 422 with the field's error and changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.finance.actions.payments import (
    do_correct_payment,
    do_correct_refund,
    do_record_payment,
    do_record_refund,
)
from hotline.finance.balances import balance_of
from hotline.finance.forms import CorrectionForm, OrderLookupForm, PaymentForm, RefundForm, add_action_error
from hotline.finance.models import Payment, Refund, SettlementEntry
from hotline.finance.views.common import finance_user, page
from hotline.lib.money import ZERO, yuan
from hotline.lib.phones import normalize_phone
from hotline.orders.models import Order, Status

TEMPLATE, PANEL = "finance/payments.html", "finance/payments_order.html"
MAX_FOUND = 20  # a phone's orders shown to pick from
TODAY_ROWS = 200  # today's hand-recorded rows listed (the totals count them all)


@dataclass
class MoneyLine:
    """One money row of an order as the screen shows it: payments and refunds with their corrections
    linked both ways, and settlement entries."""

    kind: str  # payment, refund, settlement
    row: Any
    label: str
    amount: Decimal
    at: datetime.datetime
    corrects: int | None = None  # the row this one cancels
    corrected_by: int | None = None  # the row that cancels this one
    correctable: bool = False


def money_lines(order: Order) -> list[MoneyLine]:
    """The order's payments, refunds and settlement entries, newest first."""
    payments = list(Payment.objects.filter(order=order).select_related("recorded_by", "remittance_line__statement"))
    refunds = list(Refund.objects.filter(order=order).select_related("recorded_by"))
    entries = SettlementEntry.objects.filter(order=order).select_related("recorded_by", "statement")
    lines = [*_corrected(payments, "payment", order.status != Status.SETTLED),
             *_corrected(refunds, "refund", True)]
    lines += [MoneyLine("settlement", entry, entry.get_kind_display(), entry.amount, entry.recorded_at)
              for entry in entries]
    return sorted(lines, key=lambda line: (line.row.recorded_at, line.row.pk), reverse=True)


def _corrected(rows: list[Any], kind: str, open_to_correction: bool) -> list[MoneyLine]:
    by_corrected = {row.corrects_id: row.pk for row in rows if row.corrects_id}
    labels = {"payment": (pgettext("money row", "Payment"), _("Payment correction")),
              "refund": (pgettext("money row", "Refund"), _("Refund correction"))}
    lines = []
    for row in rows:
        at = row.received_at if kind == "payment" else row.refunded_at
        fixed_by = by_corrected.get(row.pk)
        lines.append(MoneyLine(kind, row, labels[kind][row.corrects_id is not None], row.amount, at,
                               corrects=row.corrects_id, corrected_by=fixed_by,
                               correctable=open_to_correction and row.corrects_id is None and fixed_by is None))
    return lines


def _today_start() -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))


def today() -> dict[str, Any]:
    """Today's payments and refunds (the business day, Asia/Shanghai): the hand-recorded rows, and totals
    of every row (the remittances' payments included)."""
    since = _today_start()
    payments = Payment.objects.filter(recorded_at__gte=since)
    refunds = Refund.objects.filter(recorded_at__gte=since)
    totals = {name: rows.aggregate(n=Count("pk"), total=Sum("amount")) for name, rows in
              (("payments", payments), ("remitted", payments.filter(remittance_line__isnull=False)),
               ("refunds", refunds))}
    for figures in totals.values():
        figures["total"] = yuan(figures["total"] or ZERO)
    return {"today_payments": payments.filter(remittance_line__isnull=True).select_related("order", "recorded_by")
            [:TODAY_ROWS],
            "today_refunds": refunds.select_related("order", "recorded_by")[:TODAY_ROWS], "today_totals": totals}


def find_orders(query: str) -> list[Order]:
    """The order with this number, or the newest orders of the customer with this phone number."""
    order = Order.objects.filter(number=query.upper()).first()
    if order is not None:
        return [order]
    try:
        phone = normalize_phone(query)
    except ValidationError:
        return []
    orders = Order.objects.filter(Q(recipient_phone=phone) | Q(customer__phones__number=phone)).distinct()
    return list(orders.select_related("customer").order_by("-created_at", "-id")[:MAX_FOUND])


def order_context(request: HttpRequest, order: Order, **forms: Any) -> dict[str, Any]:
    """Everything the order's panel shows: balance, money rows, and (for finance) its forms."""
    may_record = request.user.has_perm(Perm.RECORD_PAYMENT)
    balance = balance_of(order)
    # shown to the fen: a sum read back from SQLite may come without its two places
    figures = {name: yuan(getattr(balance, name)) for name in ("charge", "paid", "refunded", "due", "refundable")}
    return {"order": order, "balance": balance, "figures": figures, "lines": money_lines(order),
            "may_record": may_record,
            "payment_form": forms.get("payment_form") or PaymentForm(initial={"payer": order.recipient}),
            "refund_form": forms.get("refund_form") or RefundForm(),
            "correction": forms.get("correction"), "done": forms.get("done")}


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The lookup box; one order found opens it, a phone's several orders are listed to pick from."""
    finance_user(request, "payments")
    lookup = OrderLookupForm(request.GET or None)
    found: list[Order] = []
    if lookup.is_valid():
        found = find_orders(lookup.cleaned_data["q"])
        if len(found) == 1:
            return redirect("finance:payments-order", number=found[0].number)
        if not found:
            lookup.add_error("q", _("No order has the number or phone “%(q)s”.") % {"q": lookup.cleaned_data["q"]})
    return page(request, TEMPLATE, "payments", {"lookup": lookup, "found": found, **today()})


@login_required
@require_GET
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    """One order's money: balance, rows, and the forms to record or correct."""
    finance_user(request, "payments")
    order = get_object_or_404(Order.objects.select_related("customer"), number=number.upper())
    return page(request, TEMPLATE, "payments", {"lookup": OrderLookupForm(initial={"q": order.number}),
                                                **order_context(request, order), **today()})


def _answer(request: HttpRequest, order: Order, form_key: str, form: Any, done: str) -> HttpResponse:
    """After a write: the refreshed panel (htmx) or the order's page; after a refusal, the form's errors (422)."""
    if not form.errors:
        if not getattr(request, "htmx", False):
            messages.success(request, done)
            return redirect("finance:payments-order", number=order.number)
        order.refresh_from_db()
        return page(request, PANEL, "payments", {**order_context(request, order, done=done), **today(), "oob": True})
    context = {"lookup": OrderLookupForm(initial={"q": order.number}),
               **order_context(request, order, **{form_key: form}), **today()}
    return page(request, TEMPLATE, "payments", context, status=422, fragment=PANEL)


def _run(form: Any, action: Any) -> None:
    """Call the action when the form is valid; its refusal becomes the form's errors."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as error:
            add_action_error(form, error)


@login_required
@require_POST
def record_payment(request: HttpRequest, number: str) -> HttpResponse:
    """收款: a payment for the order; a delivered order paid in full is settled by the action."""
    user = finance_user(request, "payments", Perm.RECORD_PAYMENT)
    order = get_object_or_404(Order, number=number.upper())
    form = PaymentForm(request.POST)
    _run(form, lambda data: do_record_payment(order, actor=user, **data))
    done = _("Payment of ¥%(amount)s recorded for order %(number)s.") % {
        "amount": form.cleaned_data.get("amount"), "number": order.number} if not form.errors else ""
    return _answer(request, order, "payment_form", form, done)


@login_required
@require_POST
def record_refund(request: HttpRequest, number: str) -> HttpResponse:
    """退款: money given back, never more than the order may refund."""
    user = finance_user(request, "payments", Perm.RECORD_PAYMENT)
    order = get_object_or_404(Order, number=number.upper())
    form = RefundForm(request.POST)
    _run(form, lambda data: do_record_refund(order, actor=user, **data))
    done = _("Refund of ¥%(amount)s recorded for order %(number)s.") % {
        "amount": form.cleaned_data.get("amount"), "number": order.number} if not form.errors else ""
    return _answer(request, order, "refund_form", form, done)


@login_required
@require_POST
def correct_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a payment with an opposite row (the first stays as it was)."""
    user = finance_user(request, "payments", Perm.RECORD_PAYMENT)
    payment = get_object_or_404(Payment.objects.select_related("order"), pk=pk)
    form = CorrectionForm(request.POST)
    _run(form, lambda data: do_correct_payment(payment, reason=data["reason"], actor=user))
    form.row = ("payment", payment.pk)  # type: ignore[attr-defined]
    return _answer(request, payment.order, "correction", form, _("Payment corrected."))


@login_required
@require_POST
def correct_refund(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a refund with an opposite row."""
    user = finance_user(request, "payments", Perm.RECORD_PAYMENT)
    refund = get_object_or_404(Refund.objects.select_related("order"), pk=pk)
    form = CorrectionForm(request.POST)
    _run(form, lambda data: do_correct_refund(refund, reason=data["reason"], actor=user))
    form.row = ("refund", refund.pk)  # type: ignore[attr-defined]
    return _answer(request, refund.order, "correction", form, _("Refund corrected."))


urls = [
    path("payments/", index, name="payments"),
    path("payments/orders/<str:number>/", order_page, name="payments-order"),
    path("payments/orders/<str:number>/pay", record_payment, name="record-payment"),
    path("payments/orders/<str:number>/refund", record_refund, name="record-refund"),
    path("payments/payment/<int:pk>/correct", correct_payment, name="correct-payment"),
    path("payments/refund/<int:pk>/correct", correct_refund, name="correct-refund"),
]

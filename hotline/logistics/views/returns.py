"""退货入库 Returns: scan the order, say what came back in which condition, receive it; today's receipts and
the write-off list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.logistics import queries
from hotline.logistics.actions import ReturnedGoods, do_receive_return
from hotline.logistics.forms import ReturnForm, ReturnLookupForm, add_action_error
from hotline.logistics.views.common import page, workbench_user
from hotline.orders.models import Order

TEMPLATE = "logistics/returns.html"


def _context(lookup: ReturnLookupForm, form: ReturnForm | None = None) -> dict[str, Any]:
    return {"lookup": lookup, "form": form, "receipts": queries.today_receipts(), "write_offs": queries.write_offs()}


def _find(number: str) -> Order | None:
    try:
        return queries.order_by_number(number)
    except Http404:
        return None


@login_required
@require_GET
def returns(request: HttpRequest) -> HttpResponse:
    """The order-number box; with an order, its lines to receive."""
    workbench_user(request, "returns")
    lookup = ReturnLookupForm(request.GET or None)
    form = None
    if lookup.is_valid():
        order = _find(lookup.cleaned_data["order"])
        if order is None:
            lookup.add_error("order", _("No order has the number “%(number)s”.") % {
                "number": lookup.cleaned_data["order"][:40]})
        else:
            form = ReturnForm(order=order, freight=queries.return_freight_default(order))
    return page(request, TEMPLATE, "returns", _context(lookup, form))


@login_required
@require_POST
def receive(request: HttpRequest, number: str) -> HttpResponse:
    """Receive the goods: good ones restocked, damaged ones written off, the order 退货."""
    user = workbench_user(request, "returns")
    order = queries.order_by_number(number)
    form = ReturnForm(request.POST, order=order)
    if form.is_valid():
        goods = [ReturnedGoods(line_id, quantity, condition) for line_id, quantity, condition in form.goods()]
        try:
            receipt = do_receive_return(order, goods, actor=user, return_freight=form.cleaned_data["return_freight"],
                                        note=form.cleaned_data["note"])
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _("Return of order %(number)s received (receipt %(id)d).")
                             % {"number": order.number, "id": receipt.pk})
            return redirect("logistics:returns")
    return page(request, TEMPLATE, "returns", _context(ReturnLookupForm(initial={"order": order.number}), form),
                status=400)

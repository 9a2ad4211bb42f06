"""库存 Stock: on hand (the ledger), available to sell, low-stock warnings; goods received and stock counts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.logistics import queries
from hotline.logistics.actions import do_count_stock, do_receive_stock
from hotline.logistics.forms import CountStockForm, ReceiveStockForm, add_action_error
from hotline.logistics.views.common import may, page, workbench_user

TEMPLATE = "logistics/stock.html"


def _context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    search = request.GET.get("q", "")
    return {"rows": queries.stock_rows(search), "q": search, "may_adjust": may(request.user, Perm.ADJUST_STOCK),
            "receive_form": forms.get("receive_form") or ReceiveStockForm(),
            "count_form": forms.get("count_form") or CountStockForm()}


@login_required
@require_GET
def stock(request: HttpRequest) -> HttpResponse:
    workbench_user(request, "stock")
    return page(request, TEMPLATE, "stock", _context(request))


def _adjuster(request: HttpRequest) -> Any:
    user = workbench_user(request, "stock")
    if not may(user, Perm.ADJUST_STOCK):
        raise PermissionDenied()
    return user


@login_required
@require_POST
def receive_stock(request: HttpRequest) -> HttpResponse:
    """Goods delivered by a supplier."""
    user = _adjuster(request)
    form = ReceiveStockForm(request.POST)
    if form.is_valid():
        try:
            do_receive_stock(form.cleaned_data["product"], form.cleaned_data["quantity"], actor=user,
                             note=form.cleaned_data["note"])
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _("%(quantity)d × %(product)s received.") % {
                "quantity": form.cleaned_data["quantity"], "product": form.cleaned_data["product"].name})
            return redirect("logistics:stock")
    return page(request, TEMPLATE, "stock", _context(request, receive_form=form), status=400)


@login_required
@require_POST
def count_stock(request: HttpRequest) -> HttpResponse:
    """A stock count: the difference to the ledger is booked as an adjustment."""
    user = _adjuster(request)
    form = CountStockForm(request.POST)
    if form.is_valid():
        try:
            movement = do_count_stock(form.cleaned_data["product"], form.cleaned_data["counted"], actor=user,
                                      note=form.cleaned_data["note"])
        except ValidationError as error:
            add_action_error(form, error)
        else:
            text = (_("Count booked: %(difference)+d for %(product)s.") % {
                "difference": movement.quantity, "product": form.cleaned_data["product"].name}
                if movement else _("The count agrees with the ledger: nothing to book."))
            messages.success(request, text)
            return redirect("logistics:stock")
    return page(request, TEMPLATE, "stock", _context(request, count_form=form), status=400)

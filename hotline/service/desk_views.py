"""The desk's complaint form (F4, during or after a call) and the bulletin board, as htmx fragments under
/desk/service/. Thin: check access, call one action, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.crm.models import Customer
from hotline.orders.models import Order
from hotline.service.actions import do_open_complaint
from hotline.service.models import Category, Priority
from hotline.service.queries import current_notices

FORM = "service/desk_complaint_form.html"
LAST_ORDERS = 10


def _int(raw: str | None) -> int | None:
    try:
        return int(raw or "")
    except ValueError:
        return None


def _form_context(customer: Customer | None, call_id: str, **extra: Any) -> dict[str, Any]:
    orders = list(Order.objects.filter(customer=customer).order_by("-created_at")[:LAST_ORDERS]) if customer else []
    return {"customer": customer, "call_id": call_id, "orders": orders, "priorities": Priority.choices,
            "categories": Category.objects.filter(active=True).order_by("position", "id"), **extra}


@login_required
@require_GET
def complaint_form(request: HttpRequest) -> HttpResponse:
    """The small form F4 opens: the pop's customer and call, their last orders, the categories."""
    require_perm(request, Perm.OPEN_COMPLAINT)
    customer = Customer.objects.filter(pk=_int(request.GET.get("customer_id")) or 0).first()
    return render(request, FORM, _form_context(customer, request.GET.get("call_id", "")[:64]))


@login_required
@require_POST
def open_complaint(request: HttpRequest) -> HttpResponse:
    """Open the complaint (do_open_complaint); the form again with the field errors when refused."""
    user = require_perm(request, Perm.OPEN_COMPLAINT)
    post = request.POST
    customer = Customer.objects.filter(pk=_int(post.get("customer_id")) or 0).first()
    call_id = post.get("call_id", "")[:64]
    try:
        if customer is None:
            raise ValidationError({"customer_id": _("The caller is not a customer yet: save the customer first.")})
        order = None
        if post.get("order_id"):
            order = Order.objects.filter(pk=_int(post.get("order_id")) or 0).first()
            if order is None:
                raise ValidationError({"order": _("Unknown order.")})
        complaint = do_open_complaint(customer, post.get("summary", ""), actor=user, category=post.get("category"),
                                      order=order, call_id=call_id, priority=post.get("priority") or "normal")
    except ValidationError as error:
        errors = dict(error.message_dict) if hasattr(error, "error_dict") else {"form": error.messages}
        errors["form"] = errors.pop("__all__", errors.get("form", []))  # a template cannot read "__all__"
        return render(request, FORM, _form_context(customer, call_id, errors=errors, values=post), status=422)
    return render(request, "service/desk_complaint_opened.html", {"complaint": complaint})


@login_required
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    """The bulletin board (公告板) every agent sees on the desk."""
    require_perm(request, Perm.TAKE_CALLS)
    return render(request, "service/desk_notices.html", {"notices": current_notices()})

"""“Where is my order?” on the desk (Alt+O): any order by its number or by a phone number, with its status,
parcel and tracking events; one key (Alt+S) sends the status to the customer through the outbox."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.accounts.screens import require_perm
from hotline.calls.host.ivr import order_number_from_digits
from hotline.crm.queries import orders_for_phone
from hotline.desk.customer_actions import do_send_order_status
from hotline.lib.errors import INVALID
from hotline.lib.phones import normalize_phone
from hotline.logistics.models import Shipment, ShipmentEvent
from hotline.orders.models import Order

LIMIT = 10  # orders shown for one number, newest first
_ORDER_NUMBER = re.compile(r"^([A-Z]*)(\d{8})-(\d{6})$")


def order_number(text: str) -> str | None:
    """The order number `text` names: `HL20261124-000123`, without its prefix, or its 14 digits; else None."""
    compact = text.replace(" ", "").upper()
    match = _ORDER_NUMBER.match(compact)
    if match:
        return f"{match.group(1) or settings.HOTLINE_ORDER_PREFIX}{match.group(2)}-{match.group(3)}"
    return order_number_from_digits(compact)


def find_orders(text: str) -> QuerySet[Order]:
    """Orders by number (one indexed look-up) or by any of the customers' numbers; ValidationError for text
    that is neither."""
    text = text.strip()
    if not text:
        raise ValidationError(_("Type an order number or a phone number."))
    number = order_number(text)
    if number is not None:
        found = Order.objects.filter(number=number)
    else:
        try:
            normalize_phone(text)
        except ValidationError as exc:
            raise ValidationError(_("“%(text)s” is neither an order number nor a phone number.")
                                  % {"text": text[:40]}) from exc
        found = orders_for_phone(text)
    events = ShipmentEvent.objects.order_by("-at", "-id")
    shipments = Shipment.objects.select_related("courier").prefetch_related(Prefetch("events", queryset=events))
    return (found.select_related("customer").prefetch_related("lines__product", Prefetch("shipments", shipments))
            .order_by("-created_at", "-id"))


@login_required
@require_GET
def order_lookup(request: HttpRequest) -> HttpResponse:
    """The orders a number or an order number finds, each with its parcel and its last tracking events."""
    require_perm(request, Perm.VIEW_ORDER)
    text = request.GET.get("q", "")
    try:
        orders = list(find_orders(text)[:LIMIT])
        error = ""
    except ValidationError as exc:
        orders, error = [], " ".join(exc.messages)
    context = {"orders": orders, "error": error, "q": text,
               "can_send": request.user.has_perm(Perm.SEND_ORDER_STATUS)}
    return render(request, "desk/customer_orders.html", context, status=INVALID if error else 200)


@login_required
@require_POST
def send_order_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the order's status to its customer (Alt+S on the looked-up order)."""
    user = require_perm(request, Perm.SEND_ORDER_STATUS)
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    try:
        notification = do_send_order_status(order, actor=user)
    except ValidationError as exc:
        return render(request, "desk/customer_sent.html", {"error": " ".join(exc.messages)}, status=INVALID)
    return render(request, "desk/customer_sent.html", {"notification": notification, "order": order})

"""审核 Review: the waiting orders with their flags; review the ticked ones, or send them back to the agent."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST

from hotline.logistics import queries
from hotline.logistics.actions import do_review_orders, do_send_back_order
from hotline.logistics.forms import OrderSelectionForm, ReviewFilterForm, SendBackForm, add_action_error
from hotline.logistics.views.common import page, workbench_user
from hotline.orders.models import Order

TEMPLATE, FRAGMENT = "logistics/review.html", "logistics/_review_queue.html"


def queue_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The filtered queue's page with each row's flags; invalid filters are shown and left out."""
    filters = ReviewFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    orders: Any = queries.review_queue(data)
    if data.get("risk"):
        orders = queries.filter_by_risk(orders, data["risk"])
    shown = queries.page_of(orders, request.GET.get("page"))
    return {"filters": filters, "page_obj": shown, "rows": queries.review_rows(list(shown.object_list)),
            "counts": queries.review_counts(), "query": _query_without_page(request), **extra}


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """The review queue (rush first, then the oldest), 50 a page."""
    workbench_user(request, "review")
    return page(request, TEMPLATE, "review", queue_context(request), fragment=FRAGMENT)


@login_required
@require_POST
def approve(request: HttpRequest) -> HttpResponse:
    """审核通过: review the ticked orders; the answer says how many passed and why the others did not."""
    user = workbench_user(request, "review")
    form = OrderSelectionForm(request.POST)
    if not form.is_valid():
        return page(request, TEMPLATE, "review", queue_context(request, errors=form), status=400, fragment=FRAGMENT)
    result = do_review_orders(form.cleaned_data["orders"], actor=user)
    numbers = dict(Order.objects.filter(pk__in=[*result.reviewed, *result.flagged]).values_list("pk", "number"))
    outcome = {"reviewed": len(result.reviewed), "confirmations": len(result.confirmations),
               "flagged": [(numbers[pk], reason) for pk, reason in result.flagged.items()]}
    return page(request, TEMPLATE, "review", queue_context(request, outcome=outcome), fragment=FRAGMENT)


@login_required
@require_POST
def send_back(request: HttpRequest) -> HttpResponse:
    """退回坐席: the ticked orders go back to their agents' worklists with the reason (all or none)."""
    user = workbench_user(request, "review")
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                for order in form.cleaned_data["orders"].order_by("number"):
                    do_send_back_order(order, reason=form.cleaned_data["reason"], actor=user)
        except ValidationError as error:
            add_action_error(form, error)
    if form.errors:
        return page(request, TEMPLATE, "review", queue_context(request, errors=form), status=400, fragment=FRAGMENT)
    outcome = {"sent_back": [order.number for order in form.cleaned_data["orders"].order_by("number")]}
    return page(request, TEMPLATE, "review", queue_context(request, outcome=outcome), fragment=FRAGMENT)

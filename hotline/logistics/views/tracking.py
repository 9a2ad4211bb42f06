"""物流跟踪 Tracking: parcels by status, the stuck list, an order's timeline, and events typed in by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.logistics import queries
from hotline.logistics.actions import do_change_courier, do_record_shipment_event
from hotline.logistics.forms import CourierChangeForm, EventForm, TrackingFilterForm, add_action_error
from hotline.logistics.models import EventSource, ShipmentStatus
from hotline.logistics.views.common import may, page, workbench_user


@login_required
@require_GET
def tracking(request: HttpRequest) -> HttpResponse:
    """Parcels by status with filters, and the parcels that have been silent for N days."""
    workbench_user(request, "tracking")
    filters = TrackingFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    days = data.get("stuck_days") or queries.STUCK_DAYS
    query = request.GET.copy()
    query.pop("page", None)
    counts = queries.status_counts()
    return page(request, "logistics/tracking.html", "tracking", {
        "filters": filters, "page_obj": queries.page_of(queries.shipments(data), request.GET.get("page")),
        "stuck": queries.stuck_shipments(days)[:100], "stuck_days": days, "query": query.urlencode(),
        "counts": [(label, counts.get(value, 0)) for value, label in ShipmentStatus.choices]})


@login_required
@require_GET
def find_order(request: HttpRequest) -> HttpResponse:
    """The order-number box: straight to that order's timeline."""
    workbench_user(request, "tracking")
    number = request.GET.get("number", "").strip().upper()
    if not number:
        return redirect("logistics:tracking")
    return redirect("logistics:order", number=number)


def _order_context(request: HttpRequest, number: str, form: EventForm | None = None,
                   courier_form: CourierChangeForm | None = None) -> dict[str, Any]:
    timeline = queries.timeline(queries.order_by_number(number))
    parcel = next((p for p in reversed(timeline.shipments) if p.tracking_number), None)
    waiting = next((p for p in timeline.shipments if p.status == ShipmentStatus.PENDING), None)
    may_record = may(request.user, Perm.RECORD_DELIVERY) and parcel is not None
    initial = {"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    return {"timeline": timeline, "parcel": parcel, "may_record": may_record,
            "event_form": form or EventForm(initial=initial), "waiting": waiting,
            "may_change_courier": waiting is not None and may(request.user, Perm.REVIEW_ORDER),
            "courier_form": courier_form or CourierChangeForm(initial={"courier": waiting and waiting.courier_id})}


@login_required
@require_GET
def order_page(request: HttpRequest, number: str) -> HttpResponse:
    """One order's timeline: status history, parcels and their events, prints, tasks, returns."""
    workbench_user(request, "tracking")
    return page(request, "logistics/order.html", "tracking", _order_context(request, number))


@login_required
@require_POST
def record_event(request: HttpRequest, number: str) -> HttpResponse:
    """A tracking event typed in by a clerk, on the order's latest parcel with a tracking number."""
    user = workbench_user(request, "tracking")
    if not may(user, Perm.RECORD_DELIVERY):
        raise PermissionDenied()
    context = _order_context(request, number, EventForm(request.POST))
    form, parcel = context["event_form"], context["parcel"]
    if parcel is None:
        form.add_error(None, _("This order has no parcel with a tracking number yet."))
    elif form.is_valid():
        try:
            do_record_shipment_event(parcel, form.cleaned_data["kind"], form.cleaned_data["at"],
                                     source=EventSource.MANUAL, actor=user, detail=form.cleaned_data["detail"])
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _("Event recorded."))
            return redirect("logistics:order", number=number)
    return page(request, "logistics/order.html", "tracking", context, status=400)


@login_required
@require_POST
def change_courier(request: HttpRequest, number: str) -> HttpResponse:
    """Another courier for the parcel still on the shelf, with the reason (audited); freight computed again."""
    user = workbench_user(request, "tracking")
    if not may(user, Perm.REVIEW_ORDER):
        raise PermissionDenied()
    context = _order_context(request, number, courier_form=CourierChangeForm(request.POST))
    form, waiting = context["courier_form"], context["waiting"]
    if waiting is None:
        form.add_error(None, _("This order has no parcel waiting to ship."))
    elif form.is_valid():
        try:
            do_change_courier(waiting, form.cleaned_data["courier"], reason=form.cleaned_data["reason"], actor=user)
        except ValidationError as error:
            add_action_error(form, error)
        else:
            messages.success(request, _("Courier changed."))
            return redirect("logistics:order", number=number)
    return page(request, "logistics/order.html", "tracking", context, status=400)

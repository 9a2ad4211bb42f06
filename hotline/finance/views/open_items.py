"""未达账项 Open items: the differences reconciliation found, by courier, kind and status, with the amount
each courier still owes; resolve one with a note (the row is swapped in place), open it again, and export a
courier's open items as a workbook to send to the courier.

Finance and managers see it (Perm.VIEW_FINANCE); finance resolves (Perm.RECONCILE)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.finance.actions.exports import do_record_export
from hotline.finance.actions.open_items import do_reopen_open_item, do_resolve_open_item
from hotline.finance.forms import OpenItemFilterForm, ReopenForm, ResolveForm, add_action_error
from hotline.finance.models import OpenItem, OpenItemKind, OpenItemStatus
from hotline.finance.views.common import finance_user, page
from hotline.lib.money import ZERO, yuan
from hotline.lib.xlsx.tables import write_xlsx
from hotline.logistics.models import Courier

TEMPLATE, ROW = "finance/open_items.html", "finance/open_items_row.html"
PER_PAGE = 50


def open_items(filters: dict[str, Any]) -> QuerySet[OpenItem]:
    """The open items the filters select, newest first."""
    items = OpenItem.objects.select_related("courier", "order", "statement", "resolved_by")
    if filters.get("courier"):
        items = items.filter(courier=filters["courier"])
    if filters.get("kind"):
        items = items.filter(kind=filters["kind"])
    if filters.get("status", OpenItemStatus.OPEN) != "all":
        items = items.filter(status=filters.get("status", OpenItemStatus.OPEN))
    return items


def totals_by_courier(items: QuerySet[OpenItem]) -> list[dict[str, Any]]:
    """Count and amount per courier of the selected items (what each courier still owes, net)."""
    rows = list(items.order_by().values("courier_id", "courier__name", "courier__code")
                .annotate(n=Count("pk"), total=Sum("amount")).order_by("courier__name"))
    for row in rows:
        row["total"] = yuan(row["total"] or ZERO)  # a sum read back from SQLite may lack its two places
    return rows


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def list_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """The filtered list's page, the totals per courier, and what the user may do."""
    form = OpenItemFilterForm(request.GET or None)
    items = open_items(form.filters())
    totals = totals_by_courier(items)
    return {"filters": form, "page_obj": Paginator(items, PER_PAGE).get_page(request.GET.get("page")),
            "totals": totals, "grand_total": sum((row["total"] for row in totals), ZERO),
            "grand_count": sum(row["n"] for row in totals), "query": _query_without_page(request),
            "may_resolve": request.user.has_perm(Perm.RECONCILE), **extra}


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The open items (open ones unless the status filter says otherwise), 50 a page, with totals per courier."""
    finance_user(request, "open_items")
    return page(request, TEMPLATE, "open_items", list_context(request))


def _row_answer(request: HttpRequest, item: OpenItem, form: Any, done: str) -> HttpResponse:
    """The item's row again (htmx swaps it in place) or the list; with the form's errors, status 422."""
    form.item_pk = item.pk  # the row that shows the errors
    status = 422 if form.errors else 200
    if getattr(request, "htmx", False):
        item.refresh_from_db()
        return page(request, ROW, "open_items", {"item": item, "may_resolve": True, "row_form": form,
                                                 "done": "" if form.errors else done}, status=status, fragment=ROW)
    if form.errors:
        return page(request, TEMPLATE, "open_items", list_context(request, row_form=form), status=422)
    messages.success(request, done)
    return redirect("finance:open-items")


@login_required
@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Close an open item with a note of how it was settled."""
    user = finance_user(request, "open_items", Perm.RECONCILE)
    item = get_object_or_404(OpenItem, pk=pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            do_resolve_open_item(item, resolution=form.cleaned_data["resolution"], actor=user)
        except ValidationError as error:
            add_action_error(form, error)
    return _row_answer(request, item, form, _("Open item resolved."))


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a resolved item again, with the reason."""
    user = finance_user(request, "open_items", Perm.RECONCILE)
    item = get_object_or_404(OpenItem, pk=pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            do_reopen_open_item(item, reason=form.cleaned_data["reason"], actor=user)
        except ValidationError as error:
            add_action_error(form, error)
    return _row_answer(request, item, form, _("Open item opened again."))


def courier_workbook(courier: Courier) -> bytes:
    """A courier's open items as a workbook for the courier: what it still owes us, line by line."""
    kinds = dict(OpenItemKind.choices)
    items = open_items({"courier": courier}).order_by("created_at", "pk")
    headers = [_("Tracking number"), _("Order"), _("Difference"), _("Amount (¥)"), _("Detail"), _("Statement")]
    rows = ([item.tracking_number, item.order.number if item.order else "", str(kinds[item.kind]), item.amount,
             item.detail, item.statement.number if item.statement else ""] for item in items.iterator())
    return write_xlsx(_("Open items"), headers, rows)


@login_required
@require_GET
def export(request: HttpRequest, courier_id: int) -> HttpResponse:
    """The courier's open items (.xlsx), to send to the courier."""
    finance_user(request, "open_items")
    courier = get_object_or_404(Courier, pk=courier_id)
    response = HttpResponse(courier_workbook(courier),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"open-items-{courier.code}-{timezone.localdate():%Y%m%d}.xlsx"
    do_record_export("open_items", actor=request.user, rows=open_items({"courier": courier}).count(),
                     detail={"courier": courier.code})
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urls = [
    path("open_items/", index, name="open-items"),
    path("open_items/<int:pk>/resolve", resolve, name="resolve-open-item"),
    path("open_items/<int:pk>/reopen", reopen, name="reopen-open-item"),
    path("open_items/export/<int:courier_id>.xlsx", export, name="export-open-items"),
]

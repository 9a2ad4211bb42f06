"""应收账款 Receivables: today's figure per courier and age bucket with its chart and trend, the parcels
behind each figure, and the Excel file of both. Reads only (see hotline.finance.receivables)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from hotline.accounts.permissions import Perm
from hotline.finance.actions.exports import do_record_export
from hotline.finance.receivables import (
    BUCKETS,
    EXPORT_LIMIT,
    Receivables,
    TrendPoint,
    receivable_rows,
    receivables,
    receivables_trend,
    receivables_workbook,
    today,
)
from hotline.finance.views.common import finance_user, page
from hotline.logistics.models import Courier

PAGE_SIZE = 50
TREND_DAYS = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReceivablesFilter(forms.Form):
    """Which receivables: on which day, of which courier, in which age bucket (all optional)."""

    as_of = forms.DateField(label=gettext_lazy("As of"), required=False,
                            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
                            error_messages={"invalid": gettext_lazy("Enter a date such as 2026-12-01.")})
    courier = forms.ModelChoiceField(Courier.objects.all(), label=gettext_lazy("Courier"), required=False,
                                     empty_label=gettext_lazy("All couriers"), error_messages={
                                         "invalid_choice": gettext_lazy("Choose a courier from the list.")})
    bucket = forms.ChoiceField(label=gettext_lazy("Age"), required=False,
                               choices=[("", gettext_lazy("All ages")), *[(b.key, b.label) for b in BUCKETS]],
                               error_messages={"invalid_choice": gettext_lazy("Choose an age from the list.")})

    def clean_as_of(self) -> datetime.date:
        day: datetime.date = self.cleaned_data.get("as_of") or today()
        if day > today():
            raise forms.ValidationError(_("Receivables cannot be counted for a day still to come: choose today "
                                          "or an earlier day."))
        return day


def _filters(request: HttpRequest) -> tuple[ReceivablesFilter, dict[str, Any]]:
    """The filter form and its values; a bad filter leaves every value at its default (today, all)."""
    form = ReceivablesFilter(request.GET or None, initial={"as_of": today()})
    if form.is_valid():
        return form, form.cleaned_data
    return form, {"as_of": today(), "courier": None, "bucket": ""}


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Today's receivables (or another day's) per courier and age bucket, with the chart and the trend."""
    user = finance_user(request, "receivables")
    form, data = _filters(request)
    figures = receivables(data["as_of"])
    trend = receivables_trend(TREND_DAYS, live=figures if figures.as_of == today() else None)
    return page(request, "finance/receivables.html", "receivables", {
        "form": form, "figures": figures, "buckets": BUCKETS, "chart": _chart(figures, trend),
        "is_today": figures.as_of == today(), "may_open_orders": user.has_perm(Perm.VIEW_LOGISTICS),
    }, status=200 if form.is_bound is False or form.is_valid() else 400)


@login_required
@require_GET
def parcels(request: HttpRequest) -> HttpResponse:
    """The receivable parcels behind a figure, oldest delivery first, a page at a time."""
    user = finance_user(request, "receivables")
    form, data = _filters(request)
    rows = receivable_rows(data["courier"], data["bucket"] or None, data["as_of"])
    # ReceivableRows counts and slices (all a Paginator uses) without being a Sequence
    page_obj: Any = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))  # type: ignore[arg-type]
    return page(request, "finance/receivables_parcels.html", "receivables", {
        "form": form, "page_obj": page_obj, "as_of": data["as_of"], "courier": data["courier"],
        "bucket": next((b for b in BUCKETS if b.key == data["bucket"]), None), "query": _query(request),
        "export_limit": EXPORT_LIMIT, "may_open_orders": user.has_perm(Perm.VIEW_LOGISTICS),
    }, status=200 if form.is_bound is False or form.is_valid() else 400,
        fragment="finance/receivables_parcels_table.html")


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The summary and the parcels of the filter as an .xlsx, written in the request (see EXPORT_LIMIT)."""
    finance_user(request, "receivables")
    form, data = _filters(request)
    if form.is_bound and not form.is_valid():
        return page(request, "finance/receivables_parcels.html", "receivables", {
            "form": form, "page_obj": None, "as_of": data["as_of"], "query": _query(request)}, status=400)
    summary = receivables(data["as_of"])
    rows = receivable_rows(data["courier"], data["bucket"] or None, data["as_of"])
    response = HttpResponse(receivables_workbook(summary, rows), content_type=XLSX)
    parts = ["receivables", summary.as_of.isoformat(), data["courier"] and data["courier"].code, data["bucket"]]
    do_record_export("receivables", actor=request.user, rows=min(rows.count(), EXPORT_LIMIT),
                     detail={"as_of": summary.as_of.isoformat(), "courier": data["courier"] and data["courier"].code,
                             "bucket": data["bucket"] or ""})
    response["Content-Disposition"] = f'attachment; filename="{"-".join(p for p in parts if p)}.xlsx"'
    return response


def _chart(figures: Receivables, trend: list[TrendPoint]) -> dict[str, Any]:
    """What the ageing chart and the trend line draw (amounts as text, exact; the script makes numbers)."""
    couriers = sorted({name for point in trend for name in point.by_courier})

    def text(amount: Decimal | None) -> str | None:
        return None if amount is None else str(amount)

    return {
        "labels": {"total": _("Total")},
        "couriers": [row.courier for row in figures.rows],
        "buckets": [{"label": str(bucket.label), "amounts": [text(row.buckets[i].amount) for row in figures.rows]}
                    for i, bucket in enumerate(BUCKETS)],
        "trend": {"days": [point.day.strftime("%m-%d") for point in trend],
                  "total": [text(point.amount) for point in trend],
                  "couriers": [{"name": name, "amounts": [text(point.by_courier.get(name)) for point in trend]}
                               for name in couriers]},
    }


urls = [
    path("receivables/", index, name="receivables"),
    path("receivables/parcels/", parcels, name="receivables-parcels"),
    path("receivables/export.xlsx", export, name="receivables-export"),
]

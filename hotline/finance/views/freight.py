"""运费对账 Freight bills: upload a courier's freight bill, read the dry run (totals billed / computed /
difference, lines per outcome, the lines that do not agree), import it; the imported bills and each bill's
lines. The work runs on the task worker (hotline/finance/freight_jobs.py); these views start jobs and show
them.

Finance and managers see the bills (Perm.VIEW_FINANCE); importing needs Perm.RECONCILE."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from hotline.accounts.permissions import Perm
from hotline.finance.actions.freight import do_save_freight_columns
from hotline.finance.freight import DEFAULT_HEADERS, FreightFileError, check_freight_columns
from hotline.finance.freight_jobs import APPLY, CHECK
from hotline.finance.models import CourierColumns, FreightBill, FreightOutcome
from hotline.finance.views.common import finance_user, page
from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from hotline.jobs.queries import get_job_for_user, live_progress
from hotline.lib.money import ZERO
from hotline.lib.xlsx.tables import normalize_header
from hotline.logistics.feedback import MAX_BYTES
from hotline.logistics.models import Courier

TAB = "freight"
PER_PAGE = 50
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FreightUploadForm(forms.Form):
    """The courier, the bill's number and period, and its file; the file's size and columns are checked
    here, its lines by the dry run."""

    courier = forms.ModelChoiceField(queryset=Courier.objects.filter(active=True), label=gettext_lazy("Courier"))
    number = forms.CharField(max_length=40, label=gettext_lazy("Bill number"))
    period_start = forms.DateField(label=gettext_lazy("Period from"), widget=DATE)
    period_end = forms.DateField(label=gettext_lazy("Period to"), widget=DATE)
    file = forms.FileField(label=gettext_lazy("Freight bill (.xlsx or .csv)"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        courier, number = data.get("courier"), data.get("number")
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("The period ends before it starts."))
        if courier and number and FreightBill.objects.filter(courier=courier, number=number.strip()).exists():
            self.add_error("number", _("%(courier)s's bill %(number)s was imported already.")
                           % {"courier": courier.name, "number": number.strip()})
        upload = data.get("file")
        if upload is not None and courier is not None:
            self._check_file(upload, courier)
        return data

    def _check_file(self, upload: Any, courier: Courier) -> None:
        if upload.size > MAX_BYTES:
            self.add_error("file", _("The file is larger than %(mb)d MB; split it into smaller files.")
                           % {"mb": MAX_BYTES // (1024 * 1024)})
            return
        try:
            check_freight_columns(upload.read(), courier)
        except FreightFileError as exc:
            if not exc.columns:  # a readable file whose columns are not found: the dry run asks which is which
                self.add_error("file", exc.message)
        upload.seek(0)


class FreightColumnsForm(forms.Form):
    """Which of the file's columns holds each value (a select of its headers per value)."""

    def __init__(self, *args: Any, headers: list[str], saved: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((header, header) for header in headers)]
        for key, (label, spellings) in DEFAULT_HEADERS.items():
            wanted = {normalize_header(name) for name in (saved.get(key), *spellings) if isinstance(name, str)}
            self.fields[key] = forms.ChoiceField(
                label=label, choices=choices, required=False,
                initial=next((header for header in headers if normalize_header(header) in wanted), ""))


def _index_context(request: HttpRequest, form: FreightUploadForm | None) -> dict[str, Any]:
    bills = Paginator(FreightBill.objects.select_related("courier", "imported_by"), PER_PAGE).get_page(
        request.GET.get("page"))
    for freight_bill in bills.object_list:
        freight_bill.difference = freight_bill.computed_total - freight_bill.billed_total  # type: ignore[attr-defined]
    may_import = request.user.has_perm(Perm.RECONCILE)
    recent = (Job.objects.filter(kind__in=[CHECK, APPLY]).defer("file").select_related("created_by")[:10]
              if may_import else [])
    return {"form": form if may_import else None, "page_obj": bills, "recent": recent, "CHECK": CHECK}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The imported bills; for finance, the upload form (a POST queues the dry run) and the last jobs."""
    user = finance_user(request, TAB, Perm.RECONCILE if request.method == "POST" else None)
    form = FreightUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data, upload = form.cleaned_data, form.cleaned_data["file"]
        job = run_job(CHECK, actor=user, payload={
            "courier_id": data["courier"].pk, "number": data["number"].strip(),
            "period_start": data["period_start"].isoformat(), "period_end": data["period_end"].isoformat()},
            file=upload.read(), file_name=upload.name)
        return redirect("finance:freight-job", pk=job.pk)
    return page(request, "finance/freight.html", TAB, _index_context(request, form),
                status=422 if form.is_bound else 200)


def _saved_columns(courier: Courier | None) -> dict[str, Any]:
    saved = CourierColumns.objects.filter(courier=courier).values_list("freight", flat=True).first()
    return dict(saved or {})


def _job_context(job: Job, columns: FreightColumnsForm | None = None) -> dict[str, Any]:
    done, total, percent = live_progress(job)
    result = job.result or {}
    payload = job.payload or {}
    courier = Courier.objects.filter(pk=int(payload.get("courier_id") or 0)).first()
    if columns is None and result.get("headers") and courier is not None:
        columns = FreightColumnsForm(headers=result["headers"], saved=_saved_columns(courier))
    labels = dict(FreightOutcome.choices)
    rows = [{**row, "outcome_label": labels.get(row["outcome"], row["outcome"])}
            for row in result.get("differences", [])]
    return {"job": job, "done": done, "total": total, "percent": percent, "result": result, "payload": payload,
            "courier": courier, "columns": columns,
            "counts": [(labels[key], n) for key, n in (result.get("counts") or {}).items() if key in labels],
            "rows": rows, "listed_all": len(rows) >= sum(n for key, n in (result.get("counts") or {}).items()
                                                          if key != FreightOutcome.AGREES),
            "may_apply": job.kind == CHECK and job.status == Job.Status.DONE and "lines" in result
            and not result.get("already_imported")}


def _freight_job(request: HttpRequest, pk: int) -> Job:
    finance_user(request, TAB, Perm.RECONCILE)
    job = get_job_for_user(request.user, pk)
    if job.kind not in (CHECK, APPLY):
        raise Http404
    return job


@login_required
def job_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A dry run's or an import's progress, then its report (htmx polls the part that changes)."""
    job = _freight_job(request, pk)
    return page(request, "finance/freight_report.html", TAB, _job_context(job),
                fragment="finance/freight_report_part.html")


@login_required
@require_POST
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Import a dry-run bill, as a new job on the same file."""
    job = _freight_job(request, pk)
    if job.kind != CHECK or job.status != Job.Status.DONE:
        raise Http404
    return redirect("finance:freight-job", pk=_again(job, APPLY, request.user, checked_by_job=job.pk).pk)


@login_required
@require_POST
def save_columns(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the courier's columns as mapped on this file, then run the dry run again on the same file."""
    job = _freight_job(request, pk)
    headers = (job.result or {}).get("headers")
    courier = Courier.objects.filter(pk=int((job.payload or {}).get("courier_id") or 0)).first()
    if job.kind != CHECK or not headers or courier is None:
        raise Http404
    form = FreightColumnsForm(request.POST, headers=headers, saved={})
    if form.is_valid():
        try:
            do_save_freight_columns(courier, form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("finance:freight-job", pk=_again(job, CHECK, request.user).pk)
    return page(request, "finance/freight_report.html", TAB, _job_context(job, form), status=422)


def _again(job: Job, kind: str, user: Any, **extra: Any) -> Job:
    """A new job of `kind` on the same file and parameters."""
    source = Job.objects.only("file", "file_name", "payload").get(pk=job.pk)
    return run_job(kind, actor=user, payload={**source.payload, **extra}, file=bytes(source.file or b""),
                   file_name=source.file_name)


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def bill(request: HttpRequest, pk: int) -> HttpResponse:
    """An imported bill: its totals, lines per outcome, and its lines (those that do not agree, or all)."""
    finance_user(request, TAB)
    freight_bill = get_object_or_404(FreightBill.objects.select_related("courier", "imported_by"), pk=pk)
    show_all = request.GET.get("show") == "all"
    lines = freight_bill.lines.select_related("shipment__order")
    if not show_all:
        lines = lines.exclude(outcome=FreightOutcome.AGREES)
    counts = dict.fromkeys(FreightOutcome.values, 0)
    counts.update(freight_bill.lines.order_by().values_list("outcome").annotate(n=Count("pk")))
    page_obj = Paginator(lines, PER_PAGE).get_page(request.GET.get("page"))
    for line in page_obj.object_list:
        line.difference = (line.computed or ZERO) - line.billed  # type: ignore[attr-defined]
    return page(request, "finance/freight_bill.html", TAB, {
        "bill": freight_bill, "difference": freight_bill.computed_total - freight_bill.billed_total,
        "counts": [(label, counts[value]) for value, label in FreightOutcome.choices], "show_all": show_all,
        "page_obj": page_obj})


urls = [
    path("freight/", index, name="freight"),
    path("freight/jobs/<int:pk>/", job_report, name="freight-job"),
    path("freight/jobs/<int:pk>/apply/", apply, name="freight-apply"),
    path("freight/jobs/<int:pk>/columns/", save_columns, name="freight-columns"),
    path("freight/<int:pk>/", bill, name="freight-bill"),
]

"""The remittances tab (回款对账): upload a courier's statement, say which column holds what the first time,
read the dry run's report, apply it (optionally recording the deliveries it vouches for), and look at the
statements applied, their lines and their differences (with an export for the courier).

The work runs on the task worker (remittance_jobs.py); these views start jobs and show them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hotline.accounts.permissions import Perm
from hotline.finance.actions.remittance import already_applied, applied_statement, do_save_statement_columns
from hotline.finance.models import LineOutcome, OpenItemStatus, RemittanceLine, RemittanceStatement
from hotline.finance.remittance_jobs import APPLY, CHECK, differences_workbook
from hotline.finance.statement_file import (
    MAX_BYTES,
    REMITTANCE_KEYS,
    StatementFileError,
    check_statement_columns,
    file_headers,
)
from hotline.finance.views.common import finance_user, page
from hotline.jobs.actions import run_job
from hotline.jobs.models import Job
from hotline.jobs.queries import get_job_for_user, live_progress
from hotline.lib.xlsx.tables import normalize_header
from hotline.logistics.models import Courier

TAB = "remittances"
LINES_PER_PAGE = 200
STATEMENTS_PER_PAGE = 50
OUTCOMES = dict(LineOutcome.choices)


class StatementUploadForm(forms.Form):
    """A courier's statement: its number, period and bank receipt as the clerk reads them, and the file.
    The file's size and readability are checked here; unknown columns are mapped after upload."""

    courier = forms.ModelChoiceField(queryset=Courier.objects.filter(active=True, cod_supported=True),
                                     label=gettext_lazy("Courier"))
    number = forms.CharField(label=gettext_lazy("Statement number"), max_length=40)
    period_start = forms.DateField(label=gettext_lazy("Period from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=gettext_lazy("Period to"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    bank_total = forms.DecimalField(label=gettext_lazy("Bank receipt (optional)"), required=False, max_digits=12,
                                    decimal_places=2, min_value=Decimal("0.01"))
    file = forms.FileField(label=gettext_lazy("Statement file (.xlsx or .csv)"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        courier, number, upload = data.get("courier"), data.get("number"), data.get("file")
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and start > end:
            self.add_error("period_end", _("The period ends before it starts: check the two dates."))
        if courier and number and (done := applied_statement(courier, number)) is not None:
            self.add_error("number", already_applied(done))
        if upload is not None and courier is not None:
            self._check_file(upload, courier)
        return data

    def _check_file(self, upload: Any, courier: Courier) -> None:
        if upload.size > MAX_BYTES:
            self.add_error("file", _("The file is larger than %(mb)d MB; split the statement into smaller files.")
                           % {"mb": MAX_BYTES // (1024 * 1024)})
            return
        self.content = upload.read()
        try:
            check_statement_columns(self.content, courier)
        except StatementFileError as exc:
            try:  # a readable file with unknown columns: the dry run's page asks which is which
                file_headers(self.content)
            except StatementFileError:
                self.add_error("file", exc.message)

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"courier_id": data["courier"].pk, "number": data["number"].strip(),
                "period_start": data["period_start"].isoformat() if data["period_start"] else None,
                "period_end": data["period_end"].isoformat() if data["period_end"] else None,
                "bank_total": str(data["bank_total"]) if data["bank_total"] is not None else None}


class ColumnsForm(forms.Form):
    """Which of the file's columns holds each value (a select of its headers per value)."""

    def __init__(self, *args: Any, headers: list[str], saved: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((header, header) for header in headers)]
        for key, (label, spellings) in REMITTANCE_KEYS.items():
            self.fields[key] = forms.ChoiceField(label=label, choices=choices, required=False,
                                                 initial=_guess(key, headers, saved, spellings))


def _guess(key: str, headers: list[str], saved: dict[str, Any], spellings: tuple[str, ...]) -> str:
    """The header this value is probably in: the courier's saved one, else a usual spelling."""
    wanted = {normalize_header(name) for name in (saved.get(key), *spellings) if isinstance(name, str) and name}
    return next((header for header in headers if normalize_header(header) in wanted), "")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The statements applied, the upload form and the last statement jobs (for those who reconcile)."""
    user = finance_user(request, TAB)
    may_reconcile = user.has_perm(Perm.RECONCILE)
    form = StatementUploadForm(request.POST or None, request.FILES or None) if may_reconcile else None
    if request.method == "POST":
        finance_user(request, TAB, Perm.RECONCILE)
        assert form is not None
        if form.is_valid():
            upload = form.cleaned_data["file"]
            job = run_job(CHECK, actor=user, payload=form.payload(), file=form.content, file_name=upload.name)
            return redirect("finance:remittance-job", pk=job.pk)
    statements = Paginator(_statements(), STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    recent = (Job.objects.filter(kind__in=[CHECK, APPLY]).defer("file").select_related("created_by")
              .order_by("-pk")[:10] if may_reconcile else [])
    return page(request, "finance/remittances.html", TAB, {
        "form": form, "statements": statements, "recent": recent, "check_kind": CHECK},
        status=400 if form is not None and form.is_bound and form.errors else 200)


def _statements() -> QuerySet[RemittanceStatement]:
    return (RemittanceStatement.objects.select_related("courier", "applied_by")
            .annotate(open_count=Count("open_items", filter=Q(open_items__status=OpenItemStatus.OPEN)),
                      item_count=Count("open_items")).order_by("-applied_at", "-pk"))


def _job(request: HttpRequest, pk: int) -> Job:
    finance_user(request, TAB, Perm.RECONCILE)
    job = get_job_for_user(request.user, pk)
    if job.kind not in (CHECK, APPLY):
        raise Http404
    return job


def _job_context(job: Job, columns: ColumnsForm | None = None) -> dict[str, Any]:
    done, total, percent = live_progress(job)
    result = job.result or {}
    courier = Courier.objects.filter(pk=int((job.payload or {}).get("courier_id") or 0)).first()
    if columns is None and result.get("headers") and courier is not None:
        columns = ColumnsForm(headers=result["headers"], saved=_saved_columns(courier))
    is_check = job.kind == CHECK and job.status == Job.Status.DONE
    may_apply = is_check and bool(result.get("lines")) and not result.get("refusal") and not result.get("file_error")
    return {"job": job, "done": done, "total": total, "percent": percent, "result": result, "courier": courier,
            "counts": [(OUTCOMES.get(k, k), n) for k, n in (result.get("counts") or {}).items()],
            "rows": [{"line": r[0], "tracking": r[1], "order": r[2], "outcome": OUTCOMES.get(r[3], r[3]),
                      "kind": r[3], "due": r[4], "collected": r[5], "difference": r[6], "fee": r[7],
                      "expected_fee": r[8], "fee_ok": r[9]} for r in result.get("rows") or []],
            "may_apply": may_apply, "columns": columns, "check_kind": CHECK}


def _saved_columns(courier: Courier) -> dict[str, Any]:
    columns = getattr(courier, "finance_columns", None)
    return dict(columns.remittance or {}) if columns is not None else {}


@login_required
@require_GET
def job_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A dry run's or an apply's progress, then its report (htmx polls the part that changes)."""
    job = _job(request, pk)
    return page(request, "finance/remittance_job.html", TAB, _job_context(job),
                fragment="finance/remittance_job_part.html")


@login_required
@require_POST
def save_columns(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the courier's columns as mapped on this file, then run the dry run again on the same file."""
    job = _job(request, pk)
    context = _job_context(job)
    form = context["columns"]
    if form is None:
        raise Http404
    form = ColumnsForm(request.POST, headers=(job.result or {})["headers"], saved={})
    if form.is_valid():
        try:
            do_save_statement_columns(context["courier"], form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("finance:remittance-job", pk=_again(job, CHECK, request.user, {}).pk)
    return page(request, "finance/remittance_job.html", TAB, _job_context(job, form), status=400)


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _again(job: Job, kind: str, user: Any, extra: dict[str, Any]) -> Job:
    """A new job of `kind` on the same file and statement values."""
    source = Job.objects.only("file", "file_name", "payload").get(pk=job.pk)
    return run_job(kind, actor=user, payload={**source.payload, **extra}, file=bytes(source.file or b""),
                   file_name=source.file_name)


@login_required
@require_POST
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a dry-run statement as a new job (`mode=accept`: recording the missing deliveries first)."""
    job = _job(request, pk)
    if not _job_context(job)["may_apply"]:
        raise Http404
    again = _again(job, APPLY, request.user, {"accept_deliveries": request.POST.get("mode") == "accept",
                                              "checked_by_job": job.pk})
    return redirect("finance:remittance-job", pk=again.pk)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An applied statement: its totals, its lines (all, or only the differences), its open items."""
    finance_user(request, TAB)
    statement = get_object_or_404(_statements(), pk=pk)
    lines = RemittanceLine.objects.filter(statement=statement).select_related("order").order_by("line")
    only_differences = request.GET.get("show") != "all"
    if only_differences:
        lines = lines.filter(~Q(outcome=LineOutcome.MATCHED) | Q(open_items__isnull=False)).distinct()
    return page(request, "finance/remittance_detail.html", TAB, {
        "statement": statement, "only_differences": only_differences, "outcomes": OUTCOMES,
        "lines": Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page")),
        "counts": _line_counts(statement)})


def _line_counts(statement: RemittanceStatement) -> list[tuple[Any, int]]:
    found = dict(statement.lines.values_list("outcome").annotate(n=Count("pk")).order_by())
    return [(label, found[value]) for value, label in LineOutcome.choices if value in found]


@login_required
@require_GET
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement's differences as an .xlsx for the courier."""
    finance_user(request, TAB)
    statement = get_object_or_404(RemittanceStatement.objects.select_related("courier"), pk=pk)
    response = HttpResponse(differences_workbook(statement),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"{statement.courier.code}-{statement.number}-differences.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name) or ""
    return response


urls = [
    path("remittances/", index, name="remittances"),
    path("remittances/<int:pk>/", detail, name="remittance"),
    path("remittances/<int:pk>/differences.xlsx", export, name="remittance-export"),
    path("remittances/jobs/<int:pk>/", job_page, name="remittance-job"),
    path("remittances/jobs/<int:pk>/columns/", save_columns, name="remittance-columns"),
    path("remittances/jobs/<int:pk>/apply/", apply, name="remittance-apply"),
]

"""Freight bills on the task worker: the dry run and the import are two job kinds with a progress bar, and the
report is the job's result. The import marks its job done inside its own transaction, so a worker that stops
half-way leaves nothing imported and the job runs again, once."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.permissions import Perm
from hotline.finance.actions.freight import do_import_freight_bill
from hotline.finance.freight import (
    LEG_LABELS,
    FreightFileError,
    FreightMatch,
    FreightReport,
    check_freight_bill,
    file_headers,
    read_freight_file,
)
from hotline.finance.models import FreightBill
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext
from hotline.logistics.models import Courier

CHECK, APPLY = "finance.freight_check", "finance.freight_apply"
LISTED = 500  # differing lines kept in a report (the counts give them all)


def _back(payload: dict[str, Any]) -> str:
    return reverse("finance:freight")


def _date(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@register(CHECK, label=gettext_lazy("Freight bill: dry run"), permission=Perm.RECONCILE, back_url=_back)
def check_bill(ctx: JobContext) -> dict[str, Any]:
    """Every line set against Hotline's freight; nothing is written."""
    courier = Courier.objects.get(pk=ctx.payload["courier_id"])
    try:
        bill = read_freight_file(ctx.file, courier, progress=ctx.progress)
    except FreightFileError as exc:
        return file_error(exc, ctx.file)
    report = check_freight_bill(bill.lines, courier)
    already = FreightBill.objects.filter(courier=courier, number=ctx.payload.get("number", "")).exists()
    return result(report, applying=False, already=already)


@register(APPLY, label=gettext_lazy("Freight bill: import"), permission=Perm.RECONCILE, back_url=_back)
def apply_bill(ctx: JobContext) -> dict[str, Any]:
    """The bill, its lines and its open items, in one transaction; a bill imported already changes nothing."""
    payload = ctx.payload
    courier = Courier.objects.get(pk=payload["courier_id"])
    try:
        bill = read_freight_file(ctx.file, courier, progress=ctx.progress)
        do_import_freight_bill(
            courier, number=payload.get("number", ""), period_start=_date(payload.get("period_start")),
            period_end=_date(payload.get("period_end")), lines=bill.lines, file_name=ctx.job.file_name,
            actor=ctx.actor, progress=ctx.progress,
            before_commit=lambda saved, report: ctx.finish(result(report, applying=True, bill=saved)))
    except FreightFileError as exc:
        return file_error(exc)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        return {"error": message, "summary": message, "applying": True}
    return {}  # finished inside the import's transaction


def file_error(exc: FreightFileError, data: bytes | None = None) -> dict[str, Any]:
    """The file's error; with its headers when its columns were not found (the page asks which is which)."""
    headers: list[str] = []
    if exc.columns and data is not None:
        try:
            headers = file_headers(data)
        except FreightFileError:
            headers = []
    return {"file_error": exc.message, "summary": exc.message, "problems": exc.problems, "bad_lines": exc.bad_lines,
            "headers": headers}


def _row(match: FreightMatch) -> dict[str, Any]:
    line, parcel = match.line, match.parcel
    return {"line": line.line, "tracking": line.tracking_number, "outcome": match.outcome,
            "leg": str(LEG_LABELS[line.leg]), "billed": str(line.billed),
            "computed": "" if match.computed is None else str(match.computed), "difference": str(match.difference),
            "order": parcel.order_number if parcel else "", "weight": "" if line.weight is None else str(line.weight),
            "hotline_weight": str(parcel.weight_kg) if parcel else ""}


def result(report: FreightReport, *, applying: bool, already: bool = False,
           bill: FreightBill | None = None) -> dict[str, Any]:
    """The job's result: totals, counts per outcome, the differing lines, and a sentence for the job page."""
    differences = report.differences()
    figures = {"lines": len(report.matches), "differ": len(differences), "billed": report.billed_total,
               "computed": report.computed_total, "difference": report.difference}
    if applying:
        summary = _("%(lines)d lines imported: billed ¥%(billed)s, Hotline computed ¥%(computed)s, difference "
                    "¥%(difference)s; %(differ)d open items.") % figures
    else:
        summary = _("%(lines)d lines: billed ¥%(billed)s, Hotline computed ¥%(computed)s, difference "
                    "¥%(difference)s; %(differ)d lines do not agree.") % figures
    return {"lines": len(report.matches), "billed_total": str(report.billed_total),
            "computed_total": str(report.computed_total), "difference": str(report.difference),
            "counts": report.counts(), "differences": [_row(match) for match in differences[:LISTED]],
            "applying": applying, "applied": bill is not None, "bill_id": bill.pk if bill else None,
            "already_imported": already, "summary": str(summary)}

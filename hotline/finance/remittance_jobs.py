"""Remittance statements on the task worker: the dry run and the apply are two job kinds, each with a progress
bar; the report is the job's result (JSON). The apply marks its job done inside its own transaction
(`before_commit`), so a worker that stops half-way leaves nothing applied and the job runs again, once.

Also here: the statement's differences as an .xlsx workbook for the courier."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.accounts.permissions import Perm
from hotline.finance.actions.remittance import RemittanceResult, check_remittance, do_apply_remittance
from hotline.finance.matching import LineMatch
from hotline.finance.models import OpenItem, RemittanceStatement
from hotline.finance.statement_file import StatementFile, StatementFileError, file_headers, read_statement
from hotline.jobs.registry import register
from hotline.jobs.runner import JobContext
from hotline.lib.xlsx.tables import write_xlsx
from hotline.logistics.models import Courier

CHECK, APPLY = "finance.remittance_check", "finance.remittance_apply"
MAX_LISTED = 2000  # difference lines a report lists; its counts cover them all


def _back(payload: dict[str, Any]) -> str:
    return reverse("finance:remittances")


@register(CHECK, label=gettext_lazy("Remittance statement: dry run"), permission=Perm.RECONCILE, back_url=_back)
def check_statement(ctx: JobContext) -> dict[str, Any]:
    """Every line matched and every difference; nothing is written."""
    courier = Courier.objects.get(pk=ctx.payload["courier_id"])
    try:
        file = read_statement(ctx.file, courier)
        result = check_remittance(courier, file=file, progress=ctx.progress, **statement_args(ctx.payload, file))
    except StatementFileError as exc:
        return file_error(exc, ctx.file)
    except ValidationError as exc:
        return {"refusal": " ".join(exc.messages), "summary": " ".join(exc.messages)}
    return {**report(result, applying=False), "warning": _number_warning(result.number, file)}


def _number_warning(number: str, file: StatementFile) -> str:
    """A word when the number printed above the file's header is not the number the clerk typed."""
    if not file.number or file.number.strip().upper() == number.strip().upper():
        return ""
    return str(_("The file says it is statement %(file_number)s, not %(number)s: check the statement number "
                 "before applying.") % {"file_number": file.number, "number": number})


@register(APPLY, label=gettext_lazy("Remittance statement: apply"), permission=Perm.RECONCILE, back_url=_back)
def apply_statement(ctx: JobContext) -> dict[str, Any]:
    """The statement applied in one transaction (refused whole when it cannot be applied)."""
    courier = Courier.objects.get(pk=ctx.payload["courier_id"])
    try:
        file = read_statement(ctx.file, courier)
        result = do_apply_remittance(
            courier, file=file, file_name=ctx.job.file_name, actor=ctx.actor,
            accept_deliveries=bool(ctx.payload.get("accept_deliveries")), progress=ctx.progress,
            before_commit=lambda done: ctx.finish(report(done, applying=True)), **statement_args(ctx.payload, file))
    except StatementFileError as exc:
        return file_error(exc, ctx.file)
    except ValidationError as exc:
        return {"refusal": " ".join(exc.messages), "summary": " ".join(exc.messages), "applying": True}
    return report(result, applying=True)


def statement_args(payload: dict[str, Any], file: StatementFile) -> dict[str, Any]:
    """The statement's number, period and bank receipt from the job's payload (the number printed in the
    file when the clerk left it out)."""
    return {"number": payload.get("number") or file.number, "bank_total": payload.get("bank_total") or None,
            "period_start": _date(payload.get("period_start")), "period_end": _date(payload.get("period_end"))}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def file_error(exc: StatementFileError, data: bytes) -> dict[str, Any]:
    """A file the reader refused: its message and bad lines, and the headers when the file could be read
    but its columns were not recognised (the page then asks which column holds what)."""
    headers: list[str] = []
    if not exc.problems:
        try:
            headers = file_headers(data)
        except StatementFileError:
            headers = []
    return {"file_error": exc.message, "summary": exc.message, "problems": exc.problems[:MAX_LISTED],
            "headers": headers}


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _row(m: LineMatch) -> list[Any]:
    """A difference line for the report: line, tracking, order, outcome, due, collected, difference, fee,
    fee by the rule, fee ok."""
    order_number = m.parcel.order_number if m.parcel else m.line.order_number
    return [m.line.line, m.line.tracking_number, order_number, m.outcome, _money(m.expected), str(m.line.collected),
            str(m.difference), str(m.line.fee), _money(m.expected_fee), m.fee_ok]


def report(result: RemittanceResult, *, applying: bool) -> dict[str, Any]:
    """The job's result: counts per outcome, the totals and their differences, the difference lines (the
    first MAX_LISTED), what was written, and a sentence for the page."""
    r = result.report
    differences = r.differences()
    figures = {"lines": len(r.matches), "differences": len(differences), "payments": result.payments,
               "settled": result.settled, "open_items": result.open_items, "deliveries": result.deliveries,
               "resolved": result.resolved, "number": result.number}
    if result.refusal:
        summary = result.refusal
    elif not applying:
        summary = _("Statement %(number)s, %(lines)d lines: %(differences)d to look at.") % figures
    else:
        summary = _("Statement %(number)s applied: %(payments)d payments, %(settled)d orders settled, "
                    "%(open_items)d open items.") % figures
    return {**figures, "applying": applying, "applied": result.applied, "refusal": result.refusal,
            "summary": str(summary), "statement_id": result.statement.pk if result.statement else None,
            "counts": r.counts(), "undelivered": result.undelivered,
            "totals": {"collected": str(r.collected_total), "fee": str(r.fee_total), "net": str(r.net_total),
                       "stated": _money(r.stated_total), "bank": _money(r.bank_total),
                       "stated_difference": _money(r.stated_difference), "bank_difference": _money(r.bank_difference),
                       "expected_fee": str(sum((m.expected_fee for m in r.matches if m.expected_fee is not None),
                                               Decimal("0.00")))},
            "rows": [_row(m) for m in differences[:MAX_LISTED]]}


# ---------------------------------------------------------------- the export for the courier

EXPORT_HEADERS = (gettext_lazy("Line"), gettext_lazy("Tracking number"), gettext_lazy("Order number"),
                  gettext_lazy("Difference"), gettext_lazy("COD due"), gettext_lazy("Collected"),
                  gettext_lazy("COD fee"), gettext_lazy("COD fee by the rule"), gettext_lazy("Amount"),
                  gettext_lazy("Detail"), gettext_lazy("Status"))


def differences_workbook(statement: RemittanceStatement) -> bytes:
    """The statement's open items, one row each, as an .xlsx to send the courier: what each line lacks or
    has too much (amount: what the courier owes us, negative: what we owe it), and their total."""
    rows: list[list[Any]] = []
    total = Decimal("0.00")
    items = (OpenItem.objects.filter(statement=statement).select_related("line", "order")
             .order_by(F("line__line").asc(nulls_last=True), "pk"))
    for item in items:
        line = item.line
        rows.append([line.line if line else None, item.tracking_number,
                     item.order.number if item.order else (line.order_number if line else ""),
                     str(item.get_kind_display()), line.expected if line else None, line.collected if line else None,
                     line.fee if line else None, line.expected_fee if line else None, item.amount, item.detail,
                     str(item.get_status_display())])
        total += item.amount
    rows.append([str(_("Total")), None, None, None, None, None, None, None, total, None, None])
    title = _("%(courier)s %(number)s") % {"courier": statement.courier, "number": statement.number}
    return write_xlsx(re.sub(r"[\\/?*\[\]:]", "-", title), [str(header) for header in EXPORT_HEADERS], rows)

"""Importing a courier's freight bill: its lines set against Hotline's freight, and an open item for every
line that does not agree. Written once per courier and bill number, in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.permissions import Perm
from hotline.finance.actions.common import require, user_or_none
from hotline.finance.freight import (
    DEFAULT_HEADERS,
    LEG_LABELS,
    FreightLine,
    FreightMatch,
    FreightReport,
    check_freight_bill,
    stored_legs,
)
from hotline.finance.models import (
    CourierColumns,
    FreightBill,
    FreightBillLine,
    FreightOutcome,
    OpenItem,
    OpenItemKind,
    OpenItemStatus,
)
from hotline.lib.bulk import insert_rows
from hotline.lib.bus import publish_on_commit
from hotline.logistics.models import Courier

BATCH = 2000  # lines written between two progress reports
NUMBER_LENGTH = 40


def _checked_number(courier: Courier, number: str) -> str:
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": _("Enter the bill number printed on the courier's bill.")})
    if len(number) > NUMBER_LENGTH:
        raise ValidationError({"number": _("At most %(max)d characters.") % {"max": NUMBER_LENGTH}})
    if FreightBill.objects.filter(courier=courier, number=number).exists():
        raise ValidationError({"number": _("%(courier)s's bill %(number)s was imported already: nothing was "
                                           "changed.") % {"courier": courier.name, "number": number}})
    return number


def _check_period(start: datetime.date | None, end: datetime.date | None) -> None:
    if start and end and start > end:
        raise ValidationError({"period_end": _("The period ends before it starts.")})


def _detail(match: FreightMatch) -> str:
    """The open item's words: what the courier billed against what Hotline computed."""
    line, parcel = match.line, match.parcel
    if match.outcome == FreightOutcome.DUPLICATE:
        text = _("Billed again: ¥%(billed)s for a leg already billed.") % {"billed": line.billed}
    elif parcel is None:
        text = _("Billed ¥%(billed)s for a tracking number that is not one of this courier's parcels.") % {
            "billed": line.billed}
    else:
        text = _("Billed ¥%(billed)s, Hotline computed ¥%(computed)s (%(leg)s).") % {
            "billed": line.billed, "computed": match.computed, "leg": LEG_LABELS[line.leg]}
    return text[:300]


LINE_COLUMNS = ("bill", "line", "tracking_number", "shipment", "billed", "computed", "outcome", "legs",
                "recorded_by", "recorded_at")
ITEM_COLUMNS = ("courier", "kind", "freight_line", "shipment", "order", "tracking_number", "amount", "detail",
                "status", "created_at", "resolution")


def _write_lines(bill: FreightBill, report: FreightReport, actor: Any,
                 progress: Callable[[int, int], None] | None) -> dict[int, int]:
    """The bill's lines, many per INSERT (a 50,000-line bill through `bulk_create` spent most of its time
    building model instances); returns each line's id by its line number, one per row of the file."""
    by, now = getattr(user_or_none(actor), "pk", None), timezone.now()
    rows = [(bill.pk, m.line.line, m.line.tracking_number, m.parcel.shipment_id if m.parcel else None,
             m.line.billed, m.computed, m.outcome, stored_legs(m.legs), by, now) for m in report.matches]
    for start in range(0, len(rows), BATCH):
        insert_rows(FreightBillLine, LINE_COLUMNS, rows[start:start + BATCH])
        if progress:
            progress(min(start + BATCH, len(rows)), len(rows))
    return dict(FreightBillLine.objects.filter(bill=bill).values_list("line", "pk"))


def _open_items(courier: Courier, report: FreightReport, line_ids: dict[int, int]) -> int:
    now = timezone.now()
    items = [(courier.pk, OpenItemKind.FREIGHT, line_ids[m.line.line], m.parcel.shipment_id if m.parcel else None,
              m.parcel.order_id if m.parcel else None, m.line.tracking_number, m.difference, _detail(m),
              OpenItemStatus.OPEN, now, "") for m in report.matches if m.outcome != FreightOutcome.AGREES]
    insert_rows(OpenItem, ITEM_COLUMNS, items)
    return len(items)


@transaction.atomic
def do_import_freight_bill(courier: Courier, *, number: str, period_start: datetime.date | None,
                           period_end: datetime.date | None, lines: list[FreightLine], file_name: str, actor: Any,
                           progress: Callable[[int, int], None] | None = None,
                           before_commit: Callable[[FreightBill, FreightReport], None] | None = None,
                           ) -> tuple[FreightBill, FreightReport]:
    """Import a courier's freight bill (运费账单): the bill and its lines with what Hotline computed for each,
    and an open item (amount = computed − billed) for every line that differs, is unknown or billed twice.
    The same bill number for the courier again is refused and changes nothing; so is a bill without lines.
    `before_commit` runs last inside the transaction (a job marks itself done there)."""
    require(actor, Perm.RECONCILE)
    courier = Courier.objects.select_for_update().get(pk=courier.pk)  # one import of a courier's bill at a time
    number = _checked_number(courier, number)
    _check_period(period_start, period_end)
    if not lines:
        raise ValidationError(_("The bill has no lines."))
    report = check_freight_bill(lines, courier)
    try:
        with transaction.atomic():
            bill = FreightBill.objects.create(
                courier=courier, number=number, period_start=period_start, period_end=period_end,
                billed_total=report.billed_total, computed_total=report.computed_total,
                file_name=(file_name or "")[:200], imported_by=user_or_none(actor))
    except IntegrityError:  # the same bill, imported at the same moment by someone else
        raise ValidationError({"number": _("%(courier)s's bill %(number)s was imported already: nothing was "
                                           "changed.") % {"courier": courier.name, "number": number}}) from None
    opened = _open_items(courier, report, _write_lines(bill, report, actor, progress))
    record("import_freight_bill", bill, actor=actor, after={
        "number": number, "lines": len(report.matches), "billed_total": str(report.billed_total),
        "computed_total": str(report.computed_total), "open_items": opened, "counts": report.counts(),
        "file_name": bill.file_name})
    publish_on_commit("finance.freight_bill", {"bill_id": bill.pk, "courier_id": courier.pk})
    if before_commit is not None:
        before_commit(bill, report)
    return bill, report


@transaction.atomic
def do_save_freight_columns(courier: Courier, mapping: dict[str, str], *, actor: Any) -> CourierColumns:
    """Save which column of this courier's freight bills holds each value ({key: header}), as a clerk matched
    them by hand on the first bill; later bills are read with it before the usual headers."""
    require(actor, Perm.RECONCILE)
    cleaned = _clean_mapping(mapping)
    columns, _created = CourierColumns.objects.select_for_update().get_or_create(courier=courier)
    before = snapshot(columns)
    columns.freight = cleaned
    columns.save(update_fields=["freight"])
    record("save_freight_columns", columns, actor=actor, before=before, after=snapshot(columns))
    return columns


def _clean_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """{key: header} for the keys given a column; refused without the tracking number and the freight billed,
    or with one column chosen twice."""
    unknown = sorted(set(mapping) - set(DEFAULT_HEADERS))
    if unknown:
        raise ValidationError(_("Unknown freight bill values: %(keys)s.") % {"keys": ", ".join(unknown)})
    cleaned = {key: header for key in DEFAULT_HEADERS if (header := (mapping.get(key) or "").strip()[:200])}
    errors: dict[str, str] = {}
    if "tracking_number" not in cleaned:
        errors["tracking_number"] = _("Choose the column of the tracking number.")
    if "billed" not in cleaned:
        errors["billed"] = _("Choose the column of the freight billed.")
    chosen: set[str] = set()
    for key, header in cleaned.items():
        if header in chosen:
            errors[key] = _("The column “%(header)s” is chosen twice.") % {"header": header}
        chosen.add(header)
    if errors:
        raise ValidationError(errors)
    return cleaned

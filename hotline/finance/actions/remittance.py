"""Applying a courier's COD remittance statement (回款对账) and saving where its files keep each value.

A statement is matched line by line (`hotline.finance.matching`, pure) against the parcels the courier
carried (`hotline.finance.statement_parcels`); applying it writes, in one transaction and in bulk, the
statement and its lines, a COD payment for every line that pays a delivered parcel, the settlement of the
orders those payments pay in full (with what earlier statements paid), an open item for every difference,
and the resolution of earlier statements' "short" items for the parcels it pays the rest of (a top-up).
A statement number is applied once per courier: the courier's row is locked before the number is checked,
and the unique constraint is the last guard, so two clerks applying the same file at once get one statement
and one set of payments.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import record, snapshot
from hotline.accounts.models import AuditEntry
from hotline.accounts.permissions import Perm
from hotline.finance.actions.common import positive_amount, require, user_or_none
from hotline.finance.balances import balances_for_rows
from hotline.finance.matching import LineMatch, MatchReport, match_statement
from hotline.finance.models import (
    CourierColumns,
    LineOutcome,
    OpenItem,
    OpenItemKind,
    OpenItemStatus,
    Payment,
    PayMethod,
    RemittanceLine,
    RemittanceStatement,
    SettlementEntry,
    SettlementKind,
)
from hotline.finance.statement_file import REMITTANCE_KEYS, StatementFile, StatementLine
from hotline.finance.statement_parcels import fee_rule, load_parcels
from hotline.lib.bulk import batches, insert_rows
from hotline.lib.bus import publish
from hotline.lib.money import ZERO
from hotline.logistics.actions.feedback import FeedbackEvent, do_apply_feedback
from hotline.logistics.models import Courier, EventKind, EventSource
from hotline.orders.models import Order, OrderStatusChange, Status

# Lines whose money is the order's: the courier collected it at the door of a parcel Hotline knows delivered.
PAID = frozenset({LineOutcome.MATCHED, LineOutcome.SHORT, LineOutcome.OVER})
# Lines whose money belongs to no delivered parcel (yet): we owe it back, or must find out why it came.
UNEXPLAINED = frozenset({LineOutcome.UNKNOWN, LineOutcome.DUPLICATE, LineOutcome.REMITTED,
                         LineOutcome.UNDELIVERED, LineOutcome.REFUSED})
CHUNK = 5000  # ids per query, lines per step of the progress bar
NUMBER_LENGTH = 40

Progress = Callable[[int, int], None]


@dataclass
class RemittanceResult:
    """What a statement does (dry run) or did (apply): the match report, and for an apply the statement and
    what was written. `refusal` says why it cannot be applied (already applied, another courier's)."""

    report: MatchReport
    number: str
    statement: RemittanceStatement | None = None
    payments: int = 0
    settled: int = 0
    open_items: int = 0
    deliveries: int = 0  # "not delivered" lines recorded as delivered first (accept_deliveries)
    resolved: int = 0  # earlier statements' short open items this one paid (a top-up)
    refusal: str = ""

    @property
    def applied(self) -> bool:
        return self.statement is not None

    @property
    def undelivered(self) -> int:
        return sum(1 for m in self.report.matches if m.outcome == LineOutcome.UNDELIVERED and m.parcel is not None)


@dataclass(frozen=True)
class _Header:
    """The statement's own values, checked."""

    number: str
    period_start: datetime.date | None
    period_end: datetime.date | None
    bank_total: Decimal | None


def check_remittance(courier: Courier, *, number: str, period_start: datetime.date | None = None,
                     period_end: datetime.date | None = None, bank_total: Any = None,
                     file: StatementFile | None = None, lines: Sequence[StatementLine] | None = None,
                     stated_total: Decimal | None = None, progress: Progress | None = None) -> RemittanceResult:
    """The dry run: every line matched and every difference, with nothing written."""
    header = _header(number, period_start, period_end, bank_total)
    lines, stated_total = _lines(file, lines, stated_total)
    report = _match(courier, lines, stated_total, header.bank_total)
    if progress is not None:
        progress(len(lines), len(lines))
    return RemittanceResult(report, header.number, refusal=refusal(courier, header.number, report))


def do_apply_remittance(courier: Courier, *, number: str, period_start: datetime.date | None = None,
                        period_end: datetime.date | None = None, bank_total: Any = None,
                        file: StatementFile | None = None, lines: Sequence[StatementLine] | None = None,
                        stated_total: Decimal | None = None, file_name: str = "", actor: Any,
                        accept_deliveries: bool = False,
                        before_commit: Callable[[RemittanceResult], None] | None = None,
                        progress: Progress | None = None) -> RemittanceResult:
    """Apply a statement once: its lines, the COD payments of the lines that pay delivered parcels (the
    amount collected), the orders they pay in full settled (已结算), an open item per difference, all in one
    transaction. `accept_deliveries`: parcels Hotline has no delivery for are first recorded as delivered
    on the statement's word (its last day), then matched again. Refused, with nothing written, when the
    number was applied before for this courier or the parcels are another courier's.
    `before_commit(result)` runs inside the transaction (a job marks itself done there)."""
    require(actor, Perm.RECONCILE)
    require(actor, Perm.SETTLE_ORDER)
    header = _header(number, period_start, period_end, bank_total)
    lines, stated_total = _lines(file, lines, stated_total)
    try:
        with transaction.atomic():
            result = _apply(courier, header, lines, stated_total, file_name[:200], actor=actor,
                            accept_deliveries=accept_deliveries, progress=progress)
            if before_commit is not None:
                before_commit(result)
    except IntegrityError:  # another clerk's apply of the same number committed first
        applied = RemittanceStatement.objects.filter(courier=courier, number=header.number).first()
        if applied is None:
            raise
        raise ValidationError(already_applied(applied)) from None
    return result


def _apply(courier: Courier, header: _Header, lines: Sequence[StatementLine], stated_total: Decimal | None,
           file_name: str, *, actor: Any, accept_deliveries: bool, progress: Progress | None) -> RemittanceResult:
    courier = Courier.objects.select_for_update().get(pk=courier.pk)  # one apply per courier at a time
    report = _match(courier, lines, stated_total, header.bank_total)
    why = refusal(courier, header.number, report)
    if why:
        raise ValidationError(why)
    deliveries = 0
    if accept_deliveries:
        deliveries = _record_deliveries(report, courier, header, actor=actor)
        if deliveries:
            report = _match(courier, lines, stated_total, header.bank_total)
    statement = RemittanceStatement.objects.create(
        courier=courier, number=header.number, period_start=header.period_start, period_end=header.period_end,
        stated_total=stated_total, collected_total=report.collected_total, fee_total=report.fee_total,
        net_total=report.net_total, bank_total=header.bank_total, file_name=file_name,
        applied_by=user_or_none(actor))
    now = statement.applied_at  # the payments' "received at" and the orders' "settled at"
    written = _write_lines(statement, report.matches, now, actor=actor, progress=progress)
    paid = _write_payments(statement, written, courier, now, actor=actor)
    settled = _settle(paid, statement, now, actor=actor)
    items = _write_open_items(statement, written, courier, now)
    resolved = _resolve_topped_up(statement, written, now, actor=actor)
    payments = len(paid)
    result = RemittanceResult(report, header.number, statement, payments=payments, settled=settled,
                              open_items=items, deliveries=deliveries, resolved=len(resolved))
    record("apply_remittance", statement, actor=actor, after={
        **snapshot(statement), "lines": len(written), "counts": dict(report.counts()), "payments": payments,
        "settled": settled, "open_items": items, "deliveries_recorded": deliveries,
        "open_items_resolved": resolved})
    transaction.on_commit(lambda: publish("finance.remittance_applied", {
        "statement_id": statement.pk, "courier_id": courier.pk, "number": statement.number}))
    return result


# ---------------------------------------------------------------- checks


def _header(number: str, period_start: datetime.date | None, period_end: datetime.date | None,
            bank_total: Any) -> _Header:
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": _("Give the statement number (对账单号) printed on the statement.")})
    if len(number) > NUMBER_LENGTH:
        raise ValidationError({"number": _("At most %(max)d characters.") % {"max": NUMBER_LENGTH}})
    if period_start and period_end and period_start > period_end:
        raise ValidationError({"period_end": _("The period ends before it starts: check the two dates.")})
    bank = None if bank_total in (None, "") else positive_amount(bank_total, "bank_total")
    return _Header(number, period_start, period_end, bank)


def _lines(file: StatementFile | None, lines: Sequence[StatementLine] | None,
           stated_total: Decimal | None) -> tuple[Sequence[StatementLine], Decimal | None]:
    if file is not None:
        lines, stated_total = file.lines, file.stated_total
    lines = lines or []
    if len({line.line for line in lines}) != len(lines):  # the rows of a file: each line written once
        raise ValidationError(_("Two lines of the statement have the same line number; nothing changed."))
    return lines, stated_total


def _match(courier: Courier, lines: Sequence[StatementLine], stated_total: Decimal | None,
           bank_total: Decimal | None) -> MatchReport:
    parcels, by_order_number, remitted = load_parcels(lines, courier)
    return match_statement(lines, parcels, by_order_number, remitted, courier.pk, fee_rule(courier), stated_total,
                           bank_total)


def applied_statement(courier: Courier, number: str) -> RemittanceStatement | None:
    """The statement of this number already applied for this courier, if any."""
    return (RemittanceStatement.objects.select_related("applied_by")
            .filter(courier=courier, number=(number or "").strip()).first())


def already_applied(statement: RemittanceStatement) -> str:
    who = statement.applied_by.get_username() if statement.applied_by else _("the system")
    return _("Statement %(number)s of %(courier)s was already applied on %(date)s by %(user)s; nothing changed.") % {
        "number": statement.number, "courier": statement.courier, "user": who,
        "date": formats.date_format(timezone.localtime(statement.applied_at), "Y-m-d H:i")}


def refusal(courier: Courier, number: str, report: MatchReport) -> str:
    """Why this statement cannot be applied for this courier, or "": applied before, another courier's
    parcels, or no lines at all."""
    applied = applied_statement(courier, number)
    if applied is not None:
        return already_applied(applied)
    if report.wrong_courier_id is not None:
        other = Courier.objects.filter(pk=report.wrong_courier_id).values_list("name", flat=True).first()
        return _("The parcels on this statement were carried by %(other)s, not %(courier)s. Choose %(other)s as "
                 "the courier and upload the file again; nothing changed.") % {"other": other, "courier": courier}
    if not report.matches:
        return _("The statement has no lines; nothing changed.")
    return ""


# ---------------------------------------------------------------- writes
#
# A 50,000-line statement writes some 250,000 rows. Model instances and `bulk_create` cost most of that time
# (measured: 170 s for 50,000 lines on SQLite), so the rows go in as tuples, many per INSERT, each value
# prepared by its field as Django would; the lines' ids come back with RETURNING.


@dataclass(frozen=True)
class _Written:
    """A statement line as written: what the payments and open items made of it need."""

    pk: int
    match: LineMatch
    shipment_id: int | None
    order_id: int | None


def _write_lines(statement: RemittanceStatement, matches: Sequence[LineMatch], now: datetime.datetime, *,
                 actor: Any, progress: Progress | None) -> list[_Written]:
    """One row per statement line, with its outcome and the parcel it names (not another courier's)."""
    user = user_or_none(actor)
    names = ("statement", "line", "tracking_number", "order_number", "collected", "fee", "net", "outcome",
             "shipment", "order", "expected", "expected_fee", "recorded_by", "recorded_at")
    written: list[_Written] = []
    for batch in batches(matches, CHUNK):
        rows, parcels = [], {}
        for m in batch:
            parcel = m.parcel if m.outcome != LineOutcome.UNKNOWN else None
            parcels[m.line.line] = parcel
            rows.append((statement.pk, m.line.line, m.line.tracking_number[:40], m.line.order_number[:40],
                         m.line.collected, m.line.fee, m.line.net, m.outcome, parcel.shipment_id if parcel else None,
                         parcel.order_id if parcel else None, m.expected, m.expected_fee, user.pk if user else None,
                         now))
        ids = dict((line, pk) for pk, line in insert_rows(RemittanceLine, names, rows, returning=("id", "line")))
        for m in batch:
            parcel = parcels[m.line.line]
            written.append(_Written(ids[m.line.line], m, parcel.shipment_id if parcel else None,
                                    parcel.order_id if parcel else None))
        if progress is not None:
            progress(len(written), len(matches))
    return written


def _write_payments(statement: RemittanceStatement, written: list[_Written], courier: Courier,
                    now: datetime.datetime, *, actor: Any) -> list[int]:
    """A COD payment of the amount collected for every line that pays a delivered parcel; the orders paid."""
    user = user_or_none(actor)
    names = ("order", "payer", "method", "amount", "reference", "received_at", "remittance_line", "note",
             "recorded_by", "recorded_at")
    rows = [(w.order_id, courier.name[:100], PayMethod.COD, w.match.line.collected, statement.number, now, w.pk, "",
             user.pk if user else None, now)
            for w in written if w.match.outcome in PAID and w.order_id and w.match.line.collected > 0]
    insert_rows(Payment, names, rows)
    return [row[0] for row in rows]


def _settle(order_ids: Iterable[int], statement: RemittanceStatement, now: datetime.datetime, *,
            actor: Any) -> int:
    """What `do_transition_order(order, "settled")` does, for every delivered order now paid in full, in
    bulk: status, settled at and amount, history, settlement entry (with the statement), audit row, event."""
    ids = sorted(set(order_ids))
    settled = 0
    reason = _("Remittance statement %(number)s") % {"number": statement.number}
    names = [f.attname for f in Order._meta.concrete_fields]
    for chunk in batches(ids, CHUNK):
        rows = list(Order.objects.select_for_update(of=("self",)).filter(pk__in=chunk, status=Status.DELIVERED)
                    .values(*names))
        balances = balances_for_rows((row["id"], row["status"], row["total"]) for row in rows)
        paid = [row for row in rows if balances[row["id"]].is_paid]
        _settle_orders(paid, statement, now, reason, actor=actor)
        settled += len(paid)
    return settled


def _settle_orders(orders: list[dict[str, Any]], statement: RemittanceStatement, now: datetime.datetime,
                   reason: str, *, actor: Any) -> None:
    if not orders:
        return
    user = user_or_none(actor)
    user_id, actor_name = (user.pk if user else None), (user.get_username() if user else "system")
    history, entries, audit, events = [], [], [], []
    changed = {"status": Status.SETTLED.value, "settled_at": now.isoformat(), "updated_at": now.isoformat()}
    for row in orders:
        # as accounts.audit.snapshot gives it (most values are text, numbers or None: no call for those)
        before = {name: value if type(value) in PLAIN else _jsonable(value) for name, value in row.items()}
        after = {**before, **changed, "settled_amount": before["total"], "reason": reason}
        history.append((row["id"], Status.DELIVERED, Status.SETTLED, user_id, reason, now))
        entries.append((row["id"], SettlementKind.SETTLE, row["total"], statement.pk, reason, user_id, now))
        audit.append((now, user_id, actor_name, f"order_{Status.SETTLED}", Order._meta.label_lower, str(row["id"]),
                      row["number"][:200], before, after))
        events.append({"order_id": row["id"], "number": row["number"], "from": Status.DELIVERED,
                       "to": Status.SETTLED})
    Order.objects.filter(pk__in=[row["id"] for row in orders]).update(
        status=Status.SETTLED, settled_at=now, settled_amount=F("total"), updated_at=now)
    insert_rows(OrderStatusChange, ("order", "from_status", "to_status", "actor", "reason", "at"), history)
    insert_rows(SettlementEntry, ("order", "kind", "amount", "statement", "reason", "recorded_by", "recorded_at"),
            entries)
    insert_rows(AuditEntry, ("at", "actor", "actor_name", "action", "object_type", "object_id", "object_repr",
                         "before", "after"), audit)
    transaction.on_commit(lambda: _publish_all(events))


PLAIN = frozenset({str, int, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _publish_all(events: list[dict[str, Any]]) -> None:
    """The event `do_transition_order` publishes for each order."""
    for payload in events:
        publish("order.status_changed", payload)


def _write_open_items(statement: RemittanceStatement, written: list[_Written], courier: Courier,
                      now: datetime.datetime) -> int:
    """An open item per difference; `amount` is what the courier still owes us (negative: we owe it)."""
    names = ("courier", "kind", "statement", "line", "shipment", "order", "tracking_number", "amount", "detail",
             "status", "created_at", "resolution")
    rows: list[tuple[Any, ...]] = []
    for w in written:
        for kind, amount, detail in _differences(w.match):
            rows.append((courier.pk, kind, statement.pk, w.pk, w.shipment_id, w.order_id,
                         w.match.line.tracking_number[:40], amount, detail[:300], OpenItemStatus.OPEN, now, ""))
    if statement.bank_total is not None and statement.bank_total != statement.net_total:
        detail = _("The bank received ¥%(bank)s; the statement pays ¥%(net)s.") % {
            "bank": statement.bank_total, "net": statement.net_total}
        rows.append((courier.pk, OpenItemKind.BANK, statement.pk, None, None, None, "",
                     statement.net_total - statement.bank_total, detail, OpenItemStatus.OPEN, now, ""))
    insert_rows(OpenItem, names, rows)
    return len(rows)


def _differences(m: LineMatch) -> list[tuple[str, Decimal, str]]:
    """The open items one line makes: its outcome's, and its fee's when the fee breaks the courier's rule."""
    collected, due = m.line.collected, m.expected if m.expected is not None else ZERO
    found: list[tuple[str, Decimal, str]] = []
    if m.outcome == LineOutcome.SHORT:
        found.append((OpenItemKind.SHORT, due - collected, _("Collected ¥%(collected)s of the ¥%(due)s due.") % {
            "collected": collected, "due": due}))
    elif m.outcome == LineOutcome.OVER:
        found.append((OpenItemKind.OVER, -(collected - due), _("Collected ¥%(collected)s; ¥%(due)s was due.") % {
            "collected": collected, "due": due}))
    elif m.outcome in UNEXPLAINED:
        found.append((m.outcome, -collected, str(UNEXPLAINED_DETAIL[m.outcome]())))
    if not m.fee_ok and m.expected_fee is not None:
        # the courier kept its fee out of what it collected: a fee above its rule is money it owes us
        found.append((OpenItemKind.FEE, m.line.fee - m.expected_fee,
                      _("COD fee ¥%(fee)s; by the courier's rule ¥%(expected)s.") % {
                          "fee": m.line.fee, "expected": m.expected_fee}))
    return found


UNEXPLAINED_DETAIL: dict[str, Callable[[], str]] = {
    LineOutcome.UNKNOWN: lambda: _("No parcel of this courier has this tracking or order number."),
    LineOutcome.DUPLICATE: lambda: _("The same parcel as an earlier line of this statement."),
    LineOutcome.REMITTED: lambda: _("This parcel's money came on an earlier statement."),
    LineOutcome.UNDELIVERED: lambda: _("Hotline has no delivery for this parcel."),
    LineOutcome.REFUSED: lambda: _("The parcel was refused, yet money was remitted for it."),
}


def _resolve_topped_up(statement: RemittanceStatement, written: list[_Written], now: datetime.datetime, *,
                       actor: Any) -> list[int]:
    """Resolve the open "short" items of earlier statements for the parcels this one pays (a courier paying a
    shortfall later): the line was matched against what was still due, so its own outcome says what is
    left — nothing (matched), the new remainder (short) or an excess (over), each already this statement's
    open item. The ids resolved, for the apply's audit row."""
    outcome_of = {w.shipment_id: w.match.outcome for w in written if w.match.outcome in PAID and w.shipment_id}
    notes = {
        LineOutcome.MATCHED: _("Paid in full by remittance statement %(number)s."),
        LineOutcome.SHORT: _("Partly paid by remittance statement %(number)s; what is still due is an open "
                             "item of that statement."),
        LineOutcome.OVER: _("Paid by remittance statement %(number)s, more than was due; the excess is an open "
                            "item of that statement."),
    }
    by_outcome: dict[str, list[int]] = {}
    for chunk in batches(sorted(outcome_of), CHUNK):
        items = (OpenItem.objects.select_for_update().filter(
            shipment_id__in=chunk, kind=OpenItemKind.SHORT, status=OpenItemStatus.OPEN)
            .exclude(statement=statement).values_list("pk", "shipment_id"))
        for pk, shipment_id in items:
            by_outcome.setdefault(outcome_of[shipment_id], []).append(pk)
    user = user_or_none(actor)
    for outcome, ids in by_outcome.items():
        note = notes[LineOutcome(outcome)] % {"number": statement.number}
        for batch in batches(ids, CHUNK):
            OpenItem.objects.filter(pk__in=batch, status=OpenItemStatus.OPEN).update(
                status=OpenItemStatus.RESOLVED, resolution=note[:300], resolved_at=now, resolved_by=user)
    return sorted(pk for ids in by_outcome.values() for pk in ids)


# ---------------------------------------------------------------- deliveries on the statement's word


def _record_deliveries(report: MatchReport, courier: Courier, header: _Header, *, actor: Any) -> int:
    """Record "delivered" for the parcels the statement pays that Hotline has no delivery for, through the
    logistics feedback action (what `do_record_shipment_event` does, in bulk), on the statement's last day.
    The courier's statement is its word, as a feedback file is: recorded as an import by the system (a
    finance clerk records no deliveries otherwise); the apply's audit row names the clerk and the parcels.
    A parcel whose state forbids the delivery (lost, returned) stays "not delivered"."""
    seen: set[int] = set()
    events = []
    at = _delivery_time(header.period_end)
    detail = _("Remittance statement %(number)s") % {"number": header.number}
    for m in report.matches:
        if m.outcome != LineOutcome.UNDELIVERED or m.parcel is None or m.parcel.shipment_id in seen:
            continue
        seen.add(m.parcel.shipment_id)
        events.append(FeedbackEvent(line=m.line.line, tracking_number=m.parcel.tracking_number,
                                    kind=EventKind.DELIVERED, at=at, detail=detail))
    if not events:
        return 0
    done = do_apply_feedback(events, actor=None, source=EventSource.IMPORT, courier=courier, good_rows=True)
    return done.counts.get(EventKind.DELIVERED, 0)


def _delivery_time(period_end: datetime.date | None) -> datetime.datetime:
    """The end of the statement's last day (local time), or now when that is later than now or unknown."""
    now = timezone.now()
    if period_end is None:
        return now
    end = timezone.make_aware(datetime.datetime.combine(period_end, datetime.time(23, 59, 59)))
    return min(end, now)


# ---------------------------------------------------------------- columns


@transaction.atomic
def do_save_statement_columns(courier: Courier, mapping: dict[str, str], *, actor: Any) -> CourierColumns:
    """Save which column of this courier's remittance statements holds each value ({key: header}), as a
    clerk matched them by hand on the first file; later files are read with it."""
    require(actor, Perm.RECONCILE)
    cleaned = _clean_mapping(mapping)
    columns, _created = CourierColumns.objects.select_for_update().get_or_create(courier=courier)
    before = snapshot(columns)
    columns.remittance = cleaned
    columns.save(update_fields=["remittance"])
    record("save_statement_columns", columns, actor=actor, before=before, after=snapshot(columns))
    return columns


def _clean_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """{key: header} for the keys given a column; refused without the columns a statement cannot do without
    (the amount collected, and the tracking or the order number) or with one column chosen twice."""
    unknown = sorted(set(mapping) - set(REMITTANCE_KEYS))
    if unknown:
        raise ValidationError(_("Unknown statement values: %(keys)s.") % {"keys": ", ".join(unknown)})
    cleaned = {key: (mapping.get(key) or "").strip()[:200] for key in REMITTANCE_KEYS}
    cleaned = {key: header for key, header in cleaned.items() if header}
    errors: dict[str, str] = {}
    if not (cleaned.get("tracking_number") or cleaned.get("order_number")):
        errors["tracking_number"] = _("Choose the column of the tracking number, or of the order number.")
    if not cleaned.get("collected"):
        errors["collected"] = _("Choose the column of the amount collected.")
    chosen: set[str] = set()
    for key, header in cleaned.items():
        if header in chosen:
            errors[key] = _("The column “%(header)s” is chosen twice.") % {"header": header}
        chosen.add(header)
    if errors:
        raise ValidationError(errors)
    return cleaned

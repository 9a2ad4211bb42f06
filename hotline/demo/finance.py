"""The demo's money: what customers and couriers paid for the demo orders, written after their parcels.

Read from the orders, their status history and their parcels as the loader wrote them, so that the money
follows each order's story:

- **Prepaid** orders (bank transfer, card) are paid before they were reviewed (review refuses an unpaid
  prepaid order): a transfer, a post-office remittance (one in five transfers) or a card payment, some
  time between the call and the review. Half of the prepaid orders not reviewed yet are paid already.
- **Cash on delivery**: every settled order was remitted by its courier on a statement (one per courier
  and week of the settlements, applied when its last order was settled): a statement line and a COD
  payment of the amount collected. A self-pickup order was paid in cash at the counter when collected.
  Delivered orders not settled are what the couriers still owe (the receivables). On each courier's last
  statement, one delivered parcel was remitted ¥10 short (a payment, an open item); EMS's also has a
  line with a tracking number nobody issued, and a line paying a parcel that was refused (open items).
- **Settlements**: a settlement entry for every order that was settled; one settled then returned gets
  the opposite entry on its return.
- **Refunds**: a prepaid order refused, returned or cancelled after payment, and a settled order
  returned, is refunded a day or three after it came back, unless that is still to come.

- **Daily closes**: the finance clerk closed each of the seven days before the load (`do_close_day`),
  so the close tab and the receivables trend have a week of stored figures.

Rows are written in bulk with the times the story gives them (their `auto_now_add` fields set by hand);
the closes go through the action, which computes each day's figures from those rows.
"""

from __future__ import annotations

import contextlib
import datetime
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext

from hotline.accounts.models import User
from hotline.finance.actions.close import do_close_day
from hotline.finance.actions.remittance import UNEXPLAINED_DETAIL
from hotline.finance.close import has_ended
from hotline.finance.models import (
    LineOutcome,
    OpenItem,
    OpenItemKind,
    Payment,
    PayMethod,
    Refund,
    RemittanceLine,
    RemittanceStatement,
    SettlementEntry,
    SettlementKind,
)
from hotline.lib.money import ZERO, yuan
from hotline.logistics.models import Courier, Shipment, ShipmentStatus
from hotline.orders.models import Order, OrderStatusChange, PaymentMethod, Status

DAY = datetime.timedelta(days=1)
SHORT_BY = Decimal("10.00")
PREPAID_METHOD = {PaymentMethod.TRANSFER: PayMethod.TRANSFER, PaymentMethod.CARD: PayMethod.CARD}
# After these a prepaid order's money goes back to the customer.
CAME_BACK = (Status.REFUSED, Status.RETURNED, Status.CANCELLED)
WRITTEN = (Payment, Refund, SettlementEntry, RemittanceStatement, RemittanceLine, OpenItem)


@dataclass
class Story:
    """An order as finance sees it: its money, its steps (first time each status was reached), its parcel."""

    id: int
    number: str
    status: str
    method: str
    total: Decimal
    created_at: datetime.datetime
    steps: dict[str, datetime.datetime]
    parcel: dict[str, Any] | None


@dataclass
class MoneyRows:
    """The rows to write, in dependency order; statements keyed by (courier id, Monday)."""

    statements: dict[tuple[int, datetime.date], RemittanceStatement] = field(default_factory=dict)
    lines: dict[tuple[int, datetime.date], list[tuple[RemittanceLine, Payment | None]]] = field(
        default_factory=lambda: defaultdict(list))
    payments: list[Payment] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    settlements: list[tuple[SettlementEntry, tuple[int, datetime.date] | None]] = field(default_factory=list)
    open_items: list[tuple[OpenItem, tuple[int, datetime.date], int]] = field(default_factory=list)


def stories() -> list[Story]:
    """Every order with its steps and its live (else latest) parcel, in id order."""
    steps: dict[int, dict[str, datetime.datetime]] = defaultdict(dict)
    for order_id, status, at in OrderStatusChange.objects.order_by("at", "id").values_list(
            "order_id", "to_status", "at"):
        steps[order_id].setdefault(status, at)
    parcels: dict[int, dict[str, Any]] = {}
    for parcel in Shipment.objects.order_by("id").values(
            "id", "order_id", "courier_id", "status", "tracking_number", "cod_due", "cod_fee", "delivered_at",
            "refused_at"):
        if parcel["order_id"] not in parcels or parcel["status"] != ShipmentStatus.CANCELLED:
            parcels[parcel["order_id"]] = dict(parcel)
    return [Story(row["id"], row["number"], row["status"], row["payment_method"], row["total"], row["created_at"],
                  steps[row["id"]], parcels.get(row["id"]))
            for row in Order.objects.order_by("id").values("id", "number", "status", "payment_method", "total",
                                                           "created_at")]


class FinancePlanner:
    """Plans the money rows of the demo orders (deterministic for a seed and `now`)."""

    def __init__(self, rng: random.Random, now: datetime.datetime, clerk: int) -> None:
        self.rng, self.now, self.clerk = rng, now, clerk
        self.rows = MoneyRows()
        self.fees = {c.pk: (c.cod_fee_percent, c.cod_fee_min, c.code) for c in Courier.objects.all()}

    def plan(self, orders: list[Story]) -> MoneyRows:
        for story in orders:
            paid = self._prepaid(story) if story.method in PREPAID_METHOD else self._cash(story)
            if Status.SETTLED in story.steps:
                self._settle(story)
            if paid and story.total > 0:
                self._refund(story)
        self._differences(orders)
        return self.rows

    def _between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        seconds = max(0.0, (end - start).total_seconds())
        return (start + datetime.timedelta(seconds=seconds * self.rng.uniform(0.2, 0.9))).replace(microsecond=0)

    def _payment(self, story: Story, method: str, amount: Decimal, at: datetime.datetime, reference: str = "",
                 note: str = "") -> Payment:
        return Payment(order_id=story.id, method=method, amount=amount, reference=reference, received_at=at,
                       note=note, recorded_by_id=self.clerk, recorded_at=at)

    def _prepaid(self, story: Story) -> bool:
        """A prepaid order's payment, before its review (or, not reviewed yet, for half of them)."""
        if story.total <= 0:
            return False
        reviewed = story.steps.get(Status.REVIEWED)
        if reviewed is None and (story.status != Status.ORDERED or self.rng.random() < 0.5):
            return False  # cancelled before review, or not paid yet
        at = self._between(story.created_at, reviewed or self.now)
        method = PREPAID_METHOD[PaymentMethod(story.method)]
        if method == PayMethod.TRANSFER and self.rng.random() < 0.2:
            method = PayMethod.POSTAL
        prefix = {PayMethod.TRANSFER: "网银", PayMethod.POSTAL: "汇票", PayMethod.CARD: "POS"}[method]
        self.rows.payments.append(self._payment(story, method, story.total, at,
                                                f"{prefix}{at:%Y%m%d}{story.id:06d}"))
        return True

    def _cash(self, story: Story) -> bool:
        """A COD order's money: on its courier's statement once settled; at the counter for a pickup."""
        settled = story.steps.get(Status.SETTLED)
        if settled is None or story.total <= 0:
            return False
        parcel = story.parcel
        if parcel is None or not parcel["cod_due"]:
            self.rows.payments.append(self._payment(story, PayMethod.COD, story.total, settled, note="自提付款"))
            return True
        line = self._line(story, parcel, story.total, settled)
        self.rows.lines[self._key(parcel["courier_id"], settled)].append(
            (line, self._payment(story, PayMethod.COD, story.total, settled)))
        return True

    def _key(self, courier_id: int, at: datetime.datetime) -> tuple[int, datetime.date]:
        """The statement a remittance goes on: the courier's, for the week of `at`."""
        day = timezone.localdate(at)
        monday = day - datetime.timedelta(days=day.weekday())
        key = (courier_id, monday)
        statement = self.rows.statements.get(key)
        if statement is None:
            code = self.fees[courier_id][2]
            statement = self.rows.statements[key] = RemittanceStatement(
                courier_id=courier_id, number=f"{code.upper()}-HK{monday:%Y%m%d}", period_start=monday,
                period_end=monday + 6 * DAY, applied_by_id=self.clerk, applied_at=at,
                file_name=f"{code}-回款-{monday:%Y%m%d}.xlsx")
        statement.applied_at = max(statement.applied_at, at)
        return key

    def _line(self, story: Story, parcel: dict[str, Any], collected: Decimal, at: datetime.datetime,
              outcome: str = LineOutcome.MATCHED) -> RemittanceLine:
        percent, minimum, _code = self.fees[parcel["courier_id"]]
        fee = yuan(max(collected * percent / 100, minimum))
        return RemittanceLine(line=0, tracking_number=parcel["tracking_number"] or "", order_number=story.number,
                              collected=collected, fee=fee, net=collected - fee, outcome=outcome,
                              shipment_id=parcel["id"], order_id=story.id, expected=parcel["cod_due"],
                              expected_fee=fee, recorded_by_id=self.clerk, recorded_at=at)

    def _settle(self, story: Story) -> None:
        """The settlement entry, on the statement that paid it; reversed if the order came back after."""
        settled = story.steps[Status.SETTLED]
        parcel = story.parcel
        key = None
        if story.method == PaymentMethod.COD and parcel is not None and parcel["cod_due"] and story.total > 0:
            key = self._key(parcel["courier_id"], settled)
        self.rows.settlements.append((SettlementEntry(order_id=story.id, kind=SettlementKind.SETTLE,
                                                      amount=story.total, recorded_by_id=self.clerk,
                                                      recorded_at=settled), key))
        returned = story.steps.get(Status.RETURNED)
        if returned is not None and returned > settled:
            self.rows.settlements.append((SettlementEntry(
                order_id=story.id, kind=SettlementKind.REVERSE, amount=-story.total, reason="退货冲销",
                recorded_by_id=self.clerk, recorded_at=returned), None))

    def _refund(self, story: Story) -> None:
        """Money back for a paid order that came back, a day or three later (unless still to come)."""
        back = next((story.steps[status] for status in CAME_BACK if status in story.steps), None)
        if back is None or story.status not in CAME_BACK:
            return
        at = (back + datetime.timedelta(days=self.rng.uniform(1, 3))).replace(microsecond=0)
        if at > self.now:
            return
        method = PayMethod.CARD if story.method == PaymentMethod.CARD else PayMethod.TRANSFER
        reason = {Status.REFUSED: "拒收退款", Status.RETURNED: "退货退款", Status.CANCELLED: "取消订单退款"}[
            Status(story.status)]
        self.rows.refunds.append(Refund(order_id=story.id, method=method, amount=story.total, reason=reason,
                                        reference=f"TK{at:%Y%m%d}{story.id:06d}", refunded_at=at,
                                        recorded_by_id=self.clerk, recorded_at=at))

    def _differences(self, orders: list[Story]) -> None:
        """On each courier's last statement: a delivered parcel remitted short; on EMS's, an unknown tracking
        number and a refused parcel paid."""
        last: dict[int, tuple[int, datetime.date]] = {}
        for key in sorted(self.rows.statements, key=lambda k: k[1]):
            last[key[0]] = key
        delivered = [s for s in orders if s.status == Status.DELIVERED and s.method == PaymentMethod.COD
                     and s.parcel is not None and s.parcel["cod_due"] > SHORT_BY]
        for courier_id, key in sorted(last.items()):
            statement = self.rows.statements[key]
            parcel_of = next((s for s in delivered if s.parcel and s.parcel["courier_id"] == courier_id
                              and s.parcel["delivered_at"] < statement.applied_at), None)
            if parcel_of is not None and parcel_of.parcel is not None:
                self._short(parcel_of, parcel_of.parcel, key)
            if self.fees[courier_id][2] == "ems":
                self._unexplained(orders, courier_id, key)

    def _short(self, story: Story, parcel: dict[str, Any], key: tuple[int, datetime.date]) -> None:
        at = self.rows.statements[key].applied_at
        collected = parcel["cod_due"] - SHORT_BY
        line = self._line(story, parcel, collected, at, LineOutcome.SHORT)
        self.rows.lines[key].append((line, self._payment(story, PayMethod.COD, collected, at)))
        self.rows.open_items.append((OpenItem(
            courier_id=parcel["courier_id"], kind=OpenItemKind.SHORT, shipment_id=parcel["id"], order_id=story.id,
            tracking_number=line.tracking_number, amount=SHORT_BY, created_at=at,
            detail=_in_chinese(lambda: gettext("Collected ¥%(collected)s of the ¥%(due)s due.") % {
                "collected": collected, "due": parcel["cod_due"]})),
            key, len(self.rows.lines[key]) - 1))

    def _unexplained(self, orders: list[Story], courier_id: int, key: tuple[int, datetime.date]) -> None:
        """An unknown tracking number and a refused parcel paid: money we must give back or explain."""
        at = self.rows.statements[key].applied_at
        percent, minimum, _code = self.fees[courier_id]
        unknown = Decimal("298.00")
        fee = yuan(max(unknown * percent / 100, minimum))
        self.rows.lines[key].append((RemittanceLine(
            line=0, tracking_number="EZ000000000CN", collected=unknown, fee=fee, net=unknown - fee,
            outcome=LineOutcome.UNKNOWN, recorded_by_id=self.clerk, recorded_at=at), None))
        self.rows.open_items.append((OpenItem(courier_id=courier_id, kind=OpenItemKind.UNKNOWN,
                                              tracking_number="EZ000000000CN", amount=-unknown,
                                              detail=_in_chinese(UNEXPLAINED_DETAIL[LineOutcome.UNKNOWN]),
                                              created_at=at), key, len(self.rows.lines[key]) - 1))
        refused = next((s for s in orders if s.status == Status.REFUSED and s.parcel is not None
                        and s.parcel["courier_id"] == courier_id and s.parcel["cod_due"] > 0
                        and s.parcel["refused_at"] is not None and s.parcel["refused_at"] < at), None)
        if refused is None or refused.parcel is None:
            return
        line = self._line(refused, refused.parcel, refused.parcel["cod_due"], at, LineOutcome.REFUSED)
        self.rows.lines[key].append((line, None))
        self.rows.open_items.append((OpenItem(
            courier_id=courier_id, kind=OpenItemKind.REFUSED, shipment_id=refused.parcel["id"], order_id=refused.id,
            tracking_number=line.tracking_number, amount=-line.collected, created_at=at,
            detail=_in_chinese(UNEXPLAINED_DETAIL[LineOutcome.REFUSED])),
            key, len(self.rows.lines[key]) - 1))


def _in_chinese(words: Any) -> str:
    """An open item's detail as the remittance apply writes it (`hotline.finance.actions.remittance`), in
    the demo's language, and with the apply's sign: minus what the courier collected."""
    with translation.override("zh-hans"):
        return str(words())


def write(rows: MoneyRows, batch_size: int) -> dict[str, int]:
    """Write the planned rows in bulk: statements, their lines, payments, settlements, refunds, open items."""
    for key, statement in rows.statements.items():
        lines = [line for line, _payment in rows.lines[key]]
        for number, line in enumerate(lines, start=1):
            line.line = number
        statement.collected_total = sum((line.collected for line in lines), ZERO)
        statement.fee_total = sum((line.fee for line in lines), ZERO)
        statement.net_total = statement.stated_total = statement.bank_total = sum((line.net for line in lines), ZERO)
    RemittanceStatement.objects.bulk_create(list(rows.statements.values()), batch_size=batch_size)
    for key, statement in rows.statements.items():
        for line, _payment in rows.lines[key]:
            line.statement = statement
    RemittanceLine.objects.bulk_create([line for pairs in rows.lines.values() for line, _p in pairs],
                                       batch_size=batch_size)
    for pairs in rows.lines.values():
        for line, payment in pairs:
            if payment is not None:
                payment.remittance_line = line
                rows.payments.append(payment)
    Payment.objects.bulk_create(rows.payments, batch_size=batch_size)
    entries = [entry for entry, _key in rows.settlements]
    for entry, settled_by in rows.settlements:
        entry.statement = rows.statements[settled_by] if settled_by is not None else None
    SettlementEntry.objects.bulk_create(entries, batch_size=batch_size)
    Refund.objects.bulk_create(rows.refunds, batch_size=batch_size)
    for item, on, index in rows.open_items:
        item.statement = rows.statements[on]
        item.line = rows.lines[on][index][0]
    OpenItem.objects.bulk_create([item for item, _key, _index in rows.open_items], batch_size=batch_size)
    return {"payments": len(rows.payments), "refunds": len(rows.refunds), "settlement_entries": len(entries),
            "remittance_statements": len(rows.statements),
            "remittance_lines": sum(len(pairs) for pairs in rows.lines.values()), "open_items": len(rows.open_items)}


CLOSED_DAYS = 7


def create_finance(now: datetime.datetime, rng: random.Random, clerk: int, batch_size: int = 5000) -> dict[str, int]:
    """The demo orders' payments, remittances, settlements, refunds and open items, and the last week's
    daily closes; the counts written."""
    rows = FinancePlanner(rng, now, clerk).plan(stories())
    with _times_as_given():
        counts = write(rows, batch_size)
    counts["daily_closes"] = close_days(now, User.objects.get(pk=clerk))
    return counts


def close_days(now: datetime.datetime, clerk: User) -> int:
    """The clerk's closes of the days before `now` (local dates), oldest first, as far as they have ended."""
    today = timezone.localdate(now)
    days = [today - datetime.timedelta(days=back) for back in range(CLOSED_DAYS, 0, -1)]
    closed = [do_close_day(day, actor=clerk) for day in days if has_ended(day)]
    return len(closed)


@contextlib.contextmanager
def _times_as_given() -> Iterator[None]:
    """Let bulk_create keep the times the story gives the money rows (not the moment of the load)."""
    fields = [f for model in WRITTEN for f in model._meta.concrete_fields
              if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add

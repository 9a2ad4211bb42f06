"""Finance end to end (issue 14, "Must show" #1): 300 cash-on-delivery orders delivered through EMS and ZTO
over three months (through the logistics actions) → EMS's remittance statement, a GBK CSV in the columns
EMS's mapping names, with matched lines, a short payment, an over-payment, an unknown tracking number, a
duplicate line and a refused parcel paid → the dry run lists exactly those → apply → the matched and
over-paid orders settled with their amounts, the short one not, the open items as expected → the same file
again changes nothing → bank transfers, a settled order returned (its settlement reversed) and refunded →
the receivables (with their ageing) and the daily close reconcile to the fen with sums this test makes
itself from the rows.

The test's sums never call the code under test: ageing days are counted here from each parcel's delivery
time in Asia/Shanghai, and each figure is added up from the money rows with plain Python."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hotline.finance.actions.payments import do_record_payment, do_record_refund
from hotline.finance.actions.remittance import check_remittance, do_apply_remittance
from hotline.finance.balances import balance_of
from hotline.finance.close import day_figures
from hotline.finance.models import (
    CourierColumns,
    OpenItem,
    Payment,
    Refund,
    RemittanceLine,
    RemittanceStatement,
    SettlementEntry,
)
from hotline.finance.receivables import receivables
from hotline.finance.remittance_jobs import report
from hotline.finance.statement_file import read_statement
from hotline.logistics.actions import ReturnedGoods, do_receive_return, do_review_orders, do_ship_parcels
from hotline.logistics.feedback import apply_feedback_file
from hotline.logistics.models import Condition, Courier, Shipment
from hotline.orders.models import Order, OrderLine, OrderStatusChange, Status
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = pytest.mark.django_db

D = Decimal
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DELIVERED = 300  # half EMS, half ZTO
SPREAD_DAYS = 90  # deliveries over the last 90 days: every ageing bucket has parcels
MATCHED = 36  # EMS lines paid exactly
SHORT_BY, OVER_BY = D("10.00"), D("5.00")
NUMBER = "EMS-GD-20261207-01"
UNKNOWN = "EZ000000000CN"  # EMS's format, nobody's parcel
# EMS's saved columns: its statements say 邮件号 for the tracking number, and so on
EMS_COLUMNS = {"tracking_number": "邮件号", "order_number": "订单号", "collected": "代收金额",
               "fee": "手续费", "net": "应付金额"}
BUCKETS = ((0, 7), (8, 15), (16, 30), (31, 60), (61, None))


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def fee_of(courier: Courier, collected: Decimal) -> Decimal:
    """The courier's COD fee rule, worked out here: percent of what was collected, never under the minimum."""
    return cents(max(collected * courier.cod_fee_percent / 100, courier.cod_fee_min))


def bucket_of(days: int) -> int:
    return next(index for index, (low, high) in enumerate(BUCKETS) if days >= low and (high is None or days <= high))


@dataclass
class Line:
    """A statement line as the test writes it, and what it should come to."""

    tracking: str
    order_number: str
    collected: Decimal
    outcome: str
    parcel: Shipment | None = None

    def cells(self, courier: Courier) -> list[str]:
        fee = fee_of(courier, self.collected)
        return [self.tracking, self.order_number, f"{self.collected}", f"{fee}", f"{self.collected - fee}"]


@dataclass
class Flow:
    """The world and what each step hands on."""

    fw: FinanceWorld
    today: datetime.date
    parcels: dict[str, list[Shipment]] = field(default_factory=dict)  # courier code -> delivered parcels
    refused: Shipment | None = None
    lines: list[Line] = field(default_factory=list)
    data: bytes = b""


# ---------------------------------------------------------------- the parcels


def _feedback(courier: Courier, rows: list[tuple[Shipment, str, datetime.datetime]]) -> bytes:
    """The courier's delivery feedback file in the usual Chinese headers (EMS's in GBK, as it sends them)."""
    lines = [f"{parcel.tracking_number},{word},{timezone.localtime(at):%Y-%m-%d %H:%M:%S},"
             f"{'不要了' if word == '拒收' else ''}\r\n" for parcel, word, at in rows]
    text = "运单号,状态,时间,备注\r\n" + "".join(lines)
    return text.encode("gbk" if courier.code == "ems" else "utf-8-sig")


def _deliver_all(fw: FinanceWorld) -> Flow:
    """300 COD orders of 1–3 massagers (and a knee pad on every other pair) taken by the agent, reviewed,
    scanned out, and delivered a day apart or so over the last 90 days by the couriers' feedback files;
    one more EMS parcel refused three days ago."""
    now = timezone.now().replace(microsecond=0)
    flow = Flow(fw=fw, today=timezone.localdate(now))
    w = fw.w
    placed = []
    for index in range(DELIVERED + 1):
        courier = w.ems if index % 2 == 0 or index == DELIVERED else w.zto
        lines = [(w.massager, 1 + index % 3)] + ([(w.kneepad, 1)] if index % 4 < 2 else [])
        placed.append(w.place(*lines, delivery_method="ems" if courier == w.ems else "courier"))
    review = do_review_orders(placed, actor=w.clerk)
    assert (len(review.reviewed), review.flagged, review.confirmations) == (DELIVERED + 1, {}, [])
    pairs = [(order.number, f"{'EA' if order.delivery_method == 'ems' else '7'}{order.pk:09d}"
              + ("CN" if order.delivery_method == "ems" else "")) for order in placed]
    shipped = do_ship_parcels(pairs, actor=w.clerk)
    assert not shipped.errors, shipped.errors
    parcels = list(Shipment.objects.filter(order__in=placed).select_related("order", "courier").order_by("order_id"))
    events: dict[str, list[tuple[Shipment, str, datetime.datetime]]] = defaultdict(list)
    for index, parcel in enumerate(parcels[:DELIVERED]):
        at = now - datetime.timedelta(days=index * SPREAD_DAYS // DELIVERED, hours=index % 7)
        events[parcel.courier.code].append((parcel, "签收", at))
    events["ems"].append((parcels[DELIVERED], "拒收", now - datetime.timedelta(days=3)))
    for code, rows in events.items():
        result = apply_feedback_file(io.BytesIO(_feedback(rows[0][0].courier, rows)), rows[0][0].courier,
                                     actor=w.clerk)
        assert result.applied and not result.problems, (code, result.problems)
    for parcel in Shipment.objects.filter(order__in=placed).select_related("order", "courier"):
        if parcel.order_id == placed[-1].pk:
            flow.refused = parcel
        else:
            flow.parcels.setdefault(parcel.courier.code, []).append(parcel)
    return flow


# ---------------------------------------------------------------- EMS's statement


def _statement_lines(flow: Flow) -> list[Line]:
    """EMS's oldest parcels: 36 paid exactly, one short by ¥10, one over by ¥5; then a line for nobody's
    parcel, the first line again, and the refused parcel paid in full."""
    oldest = sorted(flow.parcels["ems"], key=lambda parcel: (parcel.delivered_at, parcel.pk))[:MATCHED + 2]
    lines = [Line(p.tracking_number or "", p.order.number, p.cod_due, "matched", p) for p in oldest[:MATCHED]]
    short, over = oldest[MATCHED], oldest[MATCHED + 1]
    lines.append(Line(short.tracking_number or "", short.order.number, short.cod_due - SHORT_BY, "short", short))
    lines.append(Line(over.tracking_number or "", over.order.number, over.cod_due + OVER_BY, "over", over))
    lines.append(Line(UNKNOWN, "", D("398.00"), "unknown"))
    first = lines[0]
    lines.append(Line(first.tracking, first.order_number, first.collected, "duplicate", first.parcel))
    refused = flow.refused
    assert refused is not None
    lines.append(Line(refused.tracking_number or "", refused.order.number, refused.cod_due, "refused", refused))
    return lines


def _statement_file(courier: Courier, lines: list[Line]) -> bytes:
    """A GBK CSV as EMS sends it: a title and the statement number above the header, the lines, a 合计 row
    with the total net paid, and who made it."""
    header = [EMS_COLUMNS[key] for key in ("tracking_number", "order_number", "collected", "fee", "net")]
    rows = [line.cells(courier) for line in lines]
    total = sum((D(row[4]) for row in rows), D("0"))
    table = [["中国邮政速递物流 代收货款结算单"], [f"结算单号：{NUMBER}"], header, *rows,
             ["合计", "", "", "", f"{total}"], ["制表人：张三"]]
    return "".join(",".join(row) + "\r\n" for row in table).encode("gbk")


def _footprint() -> dict[str, Any]:
    """What applying a statement may write."""
    return {"statements": RemittanceStatement.objects.count(), "lines": RemittanceLine.objects.count(),
            "payments": Payment.objects.count(), "settlements": SettlementEntry.objects.count(),
            "open_items": OpenItem.objects.count(), "orders": dict(Order.objects.values_list("pk", "status")),
            "parcels": dict(Shipment.objects.values_list("pk", "status"))}


def _expected_differences(lines: list[Line]) -> list[tuple[int, str, str]]:
    """(file line, tracking number, outcome) of every line but the matched ones; the header is line 3."""
    return [(index + 4, line.tracking, line.outcome) for index, line in enumerate(lines) if line.outcome != "matched"]


def _dry_run(flow: Flow) -> None:
    """The dry run lists exactly the planted differences, on their lines, and writes nothing."""
    ems = flow.fw.w.ems
    before = _footprint()
    file = read_statement(flow.data, ems)
    assert (file.number, len(file.lines), file.stated_total) == (NUMBER, len(flow.lines), _net_total(flow))
    result = check_remittance(ems, number=file.number, file=file, bank_total=str(_net_total(flow)))
    shown = report(result, applying=False)
    assert (result.refusal, shown["refusal"]) == ("", "")
    assert shown["counts"] == {"matched": MATCHED, "short": 1, "over": 1, "unknown": 1, "duplicate": 1,
                               "refused": 1}
    assert [(row[0], row[1], row[3]) for row in shown["rows"]] == _expected_differences(flow.lines)
    assert all(m.fee_ok for m in result.report.matches)  # every fee by EMS's rule: no fee difference
    collected = sum((line.collected for line in flow.lines), D("0"))
    fees = sum((fee_of(ems, line.collected) for line in flow.lines), D("0"))
    assert shown["totals"] == {
        "collected": f"{collected}", "fee": f"{fees}", "net": f"{collected - fees}", "stated": f"{collected - fees}",
        "bank": f"{collected - fees}", "stated_difference": "0.00", "bank_difference": "0.00",
        "expected_fee": f"{fees - fee_of(ems, D('398.00'))}"}  # the unknown line has no parcel, no rule
    short, over = flow.lines[MATCHED], flow.lines[MATCHED + 1]
    assert [(row[1], row[4], row[5], row[6]) for row in shown["rows"][:2]] == [
        (short.tracking, f"{short.parcel.cod_due}", f"{short.collected}", "-10.00"),  # type: ignore[union-attr]
        (over.tracking, f"{over.parcel.cod_due}", f"{over.collected}", "5.00")]  # type: ignore[union-attr]
    assert _footprint() == before


def _net_total(flow: Flow) -> Decimal:
    ems = flow.fw.w.ems
    return sum((line.collected - fee_of(ems, line.collected) for line in flow.lines), D("0"))


# ---------------------------------------------------------------- apply


def _apply(flow: Flow) -> RemittanceStatement:
    """Applied: a COD payment of the amount collected for each line paying a delivered parcel, the matched
    and over-paid orders settled with their totals, the short one still delivered, an open item per
    difference (what the courier owes us; negative: what we owe it back)."""
    ems, finance = flow.fw.w.ems, flow.fw.finance
    file = read_statement(flow.data, ems)
    result = do_apply_remittance(ems, number=file.number, file=file, bank_total=str(_net_total(flow)),
                                 file_name="EMS回款.csv", actor=finance)
    statement = result.statement
    assert statement is not None
    paying = [line for line in flow.lines if line.outcome in ("matched", "short", "over")]
    settled = [line for line in paying if line.outcome != "short"]
    assert (result.payments, result.settled, result.open_items) == (len(paying), len(settled), 5)
    payments = Payment.objects.filter(remittance_line__statement=statement)
    assert sorted((p.order_id, p.method, p.amount, p.reference) for p in payments) == sorted(
        (line.parcel.order_id, "cod", line.collected, NUMBER) for line in paying)  # type: ignore[union-attr]
    orders = {o.pk: o for o in Order.objects.filter(pk__in=[line.parcel.order_id for line in paying])}  # type: ignore[union-attr]
    for line in paying:
        order = orders[line.parcel.order_id]  # type: ignore[union-attr]
        if line.outcome == "short":
            assert (order.status, order.settled_amount) == (Status.DELIVERED, None)
        else:
            assert (order.status, order.settled_amount, order.settled_at) == (
                Status.SETTLED, line.parcel.cod_due, statement.applied_at)  # type: ignore[union-attr]
    entries = SettlementEntry.objects.filter(statement=statement)
    assert sorted((e.order_id, e.kind, e.amount) for e in entries) == sorted(
        (line.parcel.order_id, "settle", line.parcel.cod_due) for line in settled)  # type: ignore[union-attr]
    assert _open_items(statement) == _expected_open_items(flow)
    assert Order.objects.get(pk=flow.refused.order_id).status == Status.REFUSED  # type: ignore[union-attr]
    return statement


def _open_items(statement: RemittanceStatement) -> list[tuple[str, str, Decimal, int | None, str]]:
    items = OpenItem.objects.filter(statement=statement).order_by("line__line")
    return [(i.kind, i.tracking_number, i.amount, i.order_id, i.status) for i in items]


def _expected_open_items(flow: Flow) -> list[tuple[str, str, Decimal, int | None, str]]:
    short, over, unknown, duplicate, refused = flow.lines[MATCHED:]
    return [("short", short.tracking, SHORT_BY, short.parcel.order_id, "open"),  # type: ignore[union-attr]
            ("over", over.tracking, -OVER_BY, over.parcel.order_id, "open"),  # type: ignore[union-attr]
            ("unknown", UNKNOWN, -unknown.collected, None, "open"),
            ("duplicate", duplicate.tracking, -duplicate.collected, duplicate.parcel.order_id,  # type: ignore[union-attr]
             "open"),
            ("refused", refused.tracking, -refused.collected, refused.parcel.order_id, "open")]  # type: ignore[union-attr]


def _apply_again(flow: Flow) -> None:
    """The same statement once more: refused as applied already, nothing written."""
    ems = flow.fw.w.ems
    before = _footprint()
    file = read_statement(flow.data, ems)
    with pytest.raises(ValidationError, match=f"Statement {NUMBER} of EMS was already applied"):
        do_apply_remittance(ems, number=file.number, file=file, actor=flow.fw.finance)
    assert _footprint() == before


# ---------------------------------------------------------------- other money of the day


def _bank_transfers(flow: Flow) -> None:
    """Two ZTO customers pay by bank transfer: one in full (settled), one ¥100 on account."""
    zto = sorted(flow.parcels["zto"], key=lambda parcel: parcel.pk)
    full, part = zto[0], zto[1]
    do_record_payment(full.order, method="transfer", amount=str(full.cod_due), actor=flow.fw.finance,
                      payer=full.order.recipient, reference="网银 0001")
    do_record_payment(part.order, method="transfer", amount="100.00", actor=flow.fw.finance, reference="网银 0002")
    assert Order.objects.get(pk=full.order_id).status == Status.SETTLED
    assert Order.objects.get(pk=part.order_id).status == Status.DELIVERED


def _return_and_refund(flow: Flow) -> Order:
    """A settled EMS order comes back (the customer sends the goods back): its settlement is reversed by an
    opposite entry and the customer refunded in full by transfer. The refused parcel reaches the warehouse
    too, with EMS's return freight (50 % of the freight)."""
    clerk, finance = flow.fw.w.clerk, flow.fw.finance
    settled = flow.lines[1].parcel
    assert settled is not None
    for order_id in (settled.order_id, flow.refused.order_id):  # type: ignore[union-attr]
        order = Order.objects.get(pk=order_id)
        lines = OrderLine.objects.filter(order=order)
        goods = [ReturnedGoods(line.pk, line.quantity, Condition.GOOD) for line in lines]
        do_receive_return(order, goods, actor=clerk)
    back = Order.objects.get(pk=settled.order_id)
    assert back.status == Status.RETURNED
    assert sorted((e.kind, e.amount) for e in back.settlement_entries.all()) == [
        ("reverse", -settled.cod_due), ("settle", settled.cod_due)]
    assert balance_of(back).refundable == settled.cod_due
    do_record_refund(back, method="transfer", amount=str(settled.cod_due), reason="退货退款", actor=finance)
    assert balance_of(back).due == D("0.00")
    refused = Shipment.objects.get(pk=flow.refused.pk)  # type: ignore[union-attr]
    assert (refused.status, refused.return_freight) == ("returned", cents(refused.freight / 2))
    return back


# ---------------------------------------------------------------- the figures, added up here


def _outstanding_here(today: datetime.date) -> dict[str, list[tuple[int, Decimal]]]:
    """{courier code: [(count, amount) per age bucket]}: delivered COD parcels of delivered orders, less the
    order's payments, those still owing something; ages in whole days since the Shanghai delivery date."""
    paid: dict[int, Decimal] = defaultdict(lambda: D("0"))
    for order_id, amount in Payment.objects.values_list("order_id", "amount"):
        paid[order_id] += amount
    table: dict[str, list[tuple[int, Decimal]]] = {}
    rows = Shipment.objects.select_related("courier", "order").filter(status="delivered")
    for parcel in rows:
        owed = parcel.cod_due - paid[parcel.order_id]
        if parcel.order.status != Status.DELIVERED or parcel.cod_due <= 0 or owed <= 0:
            continue
        assert parcel.delivered_at is not None
        days = (today - parcel.delivered_at.astimezone(SHANGHAI).date()).days
        cells = table.setdefault(parcel.courier.code, [(0, D("0"))] * len(BUCKETS))
        count, amount = cells[bucket_of(days)]
        cells[bucket_of(days)] = (count + 1, amount + owed)
    return table


def _check_receivables(flow: Flow, before: Any) -> None:
    """receivables(today) per courier and bucket as added up here; the total fell by what the statement
    paid against delivered orders and by the transfers."""
    here = _outstanding_here(flow.today)
    figures = receivables(flow.today)
    assert {row.code: [(f.count, f.amount) for f in row.buckets] for row in figures.rows} == here
    assert all(count > 0 for count, _amount in here["zto"])  # every bucket has parcels
    totals = [(sum(c[i][0] for c in here.values()), sum((c[i][1] for c in here.values()), D("0")))
              for i in range(len(BUCKETS))]
    assert [(f.count, f.amount) for f in figures.total.buckets] == totals
    paid = [line for line in flow.lines if line.outcome in ("matched", "short", "over")]
    drop = sum((line.collected if line.outcome == "short" else line.parcel.cod_due  # type: ignore[union-attr]
                for line in paid), D("0"))
    full = sorted(flow.parcels["zto"], key=lambda parcel: parcel.pk)[0]
    assert before.total.total - figures.total.total == drop + full.cod_due + D("100.00")
    assert before.total.count - figures.total.count == MATCHED + 1 + 1  # the matched, the over-paid, the transfer


def _steps_today(flow: Flow, status: str) -> list[OrderStatusChange]:
    return [step for step in OrderStatusChange.objects.filter(to_status=status).select_related("order")
            if step.at.astimezone(SHANGHAI).date() == flow.today]


def _value(orders: list[Order]) -> str:
    return f"{sum((order.total for order in orders), D('0.00'))}"


def _close_here(flow: Flow) -> dict[str, Any]:
    """Today's figures as this test adds them up from the rows (see hotline.finance.close for the rules)."""
    def today(at: datetime.datetime) -> bool:
        return at.astimezone(SHANGHAI).date() == flow.today

    def steps(status: str) -> dict[str, Any]:
        orders = [step.order for step in _steps_today(flow, status)]
        return {"count": len(orders), "value": _value(orders)}

    parcel_of = {s.order_id: s for s in Shipment.objects.exclude(status="cancelled")}
    shipped = [step.order for step in _steps_today(flow, Status.SHIPPED)]
    refused = [step.order for step in _steps_today(flow, Status.REFUSED)]
    payments = [p for p in Payment.objects.select_related("remittance_line") if today(p.recorded_at)]
    remitted = [p for p in payments if p.remittance_line is not None]
    fees = sum((p.remittance_line.fee for p in remitted), D("0.00"))  # type: ignore[union-attr]
    entries = [e for e in SettlementEntry.objects.all() if today(e.recorded_at)]
    refunds = [r for r in Refund.objects.all() if today(r.recorded_at)]
    outstanding = _outstanding_here(flow.today)
    freight = sum((parcel_of[o.pk].freight for o in refused), D("0.00"))
    back = sum((parcel_of[o.pk].return_freight or D("0") for o in refused), D("0.00"))
    return {
        "orders_taken": {"count": len([o for o in Order.objects.all() if today(o.created_at)]),
                         "value": _value([o for o in Order.objects.all() if today(o.created_at)])},
        "reviewed": steps(Status.REVIEWED),
        "shipped": {**steps(Status.SHIPPED),
                    "freight": f"{sum((parcel_of[o.pk].freight for o in shipped), D('0.00'))}"},
        "delivered": steps(Status.DELIVERED),
        "refused": {**steps(Status.REFUSED), "freight": f"{freight}", "return_freight": f"{back:.2f}",
                    "freight_both_ways": f"{freight + back:.2f}"},
        "returned": steps(Status.RETURNED),
        "remitted": {"count": len(remitted), "amount": f"{sum((p.amount for p in remitted), D('0.00'))}",
                     "fee": f"{fees}", "net": f"{sum((p.amount for p in remitted), D('0.00')) - fees}"},
        "other_payments": {"count": len(payments) - len(remitted),
                           "amount": f"{sum((p.amount for p in payments if p.remittance_line is None), D('0.00'))}"},
        "refunds": {"count": len(refunds), "amount": f"{sum((r.amount for r in refunds), D('0.00'))}"},
        "settlements": {"count": len(entries), "amount": f"{sum((e.amount for e in entries), D('0.00'))}",
                        "settled": f"{sum((e.amount for e in entries if e.kind == 'settle'), D('0.00'))}",
                        "reversed": f"{sum((e.amount for e in entries if e.kind == 'reverse'), D('0.00'))}"},
        "outstanding": {"count": sum(c for cells in outstanding.values() for c, _a in cells),
                        "amount": f"{sum((a for cells in outstanding.values() for _c, a in cells), D('0.00'))}",
                        "by_courier": {code: {"count": sum(c for c, _a in cells),
                                              "amount": f"{sum((a for _c, a in cells), D('0.00'))}"}
                                       for code, cells in sorted(outstanding.items())}},
    }


def _check_close(flow: Flow, statement: RemittanceStatement, back: Order) -> None:
    """day_figures(today) is what this test adds up, and agrees with the statement and the receivables."""
    figures = day_figures(flow.today)
    here = _close_here(flow)
    assert figures == here
    # and the figures agree with each other and with what happened
    assert figures["orders_taken"]["count"] == figures["reviewed"]["count"] == figures["shipped"]["count"] \
        == DELIVERED + 1
    assert (figures["delivered"]["count"], figures["refused"]["count"]) == (DELIVERED, 1)
    paying = [line for line in flow.lines if line.outcome in ("matched", "short", "over")]
    assert figures["remitted"]["count"] == len(paying) == Payment.objects.filter(
        remittance_line__statement=statement).count()
    assert (figures["remitted"]["amount"], figures["remitted"]["fee"]) == (
        f"{sum((line.collected for line in paying), D('0'))}",
        f"{sum((fee_of(flow.fw.w.ems, line.collected) for line in paying), D('0.00'))}")
    assert figures["other_payments"] == {"count": 2, "amount": here["other_payments"]["amount"]}
    assert figures["settlements"]["count"] == MATCHED + 1 + 1 + 1  # and the returned order's reversal
    assert (figures["settlements"]["reversed"], figures["refunds"]) == (
        f"{-back.total}", {"count": 1, "amount": f"{back.total}"})
    assert figures["returned"] == {"count": 2, "value": f"{back.total + flow.refused.order.total}"}  # type: ignore[union-attr]
    refused = Shipment.objects.get(pk=flow.refused.pk)  # type: ignore[union-attr]
    assert figures["refused"]["freight_both_ways"] == f"{refused.freight + (refused.return_freight or 0)}"
    total = receivables(flow.today).total
    assert (figures["outstanding"]["count"], figures["outstanding"]["amount"]) == (total.count, f"{total.total}")


# ---------------------------------------------------------------- the test


def test_three_hundred_cod_orders_remitted_reconcile_to_the_fen(english: None) -> None:
    fw = build_finance_world()
    flow = _deliver_all(fw)
    CourierColumns.objects.create(courier=fw.w.ems, remittance=EMS_COLUMNS)
    flow.lines = _statement_lines(flow)
    flow.data = _statement_file(fw.w.ems, flow.lines)
    _dry_run(flow)
    before = receivables(flow.today)
    assert {row.code: [(f.count, f.amount) for f in row.buckets] for row in before.rows} == \
        _outstanding_here(flow.today)
    statement = _apply(flow)
    _apply_again(flow)
    _bank_transfers(flow)
    back = _return_and_refund(flow)
    _check_receivables(flow, before)
    _check_close(flow, statement, back)

"""Freight bills: the comparison rule on its own (pure), reading the courier's file (GBK CSV, xlsx, a saved
column mapping, bad input), and the import (bill, lines, open items; the same bill again refused).

Prices (tests/finance/world.py): 2 massagers to 深圳 cost EMS ¥21.00 freight, and a refused EMS parcel's
return freight is 50 % of it, ¥10.50; ZTO ¥16.00."""

from __future__ import annotations

import datetime
import io
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from openpyxl import Workbook

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.freight import do_import_freight_bill
from hotline.finance.freight import (
    FORWARD,
    RETURN,
    WHOLE,
    FreightFileError,
    FreightLine,
    FreightParcel,
    check_freight_bill,
    compare_freight,
    read_freight_file,
    return_due,
    stored_legs,
)
from hotline.finance.models import CourierColumns, FreightBill, FreightBillLine, OpenItem
from hotline.logistics.actions.returns import ReturnedGoods, do_receive_return
from hotline.logistics.models import Shipment
from tests import factories
from tests.finance.world import WAIT, FinanceWorld, build_finance_world, in_two_threads

D = Decimal
AGREES, DIFFERS, UNKNOWN, DUPLICATE = "agrees", "differs", "unknown", "duplicate"


# ---------------------------------------------------------------- the comparison, pure


def parcel(pk: int, tracking: str, freight: str, back: str = "0.00", came_back: bool = False,
           courier_id: int = 1) -> FreightParcel:
    return FreightParcel(pk, pk, f"D{pk}", tracking, courier_id, D(freight), D(back), came_back)


PARCELS = {p.tracking_number: p for p in [
    parcel(1, "EA1", "21.00"), parcel(2, "EA2", "21.00", "10.50", came_back=True),
    parcel(3, "ZT3", "16.00", courier_id=2)]}


def line(n: int, tracking: str | None, billed: str, leg: str = WHOLE) -> FreightLine:
    return FreightLine(n, tracking or "", D(billed), None, leg)


def outcomes(report: Any) -> list[tuple[int, str, Decimal | None, Decimal]]:
    return [(m.line.line, m.outcome, m.computed, m.difference) for m in report.matches]


def test_each_line_against_the_legs_it_bills() -> None:
    # given a delivered parcel, a parcel that came back, another courier's parcel and an unknown number
    lines = [line(2, "EA1", "21.00"), line(3, "EA2", "21.00", FORWARD), line(4, "EA2", "12.00", RETURN),
             line(5, "ZT3", "16.00"), line(6, "EA9", "8.00"), line(7, "EA1", "21.00", FORWARD)]
    # when compared
    report = compare_freight(lines, PARCELS, {}, courier_id=1)
    # then
    assert outcomes(report) == [
        (2, AGREES, D("21.00"), D("0.00")), (3, AGREES, D("21.00"), D("0.00")),
        (4, DIFFERS, D("10.50"), D("-1.50")), (5, UNKNOWN, None, D("-16.00")), (6, UNKNOWN, None, D("-8.00")),
        (7, DUPLICATE, D("0.00"), D("-21.00"))]
    assert (report.billed_total, report.computed_total, report.difference) == (D("99.00"), D("52.50"), D("-46.50"))
    assert report.counts() == {AGREES: 2, DIFFERS: 1, UNKNOWN: 2, DUPLICATE: 1}
    assert [m.line.line for m in report.differences()] == [4, 5, 6, 7]


def test_a_whole_parcel_line_of_a_parcel_that_came_back_is_freight_plus_return_freight() -> None:
    report = compare_freight([line(2, "EA2", "31.50"), line(3, "EA2", "10.50", RETURN)], PARCELS, {}, 1)
    assert outcomes(report) == [(2, AGREES, D("31.50"), D("0.00")), (3, DUPLICATE, D("0.00"), D("-10.50"))]


def test_a_return_leg_of_a_parcel_that_did_not_come_back_is_zero() -> None:
    report = compare_freight([line(2, "EA1", "10.50", RETURN)], PARCELS, {}, 1)
    assert outcomes(report) == [(2, DIFFERS, D("0.00"), D("-10.50"))]


def test_legs_billed_by_an_earlier_bill_are_duplicates_and_a_partly_new_line_is_set_against_the_new_leg() -> None:
    # given an earlier bill billed EA2's outbound leg and EA1 whole
    earlier = {1: frozenset({FORWARD}), 2: frozenset({FORWARD})}
    # when this bill bills EA1 again, and EA2 whole (its return leg is new)
    report = compare_freight([line(2, "EA1", "21.00"), line(3, "EA2", "31.50")], PARCELS, earlier, 1)
    # then
    assert outcomes(report) == [(2, DUPLICATE, D("0.00"), D("-21.00")), (3, DIFFERS, D("10.50"), D("-21.00"))]


def test_a_line_names_the_legs_it_billed_for_the_first_time() -> None:
    # EA2 came back: a whole-parcel line bills both legs; billed again, it bills none new
    report = compare_freight([line(2, "EA2", "31.50"), line(3, "EA2", "31.50"), line(4, "EA1", "21.00", RETURN)],
                             PARCELS, {}, 1)
    assert [stored_legs(m.legs) for m in report.matches] == ["forward,return", "", "return"]


def test_return_due_is_the_recorded_return_freight_else_the_couriers_rule_while_on_the_way_back() -> None:
    assert return_due("returned", D("21.00"), D("9.00"), D("50")) == D("9.00")
    assert return_due("refused", D("21.00"), D("0.00"), D("50")) == D("10.50")
    assert return_due("returning", D("21.00"), D("0.00"), D("100")) == D("21.00")
    assert return_due("delivered", D("21.00"), D("0.00"), D("50")) == D("0.00")


# ---------------------------------------------------------------- the world


@pytest.fixture
def fw(db: Any) -> FinanceWorld:
    return build_finance_world()


def returned(fw: FinanceWorld) -> Shipment:
    """An EMS parcel refused at the door and received back (return freight ¥10.50 by EMS's rule)."""
    parcel = fw.refused(fw.w.ems)
    lines = [ReturnedGoods(line.pk, line.quantity, "good") for line in parcel.order.lines.all()]
    do_receive_return(parcel.order, lines, actor=fw.w.clerk)
    return Shipment.objects.get(pk=parcel.pk)


def csv_bytes(rows: list[str], header: str = "邮件号,运费,重量,类型", encoding: str = "gbk") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def nothing_written() -> tuple[int, int, int]:
    return FreightBill.objects.count(), FreightBillLine.objects.count(), OpenItem.objects.count()


def test_a_gbk_bill_compared_and_imported_to_the_fen(fw: FinanceWorld, english: None) -> None:
    # given two delivered EMS parcels, one refused and received back, one refused still on its way, a ZTO one
    a, b, r, q = fw.delivered(fw.w.ems), fw.delivered(fw.w.ems), returned(fw), fw.refused(fw.w.ems)
    z = fw.delivered(fw.w.zto)
    assert (a.freight, r.freight, r.return_freight, q.return_freight, z.freight) == (
        D("21.00"), D("21.00"), D("10.50"), D("0.00"), D("16.00"))
    data = csv_bytes([f"{a.tracking_number},21.00,2.4,正向", f"{b.tracking_number},25,2.4,正向",
                      f"{r.tracking_number},21.00,2.4,正向", f"{r.tracking_number},10.50,2.4,退回件",
                      f"{q.tracking_number},31.50,2.4,", f"{z.tracking_number},16.00,2.4,正向",
                      f"{str(a.tracking_number).lower()},21.00,2.4,正向", "EMS999999999,8.00,1,正向", "合计,154.00,,"])
    # when read and checked (the dry run)
    bill = read_freight_file(data, fw.w.ems)
    report = check_freight_bill(bill.lines, fw.w.ems)
    # then
    assert bill.stated_total == D("154.00") and bill.headers == ["邮件号", "运费", "重量", "类型"]
    assert outcomes(report) == [
        (2, AGREES, D("21.00"), D("0.00")), (3, DIFFERS, D("21.00"), D("-4.00")), (4, AGREES, D("21.00"), D("0.00")),
        (5, AGREES, D("10.50"), D("0.00")), (6, AGREES, D("31.50"), D("0.00")), (7, UNKNOWN, None, D("-16.00")),
        (8, DUPLICATE, D("0.00"), D("-21.00")), (9, UNKNOWN, None, D("-8.00"))]
    assert (report.billed_total, report.computed_total, report.difference) == (
        D("154.00"), D("105.00"), D("-49.00"))
    assert FreightBill.objects.count() == 0
    # when imported
    saved, _report = do_import_freight_bill(
        fw.w.ems, number="EMS-2026-11", period_start=datetime.date(2026, 11, 1),
        period_end=datetime.date(2026, 11, 30), lines=bill.lines, file_name="ems-11.csv", actor=fw.finance)
    # then the bill, its lines and an open item per line that does not agree
    saved = FreightBill.objects.get(pk=saved.pk)
    assert (saved.number, saved.billed_total, saved.computed_total, saved.imported_by) == (
        "EMS-2026-11", D("154.00"), D("105.00"), fw.finance)
    assert list(saved.lines.values_list("line", "shipment_id", "billed", "computed", "outcome")) == [
        (2, a.pk, D("21.00"), D("21.00"), AGREES), (3, b.pk, D("25.00"), D("21.00"), DIFFERS),
        (4, r.pk, D("21.00"), D("21.00"), AGREES), (5, r.pk, D("10.50"), D("10.50"), AGREES),
        (6, q.pk, D("31.50"), D("31.50"), AGREES), (7, None, D("16.00"), None, UNKNOWN),
        (8, a.pk, D("21.00"), D("0.00"), DUPLICATE), (9, None, D("8.00"), None, UNKNOWN)]
    items = OpenItem.objects.order_by("freight_line__line")
    assert [(i.kind, i.tracking_number, i.amount, i.shipment_id, i.order_id,
             i.freight_line and i.freight_line.line) for i in items] == [
        ("freight", b.tracking_number, D("-4.00"), b.pk, b.order_id, 3),
        ("freight", z.tracking_number, D("-16.00"), None, None, 7),
        ("freight", a.tracking_number, D("-21.00"), a.pk, a.order_id, 8),
        ("freight", "EMS999999999", D("-8.00"), None, None, 9)]
    assert items[0].detail == "Billed ¥25.00, Hotline computed ¥21.00 (outbound)."
    assert sum(i.amount for i in items) == saved.computed_total - saved.billed_total
    assert AuditEntry.objects.filter(action="import_freight_bill", object_id=str(saved.pk)).count() == 1


def test_a_later_bill_billing_the_same_legs_again_is_duplicate(fw: FinanceWorld) -> None:
    # given November's bill billed r's outbound and return legs and a outbound
    a, r, c = fw.delivered(fw.w.ems), returned(fw), fw.delivered(fw.w.ems)
    first = [line(2, a.tracking_number, "21.00"), line(3, r.tracking_number, "21.00", FORWARD),
             line(4, r.tracking_number, "10.50", RETURN)]
    do_import_freight_bill(fw.w.ems, number="N-11", period_start=None, period_end=None, lines=first,
                           file_name="", actor=fw.finance)
    # when December's bills r whole, a outbound again and c for the first time
    later = [line(2, r.tracking_number, "31.50"), line(3, a.tracking_number, "21.00", FORWARD),
             line(4, c.tracking_number, "21.00")]
    _bill, report = do_import_freight_bill(fw.w.ems, number="N-12", period_start=None, period_end=None,
                                           lines=later, file_name="", actor=fw.finance)
    # then
    assert outcomes(report) == [(2, DUPLICATE, D("0.00"), D("-31.50")), (3, DUPLICATE, D("0.00"), D("-21.00")),
                                (4, AGREES, D("21.00"), D("0.00"))]


def test_the_same_bill_again_is_refused_and_changes_nothing(fw: FinanceWorld, english: None) -> None:
    a = fw.delivered(fw.w.ems)
    lines = [line(2, a.tracking_number, "30.00")]
    do_import_freight_bill(fw.w.ems, number="EMS-11", period_start=None, period_end=None, lines=lines,
                           file_name="a.csv", actor=fw.finance)
    before = nothing_written()
    with pytest.raises(ValidationError) as refused:
        do_import_freight_bill(fw.w.ems, number=" EMS-11 ", period_start=None, period_end=None, lines=lines,
                               file_name="a.csv", actor=fw.finance)
    assert refused.value.message_dict == {"number": ["EMS's bill EMS-11 was imported already: nothing was changed."]}
    assert nothing_written() == before == (1, 1, 1)
    # the same number from another courier is another bill
    do_import_freight_bill(fw.w.zto, number="EMS-11", period_start=None, period_end=None, lines=lines,
                           file_name="a.csv", actor=fw.finance)
    assert nothing_written() == (2, 2, 2)


def test_import_needs_reconcile_and_a_number_and_a_period_in_order(fw: FinanceWorld, english: None) -> None:
    a = fw.delivered(fw.w.ems)
    lines = [line(2, a.tracking_number, "21.00")]
    with pytest.raises(PermissionDenied):
        do_import_freight_bill(fw.w.ems, number="X", period_start=None, period_end=None, lines=lines,
                               file_name="", actor=fw.manager)
    with pytest.raises(ValidationError) as no_number:
        do_import_freight_bill(fw.w.ems, number=" ", period_start=None, period_end=None, lines=lines,
                               file_name="", actor=fw.finance)
    assert list(no_number.value.message_dict) == ["number"]
    with pytest.raises(ValidationError) as backwards:
        do_import_freight_bill(fw.w.ems, number="X", period_start=datetime.date(2026, 12, 1),
                               period_end=datetime.date(2026, 11, 1), lines=lines, file_name="", actor=fw.finance)
    assert backwards.value.message_dict == {"period_end": ["The period ends before it starts."]}
    assert nothing_written() == (0, 0, 0)


# ---------------------------------------------------------------- reading files


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_bill_with_the_couriers_saved_columns_and_a_title_row(fw: FinanceWorld) -> None:
    # given ZTO's columns saved once, and a bill with a title row above the header
    a = fw.delivered(fw.w.zto)
    CourierColumns.objects.create(courier=fw.w.zto, freight={"tracking_number": "条码号", "billed": "结算金额"})
    data = xlsx_bytes([["中通快递 2026年11月 运费对账单"], ["序号", "条码号", "金额", "结算金额", "业务类型"],
                       [1, a.tracking_number, 99, 16, "正向件"], [2, "ZTO000000999", 99, 12.5, "退回"],
                       [None, "合计", None, 28.5, None]])
    # when read
    bill = read_freight_file(data, fw.w.zto)
    # then the saved columns win over the usual 金额
    assert bill.lines == [FreightLine(3, str(a.tracking_number), D("16.00"), None, FORWARD),
                          FreightLine(4, "ZTO000000999", D("12.50"), None, RETURN)]
    assert bill.stated_total == D("28.50")


def test_a_utf8_bom_csv_with_other_usual_headers(fw: FinanceWorld) -> None:
    data = csv_bytes(["SF0000000001,27", "SF0000000002,¥30.50"], header="运单号,应收运费", encoding="utf-8-sig")
    assert [(x.line, x.tracking_number, x.billed, x.leg) for x in read_freight_file(data, fw.w.sf).lines] == [
        (2, "SF0000000001", D("27.00"), WHOLE), (3, "SF0000000002", D("30.50"), WHOLE)]


def refused_file(data: bytes, courier: Any) -> FreightFileError:
    with pytest.raises(FreightFileError) as refused:
        read_freight_file(data, courier)
    assert nothing_written() == (0, 0, 0)
    return refused.value


def test_bad_lines_are_listed_and_nothing_is_read(fw: FinanceWorld, english: None) -> None:
    data = csv_bytes(["EMS000000001,abc,,", "EMS000000002,-3,,", "EMS000000003,21.005,,", ",21,,",
                      "EMS000000004,21,-1,", "EMS000000005,21,,寄存", "EMS000000006,,,", "EMS000000007,21,,"])
    error = refused_file(data, fw.w.ems)
    assert error.message == "7 lines cannot be read: correct them in the file and upload it again."
    assert error.problems == [
        (2, "“abc” is not a number."), (3, "An amount cannot be negative."),
        (4, "“21.005” has more than two decimal places."), (5, "The tracking number is empty."),
        (6, "The weight cannot be negative."),
        (7, "Unknown kind “寄存”: write 正向 for the outbound leg or 退回 for a return."),
        (8, "The freight billed is empty.")]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\x00\x01\x02binary", "The file is neither an Excel .xlsx workbook nor a CSV text file."),
    (b"PK\x03\x04not really a zip", "The file is not an Excel .xlsx workbook (save it as .xlsx and try again)."),
    ("邮件号,重量\r\nEMS000000001,2\r\n".encode("gbk"),
     "Missing column: freight billed（运费）. Columns found: 邮件号、重量."),
    ("名称,数量\r\n按摩仪,2\r\n".encode("gbk"), "No header row found: the file must have columns for tracking "
     "number（邮件号）、freight billed（运费）. Columns found: 名称、数量."),
    ("邮件号,运费\r\n".encode("gbk"), "The file has no freight lines under its header row."),
    ("邮件号,运费\r\nEMS000000001,21\r\n合计,22\r\n".encode("gbk"),
     "The bill's total row says ¥22.00 but its lines add up to ¥21.00: check the file with the courier."),
])
def test_a_file_that_cannot_be_used_is_refused_with_a_clear_error(fw: FinanceWorld, english: None, data: bytes,
                                                                  message: str) -> None:
    assert refused_file(data, fw.w.ems).message == message


# ---------------------------------------------------------------- two clerks at once




@pytest.mark.django_db(transaction=True)
def test_two_clerks_importing_the_same_bill_at_once_import_it_once() -> None:
    # given a parcel over-billed on a bill, and two finance clerks
    fw = build_finance_world()
    parcel = fw.delivered(fw.w.ems)
    clerks = [fw.finance, factories.make_user("finance", "cashier_two")]
    started = [threading.Event(), threading.Event()]

    def hold(index: int) -> Callable[[Any, Any], None]:
        """Inside the winner's transaction: let the other clerk's import start and run into the lock."""
        def wait(_bill: Any, _report: Any) -> None:
            started[1 - index].wait(timeout=WAIT)
            time.sleep(0.3)  # not a timing assertion: only more overlap; the result is the same without it
        return wait

    def work(index: int) -> Any:
        started[index].set()
        return do_import_freight_bill(fw.w.ems, number="EMS-2026-11", period_start=None, period_end=None,
                                      lines=[line(2, parcel.tracking_number, "25.00")], file_name="",
                                      actor=clerks[index], before_commit=hold(index))

    # when both import it at the same moment
    outcomes = in_two_threads(work)
    connections.close_all()
    # then one imported it and the other was told so, with nothing written twice
    imported = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(imported), len(refused)) == (1, 1), outcomes
    assert refused[0].messages == ["EMS's bill EMS-2026-11 was imported already: nothing was changed."]
    assert FreightBill.objects.get().pk == imported[0][0].pk
    assert nothing_written() == (1, 1, 1)
    assert OpenItem.objects.get().amount == D("-4.00")

"""Reading a courier's remittance statement: .xlsx, CSV in UTF-8 (with or without BOM) and GBK, the saved
column mapping, the total row, and every kind of bad input refused with each bad line named."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from hotline.finance.models import CourierColumns
from hotline.finance.statement_file import (
    MAX_BYTES,
    REMITTANCE_KEYS,
    StatementFile,
    StatementFileError,
    StatementLine,
    check_statement_columns,
    detected_columns,
    file_headers,
    read_statement,
)
from hotline.logistics.models import Courier

D = Decimal
pytestmark = pytest.mark.usefixtures("english")


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def lines(file: StatementFile) -> list[tuple[int, str, str, Decimal, Decimal, Decimal]]:
    return [(x.line, x.tracking_number, x.order_number, x.collected, x.fee, x.net) for x in file.lines]


def refused(data: bytes, courier: Courier | None = None) -> StatementFileError:
    with pytest.raises(StatementFileError) as caught:
        read_statement(data, courier)
    return caught.value


# ---------------------------------------------------------------- good files


def test_an_xlsx_statement_with_a_title_its_number_a_total_row_and_a_footer():
    # given EMS's workbook as it comes: a title, the statement number, the header on row 4, numbers as numbers
    data = xlsx([
        ["中国邮政速递物流 代收货款结算单"],
        ["结算单号：EMS-2026-11-0042", None, "结算期间", "2026-11-01至2026-11-30"],
        [],
        ["序号", "邮件号", "订单号", "代收金额", "手续费", "实付金额"],
        [1, "EA000000001CN", "HL20261101-000001", 796, 11.94, 784.06],
        [2, " ea 000000002 cn ", "", "¥398.00", "5.97", "392.03"],
        [3, 1234567890123, "hl20261101-000003", 100.5, 5, 95.5],
        ["合计", None, None, 1294.5, 22.91, 1271.59],
        ["制表人：张三"],
    ])
    # when
    file = read_statement(data, None)
    # then
    assert lines(file) == [
        (5, "EA000000001CN", "HL20261101-000001", D("796.00"), D("11.94"), D("784.06")),
        (6, "EA000000002CN", "", D("398.00"), D("5.97"), D("392.03")),
        (7, "1234567890123", "HL20261101-000003", D("100.50"), D("5.00"), D("95.50")),
    ]
    assert (file.stated_total, file.net_total, file.number) == (D("1271.59"), D("1271.59"), "EMS-2026-11-0042")
    assert file.headers == ["序号", "邮件号", "订单号", "代收金额", "手续费", "实付金额"]


def test_a_utf8_csv_with_bom_and_other_usual_headers():
    data = csv_file([["运单号", "代收货款", "代收手续费", "结算金额"],
                     ["ZT100000001", "796.00", "7.96", "788.04"],
                     ["ＺＴ１０００００００２", "1,280.00", "12.80", "1267.20"]])
    file = read_statement(data, None)
    assert lines(file) == [(2, "ZT100000001", "", D("796.00"), D("7.96"), D("788.04")),
                           (3, "ZT100000002", "", D("1280.00"), D("12.80"), D("1267.20"))]
    assert (file.stated_total, file.number) == (None, "")


def test_a_gbk_csv_without_a_net_column_and_a_total_row_of_collected_and_fee():
    # given a GBK file as Excel in China saves it: no net column, a 总计 row in the first column
    data = csv_file([["邮件号", "代收金额", "手续费"],
                     ["EA000000001CN", "796.00", "11.94"],
                     ["EA000000002CN", "398.00", "5.97"],
                     ["总计", "1194.00", "17.91"]], encoding="gbk")
    # when
    file = read_statement(data, None)
    # then the net is collected less the fee, and so is the total
    assert lines(file) == [(2, "EA000000001CN", "", D("796.00"), D("11.94"), D("784.06")),
                           (3, "EA000000002CN", "", D("398.00"), D("5.97"), D("392.03"))]
    assert file.stated_total == D("1176.09")


def test_a_plain_utf8_csv_by_order_number_without_fees():
    data = csv_file([["订单号", "实收金额"], ["hl20261101-000001", "796"], ["HL20261101-000002", "398.5"]],
                    encoding="utf-8")
    file = read_statement(data, None)
    assert lines(file) == [(2, "", "HL20261101-000001", D("796.00"), D("0"), D("796.00")),
                           (3, "", "HL20261101-000002", D("398.50"), D("0"), D("398.50"))]


def test_page_subtotals_and_a_grand_total_the_grand_total_is_the_statements():
    data = csv_file([["邮件号", "代收金额", "手续费", "实付金额"],
                     ["EA1000001", "100.00", "5.00", "95.00"],
                     ["小计", "100.00", "5.00", "95.00"],
                     ["EA1000002", "200.00", "5.00", "195.00"],
                     ["小计", "200.00", "5.00", "195.00"],
                     ["合计", "300.00", "10.00", "290.00"]])
    file = read_statement(data, None)
    assert ([x.line for x in file.lines], file.stated_total) == ([2, 4], D("290.00"))


def test_a_fee_above_a_tiny_amount_collected_nets_below_zero():
    data = csv_file([["邮件号", "代收金额", "手续费", "实付金额"], ["EA1000001", "2.00", "5.00", "-3.00"]])
    assert lines(read_statement(data, None)) == [(2, "EA1000001", "", D("2.00"), D("5.00"), D("-3.00"))]


@pytest.mark.django_db
def test_the_couriers_saved_mapping_comes_before_the_usual_headers():
    # given ZTO's own headers, one of them (应付金额) a usual spelling of the net
    courier = Courier.objects.create(code="zto", name="ZTO", kind="express")
    CourierColumns.objects.create(courier=courier, remittance={
        "tracking_number": "条码号", "collected": "应付金额", "fee": ["费用", "费用(元)"]})
    data = csv_file([["条码号", "应付金额", "费用(元)", "结算金额"], ["ZT100000001", "796.00", "7.96", "788.04"]])
    # when
    file = read_statement(data, courier)
    # then 应付金额 is the amount collected, and the net comes from the next usual spelling
    assert lines(file) == [(2, "ZT100000001", "", D("796.00"), D("7.96"), D("788.04"))]
    assert detected_columns(data, courier) == {"tracking_number": "条码号", "collected": "应付金额",
                                               "fee": "费用(元)", "net": "结算金额"}
    # and without the mapping the same file has no amount collected
    assert refused(data).message == (
        "Missing column: tracking number（邮件号） or order number（订单号）、amount collected（代收金额）. Columns "
        "found: 条码号、应付金额、费用(元)、结算金额. "
        "Map this courier's columns once, or rename them.")


@pytest.mark.django_db
def test_a_courier_without_a_saved_mapping_uses_the_usual_headers():
    courier = Courier.objects.create(code="ems", name="EMS", kind="ems")
    data = csv_file([["邮件号", "代收金额"], ["EA1000001", "5.00"]])
    assert lines(read_statement(data, courier)) == [(2, "EA1000001", "", D("5.00"), D("0"), D("5.00"))]
    check_statement_columns(data, courier)


def test_the_mapping_form_gets_the_keys_and_the_files_headers():
    assert list(REMITTANCE_KEYS) == ["tracking_number", "order_number", "collected", "fee", "net"]
    assert [str(label) for label, _spellings in REMITTANCE_KEYS.values()] == [
        "tracking number", "order number", "amount collected", "COD fee", "net paid"]
    known = xlsx([["代收货款结算单"], ["序号", "邮件号", "代收金额", None, "备注"], ["1", "EA1000001", "5"]])
    unknown = csv_file([["对账单"], ["结算单号", "X-1"], ["条码号", "应付金额", "费用", "结算"],
                        ["ZT1", "5", "0", "5"]])
    assert file_headers(known) == ["序号", "邮件号", "代收金额", "备注"]
    assert file_headers(unknown) == ["条码号", "应付金额", "费用", "结算"]
    assert detected_columns(known, None) == {"tracking_number": "邮件号", "collected": "代收金额"}


# ---------------------------------------------------------------- files refused


def test_wrong_columns_are_refused_naming_what_was_found():
    error = refused(csv_file([["姓名", "电话", "金额"], ["张三", "13800138000", "5"]]))
    assert error.message == (
        "No header row found: the statement must have columns for tracking number（邮件号）、amount collected"
        "（代收金额）. Columns found: 姓名、电话、金额. Map this courier's columns once, or rename them.")
    assert error.problems == []


def test_a_missing_amount_column_is_refused():
    error = refused(csv_file([["邮件号", "手续费"], ["EA1000001", "5"]]))
    assert error.message == ("Missing column: amount collected（代收金额）. Columns found: 邮件号、手续费. "
                             "Map this courier's columns once, or rename them.")


def test_a_missing_tracking_and_order_number_column_is_refused():
    error = refused(csv_file([["收件人", "代收金额", "手续费"], ["张三", "5", "5"]]))
    assert error.message == ("Missing column: tracking number（邮件号） or order number（订单号）. Columns found: "
                             "收件人、代收金额、手续费. Map this courier's columns once, or rename them.")


def test_one_known_column_alone_is_refused_with_what_it_lacks():
    with pytest.raises(StatementFileError) as caught:
        check_statement_columns(csv_file([["邮件号", "姓名"], ["EA1000001", "张三"]]), None)
    assert caught.value.message == ("Missing column: amount collected（代收金额）. Columns found: 邮件号、姓名. "
                                    "Map this courier's columns once, or rename them.")


@pytest.mark.parametrize("data", [b"", b"  \r\n \n"])
def test_an_empty_file_is_refused(data: bytes):
    assert refused(data).message == "The file is empty."


def test_a_file_with_only_empty_rows_is_refused():
    assert refused(csv_file([[""], ["", " "]])).message == "The file has no rows."
    with pytest.raises(StatementFileError) as caught:
        file_headers(csv_file([["", ""]]))
    assert caught.value.message == "The file has no rows."


def test_a_header_without_lines_is_refused():
    error = refused(xlsx([["邮件号", "代收金额"], [None, None]]))
    assert error.message == "The statement has no lines under its header row."


@pytest.mark.parametrize(("data", "message"), [
    (b"\x00\x01\x02binary", "The file is neither an Excel .xlsx workbook nor a CSV text file."),
    (b"PK\x03\x04 not really a workbook", "The file is not an Excel .xlsx workbook (save it as .xlsx and try again)."),
    (b"\xff\xfe\xfa\xfb\x81\x30" * 10, "The CSV file is neither UTF-8 nor GBK/GB18030 text."),
])
def test_a_file_that_is_neither_xlsx_nor_csv_is_refused(data: bytes, message: str):
    assert refused(data).message == message
    with pytest.raises(StatementFileError):
        check_statement_columns(data, None)


def test_a_file_over_10_mb_is_refused_before_it_is_read():
    data = csv_file([["邮件号", "代收金额"]]) + b" " * MAX_BYTES
    assert refused(data).message == "The file is larger than 10 MB; split the statement into smaller files."


def test_every_bad_line_is_listed_and_nothing_is_read():
    # given one good line and one bad line of each kind
    data = csv_file([["邮件号", "订单号", "代收金额", "手续费", "实付金额"],
                     ["EA1000001", "", "796.00", "11.94", "784.06"],
                     ["EA1000002", "", "-796.00", "11.94", ""],
                     ["EA1000003", "", "七百九十六", "11.94", ""],
                     ["EA1000004", "", "796.001", "11.94", ""],
                     ["EA1000005", "", "796.00", "11.94", "790.00"],
                     ["", "", "796.00", "11.94", "784.06"],
                     ["EA1000007", "", "", "11.94", ""],
                     ["EA1000008", "", "796.00", "abc", ""],
                     ["EA1000009", "", "796.00", "-1", ""],
                     ["E" * 41, "", "796.00", "11.94", ""],
                     ["EA1000011", "", "796.00", "11.94", "-784.06"]])
    # when
    error = refused(data)
    # then
    assert error.message == ("10 lines of the statement are wrong; nothing was imported. Correct them in the file "
                             "and upload it again.")
    assert error.problems == [
        (3, "amount collected: An amount cannot be negative."),
        (4, "amount collected: “七百九十六” is not a number."),
        (5, "amount collected: “796.001” has more than two decimal places."),
        (6, "The net paid ¥790.00 is not the amount collected ¥796.00 less the COD fee ¥11.94 (¥784.06)."),
        (7, "The line has neither a tracking number nor an order number."),
        (8, "The amount collected is empty."),
        (9, "COD fee: “abc” is not a number."),
        (10, "COD fee: An amount cannot be negative."),
        (11, "tracking number: “" + "E" * 41 + "” is longer than 40 characters."),
        (12, "net paid: An amount cannot be negative."),
    ]


def test_a_stated_total_that_is_not_the_sum_of_the_lines_is_refused():
    data = xlsx([["邮件号", "代收金额", "手续费", "实付金额"],
                 ["EA1000001", 796, 11.94, 784.06],
                 ["EA1000002", 398, 5.97, 392.03],
                 ["合计", None, None, 1177.09]])
    error = refused(data)
    message = ("The statement's total ¥1177.09 is not the sum of its lines' net amounts ¥1176.09 (difference "
               "¥1.00); nothing was imported. Ask the courier for a corrected statement.")
    assert (error.message, error.problems) == (message, [(4, message)])


def test_a_bad_total_row_is_a_bad_line():
    data = csv_file([["邮件号", "代收金额", "实付金额"], ["EA1000001", "5.00", "5.00"], ["合计", "", "五元"]])
    assert refused(data).problems == [(3, "net paid: “五元” is not a number.")]


def test_lines_are_the_statement_lines_the_contract_names():
    file = read_statement(csv_file([["邮件号", "代收金额"], ["EA1000001", "5.00"]]), None)
    assert file.lines == [StatementLine(line=2, tracking_number="EA1000001", order_number="", collected=D("5.00"),
                                        fee=D("0"), net=D("5.00"))]


def test_errors_in_chinese_name_the_columns_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        message = refused(csv_file([["邮件号", "手续费"], ["EA1000001", "5"]])).message
    assert "邮件号、手续费" in message

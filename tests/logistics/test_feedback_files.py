"""Courier feedback files: formats (xlsx, CSV in UTF-8 with or without BOM, GBK), the courier's column
mapping, bad input with clear errors, and the dry run's report of every problem; nothing written on errors."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from hotline.accounts.models import AuditEntry
from hotline.logistics.actions.feedback import Problem
from hotline.logistics.feedback import (
    MAX_BYTES,
    FeedbackFileError,
    Mapping,
    apply_feedback_file,
    check_feedback_file,
)
from hotline.logistics.models import Courier, EventKind, Shipment, ShipmentEvent, ShipmentStatus
from hotline.orders.models import Order, Status
from tests.logistics.conftest_feedback import make_courier, outcome, ship

K = EventKind
HEADER = ["邮件号", "订单号", "状态", "时间", "备注"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", header: list[str] | None = None) -> io.BytesIO:
    lines = [",".join(header or HEADER), *(",".join(row) for row in rows)]
    return io.BytesIO(("\r\n".join(lines) + "\r\n").encode(encoding))


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = None) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["EMS 投递反馈 2026-12-01"])  # a title line above the header, as EMS exports have
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.fixture
def ems(db: Any) -> Courier:
    return make_courier()


@pytest.fixture
def parcels(ems: Courier) -> list[Shipment]:
    return [ship(ems, f"EMS{i:09d}CN") for i in range(1, 4)]


def good_rows(parcels: list[Shipment]) -> list[list[str]]:
    a, b, c = parcels
    return [[a.tracking_number or "", a.order.number, "妥投", "2026-12-01 10:00", ""],
            [b.tracking_number or "", "", "拒收", "2026-12-01 11:00", "价格太贵"],
            [c.tracking_number or "", "", "滞留", "2026/12/01 12:05:00", "地址不详"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_couriers_send(parcels: list[Shipment], encoding: str, users: Any) -> None:
    result = check_feedback_file(csv_bytes(good_rows(parcels), encoding), parcels[0].courier)
    assert result.counts == {K.DELIVERED: 1, K.REFUSED: 1, K.HELD: 1}
    assert result.problems == []


def test_xlsx_with_a_title_line_and_real_dates(parcels: list[Shipment], users: Any) -> None:
    import datetime

    rows: list[list[Any]] = [[p.tracking_number, None, status, datetime.datetime(2026, 12, 1, 10, n), None]
                             for n, (p, status) in enumerate(zip(parcels, ["签收", "拒收", "退回"], strict=True))]
    applied = apply_feedback_file(xlsx_bytes(rows), parcels[0].courier, actor=users["logistics"])
    assert applied.applied
    assert applied.counts == {K.DELIVERED: 1, K.REFUSED: 1, K.RETURNING: 1}
    assert list(Order.objects.order_by("number").values_list("status", flat=True)) == [
        Status.DELIVERED, Status.REFUSED, Status.SHIPPED]
    assert Shipment.objects.get(pk=parcels[2].pk).status == ShipmentStatus.RETURNING


def test_saved_mapping_names_the_couriers_headers_and_words(parcels: list[Shipment], users: Any) -> None:
    courier = parcels[0].courier
    courier.feedback_columns = {"tracking_number": "条形码", "status": "投递情况", "at": "处理日期",
                                "statuses": {"已投": "delivered", "不要": "refused"}}
    courier.save()
    a, b = parcels[0], parcels[1]
    rows = [[a.tracking_number or "", "已投", "2026-12-01"], [b.tracking_number or "", "客户不要", "2026-12-01"]]
    result = check_feedback_file(csv_bytes(rows, header=["条形码", "投递情况", "处理日期"]), courier)
    assert result.counts == {K.DELIVERED: 1, K.REFUSED: 1}


def test_status_words_longest_first() -> None:
    mapping = Mapping.for_courier(None)
    assert [mapping.kind_of(word) for word in ["拒绝签收", "本人签收", "客户拒收", "未妥投", "delivered", "天气"]] == [
        K.REFUSED, K.DELIVERED, K.REFUSED, K.HELD, K.DELIVERED, None]


def test_dry_run_lists_every_problem_and_writes_nothing(parcels: list[Shipment], users: Any, english: None) -> None:
    a, b, c = parcels
    rows = [
        *good_rows(parcels),
        [a.tracking_number or "", a.order.number, "妥投", "2026-12-01 10:00", ""],  # the same row twice
        ["EMS999999999CN", "", "妥投", "2026-12-01 10:00", ""],
        ["", "", "妥投", "2026-12-01 10:00", ""],
        [c.tracking_number or "", "", "飞走了", "2026-12-01 10:00", ""],
        [c.tracking_number or "", "", "丢失", "昨天", ""],
        [b.tracking_number or "", a.order.number, "退回", "2026-12-01 13:00", ""],
        [a.tracking_number or "", "", "拒收", "2026-12-01 14:00", "晚了"],  # delivered above: conflict
    ]
    before, audit = outcome(), AuditEntry.objects.count()
    result = check_feedback_file(csv_bytes(rows), a.courier)
    assert outcome() == before and AuditEntry.objects.count() == audit
    assert [(p.line, p.kind, p.message) for p in sorted(result.problems, key=lambda p: p.line)] == [
        (5, Problem.DUPLICATE, "The same event as line 2."),
        (6, Problem.UNKNOWN, "No parcel has the tracking number EMS999999999CN."),
        (7, Problem.MALFORMED, "The tracking number is empty."),
        (8, Problem.MALFORMED, "Unknown status “飞走了”."),
        (9, Problem.MALFORMED, "“昨天” is not a date (use YYYY-MM-DD)."),
        (10, Problem.MISMATCH, f"Tracking number {b.tracking_number} belongs to order {b.order.number}, "
                               f"not {a.order.number}."),
        (11, Problem.CONFLICT, f"Parcel {a.tracking_number} is Delivered: “Refused” cannot follow."),
    ]
    assert result.total == 10
    assert result.counts == {K.DELIVERED: 1, K.REFUSED: 1, K.HELD: 1}


def test_apply_all_refuses_a_file_with_problems_then_good_rows_apply(parcels: list[Shipment], users: Any) -> None:
    rows = [*good_rows(parcels), ["EMS999999999CN", "", "妥投", "2026-12-01 10:00", ""]]
    before = outcome()
    refused = apply_feedback_file(csv_bytes(rows), parcels[0].courier, actor=users["logistics"])
    assert not refused.applied and outcome() == before
    applied = apply_feedback_file(csv_bytes(rows), parcels[0].courier, actor=users["logistics"], good_rows=True)
    assert applied.applied and ShipmentEvent.objects.count() == 3
    assert applied.problem_counts == {Problem.UNKNOWN: 1}
    again = apply_feedback_file(csv_bytes(rows), parcels[0].courier, actor=users["logistics"], good_rows=True)
    assert again.good == 0 and again.problem_counts == {Problem.RECORDED: 3, Problem.UNKNOWN: 1}


# ---------------------------------------------------------------- files that cannot be read


def refused_file(upload: io.BytesIO, courier: Courier | None = None) -> str:
    before = outcome()
    with pytest.raises(FeedbackFileError) as caught:
        check_feedback_file(upload, courier)
    assert outcome() == before
    return caught.value.message


def test_missing_columns_named_with_the_headers_found(ems: Courier, english: None) -> None:
    message = refused_file(csv_bytes([["EMS000000001CN", "2026-12-01"]], header=["邮件号", "日期", "收件人"]))
    assert message == "Missing column: status（状态）. Columns found: 邮件号、日期、收件人."


def test_no_header_at_all(ems: Courier, english: None) -> None:
    message = refused_file(csv_bytes([["a", "b"]], header=["收件人", "电话"]))
    assert message == ("No header row found: the file must have columns for tracking number（邮件号）、status（状态）、"
                       "time（时间）. Columns found: 收件人、电话.")


def test_binary_garbage(ems: Courier, english: None) -> None:
    assert refused_file(io.BytesIO(bytes(range(256)) * 10)) == (
        "The file is neither an Excel .xlsx workbook nor a CSV text file.")


def test_text_in_no_known_encoding(ems: Courier, english: None) -> None:
    assert refused_file(io.BytesIO(b"\xa0\xa1" + "邮件号".encode() + b"\x81\x30\xff")) == (
        "The CSV file is neither UTF-8 nor GBK/GB18030 text.")


def test_a_zip_that_is_not_a_workbook(ems: Courier, english: None) -> None:
    assert refused_file(io.BytesIO(b"PK\x03\x04" + b"\x00" * 100)) == (
        "The file is not an Excel .xlsx workbook (save it as .xlsx and try again).")


def test_empty_file(ems: Courier, english: None) -> None:
    assert refused_file(io.BytesIO(b"")) == "The file is empty."
    assert refused_file(io.BytesIO(b"\r\n \r\n")) == "The file is empty."


def test_header_without_rows_dry_runs_to_nothing(ems: Courier) -> None:
    result = check_feedback_file(csv_bytes([]), ems)
    assert (result.total, result.good, result.problems) == (0, 0, [])


class _Counting(io.BytesIO):
    """Counts the bytes read, to show that a file over the limit is not read further."""

    read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def test_file_over_10_mb_is_refused_unread(ems: Courier, english: None) -> None:
    upload = _Counting(b"x" * (MAX_BYTES * 2))
    assert refused_file(upload) == "The file is larger than 10 MB; split it into smaller files."
    assert upload.read_bytes == MAX_BYTES + 1


def test_file_of_exactly_10_mb_is_read(parcels: list[Shipment]) -> None:
    head = csv_bytes(good_rows(parcels)).getvalue()
    padding = b"\r\n" * ((MAX_BYTES - len(head)) // 2)
    result = check_feedback_file(io.BytesIO(head + padding), parcels[0].courier)
    assert result.good == 3


def test_errors_in_chinese(ems: Courier) -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        message = refused_file(csv_bytes([["EMS000000001CN"]], header=["邮件号", "收件人"]))
    assert message == "缺少列：状态、时间。找到的列：邮件号、收件人。"


def test_progress_is_reported_per_chunk(parcels: list[Shipment]) -> None:
    seen: list[tuple[int, int]] = []
    check_feedback_file(csv_bytes(good_rows(parcels)), parcels[0].courier, progress=lambda *done: seen.append(done))
    assert seen == [(3, 4)]  # 3 rows checked of about 4 lines (the header counts in the estimate)


def test_a_cell_too_big_for_csv_is_a_file_error(ems: Courier, english: None) -> None:
    upload = io.BytesIO(("邮件号,状态,时间\r\nEMS000000001CN,妥投,\"" + "x" * 200_000 + "\"\r\n").encode())
    with pytest.raises(FeedbackFileError) as caught:
        check_feedback_file(upload, ems)
    assert caught.value.message.startswith("The CSV file cannot be read: field larger than field limit")


def test_a_long_tracking_number_is_an_unreadable_row(ems: Courier, english: None) -> None:
    result = check_feedback_file(csv_bytes([["E" * 100, "", "妥投", "2026-12-01", ""]]), ems)
    assert [(p.kind, p.tracking_number) for p in result.problems] == [(Problem.MALFORMED, "E" * 40)]


def test_a_file_error_after_good_rows_leaves_nothing_applied(parcels: list[Shipment], users: Any) -> None:
    head = csv_bytes(good_rows(parcels)).getvalue()
    upload = io.BytesIO(head + ("EMS000000001CN,,妥投,\"" + "x" * 200_000 + "\"\r\n").encode())
    before = outcome()
    with pytest.raises(FeedbackFileError):
        apply_feedback_file(upload, parcels[0].courier, actor=users["logistics"], good_rows=True)
    assert outcome() == before


def test_progress_of_a_workbook_counts_its_rows(parcels: list[Shipment]) -> None:
    import datetime

    seen: list[tuple[int, int]] = []
    rows: list[list[Any]] = [[p.tracking_number, None, "签收", datetime.datetime(2026, 12, 1, 10), None]
                             for p in parcels]
    check_feedback_file(xlsx_bytes(rows), parcels[0].courier, progress=lambda *done: seen.append(done))
    assert seen == [(3, 5)]  # the title line and the header are rows of the sheet too

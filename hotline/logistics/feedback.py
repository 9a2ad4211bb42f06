"""Courier feedback files (物流反馈): reading .xlsx and CSV (UTF-8 with or without BOM, or GBK/GB18030 as
Chinese couriers send them) row by row, with the courier's column mapping, into tracking events.

A file is read as a stream: rows become `FeedbackEvent`s one at a time and go to the checker or the apply in
chunks, so a 100,000-row file never sits in memory as rows. Files over `MAX_BYTES` are refused before they
are read. A row that cannot be read (no tracking number, a status or a time that means nothing) is a
"malformed" problem on its line; a file that cannot be read at all is a `FeedbackFileError`.

The mapping (`Courier.feedback_columns`) names the courier's headers and its status words:
`{"tracking_number": "邮件号", "order_number": "订单号", "status": "状态", "at": "时间", "reason": "备注",
"statuses": {"妥投": "delivered", "拒收": "refused"}}`; what it leaves out falls back to `DEFAULT_HEADERS`
and `DEFAULT_STATUSES`, which cover the usual Chinese headers and words.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.lib.xlsx.cells import is_blank, parse_date, parse_datetime, parse_text
from hotline.lib.xlsx.tables import HEADER_SEARCH_ROWS, normalize_header
from hotline.logistics.actions.feedback import (
    DETAIL_LENGTH,
    FeedbackEvent,
    FeedbackResult,
    Issue,
    Problem,
    check_feedback,
    do_apply_feedback,
)
from hotline.logistics.actions.shipping import normal_tracking_number
from hotline.logistics.models import Courier, EventKind, EventSource

MAX_BYTES = 10 * 1024 * 1024
CSV_ENCODINGS = ("utf-8-sig", "gb18030")

# key -> (what the column holds, in words; header spellings accepted without a saved mapping)
DEFAULT_HEADERS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "tracking_number": (gettext_lazy("tracking number"), (
        "邮件号", "运单号", "快递单号", "单号", "邮件条码", "条码", "运单编号", "面单号", "tracking number",
        "waybill")),
    "order_number": (gettext_lazy("order number"), ("订单号", "订单编号", "客户订单号", "order number", "order")),
    "status": (gettext_lazy("status"), ("状态", "投递状态", "派送状态", "投递结果", "处理结果", "结果", "status",
                                          "event")),
    "at": (gettext_lazy("time"), ("时间", "投递时间", "签收时间", "处理时间", "反馈时间", "日期", "time", "date",
                                  "at")),
    "reason": (gettext_lazy("reason"), ("备注", "原因", "拒收原因", "未妥投原因", "说明", "reason", "note", "detail")),
}
REQUIRED = ("tracking_number", "status", "at")

K = EventKind
DEFAULT_STATUSES: dict[str, str] = {
    "签收": K.DELIVERED, "已签收": K.DELIVERED, "妥投": K.DELIVERED, "已妥投": K.DELIVERED, "投递成功": K.DELIVERED,
    "本人签收": K.DELIVERED, "他人代收": K.DELIVERED, "代收": K.DELIVERED,
    "拒收": K.REFUSED, "拒签": K.REFUSED, "拒绝签收": K.REFUSED, "客户拒收": K.REFUSED,
    "退回": K.RETURNING, "退件": K.RETURNING, "退回中": K.RETURNING, "已退回": K.RETURNED, "退回妥投": K.RETURNED,
    "丢失": K.LOST, "遗失": K.LOST, "滞留": K.HELD, "问题件": K.HELD, "未妥投": K.HELD,
    "改地址": K.ADDRESS_CHANGE, "地址变更": K.ADDRESS_CHANGE, "更改地址": K.ADDRESS_CHANGE,
    "揽收": K.PICKED_UP, "已揽收": K.PICKED_UP, "在途": K.IN_TRANSIT, "运输中": K.IN_TRANSIT,
    "派送中": K.OUT_FOR_DELIVERY, "派件": K.OUT_FOR_DELIVERY, "联系不上": K.UNREACHABLE, "电话无人接听": K.UNREACHABLE,
}


class FeedbackFileError(Exception):
    """The file as a whole cannot be read: too big, not a spreadsheet or text, empty, columns missing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Mapping:
    """Where a courier's file keeps each value, and what its status words mean."""

    headers: dict[str, list[str]] = field(default_factory=dict)  # key -> header spellings, preferred first
    statuses: dict[str, str] = field(default_factory=dict)  # normalised word -> EventKind value

    @classmethod
    def for_courier(cls, courier: Courier | None) -> Mapping:
        saved = dict(courier.feedback_columns or {}) if courier is not None else {}
        headers = {}
        for key, (_label, defaults) in DEFAULT_HEADERS.items():
            own = saved.get(key) or []
            headers[key] = [normalize_header(name) for name in ([own] if isinstance(own, str) else own)]
            headers[key] += [normalize_header(name) for name in defaults]
        statuses = {normalize_header(word): kind for word, kind in DEFAULT_STATUSES.items()}
        statuses.update({normalize_header(kind): kind for kind in K.values})
        statuses.update({normalize_header(word): kind for word, kind in (saved.get("statuses") or {}).items()
                         if kind in K.values})
        # longest words first, so that 拒绝签收 is found in a cell before 签收 is
        return cls(headers, dict(sorted(statuses.items(), key=lambda item: -len(item[0]))))

    def kind_of(self, word: str) -> str | None:
        """The event a status cell means: the word itself, else the longest known word it contains."""
        text = normalize_header(word)
        if text in self.statuses:
            return self.statuses[text]
        return next((kind for known, kind in self.statuses.items() if known and known in text), None)


# ---------------------------------------------------------------- the file as rows of cells


def _check_size(upload: IO[bytes]) -> bytes:
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FeedbackFileError(_("The file is larger than %(mb)d MB; split it into smaller files.")
                                % {"mb": MAX_BYTES // (1024 * 1024)})
    if not data.strip():
        raise FeedbackFileError(_("The file is empty."))
    return data


def raw_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    """Rows of cells of an .xlsx workbook (first sheet) or a CSV text, told apart by their content."""
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data)
    if b"\x00" in data[:4096]:
        raise FeedbackFileError(_("The file is neither an Excel .xlsx workbook nor a CSV text file."))
    encoding = next((name for name in CSV_ENCODINGS if _decodes(data, name)), None)
    if encoding is None:
        raise FeedbackFileError(_("The CSV file is neither UTF-8 nor GBK/GB18030 text."))
    return _csv_rows(io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline=""))


def _csv_rows(text: IO[str]) -> Iterator[tuple[Any, ...]]:
    try:
        for row in csv.reader(text):
            yield tuple(row)
    except csv.Error as exc:  # a cell over the csv module's size limit, a NUL character in the text
        raise FeedbackFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether the whole file is text in `encoding`, decoded a piece at a time so that the text of a 10 MB
    file is never held at once (the rows are decoded again as they are read)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), 1 << 16):
            decoder.decode(data[start:start + (1 << 16)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError) as exc:
        raise FeedbackFileError(_("The file is not an Excel .xlsx workbook (save it as .xlsx and try again).")) from exc
    sheet.reset_dimensions()  # some writers record a wrong sheet size; read what is really there
    return sheet.iter_rows(values_only=True)  # type: ignore[no-any-return]


def _xlsx_size(data: bytes) -> int:
    """The rows the workbook says its first sheet has (for the progress bar only: writers may be wrong)."""
    from openpyxl import load_workbook

    return int(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].max_row or 0)


def _header(rows: Iterator[tuple[Any, ...]], mapping: Mapping) -> tuple[int, dict[str, int]]:
    """The header row's number and the column of each key found in it."""
    seen: list[str] = []
    for number, cells in enumerate(rows, start=1):
        names = [normalize_header(cell) for cell in cells]
        found = {}
        for key, spellings in mapping.headers.items():
            index = next((names.index(name) for name in spellings if name and name in names), None)
            if index is not None:
                found[key] = index
        if found:
            _check_required(found, cells)
            return number, found
        seen = seen or [str(cell) for cell in cells if not is_blank(cell)]
        if number >= HEADER_SEARCH_ROWS:
            break
    if not seen:
        raise FeedbackFileError(_("The file has no rows."))
    raise FeedbackFileError(_("No header row found: the file must have columns for %(names)s. Columns found: "
                              "%(found)s.") % {"names": _names(REQUIRED), "found": "、".join(seen[:20])})


def _check_required(found: dict[str, int], cells: tuple[Any, ...]) -> None:
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        headers = "、".join(str(cell) for cell in cells if not is_blank(cell))
        raise FeedbackFileError(_("Missing column: %(names)s. Columns found: %(found)s.")
                                % {"names": _names(missing), "found": headers})


def _names(keys: tuple[str, ...] | list[str]) -> str:
    """The columns in words, each with its usual Chinese header when the words are not that already."""
    names = []
    for key in keys:
        label, header = str(DEFAULT_HEADERS[key][0]), DEFAULT_HEADERS[key][1][0]
        names.append(label if label == header else f"{label}（{header}）")
    return "、".join(names)


def check_columns(upload: IO[bytes], courier: Courier | None) -> None:
    """Refuse at once (FeedbackFileError) a file that is too big, unreadable, empty or without its columns;
    the upload form calls this before the dry run is queued. Reads the file once, the rows not at all."""
    _header(raw_rows(_check_size(upload)), Mapping.for_courier(courier))


# ---------------------------------------------------------------- rows as events


@dataclass
class FeedbackFile:
    """A feedback file opened for reading: `events()` streams its good rows as events and reports the
    malformed ones to `result`; `rows` estimates the data rows (for a progress bar)."""

    data: bytes
    mapping: Mapping
    result: FeedbackResult
    rows: int = 0

    @classmethod
    def open(cls, upload: IO[bytes], courier: Courier | None, result: FeedbackResult) -> FeedbackFile:
        data = _check_size(upload)
        opened = cls(data, Mapping.for_courier(courier), result)
        rows = raw_rows(data)
        _number, _columns = _header(rows, opened.mapping)  # refuse a file without its columns at once
        opened.rows = _xlsx_size(data) if data[:4] == b"PK\x03\x04" else data.count(b"\n")
        return opened

    def events(self) -> Iterator[FeedbackEvent]:
        rows = raw_rows(self.data)
        start, columns = _header(rows, self.mapping)
        for number, cells in enumerate(rows, start=start + 1):
            if all(is_blank(cell) for cell in cells):
                continue
            try:
                yield _event(number, cells, columns, self.mapping)
            except ValidationError as exc:
                tracking = str(_cell(cells, columns.get("tracking_number")) or "").strip()[:40]
                self.result.total += 1
                self.result.add_problem(Issue(number, tracking, Problem.MALFORMED,
                                              " ".join(exc.messages)))


def _cell(cells: tuple[Any, ...], index: int | None) -> Any:
    return cells[index] if index is not None and index < len(cells) else None


def _event(number: int, cells: tuple[Any, ...], columns: dict[str, int], mapping: Mapping) -> FeedbackEvent:
    tracking = parse_text(_cell(cells, columns["tracking_number"]), 60)
    if not tracking:
        raise ValidationError(_("The tracking number is empty."))
    word = parse_text(_cell(cells, columns["status"]), 100)
    kind = mapping.kind_of(word) if word else None
    if kind is None:
        raise ValidationError(_("Unknown status “%(status)s”.") % {"status": word})
    return FeedbackEvent(line=number, tracking_number=normal_tracking_number(tracking), kind=kind,
                         at=_time(_cell(cells, columns["at"])),
                         detail=parse_text(_cell(cells, columns.get("reason")), 1000)[:DETAIL_LENGTH],
                         order_number=parse_text(_cell(cells, columns.get("order_number")), 40).upper())


def _time(value: Any) -> Any:
    if is_blank(value):
        raise ValidationError(_("The time is empty."))
    try:
        at = parse_datetime(value)
    except ValidationError:
        day = parse_date(value)  # a date alone is the start of that day
        at = parse_datetime(f"{day:%Y-%m-%d} 00:00")
    return at


# ---------------------------------------------------------------- dry run and apply


Progress = Callable[[int, int], None]


def _counting(file: FeedbackFile, progress: Progress | None) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress(done, max(done, file.rows))


def check_feedback_file(upload: IO[bytes], courier: Courier | None, *,
                        progress: Progress | None = None) -> FeedbackResult:
    """The dry run of a feedback file: what it would change and every problem; nothing is written.
    Raises FeedbackFileError for a file that cannot be read at all."""
    result = FeedbackResult()
    file = FeedbackFile.open(upload, courier, result)
    return check_feedback(file.events(), courier=courier, progress=_counting(file, progress), result=result)


def apply_feedback_file(upload: IO[bytes], courier: Courier | None, *, actor: Any, good_rows: bool = False,
                        progress: Progress | None = None,
                        before_commit: Callable[[FeedbackResult], None] | None = None) -> FeedbackResult:
    """Apply a feedback file in one transaction: every row, or only the good rows (`good_rows`)."""
    result = FeedbackResult()
    file = FeedbackFile.open(upload, courier, result)
    return do_apply_feedback(file.events(), actor=actor, source=EventSource.IMPORT, courier=courier,
                             good_rows=good_rows, progress=_counting(file, progress), result=result,
                             before_commit=before_commit)

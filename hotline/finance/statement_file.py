"""A courier's COD remittance statement (回款对账单), read from .xlsx or CSV (UTF-8, UTF-8 with BOM, or
GBK/GB18030) into checked lines: tracking number and/or order number, amount collected at the door, the
courier's COD fee and the net it paid us.

The columns are found by the courier's saved mapping (`CourierColumns.remittance`, e.g.
`{"tracking_number": "邮件号", "collected": "代收款"}`) and otherwise by the usual Chinese headers in
`REMITTANCE_KEYS`. A total row (合计/总计/小计) gives the statement's own total. Nothing here writes: a file
with any bad line is refused as a whole with every bad line listed (`StatementFileError.problems`), so the
clerk corrects the file and no half of it is ever applied.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.lib.money import CENT, ZERO
from hotline.lib.xlsx.cells import is_blank, parse_amount, parse_decimal, parse_text
from hotline.lib.xlsx.tables import HEADER_SEARCH_ROWS, normalize_header
from hotline.logistics.feedback import FeedbackFileError, raw_rows
from hotline.logistics.models import Courier

MAX_BYTES = 10 * 1024 * 1024
NUMBER_LENGTH = 40  # RemittanceLine.tracking_number / order_number
TOTAL_WORDS = ("合计", "总计", "小计", "total")
_TOTAL = re.compile("|".join(TOTAL_WORDS), re.IGNORECASE)
_PLAIN_AMOUNT = re.compile(r"\d{1,12}(?:\.\d{1,2})?")
STATEMENT_NUMBER_WORDS = ("结算单号", "对账单号", "回款单号", "账单号", "单据号", "单据编号", "批次号",
                          "statement number", "statement no")

# key -> (what the column holds, in words; header spellings accepted without a saved mapping)
REMITTANCE_KEYS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "tracking_number": (gettext_lazy("tracking number"), (
        "邮件号", "运单号", "快递单号", "单号", "邮件条码", "条码", "运单编号", "面单号", "tracking number",
        "waybill")),
    "order_number": (gettext_lazy("order number"), (
        "订单号", "订单编号", "客户订单号", "商户订单号", "order number")),
    "collected": (gettext_lazy("amount collected"), (
        "代收金额", "代收货款", "代收款", "应收金额", "实收金额", "COD金额", "代收货款金额", "货款", "collected",
        "cod amount")),
    "fee": (gettext_lazy("COD fee"), ("手续费", "代收手续费", "服务费", "代收服务费", "手续费金额", "fee",
                                      "cod fee")),
    "net": (gettext_lazy("net paid"), ("实付金额", "应付金额", "结算金额", "净额", "回款金额", "实际回款",
                                       "应结金额", "net", "net paid")),
}


class StatementFileError(Exception):
    """A statement that cannot be used: unreadable, without its columns, or with bad lines (`problems`
    lists each as (line number, message)); nothing of it is imported."""

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass
class StatementLine:
    """One parcel's line: numbers normalised (tracking number half-width capitals without spaces, order
    number in capitals); `net` is what the courier paid for it (collected − fee)."""

    line: int
    tracking_number: str
    order_number: str
    collected: Decimal
    fee: Decimal
    net: Decimal


@dataclass
class StatementFile:
    """The statement's lines, the total it states itself (None without a total row), its header row as
    written, and the statement number when the file names one above the header."""

    lines: list[StatementLine]
    stated_total: Decimal | None
    headers: list[str]
    number: str = ""

    @property
    def net_total(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)


@dataclass
class _Header:
    """Where the header row is and which column holds each key."""

    row: int
    columns: dict[str, int]
    cells: list[str]
    above: list[tuple[Any, ...]] = field(default_factory=list)  # the rows above it (title, number, period)


# ---------------------------------------------------------------- public entry points


def read_statement(data: bytes, courier: Courier | None) -> StatementFile:
    """Every line of the statement, checked; raises StatementFileError for a file or any line that is bad."""
    rows = _rows(_check_size(data))
    header = _find_header(rows, _spellings(courier))
    lines, totals, problems = _read_lines(rows, header)
    if problems:
        raise StatementFileError(_("%(count)d lines of the statement are wrong; nothing was imported. Correct "
                                   "them in the file and upload it again.") % {"count": len(problems)}, problems)
    if not lines:
        raise StatementFileError(_("The statement has no lines under its header row."))
    stated = _stated_total(lines, totals)
    return StatementFile(lines=lines, stated_total=stated, headers=header.cells, number=_number(header.above))


def check_statement_columns(data: bytes, courier: Courier | None) -> None:
    """Refuse at once a file that is too big, unreadable, empty or without its columns (the upload form
    calls this before the dry run is queued); the lines are not read."""
    _find_header(_rows(_check_size(data)), _spellings(courier))


def file_headers(data: bytes) -> list[str]:
    """The header row's cells as written (for the form that maps a new courier's columns): the first row
    that has two known headers, else the fullest of the first rows."""
    rows = _rows(_check_size(data))
    fullest: list[str] = []
    for number, cells in enumerate(rows, start=1):
        names = [parse_text(cell, 200) for cell in cells if not is_blank(cell)]
        if len(_match_columns(cells, _spellings(None))) >= 2:
            return names
        if len(names) > len(fullest):
            fullest = names
        if number >= HEADER_SEARCH_ROWS:
            break
    if not fullest:
        raise StatementFileError(_("The file has no rows."))
    return fullest


def detected_columns(data: bytes, courier: Courier | None) -> dict[str, str]:
    """key -> the header the reader would use for it (to pre-fill the mapping form); raises like
    `check_statement_columns`."""
    header = _find_header(_rows(_check_size(data)), _spellings(courier))
    return {key: header.cells[index] for key, index in header.columns.items() if index < len(header.cells)}


# ---------------------------------------------------------------- the file as rows


def _check_size(data: bytes) -> bytes:
    if len(data) > MAX_BYTES:
        raise StatementFileError(_("The file is larger than %(mb)d MB; split the statement into smaller files.")
                                 % {"mb": MAX_BYTES // (1024 * 1024)})
    if not data.strip():
        raise StatementFileError(_("The file is empty."))
    return data


def _rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    """The logistics reader's rows (xlsx or CSV in any of the encodings), its errors as ours."""
    try:
        yield from raw_rows(data)
    except FeedbackFileError as exc:
        raise StatementFileError(exc.message) from exc


def _spellings(courier: Courier | None) -> list[tuple[str, list[str]]]:
    """(key, normalised header spellings) pairs: the courier's saved headers for all keys first, so that a
    saved header wins over another key's default spelling, then the defaults."""
    columns = getattr(courier, "finance_columns", None) if courier is not None else None
    saved = dict(columns.remittance or {}) if columns is not None else {}
    pairs = []
    for key in REMITTANCE_KEYS:
        own = saved.get(key) or []
        pairs.append((key, [normalize_header(name) for name in ([own] if isinstance(own, str) else own) if name]))
    pairs += [(key, [normalize_header(name) for name in defaults]) for key, (_l, defaults) in REMITTANCE_KEYS.items()]
    return pairs


def _match_columns(cells: tuple[Any, ...], spellings: list[tuple[str, list[str]]]) -> dict[str, int]:
    names = [normalize_header(cell) for cell in cells]
    found: dict[str, int] = {}
    for key, options in spellings:
        if key in found:
            continue
        index = next((names.index(name) for name in options if name and name in names
                      and names.index(name) not in found.values()), None)
        if index is not None:
            found[key] = index
    return found


def _find_header(rows: Iterator[tuple[Any, ...]], spellings: list[tuple[str, list[str]]]) -> _Header:
    """The first row naming two of the columns; a row naming one is reported with what it lacks."""
    above: list[tuple[Any, ...]] = []
    partial: tuple[tuple[Any, ...], dict[str, int]] | None = None
    for number, cells in enumerate(rows, start=1):
        found = _match_columns(cells, spellings)
        if len(found) >= 2:
            _check_required(found, cells)
            return _Header(number, found, [parse_text(cell, 200) for cell in cells], above)
        if found and partial is None:
            partial = (cells, found)
        above.append(cells)
        if number >= HEADER_SEARCH_ROWS:
            break
    if partial is not None:
        _check_required(partial[1], partial[0])
    seen = max(([str(cell) for cell in cells if not is_blank(cell)] for cells in above), key=len, default=[])
    if not seen:
        raise StatementFileError(_("The file has no rows."))
    raise StatementFileError(_("No header row found: the statement must have columns for %(names)s. Columns "
                               "found: %(found)s. Map this courier's columns once, or rename them.")
                             % {"names": _names(["tracking_number", "collected"]), "found": "、".join(seen[:20])})


def _check_required(found: dict[str, int], cells: tuple[Any, ...]) -> None:
    missing = [] if "tracking_number" in found or "order_number" in found else [
        _("%(tracking)s or %(order)s") % {"tracking": _names(["tracking_number"]), "order": _names(["order_number"])}]
    if "collected" not in found:
        missing.append(_names(["collected"]))
    if missing:
        headers = "、".join(str(cell) for cell in cells if not is_blank(cell))
        raise StatementFileError(_("Missing column: %(names)s. Columns found: %(found)s. Map this courier's "
                                   "columns once, or rename them.") % {"names": "、".join(missing), "found": headers})


def _names(keys: list[str]) -> str:
    """The columns in words, each with its usual Chinese header when the words are not that already."""
    names = []
    for key in keys:
        label, header = str(REMITTANCE_KEYS[key][0]), REMITTANCE_KEYS[key][1][0]
        names.append(label if label == header else f"{label}（{header}）")
    return "、".join(names)


# ---------------------------------------------------------------- rows as lines


def _cell(cells: tuple[Any, ...], index: int | None) -> Any:
    return cells[index] if index is not None and index < len(cells) else None


def _is_total(cells: tuple[Any, ...], columns: dict[str, int]) -> bool:
    for value in (_cell(cells, columns.get("tracking_number")), _cell(cells, columns.get("order_number")),
                  cells[0] if cells else None):
        if isinstance(value, str) and _TOTAL.search(value):
            return True
    return False


def _read_lines(rows: Iterator[tuple[Any, ...]], header: _Header) -> tuple[
        list[StatementLine], list[tuple[int, Decimal]], list[tuple[int, str]]]:
    """The lines, the total rows (line, amount) and the problems (line, message)."""
    lines: list[StatementLine] = []
    totals: list[tuple[int, Decimal]] = []
    problems: list[tuple[int, str]] = []
    columns = header.columns
    money_columns = [columns.get(key) for key in ("collected", "fee", "net")]
    for number, cells in enumerate(rows, start=header.row + 1):
        if all(is_blank(cell) for cell in cells):
            continue
        if totals and all(is_blank(_cell(cells, index)) for index in money_columns):
            continue  # a footer under the total (制表人, 日期): not a line
        try:
            if _is_total(cells, columns):
                totals.append((number, _total(cells, columns)))
            else:
                lines.append(_line(number, cells, columns))
        except ValidationError as exc:
            problems.append((number, " ".join(exc.messages)))
    return lines, totals, problems


def _line(number: int, cells: tuple[Any, ...], columns: dict[str, int]) -> StatementLine:
    tracking = _number_cell(cells, columns.get("tracking_number"), "tracking_number")
    order = _number_cell(cells, columns.get("order_number"), "order_number")
    if not tracking and not order:
        raise ValidationError(_("The line has neither a tracking number nor an order number."))
    collected, fee, net = _amounts(cells, columns)
    return StatementLine(line=number, tracking_number=tracking, order_number=order, collected=collected, fee=fee,
                         net=net)


def _number_cell(cells: tuple[Any, ...], index: int | None, key: str) -> str:
    text = parse_text(_cell(cells, index), 200)
    text = "".join((text if text.isascii() else unicodedata.normalize("NFKC", text)).split()).upper()
    if len(text) > NUMBER_LENGTH:
        raise ValidationError(_("%(column)s: “%(value)s” is longer than %(max)d characters.")
                              % {"column": REMITTANCE_KEYS[key][0], "value": text[:50], "max": NUMBER_LENGTH})
    return text


def _amounts(cells: tuple[Any, ...], columns: dict[str, int]) -> tuple[Decimal, Decimal, Decimal]:
    """(collected, fee, net) of a row: collected required, fee 0 when absent, net = collected − fee."""
    collected = _amount(cells, columns, "collected")
    if collected is None:
        raise ValidationError(_("The amount collected is empty."))
    fee = _amount(cells, columns, "fee") or ZERO
    net = _amount(cells, columns, "net", signed=collected < fee)
    if net is None:
        return collected, fee, collected - fee
    if net != collected - fee:
        raise ValidationError(_("The net paid ¥%(net)s is not the amount collected ¥%(collected)s less the COD fee "
                                "¥%(fee)s (¥%(expected)s).")
                              % {"net": net, "collected": collected, "fee": fee, "expected": collected - fee})
    return collected, fee, net


def _total(cells: tuple[Any, ...], columns: dict[str, int]) -> Decimal:
    """A total row's amount: its net cell, else its collected less its fee."""
    net = _amount(cells, columns, "net")
    return net if net is not None else _amounts(cells, columns)[2]


def _amount(cells: tuple[Any, ...], columns: dict[str, int], key: str, signed: bool = False) -> Decimal | None:
    """A money cell; `signed` lets a net go below zero (a fee larger than a tiny amount collected)."""
    value = _cell(cells, columns.get(key))
    if isinstance(value, str) and _PLAIN_AMOUNT.fullmatch(value):
        return Decimal(value).quantize(CENT)  # the common case, without the general parser's work
    try:
        number = parse_decimal(value) if signed else None
        if number is not None and number < 0:
            return -(parse_amount(-number) or ZERO)
        return parse_amount(value)
    except ValidationError as exc:
        raise ValidationError(f"{REMITTANCE_KEYS[key][0]}: {' '.join(exc.messages)}") from None


def _stated_total(lines: list[StatementLine], totals: list[tuple[int, Decimal]]) -> Decimal | None:
    """The statement's own total: the largest total row (a grand total under page subtotals), which must be
    the sum of the lines' net amounts."""
    if not totals:
        return None
    line, stated = max(totals, key=lambda total: total[1])
    net_total = sum((each.net for each in lines), ZERO)
    if stated != net_total:
        message = (_("The statement's total ¥%(stated)s is not the sum of its lines' net amounts ¥%(sum)s "
                     "(difference ¥%(difference)s); nothing was imported. Ask the courier for a corrected "
                     "statement.") % {"stated": stated, "sum": net_total, "difference": stated - net_total})
        raise StatementFileError(message, [(line, message)])
    return stated


def _number(rows: list[tuple[Any, ...]]) -> str:
    """The statement number written above the header (结算单号：…, or the label and the number in two cells)."""
    for cells in rows:
        texts = [parse_text(cell, 200) for cell in cells]
        for index, text in enumerate(texts):
            label = normalize_header(text)
            word = next((w for w in STATEMENT_NUMBER_WORDS if label.startswith(normalize_header(w))), None)
            if word is None:
                continue
            rest = text.split("：", 1)[-1] if "：" in text else text.split(":", 1)[-1] if ":" in text else ""
            rest = rest.strip() or next((t for t in texts[index + 1:] if t), "")
            return rest[:NUMBER_LENGTH]
    return ""

"""Courier freight bills (运费账单): reading the courier's file, and setting each of its lines against the
freight Hotline computed for the parcel.

The comparison rule (also in docs/finance.md):

- A line bills one **leg** of a parcel: the outbound leg (正向), the return leg (退回, a refused or returned
  parcel sent back to us), or, when the bill has no kind column or the cell is blank, the **whole** parcel.
- Hotline's figure for the outbound leg is `Shipment.freight`; for the return leg it is the return freight
  of a parcel that came back (refused, returning or returned): the `return_freight` recorded when the goods
  were received, or while they are still on the way back, the courier's rule (freight × return freight %,
  what receiving the return would record by default). A parcel that did not come back has no return leg:
  ¥0. A whole-parcel line is the outbound leg plus, for a parcel that came back, the return leg.
- A line is **unknown** when no parcel has its tracking number or the parcel is another courier's; it is a
  **duplicate** when every leg it bills was already billed — by an earlier line of this bill or by an
  earlier bill of this courier. A line that bills some legs again and some for the first time is set
  against the new legs only (so the legs billed again show as the difference). Otherwise it **agrees**
  when billed == computed to the fen, else it **differs**.
- Totals: billed (every line), computed (Hotline's figure of every line; ¥0 for unknown and duplicate
  lines) and difference = computed − billed, negative when the courier billed more than Hotline computed.
  Each non-agreeing line's own difference is its open item, so the open items add up to the difference.

`compare_freight` is pure (no I/O); `load_parcels` is its database side.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from hotline.finance.models import CourierColumns, FreightBillLine, FreightOutcome
from hotline.lib.money import ZERO, yuan
from hotline.lib.xlsx.cells import is_blank, parse_amount, parse_decimal, parse_text
from hotline.lib.xlsx.tables import HEADER_SEARCH_ROWS, normalize_header
from hotline.logistics.actions.shipping import normal_tracking_number
from hotline.logistics.feedback import FeedbackFileError, _check_size, _xlsx_size, raw_rows
from hotline.logistics.models import Courier, Shipment, ShipmentStatus

FORWARD, RETURN, WHOLE = "forward", "return", ""
LEG_LABELS = {FORWARD: pgettext_lazy("freight leg", "outbound"), RETURN: pgettext_lazy("freight leg", "return"),
              WHOLE: pgettext_lazy("freight leg", "whole parcel")}
CAME_BACK = frozenset({ShipmentStatus.REFUSED, ShipmentStatus.RETURNING, ShipmentStatus.RETURNED})
CHUNK = 5000  # tracking numbers per query
MAX_PROBLEMS = 200  # bad lines listed in an error (the count says how many there are)

# key -> (what the column holds, in words; header spellings accepted without a saved mapping, preferred first)
DEFAULT_HEADERS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "tracking_number": (gettext_lazy("tracking number"), (
        "邮件号", "运单号", "快递单号", "单号", "邮件条码", "条码", "运单编号", "面单号", "tracking number",
        "waybill")),
    "billed": (gettext_lazy("freight billed"), (
        "运费", "应收运费", "应付运费", "计费金额", "运费金额", "结算运费", "总运费", "费用", "金额", "应收金额",
        "freight", "amount")),
    "weight": (gettext_lazy("weight"), ("重量", "计费重量", "结算重量", "实际重量", "重量(kg)", "weight")),
    "kind": (gettext_lazy("kind"), ("类型", "件类型", "业务类型", "方向", "正逆向", "寄递类型", "kind", "leg")),
}
REQUIRED = ("tracking_number", "billed")
TOTAL_WORDS = ("合计", "总计", "小计", "total")

LEG_WORDS = {  # longest first when looked for inside a cell
    "正向件": FORWARD, "正向": FORWARD, "发件": FORWARD, "寄件": FORWARD, "去程": FORWARD, "出港": FORWARD,
    "发货": FORWARD, "forward": FORWARD, "outbound": FORWARD,
    "退回件": RETURN, "退回": RETURN, "退件": RETURN, "逆向件": RETURN, "逆向": RETURN, "返程": RETURN, "回程": RETURN,
    "退货": RETURN, "返回": RETURN, "return": RETURN,
}


class FreightFileError(Exception):
    """The bill cannot be used: unreadable, columns not found (`columns`: the clerk may say which is which),
    or bad lines (`problems`: (line, what is wrong), the first MAX_PROBLEMS of `bad_lines`). Nothing is
    written."""

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None, bad_lines: int = 0, *,
                 columns: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.bad_lines = bad_lines or len(self.problems)
        self.columns = columns


@dataclass(frozen=True)
class FreightLine:
    """A line of the courier's bill: `line` is its row in the file."""

    line: int
    tracking_number: str
    billed: Decimal
    weight: Decimal | None = None
    leg: str = WHOLE


@dataclass
class FreightFile:
    lines: list[FreightLine]
    headers: list[str]
    stated_total: Decimal | None = None


# ---------------------------------------------------------------- the file


def _spellings(courier: Courier | None) -> dict[str, list[str]]:
    """Each column's header spellings: the courier's saved one first (CourierColumns.freight), then ours."""
    saved: dict[str, Any] = {}
    if courier is not None:
        saved = CourierColumns.objects.filter(courier=courier).values_list("freight", flat=True).first() or {}
    spellings = {}
    for key, (_label, defaults) in DEFAULT_HEADERS.items():
        own = saved.get(key) or []
        names = [own] if isinstance(own, str) else list(own)
        spellings[key] = [normalize_header(name) for name in [*names, *defaults]]
    return spellings


def _names(keys: Iterable[str]) -> str:
    """The columns in words, each with its usual Chinese header."""
    return "、".join(f"{DEFAULT_HEADERS[key][0]}（{DEFAULT_HEADERS[key][1][0]}）" for key in keys)


def _header(rows: Iterator[tuple[Any, ...]], spellings: dict[str, list[str]]) -> tuple[int, dict[str, int], list[str]]:
    """The header row's number, the column of each key found in it, and its headers as written."""
    seen: list[str] = []
    for number, cells in enumerate(rows, start=1):
        names = [normalize_header(cell) for cell in cells]
        found = {key: next(names.index(name) for name in options if name and name in names)
                 for key, options in spellings.items() if any(name and name in names for name in options)}
        headers = [str(cell) for cell in cells if not is_blank(cell)]
        if found:
            missing = [key for key in REQUIRED if key not in found]
            if missing:
                raise FreightFileError(_("Missing column: %(names)s. Columns found: %(found)s.")
                                       % {"names": _names(missing), "found": "、".join(headers)}, columns=True)
            return number, found, headers
        seen = seen or headers
        if number >= HEADER_SEARCH_ROWS:
            break
    if not seen:
        raise FreightFileError(_("The file has no rows."))
    raise FreightFileError(_("No header row found: the file must have columns for %(names)s. Columns found: "
                             "%(found)s.") % {"names": _names(REQUIRED), "found": "、".join(seen[:20])}, columns=True)


def _rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    try:
        return raw_rows(_check_size(io.BytesIO(data)))
    except FeedbackFileError as exc:
        raise FreightFileError(exc.message) from exc


def check_freight_columns(data: bytes, courier: Courier | None) -> None:
    """Refuse at once (FreightFileError) a file that is too big, unreadable, empty or without its columns;
    the upload form calls this before the dry run is queued. The lines are not read."""
    _header(_rows(data), _spellings(courier))


def file_headers(data: bytes) -> list[str]:
    """The header row's cells as written (for the form that maps a new courier's columns): the first row with
    a known header, else the fullest of the first rows."""
    known = {name for options in _spellings(None).values() for name in options}
    fullest: list[str] = []
    for number, cells in enumerate(_rows(data), start=1):
        names = [parse_text(cell, 200) for cell in cells if not is_blank(cell)]
        if any(normalize_header(name) in known for name in names):
            return names
        if len(names) > len(fullest):
            fullest = names
        if number >= HEADER_SEARCH_ROWS:
            break
    if not fullest:
        raise FreightFileError(_("The file has no rows."))
    return fullest


def estimated_rows(data: bytes) -> int:
    """About how many rows the file has (for a progress bar only)."""
    return _xlsx_size(data) if data[:4] == b"PK\x03\x04" else data.count(b"\n")


def _cell(cells: tuple[Any, ...], index: int | None) -> Any:
    return cells[index] if index is not None and index < len(cells) else None


def _leg(value: Any) -> str:
    text = normalize_header(parse_text(value, 40))
    if not text:
        return WHOLE
    if text in LEG_WORDS:
        return LEG_WORDS[text]
    for word in sorted(LEG_WORDS, key=len, reverse=True):
        if word in text:
            return LEG_WORDS[word]
    raise ValidationError(_("Unknown kind “%(kind)s”: write 正向 for the outbound leg or 退回 for a return.")
                          % {"kind": parse_text(value, 40)})


def _line(number: int, cells: tuple[Any, ...], columns: dict[str, int]) -> FreightLine:
    tracking = parse_text(_cell(cells, columns["tracking_number"]), 60)
    if not tracking:
        raise ValidationError(_("The tracking number is empty."))
    tracking = normal_tracking_number(tracking)
    billed = parse_amount(_cell(cells, columns["billed"]))
    if billed is None:
        raise ValidationError(_("The freight billed is empty."))
    weight = parse_decimal(_cell(cells, columns.get("weight")))
    if weight is not None and weight < 0:
        raise ValidationError(_("The weight cannot be negative."))
    return FreightLine(number, tracking, billed, weight, _leg(_cell(cells, columns.get("kind"))))


def _total_row(cells: tuple[Any, ...], columns: dict[str, int]) -> bool:
    first = normalize_header(_cell(cells, columns["tracking_number"])) or normalize_header(_cell(cells, 0))
    return any(first.startswith(word) for word in TOTAL_WORDS)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(str(message) for messages in exc.message_dict.values() for message in messages)
    return " ".join(exc.messages)


def read_freight_file(data: bytes, courier: Courier | None, *,
                      progress: Callable[[int, int], None] | None = None) -> FreightFile:
    """Every line of a freight bill (.xlsx, or CSV in UTF-8 with or without BOM, or GBK), with the courier's
    saved columns or the usual headers. A total row (合计/总计) must add up. Any bad line → FreightFileError
    listing the bad lines; nothing is half-read."""
    spellings = _spellings(courier)
    rows = _rows(data)
    start, columns, headers = _header(rows, spellings)
    expected = estimated_rows(data) if progress else 0
    lines: list[FreightLine] = []
    problems: list[tuple[int, str]] = []
    stated: Decimal | None = None
    for number, cells in enumerate(rows, start=start + 1):
        if progress and number % 1000 == 0:
            progress(number, max(number, expected))
        if all(is_blank(cell) for cell in cells):
            continue
        try:
            if _total_row(cells, columns):
                stated = parse_amount(_cell(cells, columns["billed"]))
                continue
            lines.append(_line(number, cells, columns))
        except ValidationError as exc:
            problems.append((number, _messages(exc)))
    _check_read(lines, problems, stated)
    return FreightFile(lines, headers, stated)


def _check_read(lines: list[FreightLine], problems: list[tuple[int, str]], stated: Decimal | None) -> None:
    if problems:
        raise FreightFileError(_("%(count)d lines cannot be read: correct them in the file and upload it again.")
                               % {"count": len(problems)}, problems[:MAX_PROBLEMS], len(problems))
    if not lines:
        raise FreightFileError(_("The file has no freight lines under its header row."))
    total = sum((line.billed for line in lines), ZERO)
    if stated is not None and stated != total:
        raise FreightFileError(_("The bill's total row says ¥%(stated)s but its lines add up to ¥%(total)s: "
                                 "check the file with the courier.") % {"stated": stated, "total": total})


# ---------------------------------------------------------------- the comparison (pure)


@dataclass(frozen=True)
class FreightParcel:
    """What the comparison needs of a parcel; `return_due` is its return leg (¥0 unless it came back)."""

    shipment_id: int
    order_id: int
    order_number: str
    tracking_number: str
    courier_id: int
    freight: Decimal
    return_due: Decimal
    came_back: bool
    weight_kg: Decimal = ZERO

    def legs(self, leg: str) -> frozenset[str]:
        """The legs a line of kind `leg` bills for this parcel."""
        if leg != WHOLE:
            return frozenset({leg})
        return frozenset({FORWARD, RETURN}) if self.came_back else frozenset({FORWARD})

    def amount(self, legs: Iterable[str]) -> Decimal:
        return sum((self.freight if leg == FORWARD else self.return_due for leg in legs), ZERO)


@dataclass
class FreightMatch:
    """A line and what the comparison made of it; `computed` is None for an unknown line."""

    line: FreightLine
    outcome: str
    parcel: FreightParcel | None
    computed: Decimal | None
    legs: frozenset[str] = frozenset()  # the legs this line bills for the first time

    @property
    def difference(self) -> Decimal:
        """computed − billed: negative when the courier billed more than Hotline computed."""
        return (self.computed or ZERO) - self.line.billed


@dataclass
class FreightReport:
    courier_id: int
    matches: list[FreightMatch] = field(default_factory=list)
    billed_total: Decimal = ZERO
    computed_total: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return self.computed_total - self.billed_total

    def counts(self) -> dict[str, int]:
        """Lines per outcome, every outcome listed (0 when none)."""
        seen = Counter(match.outcome for match in self.matches)
        return {outcome: seen[outcome] for outcome in FreightOutcome.values}

    def differences(self) -> list[FreightMatch]:
        return [match for match in self.matches if match.outcome != FreightOutcome.AGREES]


def compare_freight(lines: Iterable[FreightLine], parcels: dict[str, FreightParcel],
                    earlier: dict[int, frozenset[str]], courier_id: int) -> FreightReport:
    """Set each line against Hotline's freight (see the module's docstring for the rule). `parcels` maps
    tracking numbers to parcels (any courier's), `earlier` the legs already billed per shipment id by this
    courier's earlier bills."""
    report = FreightReport(courier_id)
    billed: dict[int, frozenset[str]] = {}
    for line in lines:
        parcel = parcels.get(line.tracking_number)
        if parcel is None or parcel.courier_id != courier_id:
            match = FreightMatch(line, FreightOutcome.UNKNOWN, None, None)
        else:
            before = billed.get(parcel.shipment_id, earlier.get(parcel.shipment_id, frozenset()))
            legs = parcel.legs(line.leg)
            new = legs - before
            billed[parcel.shipment_id] = before | legs
            if not new:
                match = FreightMatch(line, FreightOutcome.DUPLICATE, parcel, ZERO)
            else:
                computed = parcel.amount(new)
                outcome = FreightOutcome.AGREES if computed == line.billed else FreightOutcome.DIFFERS
                match = FreightMatch(line, outcome, parcel, computed, frozenset(new))
        report.matches.append(match)
        report.billed_total += line.billed
        report.computed_total += match.computed or ZERO
    return report


def stored_legs(legs: frozenset[str]) -> str:
    """A line's new legs as its `legs` column holds them."""
    return ",".join(sorted(legs))


# ---------------------------------------------------------------- the database side


def return_due(status: str, freight: Decimal, return_freight: Decimal, percent: Decimal) -> Decimal:
    """A parcel's return leg: the return freight recorded when it was received; while it is on its way back,
    the courier's rule; ¥0 for a parcel that did not come back."""
    if status == ShipmentStatus.RETURNED or return_freight:
        return return_freight
    if status in CAME_BACK:
        return yuan(freight * percent / 100)
    return ZERO


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def load_parcels(lines: Iterable[FreightLine], courier: Courier) -> tuple[dict[str, FreightParcel],
                                                                        dict[int, frozenset[str]]]:
    """The parcels the lines name (by tracking number, any courier's), and the legs this courier's earlier
    bills already billed for them, in two queries per CHUNK lines."""
    numbers = sorted({line.tracking_number for line in lines})
    parcels: dict[str, FreightParcel] = {}
    fields = ("pk", "order_id", "order__number", "tracking_number", "courier_id", "status", "freight",
              "return_freight", "weight_kg", "courier__return_freight_percent")
    for chunk in _chunks(numbers):
        for row in Shipment.objects.filter(tracking_number__in=chunk).values_list(*fields):
            pk, order_id, order_number, tracking, courier_id, status, freight, back, weight, percent = row
            parcels[tracking] = FreightParcel(pk, order_id, order_number, tracking, courier_id, freight,
                                              return_due(status, freight, back, percent), status in CAME_BACK,
                                              weight)
    by_id = {parcel.shipment_id: parcel for parcel in parcels.values() if parcel.courier_id == courier.pk}
    earlier: dict[int, frozenset[str]] = {}
    for chunk in _chunks(sorted(by_id)):
        for shipment_id, legs in FreightBillLine.objects.filter(
                bill__courier=courier, shipment_id__in=chunk).exclude(legs="").values_list("shipment_id", "legs"):
            earlier[shipment_id] = earlier.get(shipment_id, frozenset()) | frozenset(legs.split(","))
    return parcels, earlier


def check_freight_bill(lines: list[FreightLine], courier: Courier) -> FreightReport:
    """The dry run: the comparison as it stands in the database now; nothing is written."""
    parcels, earlier = load_parcels(lines, courier)
    return compare_freight(lines, parcels, earlier, courier.pk)

"""Spreadsheet files: column specs and header matching, reading .xlsx / CSV rows, writing them back."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from hotline.lib.xlsx.cells import is_blank

MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 10
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GBK unless told otherwise
# Characters that make a spreadsheet treat a text cell as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, no header, missing columns, too big)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    """One column of an import/export table: its key, its label, and other names accepted as header."""

    key: str
    label: str | Promise
    aliases: tuple[str, ...] = ()
    required: bool = False

    def header_names(self) -> set[str]:
        """Every header spelling that names this column, normalised."""
        with translation.override("en"):
            english = str(self.label)
        names = {self.key, english, str(self.label), *self.aliases}
        return {normalize_header(name) for name in names}


def normalize_header(text: object) -> str:
    """`Short code`, `short_code` and `SHORT-CODE` are the same header; full-width brackets too."""
    value = str(text or "").strip().lower().replace("（", "(").replace("）", ")")
    return re.sub(r"[\s_\-]+", "", value)


@dataclass
class Row:
    """One data row: its spreadsheet number and its values by column key (present columns only)."""

    number: int
    values: dict[str, Any]


# ---------------------------------------------------------------- reading

def read_rows(stream: IO[bytes], filename: str, columns: Sequence[Column]) -> list[Row]:
    """The data rows of an .xlsx or .csv upload, keyed by column; raises ImportFileError."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        raw = _xlsx_rows(stream)
    elif name.endswith(".csv"):
        raw = _csv_rows(stream)
    else:
        raise ImportFileError(_("Upload an Excel workbook (.xlsx) or a CSV file."))
    return _keyed_rows(raw, columns)


def _xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises zip, XML and key errors for files that are not xlsx
        raise ImportFileError(_("The file is not an Excel .xlsx workbook (save it as .xlsx and try again).")) from exc
    sheet.reset_dimensions()  # some writers record a wrong sheet size; read what is really there
    return sheet.iter_rows(min_row=1, values_only=True)  # type: ignore[no-any-return]


def _csv_rows(stream: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    data = stream.read()
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    return (tuple(_unescape_formula(cell) for cell in row) for row in csv.reader(io.StringIO(text)))


def _unescape_formula(cell: str) -> str:
    """Undo the quote our CSV export puts before text that a spreadsheet would take for a formula."""
    if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell


def _header_map(cells: tuple[Any, ...], columns: Sequence[Column]) -> dict[int, Column]:
    by_name = {name: column for column in columns for name in column.header_names()}
    found: dict[int, Column] = {}
    for index, cell in enumerate(cells):
        column = by_name.get(normalize_header(cell))
        if column is None:
            continue
        if column in found.values():
            raise ImportFileError(_("The column “%(column)s” appears twice.") % {"column": column.label})
        found[index] = column
    return found


def _keyed_rows(raw: Iterator[tuple[Any, ...]], columns: Sequence[Column]) -> list[Row]:
    header: dict[int, Column] = {}
    rows: list[Row] = []
    for number, cells in enumerate(raw, start=1):
        if not header:
            header = _header_map(cells, columns)
            if not header and number >= HEADER_SEARCH_ROWS:
                break
            continue
        if all(is_blank(cell) for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("The file has more than %(max)d rows; split it into smaller files.")
                                  % {"max": MAX_ROWS})
        rows.append(Row(number, {col.key: cells[i] if i < len(cells) else None for i, col in header.items()}))
    _check_header(header, columns)
    if not rows:
        raise ImportFileError(_("The file has no data rows."))
    return rows


def _check_header(header: dict[int, Column], columns: Sequence[Column]) -> None:
    if not header:
        raise ImportFileError(_("No header row found. The first row should name the columns, e.g. %(names)s.")
                              % {"names": ", ".join(str(c.label) for c in columns)})
    missing = [str(c.label) for c in columns if c.required and c not in header.values()]
    if missing:
        raise ImportFileError(_("Missing columns: %(names)s.") % {"names": ", ".join(missing)})


# ---------------------------------------------------------------- writing

def write_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A workbook with one sheet: bold frozen header, then the rows; text is never taken for a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers):
        sheet.column_dimensions[_column_letter(index)].width = max(10, min(40, len(header) * 2 + 4))
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_text_safe_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_safe_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and cell.data_type in ("f", "e"):
        cell.data_type = "s"  # a customer called "=HYPERLINK(…)" stays text
    if isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)  # type: ignore[no-any-return]


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a BOM, so that Excel in China opens it without garbling the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text

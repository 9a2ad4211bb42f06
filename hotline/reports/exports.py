"""A report's tables as an Excel workbook or a printable PDF: the same `ReportTable`s the screen shows, so
the files hold exactly the screen's numbers.

Excel: one sheet per table — the report's title and period on top, then the column headers, the rows and
the total row. Figures are numbers (`tables.cell_number`): counts as integers, money as yuan to the fen
with a ¥ format, shares as percentages with two decimals (12.34 shown as 12.34%), seconds and ratios
rounded as on the screen; "—" (an undefined figure) is an empty cell. The workbook is written in
openpyxl's write-only mode so a drill-down of 100,000 rows stays flat in memory.

PDF: A4 (landscape when a table is wide), the shared Chinese font (hotline.logistics.printing.fonts), the
first chart drawn as bars or lines, then every table with its cells as the screen writes them.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from hotline.reports.periods import Period
from hotline.reports.tables import Chart, Column, ReportTable, cell_number, cell_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER_FORMATS = {"int": "#,##0", "money": '"¥"#,##0.00;-"¥"#,##0.00', "percent": '0.00"%"',
                  "seconds": "0.0", "ratio": "0.00", "datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd"}
HEADER_ROWS = 3  # title, period, blank: the column headers are on row 4
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def file_name(name: str, period: Period | None, extension: str) -> str:
    """`<name>-<first>-<last>.<extension>` (just `<name>.<extension>` without a period)."""
    if period is None:
        return f"{name}.{extension}"
    return f"{name}-{period.first.isoformat()}-{period.last.isoformat()}.{extension}"


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def period_text(period: Period | None) -> str:
    return _("Period: %(period)s") % {"period": period.label()} if period is not None else ""


def text_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: Chinese (wide) characters count two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# ---------------------------------------------------------------- Excel

def xlsx_bytes(title: str, period: Period | None, tables: Sequence[ReportTable]) -> bytes:
    """The workbook: a sheet per table (a sheet saying there is no data when there are none)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables or [ReportTable(_("No data for this period."), [Column("none", "", "text")])]:
        _write_sheet(book, _sheet_name(str(table.title or title), used), title, period, table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(name: str, title: str, period: Period | None, tables: Sequence[ReportTable]) -> HttpResponse:
    return _attachment(xlsx_bytes(title, period, tables), XLSX_TYPE, file_name(name, period, "xlsx"))


def _sheet_name(wanted: str, used: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub(" ", wanted).strip()[:31] or "Sheet"
    name, number = base, 2
    while name.lower() in used:
        suffix = f" ({number})"
        name, number = base[:31 - len(suffix)] + suffix, number + 1
    used.add(name.lower())
    return name


def _write_sheet(book: Any, name: str, title: str, period: Period | None, table: ReportTable) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title=name)
    rows = table.rows if isinstance(table.rows, list) else None
    for index, column in enumerate(table.columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _column_width(column, rows, table.totals)
    sheet.freeze_panes = f"A{HEADER_ROWS + 2}"
    bold = Font(bold=True)

    def text_cell(value: str, font: Any = None) -> Any:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula
        if font is not None:
            cell.font = font
        return cell

    heading = title if str(table.title) in ("", title) else f"{title} · {table.title}"
    sheet.append([text_cell(heading, Font(bold=True, size=14))])
    sheet.append([text_cell(period_text(period))])
    sheet.append([])
    sheet.append([text_cell(str(column.label), bold) for column in table.columns])
    for row in table.rows:
        sheet.append(_cells(sheet, table.columns, row))
    if table.totals:
        sheet.append(_cells(sheet, table.columns, table.totals, bold))
    for note in table.notes:
        sheet.append([text_cell(str(note))])


def _cells(sheet: Any, columns: Sequence[Column], row: dict[str, Any], font: Any = None) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for column in columns:
        value = cell_number(row.get(column.key), column.kind)
        if value is not None and column.kind == "text":
            value = str(value)
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # a caller's name like "=HYPERLINK(…)" stays text
        elif value is not None and column.kind in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[column.kind]
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


def _column_width(column: Column, rows: list[dict[str, Any]] | None, totals: dict[str, Any] | None) -> float:
    widest = text_width(str(column.label))
    for row in [*(rows or [])[:500], *([totals] if totals else [])]:
        widest = max(widest, text_width(cell_text(row.get(column.key), column.kind)))
    if rows is None:  # rows still to be read (a drill-down's iterator): a width by kind
        widest = max(widest, {"datetime": 16, "date": 10, "text": 16, "money": 12}.get(column.kind, 8))
    return float(min(60, max(8, widest + 2)))


# ---------------------------------------------------------------- PDF

def pdf_bytes(title: str, period: Period | None, tables: Sequence[ReportTable], charts: Sequence[Chart] = ()) -> bytes:
    """The printable report: title, period, the first chart (bars or lines), then every table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from hotline.logistics.printing.fonts import cjk_font

    font = cjk_font()
    widest = max((len(table.columns) for table in tables), default=0)
    pagesize = landscape(A4) if widest > 7 else A4
    margin = 12 * mm
    usable = pagesize[0] - 2 * margin
    base = ParagraphStyle("report", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    styles = {"title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=2),
              "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=15, spaceBefore=6, spaceAfter=3),
              "note": ParagraphStyle("note", parent=base, textColor=colors.HexColor("#475467"))}
    story: list[Any] = [Paragraph(_escape(title), styles["title"]), Paragraph(_escape(period_text(period)),
                                                                              styles["note"]), Spacer(1, 4 * mm)]
    chart = next((c for c in charts if c.kind in ("bar", "stacked_bar", "line") and c.x and c.series), None)
    if chart is not None:
        story += [Paragraph(_escape(str(chart.title)), styles["h2"]), _drawing(chart, usable, font), Spacer(1, 4 * mm)]
    for table in tables:
        story.append(Paragraph(_escape(str(table.title)), styles["h2"]))
        story.append(_pdf_table(table, usable, font, base))
        story.append(Spacer(1, 1.5 * mm))
        story += [Paragraph(_escape(str(note)), styles["note"]) for note in table.notes]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=margin, rightMargin=margin,
                                 topMargin=margin, bottomMargin=margin, title=title, author="Hotline")
    document.build(story)
    return buffer.getvalue()


def pdf_response(name: str, title: str, period: Period | None, tables: Sequence[ReportTable],
                 charts: Sequence[Chart] = ()) -> HttpResponse:
    return _attachment(pdf_bytes(title, period, tables, charts), "application/pdf", file_name(name, period, "pdf"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pdf_table(table: ReportTable, usable: float, font: str, style: Any) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, Table, TableStyle

    style = ParagraphStyle("cell", parent=style, fontSize=8, leading=10)
    columns = table.columns
    body = [[cell_text(row.get(c.key), c.kind) for c in columns] for row in _listed(table.rows)]
    if table.totals:
        body.append([cell_text(table.totals.get(c.key), c.kind) for c in columns])
    if not body:
        body = [[_("No data for this period.")] + [""] * (len(columns) - 1)]
    col_widths = _column_widths(columns, body, usable)
    header = [Paragraph(_escape(str(c.label)), style) for c in columns]
    cells: list[list[Any]] = [header]
    for line in body:  # words wrap (Paragraph); figures stay on one line
        cells.append([Paragraph(_escape(text), style) if c.kind == "text" else text
                      for text, c in zip(line, columns, strict=True)])
    grid = Table(cells, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    commands: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e7ec")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#98a2b3")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
    for index, column in enumerate(columns):
        if column.kind not in ("text", "datetime", "date"):
            commands.append(("ALIGN", (index, 1), (index, -1), "RIGHT"))
    if table.totals:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f4f7")))
    grid.setStyle(TableStyle(commands))
    return grid


POINTS_PER_UNIT = 4.6  # one text_width unit (a Latin character) at 8 pt; a Chinese character is two
CELL_PADDING = 12.0  # ReportLab's 6 pt left and right


def _column_widths(columns: Sequence[Column], body: list[list[str]], usable: float) -> list[float]:
    """Widths in points that fit the page: every figure on one line and every header word unbroken
    (`need`), then what is left shared out towards each header on one line (`want`)."""
    need, want = [], []
    for index, column in enumerate(columns):
        values = max((text_width(line[index]) for line in body[:300]), default=1)
        words = max((text_width(word) for word in str(column.label).split()), default=1)
        if column.kind == "text":  # text wraps: a fair share, never the whole line
            values = min(values, 14)
        need.append(max(values, min(words, 12), 3) * POINTS_PER_UNIT + CELL_PADDING)
        want.append(max(need[-1], min(text_width(str(column.label)), 40) * POINTS_PER_UNIT + CELL_PADDING,
                        min(max((text_width(line[index]) for line in body[:300]), default=1), 40)
                        * POINTS_PER_UNIT + CELL_PADDING))
    if sum(need) >= usable:
        return [width * usable / sum(need) for width in need]
    if sum(want) <= usable:
        return want
    spare = usable - sum(need)
    extra = sum(w - n for w, n in zip(want, need, strict=True))
    return [n + (w - n) * spare / extra for w, n in zip(want, need, strict=True)]


def _listed(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return rows if isinstance(rows, list) else list(rows)


PALETTE = ["#2e90fa", "#f04438", "#12b76a", "#f79009", "#7a5af8", "#667085", "#ee46bc", "#06aed4"]


def _drawing(chart: Chart, width: float, font: str) -> Any:
    """The chart as a ReportLab drawing: grouped or stacked bars, or lines, with a legend."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    height = 190.0
    drawing = Drawing(width, height)
    data = [[float(v) if v is not None else 0.0 for v in values] for _name, values in chart.series]
    plot: Any = HorizontalLineChart() if chart.kind == "line" else VerticalBarChart()
    plot.x, plot.y, plot.width, plot.height = 40, 30, width - 60, height - 60
    plot.data = data
    plot.categoryAxis.categoryNames = [str(x) for x in chart.x]
    step = max(1, len(chart.x) // 24)  # at most ~24 labels under the axis
    plot.categoryAxis.categoryNames = [label if i % step == 0 else "" for i, label in enumerate(chart.x)]
    plot.categoryAxis.labels.fontName = font
    plot.categoryAxis.labels.fontSize = 6
    plot.categoryAxis.labels.angle = 30 if len(chart.x) > 12 else 0
    plot.categoryAxis.labels.boxAnchor = "ne" if len(chart.x) > 12 else "n"
    plot.valueAxis.labels.fontName = font
    plot.valueAxis.labels.fontSize = 7
    plot.valueAxis.valueMin = min(0.0, *(v for series in data for v in series)) if any(data) else 0.0
    for index in range(len(data)):
        color = colors.HexColor(PALETTE[index % len(PALETTE)])
        if chart.kind == "line":
            plot.lines[index].strokeColor = color
            plot.lines[index].strokeWidth = 1.5
        else:
            plot.bars[index].fillColor = color
            plot.bars[index].strokeColor = None
    if chart.kind == "stacked_bar":
        plot.categoryAxis.style = "stacked"
    drawing.add(plot)
    legend = Legend()
    legend.x, legend.y = 40, height - 6
    legend.fontName, legend.fontSize = font, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 70
    legend.colorNamePairs = [(colors.HexColor(PALETTE[i % len(PALETTE)]), str(name))
                             for i, (name, _values) in enumerate(chart.series)]
    drawing.add(legend)
    return drawing

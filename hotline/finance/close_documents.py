"""The daily close as documents: an A4 PDF of its figures (ReportLab, with the Chinese font the shipping
forms use) and an Excel workbook of the same figures plus a sheet per figure with the rows behind it.

`ROW_COLUMNS` says how a figure's rows are shown, on the rows page of the workbench and in the workbook."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hotline.finance.close import FIGURES, DayView, business_tz, courier_lines, figure_lines, figure_rows
from hotline.lib.money import yuan
from hotline.lib.xlsx.cells import local_naive
from hotline.logistics.printing.config import print_config
from hotline.logistics.printing.fonts import cjk_font


@dataclass(frozen=True)
class RowColumn:
    """A column of a figure's rows: heading, how to read it from a row, and whether it is money."""

    title: str | Promise
    get: Callable[[Any], Any]
    money: bool = False

    def read(self, row: Any) -> Any:
        """The cell; money to the fen (SQLite hands computed amounts back as floats made decimal)."""
        value = self.get(row)
        return yuan(value) if self.money and value is not None else value


def _order(row: Any) -> str:
    return str(row.order.number)


def _user(user: Any) -> str:
    return str(user.get_username()) if user is not None else ""


ORDER = RowColumn(gettext_lazy("Order number"), _order)
RECORDED = RowColumn(gettext_lazy("Recorded in Hotline at"), lambda row: row.recorded_at)
RECORDED_BY = RowColumn(gettext_lazy("By"), lambda row: _user(row.recorded_by))
AMOUNT = RowColumn(gettext_lazy("Amount"), lambda row: row.amount, money=True)
STEP = [ORDER, RowColumn(gettext_lazy("Recorded in Hotline at"), lambda row: row.at),
        RowColumn(gettext_lazy("By"), lambda row: _user(row.actor)),
        RowColumn(gettext_lazy("Courier"), lambda row: row.courier or ""),
        RowColumn(gettext_lazy("Tracking number"), lambda row: row.tracking_number or ""),
        RowColumn(gettext_lazy("Value"), lambda row: row.value, money=True)]
FREIGHT = RowColumn(gettext_lazy("Freight"), lambda row: row.freight, money=True)

ROW_COLUMNS: dict[str, list[RowColumn]] = {
    "orders_taken": [RowColumn(gettext_lazy("Order number"), lambda row: row.number),
                     RowColumn(gettext_lazy("Created at"), lambda row: row.created_at),
                     RowColumn(gettext_lazy("Agent"), lambda row: _user(row.agent)),
                     RowColumn(gettext_lazy("Status now"), lambda row: row.get_status_display()),
                     RowColumn(gettext_lazy("Value"), lambda row: row.value, money=True)],
    "reviewed": STEP,
    "shipped": [*STEP, FREIGHT],
    "delivered": STEP,
    "refused": [*STEP, FREIGHT, RowColumn(gettext_lazy("Return freight"), lambda row: row.return_freight, money=True),
                RowColumn(gettext_lazy("Freight both ways"), lambda row: row.freight_both_ways, money=True)],
    "returned": STEP,
    "remitted": [ORDER, RECORDED,
                 RowColumn(gettext_lazy("Courier"), lambda row: row.remittance_line.statement.courier.name),
                 RowColumn(gettext_lazy("Statement"), lambda row: row.remittance_line.statement.number),
                 RowColumn(gettext_lazy("Tracking number"), lambda row: row.remittance_line.tracking_number),
                 AMOUNT, RowColumn(gettext_lazy("COD fee"), lambda row: row.fee, money=True),
                 RowColumn(gettext_lazy("Net paid"), lambda row: row.net, money=True)],
    "other_payments": [ORDER, RECORDED, RECORDED_BY,
                       RowColumn(gettext_lazy("Method"), lambda row: row.get_method_display()),
                       RowColumn(gettext_lazy("Payer"), lambda row: row.payer),
                       RowColumn(gettext_lazy("Reference"), lambda row: row.reference),
                       RowColumn(gettext_lazy("Note"), lambda row: row.note), AMOUNT],
    "refunds": [ORDER, RECORDED, RECORDED_BY,
                RowColumn(gettext_lazy("Method"), lambda row: row.get_method_display()),
                RowColumn(gettext_lazy("Reason"), lambda row: row.reason),
                RowColumn(gettext_lazy("Reference"), lambda row: row.reference), AMOUNT],
    "settlements": [ORDER, RECORDED, RECORDED_BY,
                    RowColumn(gettext_lazy("Kind"), lambda row: row.get_kind_display()),
                    RowColumn(gettext_lazy("Statement"), lambda row: row.statement.number if row.statement else ""),
                    RowColumn(gettext_lazy("Reason"), lambda row: row.reason), AMOUNT],
    "outstanding": [ORDER, RowColumn(gettext_lazy("Courier"), lambda row: row.courier.name),
                    RowColumn(gettext_lazy("Tracking number"), lambda row: row.tracking_number or ""),
                    RowColumn(gettext_lazy("Delivered at"), lambda row: row.delivered_at),
                    RowColumn(gettext_lazy("COD amount due"), lambda row: row.cod_due, money=True),
                    RowColumn(gettext_lazy("Paid by the day's end"), lambda row: row.paid, money=True),
                    RowColumn(gettext_lazy("Outstanding"), lambda row: row.amount, money=True)],
}


def money_text(amount: Decimal) -> str:
    """¥1,234.50: yuan to the fen, thousands separated; −¥5.00 (a minus sign) below zero, as the screens."""
    return f"−¥{-amount:,.2f}" if amount < 0 else f"¥{amount:,.2f}"


def title_of(view: DayView) -> str:
    return _("Daily close report %(day)s") % {"day": view.day.isoformat()}


def closed_text(view: DayView) -> str:
    """Who closed the day and when, or that the figures are live."""
    if view.close is None:
        now = date_format(timezone.localtime(timezone.now(), business_tz()), "DATETIME_FORMAT")
        return _("Not closed: computed from the rows at %(when)s.") % {"when": now}
    who = _user(view.close.recorded_by) or _("the system")
    when = date_format(timezone.localtime(view.close.recorded_at, business_tz()), "DATETIME_FORMAT")
    return _("Closed by %(who)s at %(when)s.") % {"who": who, "when": when}


def file_name(view: DayView, extension: str) -> str:
    return f"daily-close-{view.day.isoformat()}.{extension}"


# ---------------------------------------------------------------- PDF

def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {"title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=4),
            "note": ParagraphStyle("note", parent=base, textColor=colors.HexColor("#475467")),
            "cell": base, "money": ParagraphStyle("money", parent=base, alignment=TA_RIGHT)}


def _table(rows: list[list[Any]], widths: list[float], money_from: int) -> Table:
    table = Table(rows, colWidths=[width * mm for width in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), cjk_font()), ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e7ec")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#98a2b3")),
        ("ALIGN", (money_from, 0), (money_from + 1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def render_close_pdf(view: DayView) -> bytes:
    """The day's figures on A4: title, who closed it (or that it is live), a table of the figures (count,
    main amount, the other amounts) and the outstanding receivables per courier."""
    styles = _styles()
    lines = figure_lines(view.figures)
    rows: list[list[Any]] = [[_("Figure"), _("Count"), _("Amount"), pgettext("daily close", "Details")]]
    for line in lines:
        details = "；".join(f"{label} {money_text(amount)}" for label, amount in line.others)
        rows.append([Paragraph(str(line.label), styles["cell"]), str(line.count), money_text(line.main),
                     Paragraph(details, styles["cell"])])
    story: list[Any] = [
        Paragraph(print_config().sender.name, styles["note"]),
        Paragraph(title_of(view), styles["title"]), Paragraph(closed_text(view), styles["note"]),
        Spacer(1, 4 * mm), _table(rows, [48, 18, 34, 74], 1)]
    couriers = courier_lines(view.figures)
    if couriers:
        by_courier = [[_("Courier"), _("Count"), _("Outstanding")],
                      *[[name, str(count), money_text(amount)] for name, count, amount in couriers]]
        story += [Spacer(1, 6 * mm), Paragraph(_("Outstanding receivables by courier"), styles["cell"]),
                  Spacer(1, 2 * mm), _table(by_courier, [48, 18, 34], 1)]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                                 bottomMargin=16 * mm, title=title_of(view), author="Hotline")
    document.build(story)
    return buffer.getvalue()


# ---------------------------------------------------------------- Excel

def cell_value(value: Any) -> Any:
    """A value as a spreadsheet cell wants it: local wall-clock times, text for labels."""
    if isinstance(value, datetime.datetime):
        return local_naive(value)
    if isinstance(value, Promise):
        return str(value)
    return value


def _sheet(book: Any, title: str, headers: list[str], rows: Any, money: set[int]) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(sheet, value=cell_value(value))
            if isinstance(value, str) and cell.data_type in ("f", "e"):
                cell.data_type = "s"  # a payer called "=HYPERLINK(…)" stays text
            if index in money:
                cell.number_format = "#,##0.00"
            elif isinstance(value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            cells.append(cell)
        sheet.append(cells)


def _summary_rows(view: DayView) -> list[list[Any]]:
    """One row per amount of each figure (figure, count, amount's label, amount), then per courier."""
    rows: list[list[Any]] = []
    for line in figure_lines(view.figures):
        for label, amount in [(line.main_label, line.main), *line.others]:
            rows.append([str(line.label), line.count, str(label), amount])
    outstanding = str(_("Outstanding receivables"))
    rows += [[f"{outstanding} · {name}", count, str(_("Amount")), amount]
             for name, count, amount in courier_lines(view.figures)]
    return rows


def render_close_xlsx(view: DayView) -> bytes:
    """The workbook: the figures (as the close stored them, or live), then a sheet per figure with its rows
    (read now; they are the rows recorded that day, so they add up to the figure)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    _sheet(book, _("Figures"), [_("Figure"), _("Count"), _("Of"), _("Amount")], _summary_rows(view), {3})
    for figure in FIGURES:
        columns = ROW_COLUMNS[figure.key]
        rows = ([column.read(row) for column in columns]
                for row in figure_rows(view.day, figure.key).iterator(chunk_size=2000))
        _sheet(book, str(figure.label), [str(column.title) for column in columns], rows,
               {index for index, column in enumerate(columns) if column.money})
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

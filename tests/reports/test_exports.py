"""Reports' Excel and PDF exports hold exactly the numbers of the tables the screen shows."""

from __future__ import annotations

import datetime
import io
import subprocess
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hotline.reports import exports
from hotline.reports.models import CallFact
from hotline.reports.periods import Period
from hotline.reports.tables import Chart, Column, ReportTable, cell_text

pytestmark = pytest.mark.django_db


def _period() -> Period:
    start = timezone.make_aware(datetime.datetime(2026, 3, 2))
    return Period(start, start + datetime.timedelta(days=7), "custom", "day")


def _tables() -> list[ReportTable]:
    columns = [Column("station", "电视台", "text"), Column("calls", "呼入", "int"), Column("revenue", "收入", "money"),
               Column("rate", "接通率", "percent"), Column("asa", "平均应答秒", "seconds"),
               Column("roi", "ROI", "ratio"), Column("at", "开始", "datetime")]
    at = timezone.make_aware(datetime.datetime(2026, 3, 2, 20, 30))
    rows = [
        {"station": "湖南卫视", "calls": 1234, "revenue": Decimal("45678.9"), "rate": Fraction(2, 3),
         "asa": Fraction(37, 3), "roi": Fraction(7, 4), "at": at},
        {"station": "=HYPERLINK(\"x\")", "calls": 0, "revenue": Decimal("-12.5"), "rate": None, "asa": None,
         "roi": None, "at": None},
    ]
    totals = {"station": "合计", "calls": 1234, "revenue": Decimal("45666.40"), "rate": Fraction(1, 2)}
    second = ReportTable("按小时", [Column("hour", "小时", "text"), Column("calls", "呼入", "int")],
                         [{"hour": "20:00", "calls": 7}], key="hours")
    return [ReportTable("按电视台", columns, rows, totals, notes=["未解释: 0"], key="stations"), second]


def test_xlsx_holds_the_tables_numbers() -> None:
    from openpyxl import load_workbook

    content = exports.xlsx_bytes("空中漏斗", _period(), _tables())
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["按电视台", "按小时"]
    sheet = book["按电视台"]
    assert sheet["A1"].value == "空中漏斗 · 按电视台"
    assert "2026-03-02 – 2026-03-08" in sheet["A2"].value
    values = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert values[0] == ["电视台", "呼入", "收入", "接通率", "平均应答秒", "ROI", "开始"]
    assert values[1] == ["湖南卫视", 1234, 45678.9, 66.67, 12.3, 1.75, datetime.datetime(2026, 3, 2, 20, 30)]
    assert values[2] == ["=HYPERLINK(\"x\")", 0, -12.5, None, None, None, None]
    assert values[3] == ["合计", 1234, 45666.4, 50, None, None, None]
    assert values[4][0] == "未解释: 0"
    assert sheet["B5"].data_type == "n" and sheet["A6"].data_type == "s"
    assert sheet["C5"].number_format == '"¥"#,##0.00;-"¥"#,##0.00'
    assert sheet["D5"].number_format == '0.00"%"'
    assert sheet.column_dimensions["A"].width >= 10  # 湖南卫视: four wide characters
    assert [list(r) for r in book["按小时"].iter_rows(min_row=5, values_only=True)] == [["20:00", 7]]


def test_xlsx_response_names_the_file_by_report_and_period() -> None:
    response = exports.xlsx_response("funnel", "Funnel", _period(), _tables())
    assert response["Content-Disposition"] == 'attachment; filename="funnel-2026-03-02-2026-03-08.xlsx"'
    assert response["Content-Type"] == exports.XLSX_TYPE


def test_xlsx_without_tables_is_still_a_workbook() -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(exports.xlsx_bytes("Empty", None, [])))
    assert len(book.sheetnames) == 1


def test_duplicate_and_forbidden_sheet_names() -> None:
    used: set[str] = set()
    assert exports._sheet_name("a/b", used) == "a b"
    assert exports._sheet_name("A/B", used) == "A B (2)"
    assert exports._sheet_name("x" * 40, used) == "x" * 31


def _pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode()


def test_pdf_holds_the_figures_and_the_chinese() -> None:
    chart = Chart("每日呼入", "stacked_bar", ["03-02", "03-03"], [("接通", [5, 7]), ("放弃", [1, 0])], key="c")
    content = exports.pdf_bytes("空中漏斗", _period(), _tables(), [chart])
    assert content.startswith(b"%PDF")
    text = _pdf_text(content)
    # Counts and money exactly as the screen writes them (grouping follows the active language).
    screen = [cell_text(1234, "int"), cell_text(Decimal("45678.9"), "money"), cell_text(Decimal("-12.5"), "money")]
    for expected in ("空中漏斗", "湖南卫视", *screen, "66.67%", "12.3", "1.75", "−¥12.50",
                     "2026-03-02 20:30", "合计", "50.00%", "20:00", "每日呼入", "接通", "未解释: 0"):
        assert expected in text, expected
    response = exports.pdf_response("funnel", "Funnel", _period(), _tables(), [chart])
    assert response["Content-Disposition"] == 'attachment; filename="funnel-2026-03-02-2026-03-08.pdf"'


def test_wide_tables_print_landscape() -> None:
    columns = [Column(f"c{i}", f"列{i}", "int") for i in range(10)]
    wide = ReportTable("宽表", columns, [{f"c{i}": i for i in range(10)}])
    line = Chart("曲线", "line", ["a", "b", "c"], [("x", [1, 2, None])])
    content = exports.pdf_bytes("宽", None, [wide], [line])
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True).stdout.decode()
    assert "841.89 x 595.276" in info


def test_a_report_answers_its_tables_as_excel_and_pdf(users: dict[str, Any], english: None) -> None:
    """Through `respond`: the funnel's page, its workbook and its PDF hold the same figures."""
    from openpyxl import load_workbook

    from tests import factories

    hunan = factories.make_station("hunan", "湖南卫视")
    for n in range(3):
        CallFact.objects.create(call_id=f"c{n}", arrived_at=_period().start + datetime.timedelta(hours=20 + n),
                                station=hunan, outcome="answered")
    client = Client()
    client.force_login(users["manager"])
    url = f"/reports/funnel/?period=custom&from=2026-03-02&to=2026-03-08&station={hunan.pk}"
    if client.get(url).status_code == 404:
        pytest.skip("the funnel report is not installed")
    workbook = client.get(url + "&format=xlsx")
    assert workbook["Content-Disposition"] == 'attachment; filename="funnel-2026-03-02-2026-03-08.xlsx"'
    first = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    header = [cell.value for cell in first[4]]
    offered = header.index("Offered")
    assert [cell.value for cell in first[5]][offered] == 3
    pdf = client.get(url + "&format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "湖南卫视" in _pdf_text(pdf.content)

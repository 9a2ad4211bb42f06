"""Airing import: stations and products must exist (and be on air), times are Asia/Shanghai wall clock,
and station + start is the key a re-import updates by."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from hotline.catalog.models import SaleStatus
from hotline.lib.xlsx import ImportResult
from hotline.media.imports import AiringImport
from hotline.media.models import Airing
from tests import factories
from tests.backoffice.helpers import csv_stream, xlsx_stream

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = ["station", "starts at", "length (seconds)", "product", "spot cost", "title"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def run(rows: list[list[Any]], good_rows: bool = False) -> ImportResult:
    return AiringImport(actor=None).run(xlsx_stream(rows), "a.xlsx", good_rows=good_rows)


def airings() -> list[tuple[Any, ...]]:
    return [(a.station.code, a.starts_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), a.length_seconds,
             a.product.sku if a.product else None, a.cost, a.title)
            for a in Airing.objects.select_related("station", "product").order_by("starts_at")]


def test_times_are_read_in_shanghai_time(world: Any) -> None:
    result = run([HEADER, ["hunan", datetime.datetime(2025, 11, 24, 20, 30), 120, world.product.sku, 50000, "晚间"],
                  ["湖南卫视", "2025-11-24 21:05", "1:30", world.product.short_code, "", ""]])
    assert (result.imported, result.created, result.errors) == (True, 2, [])
    first = Airing.objects.order_by("starts_at").first()
    assert first.starts_at == datetime.datetime(2025, 11, 24, 12, 30, tzinfo=datetime.UTC)  # type: ignore[union-attr]
    assert first.ends_at == datetime.datetime(2025, 11, 24, 12, 32, tzinfo=datetime.UTC)  # type: ignore[union-attr]
    assert airings() == [
        ("hunan", "2025-11-24 20:30:00", 120, world.product.sku, Decimal("50000.00"), "晚间"),
        ("hunan", "2025-11-24 21:05:00", 90, world.product.sku, Decimal("0.00"), "")]


def test_date_and_time_in_separate_columns_with_chinese_headers(world: Any) -> None:
    result = run([["电视台", "播出日期", "时间", "时长", "商品", "费用"],
                  ["hunan", datetime.date(2025, 11, 24), datetime.time(20, 30), 60, "", "8000"],
                  ["hunan", "2025/11/25", "08:15", 60, "", "8000"]])
    assert (result.imported, result.errors) == (True, [])
    assert [row[1] for row in airings()] == ["2025-11-24 20:30:00", "2025-11-25 08:15:00"]


def test_bad_rows_are_listed_and_nothing_is_written(world: Any) -> None:
    gone = factories.make_product("老款按摩仪", "100.00", status=SaleStatus.WITHDRAWN, sku="OLD-1")
    rows = [HEADER,
            ["hunan", "2025-11-24 20:30", 120, "", "", ""],
            ["cctv", "2025-11-24 20:30", 120, "", "", ""],
            ["hunan", "2025-11-31 20:30", 120, "", "", ""],
            ["hunan", "2025-11-24 21:30", 0, "", "", ""],
            ["hunan", "2025-11-24 22:30", 120, "NOPE", "", ""],
            ["hunan", "2025-11-24 23:30", 120, "OLD-1", "-1", ""],
            ["hunan", datetime.datetime(2025, 11, 24, 20, 30), 60, "", "", ""],
            ["hunan", "2025-11-25 20:30", 120, "", "", "t" * 201],
            ["", "", "", "", "", ""],
            ["hunan", "", "abc", "", "", ""]]
    result = run(rows)
    assert [str(e) for e in result.errors] == [
        "Row 3, station: Unknown station “cctv”.",
        "Row 4, starts at: “2025-11-31 20:30” is not a date and time (use YYYY-MM-DD HH:MM).",
        "Row 5, length (seconds): An airing lasts at least one second.",
        "Row 6, product: Unknown product “NOPE”.",
        f"Row 7, product: {gone} is withdrawn and cannot be aired.",
        "Row 7, spot cost: An amount cannot be negative.",
        "Row 8: 湖南卫视 2025-11-24 20:30:00 is already on row 2 of this file.",
        "Row 9, title: Ensure this value has at most 200 characters (it has 201).",
        "Row 11, starts at: This field is required.",
        "Row 11, length (seconds): “abc” is not a number.",
    ]
    assert not Airing.objects.exists()


def test_reimport_updates_by_station_and_start(world: Any) -> None:
    run([HEADER, ["hunan", "2025-11-24 20:30", 120, "", "10000", "A"]])
    result = run([HEADER, ["hunan", "2025-11-24 20:30:00", 180, world.product.sku, "12000", "B"],
                  ["hunan", "2025-11-24 20:30", 180, "", "", ""]])
    assert [str(e) for e in result.errors] == ["Row 3: 湖南卫视 2025-11-24 20:30:00 is already on row 2 of this file."]
    result = run([HEADER, ["hunan", "2025-11-24 20:30:00", 180, world.product.sku, "12000", "B"]])
    assert (result.created, result.updated) == (0, 1)
    assert airings() == [("hunan", "2025-11-24 20:30:00", 180, world.product.sku, Decimal("12000.00"), "B")]


def test_missing_start_columns_refuse_the_file(world: Any) -> None:
    result = run([["station", "date", "length"], ["hunan", "2025-11-24", 60]])
    assert result.file_error == "Missing columns: starts at (or date and time)."


def test_csv_is_accepted_too(world: Any) -> None:
    stream = csv_stream([HEADER, ["hunan", "2025-11-24 20:30:00", "120", "", "100.00", "=cmd"]])
    result = AiringImport(actor=None).run(stream, "a.csv")
    assert (result.imported, airings()) == (True, [("hunan", "2025-11-24 20:30:00", 120, None, Decimal("100.00"),
                                                    "=cmd")])


def test_gbk_csv_from_excel_is_read(world: Any) -> None:
    import io

    data = "电视台,开始时间,时长\r\n湖南卫视,2025-11-24 20:30,60\r\n".encode("gb18030")
    result = AiringImport(actor=None).run(io.BytesIO(data), "a.csv")
    assert (result.imported, result.created) == (True, 1)

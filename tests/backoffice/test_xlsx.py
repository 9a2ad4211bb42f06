"""The cell parsers and header matching behind every import."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from hotline.crm.models import Gender
from hotline.lib import xlsx

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("parse", "raw", "value"), [
    (xlsx.parse_text, 13800138000.0, "13800138000"),
    (xlsx.parse_text, "  李娜 ", "李娜"),
    (xlsx.parse_text, None, ""),
    (xlsx.parse_decimal, "¥1,280.50", Decimal("1280.50")),
    (xlsx.parse_decimal, "99元", Decimal("99")),
    (xlsx.parse_decimal, 0.1, Decimal("0.1")),
    (xlsx.parse_decimal, "", None),
    (xlsx.parse_amount, 59.9, Decimal("59.90")),
    (xlsx.parse_int, "12.0", 12),
    (xlsx.parse_bool, "是", True),
    (xlsx.parse_bool, "No", False),
    (xlsx.parse_bool, None, False),
    (xlsx.parse_date, "2025年11月4日", datetime.date(2025, 11, 4)),
    (xlsx.parse_date, "20251104", datetime.date(2025, 11, 4)),
    (xlsx.parse_date, datetime.datetime(2025, 11, 4, 9, 0), datetime.date(2025, 11, 4)),
    (xlsx.parse_datetime, "2025/11/24 20:30", datetime.datetime(2025, 11, 24, 20, 30, tzinfo=SHANGHAI)),
    (xlsx.parse_datetime, datetime.datetime(2025, 11, 24, 20, 29, 59, 999_600),
     datetime.datetime(2025, 11, 24, 20, 30, tzinfo=SHANGHAI)),
    (xlsx.parse_time, 0.5, datetime.time(12, 0)),
    (xlsx.parse_time, "8：15", datetime.time(8, 15)),
    (xlsx.parse_seconds, "1:02:03", 3723),
    (xlsx.parse_seconds, datetime.time(0, 1, 30), 90),
    (xlsx.parse_seconds, 15.0, 15),
])
def test_parsers_read_what_spreadsheets_hold(parse: Callable[[Any], Any], raw: Any, value: Any) -> None:
    assert parse(raw) == value


@pytest.mark.parametrize(("parse", "raw", "message"), [
    (xlsx.parse_decimal, "1,2,x", "“1,2,x” is not a number."),
    (xlsx.parse_decimal, "NaN", "“NaN” is not a number."),
    (xlsx.parse_amount, "-0.01", "An amount cannot be negative."),
    (xlsx.parse_int, 2.5, "“2.5” is not a whole number."),
    (xlsx.parse_bool, "maybe", "“maybe” is not yes or no."),
    (xlsx.parse_date, "2025-02-30", "“2025-02-30” is not a date (use YYYY-MM-DD)."),
    (xlsx.parse_datetime, "tomorrow", "“tomorrow” is not a date and time (use YYYY-MM-DD HH:MM)."),
    (xlsx.parse_time, "25:00", "“25:00” is not a time (use HH:MM)."),
    (xlsx.parse_seconds, "1:x", "“1:x” is not a length (use seconds or m:ss)."),
    (lambda v: xlsx.parse_text(v, 3), "abcd", "At most 3 characters (this has 4)."),
])
def test_parsers_explain_bad_cells(parse: Callable[[Any], Any], raw: Any, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        parse(raw)
    assert error.value.messages == [message]


def test_choices_by_code_label_or_alias() -> None:
    assert [xlsx.parse_choice(v, Gender, {"男": "m"}) for v in ("f", "Female", "男", "")] == ["f", "f", "m", None]
    with translation.override("zh-hans"):
        assert xlsx.parse_choice("Male", Gender) == "m"  # English labels work whatever the language


@pytest.mark.parametrize("header", ["Short code", "short_code", "SHORT-CODE", " 简码 "])
def test_headers_in_any_spelling(header: str) -> None:
    column = xlsx.Column("short_code", "short code", ("简码",))
    assert xlsx.normalize_header(header) in column.header_names()


def test_csv_cells_that_look_like_formulas_are_quoted_and_unquoted() -> None:
    content = xlsx.write_csv(["a", "b"], [["=1+1", -5], ["'x", "@SUM"]])
    assert content.decode("utf-8-sig").splitlines() == ["a,b", "'=1+1,-5", "'x,'@SUM"]
    rows = xlsx.read_rows(io.BytesIO(content), "x.csv", [xlsx.Column("a", "a"), xlsx.Column("b", "b")])
    assert [(row.number, row.values) for row in rows] == [(2, {"a": "=1+1", "b": "-5"}), (3, {"a": "'x", "b": "@SUM"})]

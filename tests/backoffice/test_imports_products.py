"""Product import: validated by the catalogue's own rules, matched by SKU, costs untouched when absent."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from hotline.accounts.models import AuditEntry
from hotline.catalog.imports import ProductImport
from hotline.catalog.models import Product, Supplier, pinyin_initials
from hotline.lib.xlsx import ImportResult
from tests.backoffice.helpers import xlsx_stream

HEADER = ["SKU", "name", "short code", "price", "cost", "sale status", "supplier", "points", "stock"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def supplier(db: None) -> Supplier:
    return Supplier.objects.create(name="深圳康泰")


def run(rows: list[list[Any]], good_rows: bool = False, actor: Any = None) -> ImportResult:
    return ProductImport(actor=actor).run(xlsx_stream(rows), "p.xlsx", good_rows=good_rows)


def products() -> list[tuple[Any, ...]]:
    return list(Product.objects.order_by("sku").values_list("sku", "name", "short_code", "price", "cost", "status",
                                                            "supplier__name", "points", "track_stock", "stock"))


def test_products_are_created_with_their_supplier(supplier: Supplier, users: dict[str, Any]) -> None:
    rows = [HEADER, ["P-1", "颈椎按摩仪", 101, 398, "120.50", "on sale", "深圳康泰", 10, 50],
            ["P-2", "按摩靠枕", "102", "¥59.00", "", "下架", "", "", ""]]
    result = run(rows, actor=users["admin"])
    assert (result.imported, result.created, result.errors) == (True, 2, [])
    assert products() == [
        ("P-1", "颈椎按摩仪", "101", Decimal("398.00"), Decimal("120.50"), "on_sale", "深圳康泰", 10, True, 50),
        ("P-2", "按摩靠枕", "102", Decimal("59.00"), Decimal("0.00"), "withdrawn", None, 0, False, None)]
    assert Product.objects.get(sku="P-1").pinyin == pinyin_initials("颈椎按摩仪")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["import_product", "import_product"]


def test_bad_rows_are_listed_and_nothing_is_written(supplier: Supplier) -> None:
    rows = [HEADER,
            ["P-1", "颈椎按摩仪", "101", "398", "", "", "", "", ""],
            ["P-2", "护膝", "102", "-5", "", "", "", "", ""],
            ["P-3", "护腰", "103", "0", "", "", "", "", ""],
            ["P-4", "足浴盆", "104", "99.999", "", "", "", "", ""],
            ["P-5", "电饭煲", "105", "abc", "", "", "", "", ""],
            ["P-6", "炒锅", "106", "199", "", "sold out", "无名公司", "1.5", "-1"],
            ["p-1", "颈椎按摩仪二代", "107", "498", "", "", "", "", ""],
            ["P-8", "电水壶", "A-8", "89", "", "", "", "", ""],
            ["P-9", "x" * 201, "109", "89", "", "", "", "", ""]]
    result = run(rows)
    assert [str(e) for e in result.errors] == [
        "Row 3, price: An amount cannot be negative.",
        "Row 4, price: The price must be greater than zero.",
        "Row 5, price: “99.999” has more than two decimal places.",
        "Row 6, price: “abc” is not a number.",
        "Row 7, sale status: “sold out” is not one of: On sale, Paused, Withdrawn.",
        "Row 7, supplier: Unknown supplier “无名公司”.",
        "Row 7, points earned: “1.5” is not a whole number.",
        "Row 8, SKU: P-1 is already on row 2 of this file.",
        "Row 9, short code: Letters and digits only.",
        "Row 10, name: Ensure this value has at most 200 characters (it has 201).",
    ]
    assert not Product.objects.exists()
    assert not AuditEntry.objects.exists()


def test_negative_stock_is_refused_by_the_model(db: None) -> None:
    result = run([HEADER, ["P-6", "炒锅", "106", "199", "", "", "", "", "-1"]])
    assert [str(e) for e in result.errors] == ["Row 2, stock: Ensure this value is greater than or equal to 0."]


def test_reimport_updates_by_sku_and_keeps_cost_when_the_column_is_absent(supplier: Supplier) -> None:
    run([HEADER, ["P-1", "颈椎按摩仪", "101", "398", "120.50", "", "深圳康泰", "10", ""]])
    result = run([["货号", "品名", "简码", "售价", "状态"], ["p-1", "颈椎按摩仪 新款", "101", "428", "暂停"],
                  ["P-2", "护膝", "102", "99", ""]])
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert products() == [
        ("P-1", "颈椎按摩仪 新款", "101", Decimal("428.00"), Decimal("120.50"), "paused", "深圳康泰", 10, False, None),
        ("P-2", "护膝", "102", Decimal("99.00"), Decimal("0.00"), "on_sale", None, 0, False, None)]
    again = run([["货号", "品名", "简码", "售价", "状态"], ["P-1", "颈椎按摩仪 新款", "101", "428.00", ""]])
    assert (again.updated, again.unchanged) == (0, 1)


def test_good_rows_only(db: None) -> None:
    result = run([HEADER, ["P-1", "颈椎按摩仪", "101", "398", "", "", "", "", ""],
                  ["P-2", "护膝", "102", "-5", "", "", "", "", ""]], good_rows=True)
    assert (result.imported, result.created, result.bad_rows) == (True, 1, [3])
    assert [sku for sku, *_rest in products()] == ["P-1"]

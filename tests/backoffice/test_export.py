"""Export then import gives the same data back, in .xlsx and in CSV; exports follow the list's filters."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from hotline.accounts.models import User
from hotline.catalog.imports import ProductImport
from hotline.catalog.models import GiftRule, Product, SaleStatus, Supplier
from hotline.crm.imports import CustomerImport
from hotline.crm.models import Customer
from hotline.media.imports import AiringImport
from hotline.media.models import Airing
from tests import factories
from tests.backoffice.helpers import admin_url, read_xlsx


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def customer_data() -> list[tuple[Any, ...]]:
    return [(c.name, c.gender, c.birthday, c.birthday_lunar, c.level, c.member_no, c.email, c.notes,
             sorted(p.number for p in c.phones.all()),
             sorted((a.province, a.city, a.district, a.detail) for a in c.addresses.all()))
            for c in Customer.objects.prefetch_related("phones", "addresses").order_by("name")]


def product_data() -> list[tuple[Any, ...]]:
    return list(Product.objects.order_by("sku").values_list(
        "sku", "name", "short_code", "price", "cost", "status", "supplier__name", "points", "track_stock", "stock",
        "description"))


def airing_data() -> list[tuple[Any, ...]]:
    return list(Airing.objects.order_by("starts_at").values_list(
        "station__code", "starts_at", "length_seconds", "product__sku", "cost", "title"))


@pytest.fixture
def crowd(world: Any, users: dict[str, Any]) -> Any:
    factories.make_customer("张伟", phone="13900001111", gender="u", birthday=datetime.date(1970, 1, 30),
                            birthday_lunar=True, level="vip", member_no="M7", email="zw@example.cn",
                            notes='=HYPERLINK("http://x")')
    world.customer.phones.create(number="02087654321", kind="landline")
    return world


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_customers_round_trip(fmt: str, crowd: Any, users: dict[str, User]) -> None:
    # given exported customers
    before = customer_data()
    content = CustomerImport.export(Customer.objects.all(), user=users["admin"], fmt=fmt)
    # when they are imported again: nothing changes
    again = CustomerImport(actor=None).run(io.BytesIO(content), f"c.{fmt}")
    assert (again.errors, again.created, again.updated, again.unchanged) == ([], 0, 0, 2)
    # and into an empty database they come back the same
    Customer.objects.all().delete()
    result = CustomerImport(actor=None).run(io.BytesIO(content), f"c.{fmt}")
    assert (result.errors, result.created) == ([], 2)
    assert customer_data() == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_products_round_trip(fmt: str, world: Any, users: dict[str, User]) -> None:
    supplier = Supplier.objects.create(name="深圳康泰")
    Product.objects.filter(pk=world.product.pk).update(supplier=supplier, cost=Decimal("120.50"), track_stock=True,
                                                       stock=30, description="多档力度\n可加热")
    Product.objects.filter(pk=world.gift.pk).update(status=SaleStatus.PAUSED)
    before = product_data()
    content = ProductImport.export(Product.objects.all(), user=users["admin"], fmt=fmt)
    again = ProductImport(actor=None).run(io.BytesIO(content), f"p.{fmt}")
    assert (again.errors, again.unchanged) == ([], 3)
    GiftRule.objects.all().delete()
    Product.objects.all().delete()
    result = ProductImport(actor=None).run(io.BytesIO(content), f"p.{fmt}")
    assert (result.errors, result.created) == ([], 3)
    assert product_data() == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_airings_round_trip(fmt: str, world: Any, users: dict[str, User]) -> None:
    other = factories.make_station("zjtv", "浙江卫视")
    evening = datetime.datetime(2025, 11, 24, 20, 30, 15, tzinfo=timezone.get_current_timezone())
    factories.make_airing(world.station, evening, product=world.product, cost="50000.00")
    factories.make_airing(other, datetime.datetime(2025, 11, 24, 23, 59, tzinfo=datetime.UTC), length_seconds=3600)
    before = airing_data()
    content = AiringImport.export(Airing.objects.all(), user=users["admin"], fmt=fmt)
    again = AiringImport(actor=None).run(io.BytesIO(content), f"a.{fmt}")
    assert (again.errors, again.unchanged) == ([], 2)
    Airing.objects.all().delete()
    result = AiringImport(actor=None).run(io.BytesIO(content), f"a.{fmt}")
    assert (result.errors, result.created) == ([], 2)
    assert airing_data() == before


def test_exported_times_are_shanghai_wall_clock(world: Any, users: dict[str, User]) -> None:
    factories.make_airing(world.station, datetime.datetime(2025, 11, 24, 12, 30, tzinfo=datetime.UTC))
    rows = read_xlsx(AiringImport.export(Airing.objects.all(), user=users["admin"]))
    assert rows == [("station", "starts at", "length (seconds)", "product", "spot cost", "title"),
                    ("hunan", datetime.datetime(2025, 11, 24, 20, 30), 120, None, 10000, None)]


def test_text_that_looks_like_a_formula_stays_text(crowd: Any, users: dict[str, User]) -> None:
    xlsx = CustomerImport.export(Customer.objects.filter(name="张伟"), user=users["admin"])
    assert read_xlsx(xlsx)[1][-1] == '=HYPERLINK("http://x")'
    from openpyxl import load_workbook

    cell = load_workbook(io.BytesIO(xlsx)).worksheets[0]["J2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")
    csv_bytes = CustomerImport.export(Customer.objects.filter(name="张伟"), user=users["admin"], fmt="csv")
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert csv_bytes.decode("utf-8-sig").splitlines() == [
        "name,phone,gender,birthday,lunar birthday,level,member number,e-mail,address,notes",
        "张伟,13900001111,Unknown,1970-01-30,Yes,VIP,M7,zw@example.cn,广东省深圳市南山区科技园南路18号,"
        "\"'=HYPERLINK(\"\"http://x\"\")\""]


def test_export_link_follows_the_lists_filters_and_search(world: Any,
                                                          client_as: Callable[[str | None], Client]) -> None:
    Product.objects.filter(pk=world.gift.pk).update(status=SaleStatus.WITHDRAWN)
    client = client_as("finance")
    listing = client.get(admin_url("catalog/product"), {"status__exact": "on_sale"})
    link = admin_url("catalog/product", "export") + "?status__exact=on_sale&amp;format=xlsx"
    assert link in listing.content.decode()
    response = client.get(admin_url("catalog/product", "export"), {"status__exact": "on_sale", "format": "xlsx"})
    assert response["Content-Disposition"].startswith('attachment; filename="products-')
    assert [row[1] for row in read_xlsx(response.content)[1:]] == [world.product.name, world.extra.name]
    searched = client.get(admin_url("catalog/product", "export"), {"q": "护膝", "format": "csv"})
    assert searched.content.decode("utf-8-sig").splitlines()[1].split(",")[1] == "护膝"


def test_export_action_takes_the_selection(world: Any, client_as: Callable[[str | None], Client]) -> None:
    response = client_as("manager").post(admin_url("catalog/product"), {
        "action": "export_xlsx", "index": "0", "_selected_action": [world.extra.pk]})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert [row[0] for row in read_xlsx(response.content)[1:]] == [world.extra.sku]


def test_a_bad_filter_in_the_export_link_returns_to_the_list(world: Any,
                                                             client_as: Callable[[str | None], Client]) -> None:
    response = client_as("admin").get(admin_url("catalog/product", "export"), {"nonsense__in": "1"})
    assert (response.status_code, response["Location"]) == (302, admin_url("catalog/product") + "?e=1")

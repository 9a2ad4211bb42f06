"""A stock figure typed into the back office or an import is also a stock-ledger row, and the migration's
opening balance makes the ledger match products stocked before the ledger existed."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from hotline.catalog.actions import do_save_product
from hotline.catalog.models import Product
from hotline.logistics.actions import stock_on_hand
from hotline.logistics.models import StockMovement
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_new_stocked_product_opens_its_ledger_and_a_changed_figure_adjusts_it() -> None:
    admin = factories.make_user("admin", "boss")
    product = Product(sku="SKU-1", name="按摩枕", short_code="901", price=Decimal("99.00"), track_stock=True, stock=30)
    do_save_product(product, actor=admin)
    assert stock_on_hand([product.pk]) == {product.pk: 30}
    product.stock = 25
    do_save_product(product, actor=admin)
    assert list(StockMovement.objects.filter(product=product).order_by("pk").values_list("kind", "quantity")) == [
        ("adjusted", 30), ("adjusted", -5)]
    assert stock_on_hand([product.pk]) == {product.pk: 25}


def test_an_untracked_product_writes_no_ledger_rows() -> None:
    product = Product(sku="SKU-2", name="护膝", short_code="902", price=Decimal("59.00"))
    do_save_product(product, actor=None)
    product.name = "护膝（一对）"
    do_save_product(product, actor=None)
    assert StockMovement.objects.filter(product=product).count() == 0


def test_the_opening_balance_is_stock_plus_what_unshipped_orders_hold() -> None:
    stocked = Product.objects.create(sku="SKU-3", name="颈椎按摩仪", short_code="903", price=Decimal("398.00"),
                                     track_stock=True, stock=12)
    already = Product.objects.create(sku="SKU-4", name="足浴盆", short_code="904", price=Decimal("298.00"),
                                     track_stock=True, stock=5)
    StockMovement.objects.create(product=already, kind="received", quantity=5)
    migration = importlib.import_module("hotline.logistics.migrations.0002_opening_stock")
    migration.open_balances(apps, None)
    assert stock_on_hand([stocked.pk, already.pk]) == {stocked.pk: 12, already.pk: 5}

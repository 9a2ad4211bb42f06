"""The desk's product search warns when a product is running out: `low_stock` and the words to show,
for tracked products at or below their warning level only; in Chinese for a Chinese desk."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from hotline.catalog.models import Product
from tests import factories

pytestmark = [pytest.mark.django_db]


def client_for(user: Any, language: str = "en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def stock_fields(user: Any, product: Product, language: str = "en") -> dict[str, Any]:
    response = client_for(user, language).get("/desk/products", {"q": product.short_code})
    assert response.status_code == 200
    [found] = response.json()["products"]
    return {key: found[key] for key in ("id", "stock", "low_stock", "stock_warning")}


@pytest.mark.parametrize(("stock", "low", "expected"), [
    (3, 5, (True, "Low stock (3 left)")),
    (5, 5, (True, "Low stock (5 left)")),  # at the level warns
    (6, 5, (False, "")),
    (0, 0, (True, "Low stock (0 left)")),  # sold out with no level set still warns
    (1, 0, (False, "")),
])
def test_a_tracked_product_warns_at_or_below_its_level(agent: Any, stock: int, low: int,
                                                       expected: tuple[bool, str]) -> None:
    product = factories.make_product("颈椎按摩仪", "398.00", track_stock=True, stock=stock, low_stock=low)

    assert stock_fields(agent, product) == {"id": product.pk, "stock": stock, "low_stock": expected[0],
                                            "stock_warning": expected[1]}


def test_an_untracked_product_never_warns(agent: Any) -> None:
    product = factories.make_product("护膝", "99.00", track_stock=False, stock=None, low_stock=10)

    assert stock_fields(agent, product) == {"id": product.pk, "stock": None, "low_stock": False,
                                            "stock_warning": ""}


def test_the_warning_is_in_chinese_on_a_chinese_desk(agent: Any) -> None:
    product = factories.make_product("颈椎按摩仪", "398.00", track_stock=True, stock=2, low_stock=5)

    assert stock_fields(agent, product, "zh-hans") == {"id": product.pk, "stock": 2, "low_stock": True,
                                                       "stock_warning": "库存紧张 (剩 2)"}


def test_the_search_stays_closed_to_users_who_cannot_take_orders(users: dict[str, Any]) -> None:
    product = factories.make_product("颈椎按摩仪", "398.00", track_stock=True, stock=2, low_stock=5)

    response = client_for(users["finance"]).get("/desk/products", {"q": product.short_code})

    assert (response.status_code, "products" in response.json()) == (403, False)

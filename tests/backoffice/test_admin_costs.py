"""Product costs and spot costs are shown only to roles that may see them, on screen and in exports."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from hotline.catalog.models import Product
from tests import factories
from tests.backoffice.helpers import admin_url, read_xlsx


@pytest.fixture
def costly(world: Any) -> Any:
    Product.objects.filter(pk=world.product.pk).update(cost=Decimal("123.45"))
    world.airing = factories.make_airing(world.station, product=world.product, cost="54321.00")
    return world


def page_fields(response: Any) -> set[str]:
    return {f for fieldset in response.context["adminform"] for line in fieldset for f in line.fields}


@pytest.mark.parametrize(("role", "sees"), [("supervisor", False), ("logistics", False), ("finance", True),
                                            ("manager", True), ("admin", True)])
def test_product_cost(role: str, sees: bool, costly: Any, client_as: Callable[[str | None], Client]) -> None:
    client = client_as(role)
    listing = client.get(admin_url("catalog/product"))
    assert ("cost" in listing.context["cl"].list_display) is sees
    page = client.get(admin_url("catalog/product", "change", costly.product.pk))
    assert ("cost" in page_fields(page)) is sees
    assert ("123.45" in page.content.decode()) is sees
    header = read_xlsx(client.get(admin_url("catalog/product", "export")).content)[0]
    assert ("cost" in header) is sees


@pytest.mark.parametrize(("role", "sees"), [("supervisor", False), ("finance", True), ("manager", True),
                                            ("admin", True)])
def test_spot_cost(role: str, sees: bool, costly: Any, client_as: Callable[[str | None], Client]) -> None:
    client = client_as(role)
    listing = client.get(admin_url("media/airing"))
    assert ("cost" in listing.context["cl"].list_display) is sees
    page = client.get(admin_url("media/airing", "change", costly.airing.pk))
    assert ("cost" in page_fields(page)) is sees
    assert ("54321" in page.content.decode()) is sees
    csv_text = client.get(admin_url("media/airing", "export") + "?format=csv").content.decode("utf-8-sig")
    assert ("spot cost" in csv_text.splitlines()[0]) is sees
    assert ("54321" in csv_text) is sees

"""Products over the API: search by short code, pinyin initials and name; status filter; cost only for some."""

from __future__ import annotations

import pytest

from hotline.catalog.models import SaleStatus
from tests import factories


def _codes(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [p["short_code"] for p in response.json()["items"]]


def test_list_is_by_short_code_with_gifts_and_cross_sells(world, as_role):
    # when an agent lists products
    body = as_role("agent").get("/api/products").json()
    # then all come back in short-code order, the massager with its gift rule and cross-sell
    assert body["count"] == 3
    massager = body["items"][0]
    assert {k: massager[k] for k in ("name", "price", "status", "orderable", "points")} == {
        "name": "颈椎按摩仪", "price": "398.00", "status": "on_sale", "orderable": True, "points": 10}
    assert massager["gifts"] == [{"gift": {"id": world.gift.pk, "sku": world.gift.sku,
                                           "short_code": world.gift.short_code, "name": "按摩靠枕"},
                                  "buy_quantity": 2, "gift_quantity": 1, "repeat": True}]
    assert [(c["suggestion"]["name"], c["offer_price"]) for c in massager["cross_sells"]] == [("护膝", "69.00")]


def test_search_by_short_code_pinyin_initials_or_name(world, as_role):
    api = as_role("agent")
    # when the agent types a short code, pinyin initials, or part of a name
    # then the product is found
    assert _codes(api.get("/api/products", q=world.extra.short_code)) == [world.extra.short_code]
    assert _codes(api.get("/api/products", q="amkz")) == [world.gift.short_code]
    assert _codes(api.get("/api/products", q="护膝")) == [world.extra.short_code]


def test_an_exact_short_code_comes_before_longer_codes_it_starts(world, as_role):
    # given products Z5 and Z50
    factories.make_product("足浴盆", "299.00", short_code="Z50")
    factories.make_product("足贴", "39.00", short_code="Z5")
    # when the agent types z5, then Z5 comes first
    assert _codes(as_role("agent").get("/api/products", q="z5")) == ["Z5", "Z50"]


def test_status_filter_and_search_of_withdrawn_products(world, as_role):
    # given a withdrawn product
    factories.make_product("旧款按摩仪", "199.00", status=SaleStatus.WITHDRAWN, short_code="777")
    api = as_role("admin")
    # when filtering by status, then only withdrawn products come back, and a search within them finds it
    assert _codes(api.get("/api/products", status="withdrawn")) == ["777"]
    assert _codes(api.get("/api/products", status="withdrawn", q="777")) == ["777"]
    assert _codes(api.get("/api/products", status="on_sale", q="777")) == []
    body = api.get("/api/products", q="777").json()["items"][0]
    assert (body["status"], body["orderable"]) == ("withdrawn", False)


def test_an_unknown_status_filter_is_422(world, as_role):
    response = as_role("agent").get("/api/products", status="sold_out")
    assert (response.status_code, response.json()) == (
        422, {"errors": {"status": ["Select a valid choice. sold_out is not one of the available choices."]}})


@pytest.mark.parametrize(("role", "sees_cost"), [
    ("agent", False), ("supervisor", False), ("logistics", False), ("finance", True), ("manager", True),
    ("admin", True),
])
def test_cost_is_shown_only_to_roles_that_may_see_costs(world, as_role, role, sees_cost):
    # given the massager costs 120 yuan
    world.product.cost = "120.00"
    world.product.save()
    api = as_role(role)
    # when the role reads it, alone and in the list
    one = api.get(f"/api/products/{world.product.pk}").json()
    listed = api.get("/api/products", q=world.product.short_code).json()["items"][0]
    # then the cost is there, or the field is left out altogether
    for body in (one, listed):
        assert body.get("cost", "absent") == ("120.00" if sees_cost else "absent")


def test_an_unknown_product_is_404(world, as_role):
    response = as_role("agent").get("/api/products/99999")
    assert (response.status_code, response.json()) == (404, {"detail": "Product #99999 does not exist."})

"""退货入库 Returns and 库存 Stock through the test client: receive a refused parcel's goods by condition
(good restocked, damaged written off), today's receipts; goods received and stock counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from hotline.catalog.models import Product
from hotline.logistics.models import MovementKind, ReturnReceipt, ShipmentStatus, StockMovement
from hotline.orders.models import Order, Status
from tests import factories
from tests.logistics.factories import make_parcel, make_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def clerk(users: dict[str, Any]) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["logistics"])
    return client


def refused(world: Any) -> Any:
    """The world's order, two units, shipped for ¥12 and refused at the door."""
    line = world.order.lines.get()
    line.quantity = 2
    line.save()
    make_parcel(world.order, world.courier, status=ShipmentStatus.REFUSED, tracking="SF0000000001")
    Order.objects.filter(pk=world.order.pk).update(status=Status.REFUSED)
    return line


def test_scanning_a_refused_order_shows_its_lines_with_the_default_return_freight(users: dict[str, Any]) -> None:
    world = make_world()
    line = refused(world)
    response = clerk(users).get("/logistics/returns/?order=l0000001")
    form = response.context["form"]
    assert [(item.product.name, quantity.initial, condition.initial) for item, quantity, condition
            in form.line_fields()] == [("颈椎按摩仪", 2, "good")]
    assert form.fields["return_freight"].initial == Decimal("12.00")
    assert f'name="quantity_{line.pk}"' in response.content.decode()


def test_an_unknown_order_number_is_named(users: dict[str, Any]) -> None:
    response = clerk(users).get("/logistics/returns/?order=NOPE")
    assert (response.context["form"], response.context["lookup"].errors) == (
        None, {"order": ["No order has the number “NOPE”."]})


def test_receiving_restocks_the_good_and_writes_off_the_damaged(users: dict[str, Any]) -> None:
    world = make_world()
    line = refused(world)
    client = clerk(users)
    good = client.post("/logistics/returns/L0000001/receive", {
        f"quantity_{line.pk}": "2", f"condition_{line.pk}": "good", "return_freight": "15.50", "note": "外箱破损"})

    assert (good.status_code, good["Location"]) == (302, "/logistics/returns/")
    receipt = ReturnReceipt.objects.get()
    assert (receipt.return_freight, receipt.note, Order.objects.get().status) == (
        Decimal("15.50"), "外箱破损", Status.RETURNED)
    assert list(receipt.lines.values_list("quantity", "condition")) == [(2, "good")]
    assert Product.objects.get(pk=world.product.pk).stock == 12
    page = client.get("/logistics/returns/")
    assert [str(m) for m in page.context["messages"]] == [f"Return of order L0000001 received (receipt {receipt.pk})."]
    assert [r.order.number for r in page.context["receipts"]] == ["L0000001"]


def test_damaged_goods_go_to_the_write_off_list(users: dict[str, Any]) -> None:
    world = make_world()
    line = refused(world)
    client = clerk(users)
    client.post("/logistics/returns/L0000001/receive", {
        f"quantity_{line.pk}": "1", f"condition_{line.pk}": "damaged", "return_freight": "12.00"})
    offs = client.get("/logistics/returns/").context["write_offs"]
    assert [(m.product.name, m.quantity, m.order.number) for m in offs] == [("颈椎按摩仪", -1, "L0000001")]
    assert Product.objects.get(pk=world.product.pk).stock == 10


@pytest.mark.parametrize(("data", "errors"), [
    ({"quantity": "3", "condition": "good", "return_freight": "12"},
     {"quantity": ["Ensure this value is less than or equal to 2."]}),
    ({"quantity": "0", "condition": "good", "return_freight": "12"},
     {"__all__": ["Say what came back, line by line (missing goods too)."]}),
    ({"quantity": "1", "condition": "good", "return_freight": "-1"},
     {"return_freight": ["Ensure this value is greater than or equal to 0."]}),
])
def test_bad_returns_change_nothing(users: dict[str, Any], data: dict[str, str], errors: dict[str, list[str]]) -> None:
    world = make_world()
    line = refused(world)
    post = {f"quantity_{line.pk}": data["quantity"], f"condition_{line.pk}": data["condition"],
            "return_freight": data["return_freight"]}
    response = clerk(users).post("/logistics/returns/L0000001/receive", post)
    assert response.status_code == 400
    got = {key.replace(f"_{line.pk}", ""): value for key, value in response.context["form"].errors.items()}
    assert got == errors
    assert (ReturnReceipt.objects.count(), Order.objects.get().status) == (0, Status.REFUSED)


def test_an_order_still_with_the_courier_cannot_be_received(users: dict[str, Any]) -> None:
    world = make_world()
    make_parcel(world.order, world.courier, status=ShipmentStatus.SHIPPED, tracking="SF0000000001")
    line = world.order.lines.get()
    response = clerk(users).post("/logistics/returns/L0000001/receive", {
        f"quantity_{line.pk}": "1", f"condition_{line.pk}": "good", "return_freight": "0"})
    assert response.context["form"].errors == {"__all__": [
        "Order L0000001 is still with the courier: record its refusal or return first."]}
    assert ReturnReceipt.objects.count() == 0


# ---------------------------------------------------------------- stock

def test_stock_shows_on_hand_available_and_low_stock(users: dict[str, Any]) -> None:
    world = make_world()
    low = factories.make_product("护膝", "99.00", track_stock=True, stock=2, low_stock=5)
    StockMovement.objects.create(product=world.product, kind=MovementKind.RECEIVED, quantity=14)
    rows = clerk(users).get("/logistics/stock/").context["rows"]
    assert [(row.product.name, row.on_hand, row.available, row.low) for row in rows] == [
        ("护膝", 0, 2, True), ("颈椎按摩仪", 14, 10, False)]
    assert low.pk


def test_goods_received(users: dict[str, Any]) -> None:
    world = make_world()
    client = clerk(users)
    response = client.post("/logistics/stock/receive", {"product": world.product.pk, "quantity": "20", "note": "PO-7"})
    assert (response.status_code, response["Location"]) == (302, "/logistics/stock/")
    assert list(StockMovement.objects.values_list("kind", "quantity", "note")) == [("received", 20, "PO-7")]
    assert Product.objects.get(pk=world.product.pk).stock == 30
    assert [str(m) for m in client.get("/logistics/stock/").context["messages"]] == ["20 × 颈椎按摩仪 received."]


def test_a_stock_count_books_the_difference(users: dict[str, Any]) -> None:
    world = make_world()
    StockMovement.objects.create(product=world.product, kind=MovementKind.RECEIVED, quantity=14)
    client = clerk(users)
    client.post("/logistics/stock/count", {"product": world.product.pk, "counted": "12"})
    assert [str(m) for m in client.get("/logistics/stock/").context["messages"]] == ["Count booked: -2 for 颈椎按摩仪."]
    client.post("/logistics/stock/count", {"product": world.product.pk, "counted": "12"})
    assert [str(m) for m in client.get("/logistics/stock/").context["messages"]] == [
        "The count agrees with the ledger: nothing to book."]
    assert Product.objects.get(pk=world.product.pk).stock == 8


@pytest.mark.parametrize(("url", "data", "errors"), [
    ("/logistics/stock/receive", {"quantity": "0"}, {"quantity": ["Ensure this value is greater than or equal to 1."]}),
    ("/logistics/stock/count", {"counted": "-1"}, {"counted": ["Ensure this value is greater than or equal to 0."]}),
])
def test_bad_stock_forms_change_nothing(users: dict[str, Any], url: str, data: dict[str, str],
                                        errors: dict[str, list[str]]) -> None:
    world = make_world()
    response = clerk(users).post(url, {"product": world.product.pk, **data})
    form = response.context["receive_form" if "receive" in url else "count_form"]
    assert (response.status_code, form.errors) == (400, errors)
    assert (StockMovement.objects.count(), Product.objects.get(pk=world.product.pk).stock) == (0, 10)

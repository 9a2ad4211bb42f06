"""Order entry at the desk: product look-up, live quote, placing orders (new customers, idempotency,
attribution to the call's airing), address parsing; access and CSRF for every endpoint."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone, translation

from hotline.accounts.models import AuditEntry
from hotline.calls.models import CallRecord
from hotline.catalog.models import GiftRule, Product, SaleStatus
from hotline.crm.models import Address, Customer, CustomerPhone
from hotline.desk.entry import product_choices
from hotline.orders.models import Order
from tests import factories
from tests.orders.helpers import state

# The desk's URLs are mounted here as the project mounts them, under /desk/.
urlpatterns = [path("desk/", include("hotline.desk.entry_urls"))]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("english")]

NEW_PHONE = "13912345678"


def client_for(user: Any = None, **options: Any) -> Client:
    client = Client(headers={"accept-language": "en"}, **options)
    if user is not None:
        client.force_login(user)
    return client


def post(client: Client, name: str, body: Any) -> Any:
    return client.post(reverse(name), json.dumps(body), content_type="application/json")


def everything() -> dict[str, Any]:
    """All that placing an order (with a new customer) may write."""
    return {**state(), "customers": Customer.objects.count(), "phones": CustomerPhone.objects.count(),
            "addresses": Address.objects.count(), "audit": AuditEntry.objects.count()}


def order_body(world: Any, **fields: Any) -> dict[str, Any]:
    body = {"customer_id": world.customer.pk, "new_customer": None,
            "lines": [{"product_id": world.product.pk, "quantity": 2, "cross_sell": False}],
            "delivery_method": "ems", "payment_method": "cod", "address_id": world.customer.addresses.get().pk,
            "address_text": "", "recipient": "", "recipient_phone": "", "invoice_title": "", "invoice_tax_id": "",
            "rush": False, "notes": "", "hotline_number": "", "call_id": "", "idempotency_key": ""}
    body.update(fields)
    return body


def new_customer_body(world: Any, **fields: Any) -> dict[str, Any]:
    return order_body(world, customer_id=None, address_id=None, address_text="浙江杭州西湖区文三路1号",
                      new_customer={"name": "李阿姨", "gender": "f", "phone": NEW_PHONE}, **fields)


def requests(world: Any) -> list[tuple[str, str, Any]]:
    """(method, url name, GET params or POST body) of every endpoint, valid for a permitted user."""
    return [("get", "desk-products", {"q": "颈椎"}),
            ("post", "desk-quote", {"lines": [{"product_id": world.product.pk, "quantity": 1}]}),
            ("post", "desk-order", order_body(world)),
            ("get", "desk-parse-address", {"text": "广东省深圳市南山区科技园南路18号"}),
            ("get", "desk-customers", {"q": "小明"})]


def send(client: Client, method: str, name: str, data: Any) -> Any:
    return client.get(reverse(name), data) if method == "get" else post(client, name, data)


# ---------------------------------------------------------------- access

@pytest.mark.parametrize("endpoint", range(5))
def test_anonymous_users_get_403_json_and_nothing_changes(world: Any, endpoint: int) -> None:
    method, name, data = requests(world)[endpoint]
    before = everything()
    response = send(client_for(), method, name, data)
    assert (response.status_code, response.json()) == (403, {"detail": "Log in to continue."})
    assert everything() == before


@pytest.mark.parametrize("role", ["logistics", "finance", "manager"])
@pytest.mark.parametrize("endpoint", range(5))
def test_users_who_may_not_take_orders_get_403_json_and_nothing_changes(
        world: Any, users: dict[str, Any], role: str, endpoint: int) -> None:
    method, name, data = requests(world)[endpoint]
    before = everything()
    response = send(client_for(users[role]), method, name, data)
    assert (response.status_code, response.json()) == (403, {"detail": "You do not have permission to do this."})
    assert everything() == before


@pytest.mark.parametrize(("endpoint", "status"), [(0, 200), (1, 200), (2, 201), (3, 200), (4, 200)])
@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_agents_and_supervisors_may_use_every_endpoint(world: Any, users: dict[str, Any], role: str,
                                                       endpoint: int, status: int) -> None:
    method, name, data = requests(world)[endpoint]
    assert send(client_for(users[role]), method, name, data).status_code == status


def test_urls_are_under_desk() -> None:
    assert [reverse(name) for name in ("desk-products", "desk-quote", "desk-order", "desk-parse-address",
                                       "desk-customers")] == [
        "/desk/products", "/desk/quote", "/desk/orders", "/desk/address/parse", "/desk/customers"]


def test_wrong_methods_are_refused(world: Any, agent: Any) -> None:
    client = client_for(agent)
    assert client.get(reverse("desk-quote")).status_code == 405
    assert client.get(reverse("desk-order")).status_code == 405
    assert client.post(reverse("desk-products")).status_code == 405


# ---------------------------------------------------------------- CSRF

def test_posts_without_the_csrf_token_are_refused_and_change_nothing(world: Any, agent: Any) -> None:
    client = client_for(agent, enforce_csrf_checks=True)
    before = everything()
    assert post(client, "desk-order", order_body(world)).status_code == 403
    assert post(client, "desk-quote", {"lines": []}).status_code == 403
    assert everything() == before


def test_posts_with_the_csrf_header_are_accepted(world: Any, agent: Any) -> None:
    client = client_for(agent, enforce_csrf_checks=True)
    secret = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"  # the cookie's secret; the page echoes it in X-CSRFToken
    client.cookies["csrftoken"] = secret
    response = client.post(reverse("desk-order"), json.dumps(order_body(world)), content_type="application/json",
                           headers={"x-csrftoken": secret})
    assert response.status_code == 201
    assert Order.objects.count() == 1


# ---------------------------------------------------------------- products

def test_products_with_stock_gifts_and_cross_sells(world: Any, agent: Any) -> None:
    world.product.track_stock, world.product.stock = True, 17
    world.product.save()
    GiftRule.objects.create(product=world.product, gift=world.extra, buy_quantity=5, active=False)  # not shown
    withdrawn = factories.make_product("旧款枕头", "10.00", status=SaleStatus.WITHDRAWN)
    factories.make_cross_sell(world.product, withdrawn, "5.00")  # not on sale: not suggested
    response = client_for(agent).get(reverse("desk-products"), {"q": world.product.short_code})
    assert response.status_code == 200
    assert response.json() == {"products": [{
        "id": world.product.pk, "code": world.product.short_code, "sku": world.product.sku, "name": "颈椎按摩仪",
        "price": "398.00", "stock": 17, "low_stock": False, "stock_warning": "",
        "gifts": [{"name": "按摩靠枕", "buy": 2, "get": 1}],
        "cross_sells": [{"id": world.extra.pk, "name": "护膝", "offer_price": "69.00"}],
    }]}


def test_products_without_tracked_stock_show_null_and_empty_lists(world: Any, agent: Any) -> None:
    response = client_for(agent).get(reverse("desk-products"), {"q": world.extra.short_code})
    assert response.json() == {"products": [{
        "id": world.extra.pk, "code": world.extra.short_code, "sku": world.extra.sku, "name": "护膝",
        "price": "99.00", "stock": None, "low_stock": False, "stock_warning": "", "gifts": [],
        "cross_sells": []}]}


def test_products_search_by_pinyin_returns_at_most_eight(world: Any, agent: Any) -> None:
    for n in range(10):
        factories.make_product(f"颈椎贴{n}", "9.90")
    response = client_for(agent).get(reverse("desk-products"), {"q": "jz"})
    assert len(response.json()["products"]) == 8


def test_products_take_three_queries_however_many_are_found(world: Any, agent: Any,
                                                            django_assert_num_queries: Any,
                                                            django_assert_max_num_queries: Any) -> None:
    for n in range(8):
        product = factories.make_product(f"颈椎枕{n}", "19.90")
        factories.make_gift_rule(product, world.gift)
        factories.make_cross_sell(product, world.extra, "50.00")
        factories.make_cross_sell(product, world.gift, "30.00")
    with django_assert_num_queries(3):
        found = product_choices("颈椎枕")
    assert len(found) == 8
    assert sum(len(p["gifts"]) + len(p["cross_sells"]) for p in found) == 8 * 3
    client = client_for(agent)
    with django_assert_max_num_queries(3 + 2):  # + the session and the user
        client.get(reverse("desk-products"), {"q": "颈椎枕"})


# ---------------------------------------------------------------- quote

def test_quote_with_a_gift_and_a_cross_sell_at_its_offer_price(world: Any, agent: Any) -> None:
    before = everything()
    response = post(client_for(agent), "desk-quote", {"lines": [
        {"product_id": world.product.pk, "quantity": 4, "cross_sell": False},
        {"product_id": world.extra.pk, "quantity": 2, "cross_sell": True}]})
    assert response.status_code == 200
    assert response.json() == {
        "lines": [
            {"product_id": world.product.pk, "name": "颈椎按摩仪", "quantity": 4, "unit_price": "398.00",
             "amount": "1592.00", "cross_sell": False},
            {"product_id": world.extra.pk, "name": "护膝", "quantity": 2, "unit_price": "69.00",
             "amount": "138.00", "cross_sell": True},
        ],
        "gifts": [{"product_id": world.gift.pk, "name": "按摩靠枕", "quantity": 2}],
        "total": "1730.00",
        "points": 44,
    }
    assert everything() == before


def test_quote_matches_the_order_it_becomes(world: Any, agent: Any) -> None:
    lines = [{"product_id": world.product.pk, "quantity": 2, "cross_sell": False},
             {"product_id": world.extra.pk, "quantity": 1, "cross_sell": True}]
    client = client_for(agent)
    quoted = post(client, "desk-quote", {"lines": lines}).json()
    placed = post(client, "desk-order", order_body(world, lines=lines)).json()["order"]
    order = Order.objects.get(pk=placed["id"])
    assert (quoted["total"], quoted["points"]) == (placed["total"], order.points) == ("865.00", 22)
    assert list(order.lines.filter(is_gift=True).values_list("product_id", "quantity")) == [
        (g["product_id"], g["quantity"]) for g in quoted["gifts"]]


@pytest.mark.parametrize(("lines", "errors"), [
    ([], {"lines": ["An order needs at least one product."]}),
    ("nonsense", {"lines": ["An order needs at least one product."]}),
    ([{"product_id": 999999, "quantity": 1}], {"lines": ["Product #999999 does not exist."]}),
    ([{"quantity": 1}, {"product_id": "1", "quantity": 1}], {"lines.0.product_id": ["Line 1: choose a product."],
                                                             "lines.1.product_id": ["Line 2: choose a product."]}),
    ([{"product_id": "PRODUCT", "quantity": 0}],
     {"lines.0.quantity": ["Line 1: the quantity must be greater than 0."]}),
    ([{"product_id": "PRODUCT", "quantity": 1}, {"product_id": "EXTRA", "quantity": -2}],
     {"lines.1.quantity": ["Line 2: the quantity must be greater than 0."]}),
    ([{"product_id": "PRODUCT", "quantity": 1000}],
     {"lines.0.quantity": ["Line 1: the quantity must be at most 999."]}),
    ([{"product_id": "PRODUCT", "quantity": "2"}],
     {"lines.0.quantity": ["Line 1: the quantity must be a whole number."]}),
    ([{"product_id": "PRODUCT"}], {"lines.0.quantity": ["Line 1: the quantity must be a whole number."]}),
    ([{"product_id": "PRODUCT", "quantity": 1, "cross_sell": "yes"}],
     {"lines.0.cross_sell": ["Line 1: “cross-sell” must be true or false."]}),
    ([{"product_id": "EXTRA", "quantity": 1, "cross_sell": True}],
     {"lines": ["护膝 is not a cross-sell of any product on this order."]}),
    ([{"product_id": "PAUSED", "quantity": 1}], {"lines": ["暂停品 is Paused and cannot be ordered."]}),
])
def test_quote_refuses_what_an_order_would_refuse(world: Any, agent: Any, lines: Any,
                                                  errors: dict[str, list[str]]) -> None:
    paused = factories.make_product("暂停品", "10.00", status=SaleStatus.PAUSED)
    ids = {"PRODUCT": world.product.pk, "EXTRA": world.extra.pk, "PAUSED": paused.pk}
    if isinstance(lines, list):  # the world's ids are known only now
        lines = [{**line, "product_id": ids.get(line["product_id"], line["product_id"])} if "product_id" in line
                 else line for line in lines]
    response = post(client_for(agent), "desk-quote", {"lines": lines})
    assert (response.status_code, response.json()) == (422, {"errors": errors})


def test_a_body_that_is_not_json_is_a_422(world: Any, agent: Any) -> None:
    response = client_for(agent).post(reverse("desk-quote"), "{lines", content_type="application/json")
    assert (response.status_code, response.json()) == (
        422, {"errors": {"__all__": ["The request body must be a JSON object."]}})


# ---------------------------------------------------------------- orders

def test_order_for_an_existing_customer(world: Any, agent: Any) -> None:
    response = post(client_for(agent), "desk-order", order_body(world, rush=True, notes="下午送"))
    order = Order.objects.get()
    assert (response.status_code, response.json()) == (201, {"order": {
        "id": order.pk, "number": f"HL{timezone.localdate():%Y%m%d}-000001", "total": "796.00",
        "airing_id": None, "customer_id": world.customer.pk}})
    assert (order.agent, order.rush, order.notes, order.recipient, order.city) == (
        agent, True, "下午送", "王小明", "深圳")
    assert order.total == Decimal("796.00")


def test_order_is_attributed_to_the_airing_of_its_call_not_to_the_time_of_submitting(
        world: Any, agent: Any) -> None:
    # the spot aired two hours ago; the call came in during it; the order is submitted only now,
    # long after the 30-minute window
    airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(hours=2))
    CallRecord.objects.create(call_id="call-77", caller="13800138000", dnis="4008001000", agent_key=agent.username,
                              hotline_number=world.hotline, airing=airing,
                              arrived_at=airing.starts_at + datetime.timedelta(seconds=60))
    response = post(client_for(agent), "desk-order", order_body(world, call_id="call-77"))
    assert response.status_code == 201
    assert response.json()["order"]["airing_id"] == airing.pk
    order = Order.objects.get()
    assert (order.airing, order.hotline_number, order.call_id) == (airing, world.hotline, "call-77")
    world.customer.refresh_from_db()
    assert world.customer.first_airing == airing


def test_without_its_call_the_same_order_is_attributed_at_submission(world: Any, agent: Any) -> None:
    factories.make_airing(world.station, timezone.now() - datetime.timedelta(hours=2))
    response = post(client_for(agent), "desk-order", order_body(world, hotline_number="4008001000",
                                                                 call_id="unknown-call"))
    assert response.json()["order"]["airing_id"] is None
    assert Order.objects.get().hotline_number == world.hotline


def test_order_with_a_new_customer(world: Any, agent: Any) -> None:
    customers = Customer.objects.count()
    response = post(client_for(agent), "desk-order", new_customer_body(world))
    assert response.status_code == 201
    customer = Customer.objects.get(name="李阿姨")
    assert Customer.objects.count() == customers + 1
    assert (customer.gender, customer.primary_phone()) == ("f", NEW_PHONE)
    assert list(customer.addresses.values_list("province", "city", "district", "detail")) == [
        ("浙江", "杭州", "西湖区", "文三路1号")]
    order = Order.objects.get()
    assert response.json()["order"] == {"id": order.pk, "number": order.number, "total": "796.00",
                                        "airing_id": None, "customer_id": customer.pk}
    assert (order.recipient, order.recipient_phone, order.province, order.address_detail) == (
        "李阿姨", NEW_PHONE, "浙江", "文三路1号")


@pytest.mark.parametrize(("fields", "errors"), [
    ({"lines": [{"product_id": 999999, "quantity": 1}]}, {"lines": ["Product #999999 does not exist."]}),
    ({"payment_method": "bitcoin"}, {"payment_method": ["Unknown payment method “bitcoin”."]}),
    ({"hotline_number": "4001234567"}, {"hotline_number": ["4001234567 is not one of our hotline numbers."]}),
])
def test_a_refused_order_leaves_no_new_customer_behind(world: Any, agent: Any, fields: dict[str, Any],
                                                       errors: dict[str, list[str]]) -> None:
    before = everything()
    response = post(client_for(agent), "desk-order", new_customer_body(world, **fields))
    assert (response.status_code, response.json()) == (422, {"errors": errors})
    assert everything() == before


def test_a_new_customer_with_a_known_number_is_refused(world: Any, agent: Any) -> None:
    before = everything()
    body = new_customer_body(world)
    body["new_customer"]["phone"] = "13800138000"
    response = post(client_for(agent), "desk-order", body)
    assert (response.status_code, response.json()) == (422, {"errors": {"new_customer.phone": [
        f"13800138000 already belongs to customer 王小明 (#{world.customer.pk})."]}})
    assert everything() == before


@pytest.mark.parametrize(("fields", "errors"), [
    ({"customer_id": None}, {"customer_id": ["Choose the customer or enter a new one."]}),
    ({"new_customer": {"name": "李", "gender": "f", "phone": NEW_PHONE}},
     {"customer_id": ["Choose the customer or enter a new one, not both."]}),
    ({"customer_id": "7", "address_id": 1.5, "rush": "yes", "notes": 3, "idempotency_key": 7},
     {"customer_id": ["Choose one from the list."], "address_id": ["Choose one from the list."],
      "rush": ["Must be true or false."], "notes": ["Enter text."], "idempotency_key": ["Enter text."]}),
    ({"idempotency_key": "k" * 101, "notes": "n" * 1001, "customer_id": None},
     {"idempotency_key": ["At most 100 characters."], "notes": ["At most 1000 characters."],
      "customer_id": ["Choose the customer or enter a new one."]}),
    ({"customer_id": 999999}, {"customer_id": ["Customer #999999 does not exist."]}),
])
def test_bad_order_forms_are_refused_field_by_field(world: Any, agent: Any, fields: dict[str, Any],
                                                    errors: dict[str, list[str]]) -> None:
    before = everything()
    response = post(client_for(agent), "desk-order", order_body(world, **fields))
    assert (response.status_code, response.json()) == (422, {"errors": errors})
    assert everything() == before


def test_a_bad_new_customer_is_refused_with_its_fields(world: Any, agent: Any) -> None:
    before = everything()
    body = new_customer_body(world)
    body["new_customer"] = {"name": "李阿姨", "gender": "x", "phone": ""}
    response = post(client_for(agent), "desk-order", body)
    assert (response.status_code, response.json()) == (422, {"errors": {
        "new_customer.phone": ["Enter at least one phone number."]}})
    body["new_customer"] = {"name": "李阿姨", "gender": "x", "phone": NEW_PHONE}
    response = post(client_for(agent), "desk-order", body)
    assert (response.status_code, response.json()) == (422, {"errors": {
        "new_customer.gender": ["Value 'x' is not a valid choice."]}})
    assert everything() == before


def test_a_repeated_submit_returns_the_first_order(world: Any, agent: Any) -> None:
    client = client_for(agent)
    first = post(client, "desk-order", new_customer_body(world, idempotency_key="entry-1"))
    after_first = everything()
    again = post(client, "desk-order", new_customer_body(world, idempotency_key="entry-1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert everything() == after_first
    assert Customer.objects.filter(name="李阿姨").count() == 1


def test_the_same_key_from_another_agent_places_another_order(world: Any, users: dict[str, Any]) -> None:
    first = post(client_for(users["agent"]), "desk-order", order_body(world, idempotency_key="k"))
    other = post(client_for(users["supervisor"]), "desk-order", order_body(world, idempotency_key="k"))
    assert (first.status_code, other.status_code) == (201, 201)
    assert first.json()["order"]["number"] != other.json()["order"]["number"]


def test_ordering_takes_stock_as_order_creation_does(world: Any, agent: Any) -> None:
    Product.objects.filter(pk=world.product.pk).update(track_stock=True, stock=1)
    before = everything()
    response = post(client_for(agent), "desk-order", order_body(world))
    assert (response.status_code, response.json()) == (422, {"errors": {
        "lines": ["Only 1 of 颈椎按摩仪 left in stock."]}})
    assert everything() == before


# ---------------------------------------------------------------- addresses

def test_parse_address(agent: Any) -> None:
    response = client_for(agent).get(reverse("desk-parse-address"), {"text": "浙江杭州西湖区文三路1号"})
    assert (response.status_code, response.json()) == (200, {
        "province": "浙江", "city": "杭州", "district": "西湖区", "detail": "文三路1号"})


@pytest.mark.parametrize(("text", "error"), [("  ", "Enter an address."), ("路" * 301, "At most 300 characters.")])
def test_parse_address_refuses_empty_and_overlong_text(agent: Any, text: str, error: str) -> None:
    response = client_for(agent).get(reverse("desk-parse-address"), {"text": text})
    assert (response.status_code, response.json()) == (422, {"errors": {"text": [error]}})


# ---------------------------------------------------------------- field errors name their field

def test_a_quantity_of_zero_or_less_is_refused_for_its_line_not_turned_into_one(world: Any, agent: Any) -> None:
    before = everything()
    lines = [{"product_id": world.product.pk, "quantity": 1, "cross_sell": False},
             {"product_id": world.extra.pk, "quantity": 0, "cross_sell": False},
             {"product_id": world.gift.pk, "quantity": -3, "cross_sell": False}]
    response = post(client_for(agent), "desk-order", order_body(world, lines=lines))
    assert (response.status_code, response.json()) == (422, {"errors": {
        "lines.1.quantity": ["Line 2: the quantity must be greater than 0."],
        "lines.2.quantity": ["Line 3: the quantity must be greater than 0."]}})
    assert everything() == before


def test_a_new_customer_without_a_name_is_refused_naming_the_name(world: Any, agent: Any) -> None:
    before = everything()
    body = new_customer_body(world)
    body["new_customer"]["name"] = "  "
    response = post(client_for(agent), "desk-order", body)
    assert (response.status_code, response.json()) == (422, {"errors": {
        "new_customer.name": ["The name cannot be empty."]}})
    assert everything() == before


def test_field_errors_in_chinese(world: Any, agent: Any) -> None:
    body = new_customer_body(world, lines=[{"product_id": world.product.pk, "quantity": 0}])
    body["new_customer"]["name"] = ""
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(agent)
    with translation.override("zh-hans"):
        response = post(client, "desk-order", body)
    assert (response.status_code, response.json()) == (422, {"errors": {
        "new_customer.name": ["姓名不能为空"], "lines.0.quantity": ["第 1 行：数量必须大于 0"]}})


# ---------------------------------------------------------------- customers, to order for outside a call

def choice(customer: Customer) -> dict[str, Any]:
    address = customer.addresses.get()
    return {"customer_id": customer.pk, "customer_name": customer.name, "salutation": customer.salutation,
            "level": "Normal", "phone": customer.primary_phone(), "region": "北京",
            "addresses": [{"id": address.pk, "text": str(address)}], "address_id": address.pk}


@pytest.mark.parametrize("term", ["13800138000", "138 0013 8000", "+86 138-0013-8000"])
def test_customers_by_phone_number_in_any_notation(world: Any, agent: Any, term: str) -> None:
    factories.make_customer("王大明", "13900139000")  # another number: not found
    response = client_for(agent).get(reverse("desk-customers"), {"q": term})
    assert (response.status_code, response.json()) == (200, {"customers": [choice(world.customer)],
                                                             "new_phone": "13800138000"})


def test_customers_by_a_part_of_the_name_or_the_member_number_newest_first(world: Any, agent: Any) -> None:
    other = factories.make_customer("李小明", "13900139000", gender="f")
    member = factories.make_customer("赵敏", "13700137000", member_no="M0042")
    client = client_for(agent)
    by_name = client.get(reverse("desk-customers"), {"q": "小明"}).json()
    assert ([c["customer_id"] for c in by_name["customers"]], by_name["new_phone"]) == (
        [other.pk, world.customer.pk], "")
    assert by_name["customers"][0]["salutation"] == "李女士"
    by_member = client.get(reverse("desk-customers"), {"q": "M0042"}).json()
    assert [c["customer_id"] for c in by_member["customers"]] == [member.pk]


def test_an_unknown_phone_number_offers_a_new_customer_with_it(world: Any, agent: Any) -> None:
    response = client_for(agent).get(reverse("desk-customers"), {"q": " 139-1234-5678 "})
    assert (response.status_code, response.json()) == (200, {"customers": [], "new_phone": NEW_PHONE})


@pytest.mark.parametrize(("term", "error"), [("  ", "Enter a phone number or a name."),
                                             ("王" * 51, "At most 50 characters.")])
def test_an_empty_or_overlong_customer_search_is_refused(agent: Any, term: str, error: str) -> None:
    response = client_for(agent).get(reverse("desk-customers"), {"q": term})
    assert (response.status_code, response.json()) == (422, {"errors": {"q": [error]}})


def test_customer_search_answers_at_most_eight_in_few_queries(world: Any, agent: Any,
                                                             django_assert_max_num_queries: Any) -> None:
    for n in range(10):
        factories.make_customer(f"王小明{n}", f"1390013900{n}")
    client = client_for(agent)
    with django_assert_max_num_queries(3 + 2):  # customers, their phones, their addresses; session and user
        response = client.get(reverse("desk-customers"), {"q": "王小明"})
    assert len(response.json()["customers"]) == 8


def test_a_found_customer_orders_outside_a_call_with_the_same_idempotency(world: Any, agent: Any) -> None:
    client = client_for(agent)
    found = client.get(reverse("desk-customers"), {"q": "王小明"}).json()["customers"][0]
    body = order_body(world, customer_id=found["customer_id"], address_id=found["address_id"], call_id="",
                      hotline_number="", idempotency_key="outside-1")
    first, again = post(client, "desk-order", body), post(client, "desk-order", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    order = Order.objects.get()
    assert (order.customer_id, order.call_id, order.airing_id, order.agent_id) == (
        world.customer.pk, "", None, agent.pk)

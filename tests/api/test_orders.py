"""Orders over the API: create, read, filter, edit, status transitions, exchange, status look-up."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories
from tests.api.helpers import advance, iso, nothing_written, place_order

ADDRESS = "广东省深圳市南山区科技园南路18号"


def new_order(world, **fields):  # type: ignore[no-untyped-def]
    """A valid order body: two massagers (which earn a gift) and a discounted cross-sell."""
    body = {"customer_id": world.customer.pk, "address_text": ADDRESS, "hotline_number": "400-800-1000",
            "lines": [{"product_id": world.product.pk, "quantity": 2},
                      {"product_id": world.extra.pk, "quantity": 1, "cross_sell": True, "discount": "9.00"}]}
    return {**body, **fields}


# ---------------------------------------------------------------- creating


def test_create_prices_lines_adds_gifts_attributes_and_records_history(shop, as_role):
    # when an agent places an order for a caller who dialled the hotline during the airing
    response = as_role("agent").post("/api/orders", new_order(shop, rush=True, notes="下午送"))
    # then it is created with server-computed totals
    assert response.status_code == 201
    body = response.json()
    assert body["number"].startswith("HL") and body["status"] == "ordered"
    assert body["totals"] == {"subtotal": "865.00", "discount_total": "9.00", "total": "856.00", "points": 22}
    # and its lines: the massagers, the cross-sell at its offer price, and the gift the massagers earned
    lines = [(li["product"]["name"], li["quantity"], li["unit_price"], li["line_total"], li["is_gift"],
              li["is_cross_sell"]) for li in body["lines"]]
    assert lines == [("颈椎按摩仪", 2, "398.00", "796.00", False, False),
                     ("按摩靠枕", 1, "0.00", "0.00", True, False),
                     ("护膝", 1, "69.00", "60.00", False, True)]
    assert body["lines"][1]["gift_of"] == body["lines"][0]["id"]
    # and it is attributed to the airing on the number dialled
    assert body["attribution"] == {
        "hotline_number": "4008001000", "airing_id": shop.airing.pk, "call_id": "",
        "station": {"id": shop.station.pk, "code": "hunan", "name": "湖南卫视", "channel": ""},
        "airing_starts_at": iso(shop.airing.starts_at)}
    assert body["delivery"]["address_text"] == "广东深圳南山区科技园南路18号"
    assert (body["rush"], body["notes"], body["agent"]) == (True, "下午送", "t_agent")
    assert [(h["from_status"], h["to_status"], h["by"]) for h in body["history"]] == [("", "ordered", "t_agent")]
    assert AuditEntry.objects.filter(action="create_order", object_repr=body["number"]).count() == 1


def test_create_to_a_saved_address_for_self_pickup_and_by_card(shop, as_role):
    address = shop.customer.addresses.get()
    response = as_role("agent").post("/api/orders", new_order(
        shop, address_text="", address_id=address.pk, delivery_method="pickup", payment_method="card"))
    assert response.status_code == 201
    body = response.json()
    assert (body["delivery"]["method"], body["payment_method"], body["delivery"]["recipient"]) == (
        "pickup", "card", "王小明")


def _refused(api, body, headers=None):  # type: ignore[no-untyped-def]
    """Post an order that must be refused; assert nothing at all was written."""
    with nothing_written():
        response = api.post("/api/orders", body, headers=headers)
    assert response.status_code == 422, response.json()
    return response.json()["errors"]


def test_zero_negative_and_too_large_quantities_are_refused(shop, as_role):
    lines = [{"product_id": shop.product.pk, "quantity": 0}, {"product_id": shop.product.pk, "quantity": -3},
             {"product_id": shop.product.pk, "quantity": 1000}]
    assert _refused(as_role("agent"), new_order(shop, lines=lines)) == {
        "lines.0.quantity": ["Ensure this value is greater than or equal to 1."],
        "lines.1.quantity": ["Ensure this value is greater than or equal to 1."],
        "lines.2.quantity": ["Ensure this value is less than or equal to 999."]}


@pytest.mark.parametrize("quantity", ["2", "two", 1.5, True, None])
def test_a_quantity_that_is_not_a_whole_number_is_refused(shop, as_role, quantity):
    lines = [{"product_id": shop.product.pk, "quantity": quantity}]
    message = "Enter a whole number."
    assert _refused(as_role("agent"), new_order(shop, lines=lines)) == {"lines.0.quantity": [message]}


def test_withdrawn_and_unknown_products_are_refused(shop, as_role):
    withdrawn = factories.make_product("旧款按摩仪", "199.00", status="withdrawn")
    lines = [{"product_id": withdrawn.pk, "quantity": 1}, {"product_id": 99999, "quantity": 1}]
    assert _refused(as_role("agent"), new_order(shop, lines=lines)) == {
        "lines": ["旧款按摩仪 is Withdrawn and cannot be ordered.", "Product #99999 does not exist."]}


def test_an_order_without_lines_is_refused(shop, as_role):
    assert _refused(as_role("agent"), new_order(shop, lines=[])) == {
        "lines": ["An order needs at least one product."]}


def test_an_unknown_customer_is_refused(shop, as_role):
    assert _refused(as_role("agent"), new_order(shop, customer_id=99999)) == {
        "customer_id": ["Customer #99999 does not exist."]}


def test_an_unknown_or_malformed_hotline_number_is_refused(shop, as_role):
    api = as_role("agent")
    assert _refused(api, new_order(shop, hotline_number="4008009999")) == {
        "hotline_number": ["4008009999 is not one of our hotline numbers."]}
    assert _refused(api, new_order(shop, hotline_number="hotline")) == {
        "hotline_number": ["“hotline” is not a phone number: use digits only."]}


def test_a_malformed_recipient_phone_is_refused(shop, as_role):
    assert _refused(as_role("agent"), new_order(shop, recipient_phone="138001")) == {
        "recipient_phone": ["“138001” is not a valid Chinese mobile or landline number."]}


def test_oversized_text_is_refused(shop, as_role):
    assert _refused(as_role("agent"), new_order(shop, notes="快" * 1001, invoice_title="公" * 101)) == {
        "notes": ["Ensure this value has at most 1000 characters (it has 1001)."],
        "invoice_title": ["Ensure this value has at most 100 characters (it has 101)."]}


def test_unknown_delivery_and_payment_methods_are_refused(shop, as_role):
    assert _refused(as_role("agent"), new_order(shop, delivery_method="drone", payment_method="bitcoin")) == {
        "delivery_method": ["Select a valid choice. drone is not one of the available choices."],
        "payment_method": ["Select a valid choice. bitcoin is not one of the available choices."]}


def test_wrong_types_are_refused(shop, as_role):
    body = new_order(shop, customer_id="1", rush="yes", lines={"product_id": 1})
    assert _refused(as_role("agent"), body) == {
        "lines": ["Enter a list of values."], "customer_id": ["Enter a whole number."],
        "rush": ["“yes” value must be either True or False."]}


def test_a_negative_or_sub_cent_discount_is_refused(shop, as_role):
    lines = [{"product_id": shop.product.pk, "quantity": 1, "discount": "-1"},
             {"product_id": shop.product.pk, "quantity": 1, "discount": "0.001"}]
    assert _refused(as_role("agent"), new_order(shop, lines=lines)) == {
        "lines.0.discount": ["Ensure this value is greater than or equal to 0."],
        "lines.1.discount": ["Ensure that there are no more than 2 decimal places."]}


def test_a_delivery_without_an_address_is_refused(shop, as_role):
    assert _refused(as_role("agent"), new_order(shop, address_text="")) == {
        "address_text": ["Enter a delivery address or pick a saved one."]}


def test_a_body_that_is_not_json_is_400(shop, as_role):
    api = as_role("agent")
    with nothing_written():
        response = api.client.post("/api/orders", data="{not json", content_type="application/json",
                                   headers=api.headers)
    assert (response.status_code, response.json()) == (400, {"detail": "The request body is not valid JSON."})


# ---------------------------------------------------------------- reading and filtering


def test_get_by_number(shop, as_role):
    body = as_role("agent").get(f"/api/orders/{shop.order.number}").json()
    assert (body["number"], body["customer"], body["next_statuses"]) == (
        shop.order.number, {"id": shop.customer.pk, "name": "王小明"}, ["reviewed", "cancelled"])


def test_an_unknown_order_number_is_404(shop, as_role):
    response = as_role("agent").get("/api/orders/HL20000101-000001")
    assert (response.status_code, response.json()) == (404, {"detail": "Order HL20000101-000001 does not exist."})


@pytest.mark.parametrize(("role", "sees_settlement"), [
    ("agent", False), ("supervisor", False), ("logistics", False), ("finance", True), ("manager", True),
    ("admin", True),
])
def test_settlement_fields_are_shown_only_to_roles_that_may_see_settlement(shop, as_role, role, sees_settlement):
    # given a settled order
    settled = advance(shop.delivered, Status.SETTLED)
    # when the role reads it, alone and in a list
    api = as_role(role)
    one = api.get(f"/api/orders/{settled.number}").json()
    listed = api.get("/api/orders", status="settled").json()["items"][0]
    # then the settlement is there, or left out altogether
    for body in (one, listed):
        shown = {k: body[k] for k in ("settled_at", "settled_amount") if k in body}
        expected = {"settled_at": iso(settled.settled_at), "settled_amount": "398.00"}
        assert shown == (expected if sees_settlement else {})


def _numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json()
    return [o["number"] for o in response.json()["items"]]


def test_filters(shop, users, as_role):
    # given a third order, from another customer, placed without a hotline number, two days ago
    other = factories.make_customer("李丽", "13900139000", gender="f")
    old = place_order(shop, users["agent"], quantity=1, hotline_number="")
    Order.objects.filter(pk=old.pk).update(customer=other, created_at=timezone.now() - datetime.timedelta(days=2))
    api = as_role("manager")
    today = timezone.localdate()
    # then each filter narrows the list, newest first
    assert _numbers(api.get("/api/orders")) == [shop.delivered.number, shop.order.number, old.number]
    assert _numbers(api.get("/api/orders", status="delivered")) == [shop.delivered.number]
    assert _numbers(api.get("/api/orders", customer_id=other.pk)) == [old.number]
    assert _numbers(api.get("/api/orders", phone="+86 139 0013 9000")) == [old.number]
    assert _numbers(api.get("/api/orders", airing_id=shop.airing.pk)) == [shop.delivered.number, shop.order.number]
    assert _numbers(api.get("/api/orders", hotline_number="400-800-1000")) == [shop.delivered.number,
                                                                               shop.order.number]
    assert _numbers(api.get("/api/orders", date_from=today.isoformat())) == [shop.delivered.number,
                                                                             shop.order.number]
    assert _numbers(api.get("/api/orders", date_to=(today - datetime.timedelta(days=1)).isoformat())) == [
        old.number]
    assert _numbers(api.get("/api/orders", status="ordered", limit=1)) == [shop.order.number]


@pytest.mark.parametrize(("query", "errors"), [
    ({"status": "lost"}, {"status": ["Select a valid choice. lost is not one of the available choices."]}),
    ({"phone": "12"}, {"phone": ["“12” is not a valid Chinese mobile or landline number."]}),
    ({"date_from": "yesterday"}, {"date_from": ["Enter a valid date."]}),
    ({"customer_id": "me"}, {"customer_id": ["Enter a whole number."]}),
])
def test_bad_filters_are_422(shop, as_role, query, errors):
    response = as_role("agent").get("/api/orders", **query)
    assert (response.status_code, response.json()) == (422, {"errors": errors})


# ---------------------------------------------------------------- status look-up


def test_status_lookup_by_order_number(shop, as_role):
    response = as_role("agent").get("/api/orders/status", number=shop.delivered.number)
    assert response.status_code == 200
    [found] = response.json()
    assert (found["number"], found["status"], found["status_display"], found["total"]) == (
        shop.delivered.number, "delivered", "Delivered", "398.00")
    assert [h["to_status"] for h in found["history"]] == ["ordered", "reviewed", "shipped", "delivered"]


def test_status_lookup_by_phone_lists_the_callers_orders_newest_first(shop, as_role):
    response = as_role("agent").get("/api/orders/status", phone="138-0013-8000")
    assert [o["number"] for o in response.json()] == [shop.delivered.number, shop.order.number]


@pytest.mark.parametrize(("query", "errors"), [
    ({}, {"__all__": ["Give either an order number or a phone number."]}),
    ({"number": "HL1", "phone": "13800138000"}, {"__all__": ["Give either an order number or a phone number."]}),
    ({"phone": "not a phone"}, {"phone": ["“not a phone” is not a phone number: use digits only."]}),
])
def test_status_lookup_needs_exactly_one_valid_key(shop, as_role, query, errors):
    response = as_role("agent").get("/api/orders/status", **query)
    assert (response.status_code, response.json()) == (422, {"errors": errors})


def test_status_lookup_of_an_unknown_number_is_empty(shop, as_role):
    assert as_role("agent").get("/api/orders/status", number="HL20000101-000001").json() == []


# ---------------------------------------------------------------- editing


def test_put_replaces_lines_and_delivery_of_an_unshipped_order(shop, as_role):
    response = as_role("agent").put(f"/api/orders/{shop.order.number}", {
        "lines": [{"product_id": shop.extra.pk, "quantity": 3}], "address_text": "北京市朝阳区建国路1号",
        "payment_method": "transfer"})
    assert response.status_code == 200
    body = response.json()
    assert [(li["product"]["name"], li["quantity"]) for li in body["lines"]] == [("护膝", 3)]
    assert (body["totals"]["total"], body["payment_method"], body["delivery"]["address_text"]) == (
        "297.00", "transfer", "北京朝阳区建国路1号")


def test_put_on_a_shipped_order_is_refused_and_changes_nothing(shop, as_role):
    shipped = advance(shop.order, Status.REVIEWED, Status.SHIPPED)
    api = as_role("logistics")
    with nothing_written():
        response = api.put(f"/api/orders/{shipped.number}", {
            "lines": [{"product_id": shop.extra.pk, "quantity": 3}], "address_text": "北京市朝阳区建国路1号"})
    assert (response.status_code, response.json()) == (422, {"errors": {"__all__": [
        f"Order {shipped.number} is Shipped: its lines, address and payment can no longer be changed."]}})
    assert [line.product_id for line in Order.objects.get(pk=shipped.pk).lines.filter(is_gift=False)] == [
        shop.product.pk]


def test_put_cannot_move_the_order_to_another_customer(shop, as_role):
    api = as_role("agent")
    with nothing_written():
        response = api.put(f"/api/orders/{shop.order.number}", {
            "customer_id": 1, "lines": [{"product_id": shop.extra.pk, "quantity": 1}], "address_text": ADDRESS})
    assert (response.status_code, response.json()) == (422, {"errors": {"customer_id": ["Unknown field."]}})


# ---------------------------------------------------------------- transitions


def test_review_then_ship_then_deliver(shop, as_role):
    api = as_role("logistics")
    for status in ("reviewed", "shipped", "delivered"):
        response = api.post(f"/api/orders/{shop.order.number}/transitions", {"to": status})
        assert (response.status_code, response.json()["status"]) == (200, status)
    history = response.json()["history"]
    assert [(h["from_status"], h["to_status"], h["by"]) for h in history] == [
        ("", "ordered", "t_agent"), ("ordered", "reviewed", "t_logistics"), ("reviewed", "shipped", "t_logistics"),
        ("shipped", "delivered", "t_logistics")]


def test_cancel_with_a_reason(shop, as_role):
    response = as_role("agent").post(f"/api/orders/{shop.order.number}/transitions",
                                     {"to": "cancelled", "reason": "客户改主意"})
    assert response.status_code == 200
    assert response.json()["history"][-1] == {**response.json()["history"][-1], "to_status": "cancelled",
                                              "reason": "客户改主意", "by": "t_agent"}


def _transition_refused(api, number, body):  # type: ignore[no-untyped-def]
    with nothing_written():
        response = api.post(f"/api/orders/{number}/transitions", body)
    assert response.status_code == 422, response.json()
    return response.json()["errors"]


def test_a_transition_out_of_order_is_refused_and_changes_nothing(shop, as_role):
    errors = _transition_refused(as_role("admin"), shop.order.number, {"to": "delivered"})
    assert errors == {"status": [f"Order {shop.order.number} is Ordered and cannot become Delivered."]}
    assert Order.objects.get(pk=shop.order.pk).status == "ordered"


def test_cancelling_a_delivered_order_is_refused(shop, as_role):
    errors = _transition_refused(as_role("admin"), shop.delivered.number, {"to": "cancelled", "reason": "x"})
    assert errors == {"status": [f"Order {shop.delivered.number} is Delivered and cannot become Cancelled."]}


def test_a_cancel_without_a_reason_is_refused(shop, as_role):
    errors = _transition_refused(as_role("agent"), shop.order.number, {"to": "cancelled", "reason": "  "})
    assert errors == {"reason": ["Give a reason for this change."]}


def test_an_unknown_status_or_an_oversized_reason_is_refused(shop, as_role):
    errors = _transition_refused(as_role("admin"), shop.order.number, {"to": "lost", "reason": "x" * 301})
    assert errors == {"to": ["Select a valid choice. lost is not one of the available choices."],
                      "reason": ["Ensure this value has at most 300 characters (it has 301)."]}


def test_exchange_through_transitions_is_refused_with_a_pointer(shop, as_role):
    errors = _transition_refused(as_role("admin"), shop.delivered.number, {"to": "exchanged", "reason": "x"})
    assert errors == {"to": ["Exchanges have their own endpoint, POST /api/orders/<number>/exchange, which "
                             "creates the replacement order."]}


def test_a_transition_of_an_unknown_order_is_404(shop, as_role):
    response = as_role("admin").post("/api/orders/HL20000101-000001/transitions", {"to": "reviewed"})
    assert response.status_code == 404


# ---------------------------------------------------------------- exchange


def test_exchange_creates_a_free_linked_replacement(shop, as_role):
    # when logistics exchanges the delivered order
    response = as_role("logistics").post(f"/api/orders/{shop.delivered.number}/exchange", {"reason": "尺码不合适"})
    # then the answer is the replacement: same goods, free, linked to the original
    assert response.status_code == 201
    body = response.json()
    assert (body["replaces"], body["status"], body["totals"]["total"]) == (shop.delivered.number, "ordered", "0.00")
    assert [(li["product"]["name"], li["quantity"]) for li in body["lines"]] == [("颈椎按摩仪", 1)]
    original = as_role("logistics").get(f"/api/orders/{shop.delivered.number}").json()
    assert (original["status"], original["replaced_by"]) == ("exchanged", [body["number"]])
    assert original["history"][-1]["reason"] == "尺码不合适"


def test_exchange_with_other_goods(shop, as_role):
    response = as_role("supervisor").post(f"/api/orders/{shop.delivered.number}/exchange", {
        "reason": "换护膝", "lines": [{"product_id": shop.extra.pk, "quantity": 2}]})
    assert [(li["product"]["name"], li["quantity"]) for li in response.json()["lines"]] == [("护膝", 2)]


def test_exchange_of_an_order_not_yet_delivered_is_refused(shop, as_role):
    api = as_role("logistics")
    with nothing_written():
        response = api.post(f"/api/orders/{shop.order.number}/exchange", {"reason": "x"})
    assert (response.status_code, response.json()) == (422, {"errors": {"status": [
        f"Order {shop.order.number} is Ordered and cannot become Exchanged."]}})


def test_exchange_without_a_reason_is_refused(shop, as_role):
    api = as_role("logistics")
    with nothing_written():
        response = api.post(f"/api/orders/{shop.delivered.number}/exchange", {"reason": ""})
    assert (response.status_code, response.json()) == (422, {"errors": {"reason": [
        "Ensure this value has at least 1 character (it has 0)."]}})
    assert OrderStatusChange.objects.filter(order=shop.delivered, to_status="exchanged").count() == 0


def test_create_spends_points_the_customer_redeems_and_refuses_more_than_they_have(shop, as_role):
    from hotline.crm.models import PointsEntry
    from hotline.crm.points import credit

    before = type(shop.customer).objects.get(pk=shop.customer.pk).points  # what the fixture's orders earned
    credit(shop.customer.pk, "earn", 2500, note="test")
    api = as_role("agent")
    orders_before = Order.objects.count()
    # more points than the customer has: refused, nothing written
    refused = api.post("/api/orders", new_order(shop, redeem_points=3000))
    assert (refused.status_code, Order.objects.count()) == (422, orders_before)
    # 1,000 points at the default 100 a yuan take ¥10 off
    response = api.post("/api/orders", new_order(shop, redeem_points=1000))
    assert response.status_code == 201
    assert response.json()["totals"]["total"] == "846.00"
    assert list(PointsEntry.objects.order_by("-id").values_list("kind", "points", "balance")[:2]) == [
        ("redeem", -1000, before + 1500), ("earn", 2500, before + 2500)]

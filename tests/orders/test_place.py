"""Placing an order through the front door (`do_place_order`): a customer on file or a new one, every
refusal at once, the call's attribution, the idempotency key."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hotline.accounts.permissions import ROLE_PERMS, Perm
from hotline.calls.models import CallRecord
from hotline.crm.models import Customer
from hotline.orders.actions import LineInput, NewCustomer, OrderInput, PlaceOrderInput, do_place_order
from hotline.orders.models import Order
from tests import factories
from tests.orders.helpers import order_input, state

ADDRESS = "浙江杭州西湖区文三路1号"


def for_new_customer(world: Any, *lines: LineInput, name: str = "李阿姨", **fields: Any) -> PlaceOrderInput:
    order = OrderInput(customer_id=None, lines=list(lines) or [LineInput(world.product.pk, 1)],
                       address_text=ADDRESS, **fields)
    return PlaceOrderInput(order, new_customer=NewCustomer(name=name, phone="13912345678", gender="f"))


def keyed(data: PlaceOrderInput, key: str) -> PlaceOrderInput:
    data.idempotency_key = key
    return data


def refused(data: PlaceOrderInput, actor: Any) -> dict[str, list[str]]:
    """Try to place; assert nothing at all was written (no customer either); return the errors."""
    before = (state(), Customer.objects.count())
    with pytest.raises(ValidationError) as caught:
        do_place_order(data, actor=actor)
    assert (state(), Customer.objects.count()) == before
    return caught.value.message_dict


def test_an_order_for_a_new_customer_creates_them_with_the_order_s_address(world: Any, agent: Any) -> None:
    order, created = do_place_order(for_new_customer(world), actor=agent)
    customer = Customer.objects.get(name="李阿姨")
    assert (created, order.customer_id, order.total, order.recipient, order.recipient_phone) == (
        True, customer.pk, world.product.price, "李阿姨", "13912345678")
    assert (customer.gender, customer.primary_phone(), str(customer.addresses.get())) == (
        "f", "13912345678", "浙江杭州西湖区文三路1号")


def test_every_refusal_comes_at_once(world: Any, agent: Any) -> None:
    data = keyed(for_new_customer(world, LineInput(world.product.pk, 0), LineInput(999_999, 1), name=" ",
                                  notes="n" * 1001), "k" * 101)
    assert refused(data, agent) == {
        "new_customer.name": ["The name cannot be empty."], "idempotency_key": ["At most 100 characters."],
        "notes": ["At most 1000 characters."],
        "lines.0.quantity": ["Line 1: the quantity must be greater than 0."],
        "lines": ["Product #999999 does not exist."]}


@pytest.mark.parametrize(("customer", "new", "message"), [
    (False, False, "Choose the customer or enter a new one."),
    (True, True, "Choose the customer or enter a new one, not both."),
])
def test_exactly_one_customer(world: Any, agent: Any, customer: bool, new: bool, message: str) -> None:
    data = for_new_customer(world)
    data.order.customer_id = world.customer.pk if customer else None
    data.new_customer = data.new_customer if new else None
    assert refused(data, agent) == {"customer_id": [message]}


def test_a_refused_new_customer_names_the_new_customer_s_fields(world: Any, agent: Any) -> None:
    data = for_new_customer(world)
    assert data.new_customer is not None
    data.new_customer.phone = "13800138000"  # the world's customer's number
    assert refused(data, agent) == {"new_customer.phone": [
        f"13800138000 already belongs to customer 王小明 (#{world.customer.pk})."]}


def test_who_may_not_add_customers_may_still_order_for_one_on_file(world: Any, agent: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ROLE_PERMS, "agent", frozenset(ROLE_PERMS["agent"] - {Perm.ADD_CUSTOMER}))
    before = (state(), Customer.objects.count())
    with pytest.raises(PermissionDenied):
        do_place_order(for_new_customer(world), actor=agent)
    assert (state(), Customer.objects.count()) == before
    order, created = do_place_order(PlaceOrderInput(order_input(world)), actor=agent)
    assert (created, order.customer_id) == (True, world.customer.pk)


def _call(world: Any, agent: Any) -> Any:
    """A call that came in during an airing two hours ago, answered by `agent`."""
    airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(hours=2))
    CallRecord.objects.create(call_id="call-9", caller="13800138000", dnis="4008001000", agent_key=agent.username,
                              hotline_number=world.hotline, airing=airing,
                              arrived_at=airing.starts_at + datetime.timedelta(seconds=60))
    return airing


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_an_order_on_a_call_is_attributed_to_the_call_s_airing(world: Any, users: Any, role: str) -> None:
    airing = _call(world, users["agent"])
    order, _created = do_place_order(PlaceOrderInput(order_input(world, call_id="call-9")), actor=users[role])
    assert (order.airing, order.hotline_number, order.call_id) == (airing, world.hotline, "call-9")


def test_another_agent_s_call_lends_the_order_nothing(world: Any, users: Any) -> None:
    _call(world, users["agent"])
    colleague = factories.make_user("agent", username="t_colleague")
    order, _created = do_place_order(PlaceOrderInput(order_input(world, call_id="call-9")), actor=colleague)
    assert (order.airing, order.hotline_number, order.call_id) == (None, None, "call-9")


def test_a_key_replays_its_order_and_refuses_another_order(world: Any, agent: Any) -> None:
    first, created = do_place_order(keyed(for_new_customer(world), "entry-1"), actor=agent)
    again, created_again = do_place_order(keyed(for_new_customer(world), "entry-1"), actor=agent)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    other = keyed(for_new_customer(world, LineInput(world.product.pk, 3)), "entry-1")
    assert refused(other, agent) == {"idempotency_key": [
        "This Idempotency-Key was used for a different order; send a new key for a new order."]}
    assert (Order.objects.count(), Customer.objects.filter(name="李阿姨").count()) == (1, 1)

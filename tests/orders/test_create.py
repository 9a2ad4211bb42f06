"""Placing an order: server-side totals, gifts, cross-sells, stock, address, attribution, bad input."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.catalog.models import GiftRule, Product, SaleStatus
from hotline.crm.models import Customer
from hotline.notify.models import Notification
from hotline.orders.actions import LineInput, do_create_order
from hotline.orders.models import Order, OrderStatusChange
from tests import factories
from tests.orders.helpers import order_input, place, state


def lines_of(order: Order) -> list[tuple[Any, ...]]:
    return list(order.lines.order_by("pk").values_list(
        "product__name", "quantity", "unit_price", "discount", "line_total", "is_gift", "is_cross_sell"))


def refused(world: Any, actor: Any, *lines: LineInput, **fields: Any) -> dict[str, list[str]]:
    """Try to place the order; assert it was refused without writing anything; return the errors."""
    before = state()
    with pytest.raises(ValidationError) as caught:
        do_create_order(order_input(world, *lines, **fields), actor=actor)
    assert state() == before
    return caught.value.message_dict


# ---------------------------------------------------------------- totals

def test_one_product_at_list_price(world: Any, agent: Any) -> None:
    order = place(world, agent, LineInput(world.product.pk, 1))
    order.refresh_from_db()
    assert lines_of(order) == [("颈椎按摩仪", 1, Decimal("398.00"), Decimal("0.00"), Decimal("398.00"), False, False)]
    assert (order.subtotal, order.discount_total, order.total, order.points) == (
        Decimal("398.00"), Decimal("0.00"), Decimal("398.00"), 10)
    assert all(isinstance(value, Decimal) for value in (order.subtotal, order.discount_total, order.total))


def test_totals_with_discounts_round_half_up_to_the_cent(world: Any, agent: Any) -> None:
    order = place(world, agent, LineInput(world.product.pk, 3, discount=Decimal("50.005")),
                  LineInput(world.extra.pk, 1, discount=Decimal("0.10")))
    order.refresh_from_db()
    assert lines_of(order) == [
        ("颈椎按摩仪", 3, Decimal("398.00"), Decimal("50.01"), Decimal("1143.99"), False, False),
        ("按摩靠枕", 1, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), True, False),
        ("护膝", 1, Decimal("99.00"), Decimal("0.10"), Decimal("98.90"), False, False),
    ]
    assert (order.subtotal, order.discount_total, order.total, order.points) == (
        Decimal("1293.00"), Decimal("50.11"), Decimal("1242.89"), 32)


def test_a_discount_may_take_a_line_to_zero_but_not_below(world: Any, agent: Any) -> None:
    order = place(world, agent, LineInput(world.product.pk, 1, discount=Decimal("398.00")))
    assert order.total == Decimal("0.00")
    assert refused(world, agent, LineInput(world.product.pk, 1, discount=Decimal("398.01"))) == {
        "lines": ["The discount on 颈椎按摩仪 exceeds its price."]}
    assert refused(world, agent, LineInput(world.product.pk, 1, discount=Decimal("-1"))) == {
        "lines.0.discount": ["A discount cannot be negative."]}


def test_cross_sell_gets_its_offer_price_when_its_main_product_is_ordered(world: Any, agent: Any) -> None:
    order = place(world, agent, LineInput(world.product.pk, 1), LineInput(world.extra.pk, 2, cross_sell=True))
    assert lines_of(order) == [
        ("颈椎按摩仪", 1, Decimal("398.00"), Decimal("0.00"), Decimal("398.00"), False, False),
        ("护膝", 2, Decimal("69.00"), Decimal("0.00"), Decimal("138.00"), False, True),
    ]
    assert (order.total, order.points) == (Decimal("536.00"), 14)


def test_cross_sell_without_its_main_product_is_refused(world: Any, agent: Any) -> None:
    assert refused(world, agent, LineInput(world.extra.pk, 1, cross_sell=True)) == {
        "lines": ["护膝 is not a cross-sell of any product on this order."]}


def test_cross_sell_main_product_must_be_a_main_line(world: Any, agent: Any) -> None:
    # the main product itself ordered as a "cross-sell" does not unlock the offer price
    assert refused(world, agent, LineInput(world.product.pk, 1, cross_sell=True),
                   LineInput(world.extra.pk, 1, cross_sell=True)) == {
        "lines": ["颈椎按摩仪 is not a cross-sell of any product on this order."]}


def test_the_suggested_product_ordered_on_its_own_costs_its_list_price(world: Any, agent: Any) -> None:
    order = place(world, agent, LineInput(world.product.pk, 1), LineInput(world.extra.pk, 1))
    assert order.total == Decimal("497.00")


def test_the_lowest_offer_wins_when_two_main_products_suggest_the_same(world: Any, agent: Any) -> None:
    other = factories.make_product("足浴盆", "299.00")
    factories.make_cross_sell(other, world.extra, "49.00")
    order = place(world, agent, LineInput(world.product.pk, 1), LineInput(other.pk, 1),
                  LineInput(world.extra.pk, 1, cross_sell=True))
    assert lines_of(order)[-1] == ("护膝", 1, Decimal("49.00"), Decimal("0.00"), Decimal("49.00"), False, True)


# ---------------------------------------------------------------- gifts

@pytest.mark.parametrize(("quantity", "gifts"), [(1, 0), (2, 1), (3, 1), (4, 2), (5, 2)])
def test_buy_two_get_one_repeats_per_multiple(world: Any, agent: Any, quantity: int, gifts: int) -> None:
    order = place(world, agent, LineInput(world.product.pk, quantity))
    gift_lines = list(order.lines.filter(is_gift=True).values_list("product_id", "quantity", "unit_price",
                                                                    "line_total", "gift_of__product_id"))
    assert gift_lines == ([(world.gift.pk, gifts, Decimal("0.00"), Decimal("0.00"), world.product.pk)]
                          if gifts else [])
    assert order.total == Decimal("398.00") * quantity


@pytest.mark.parametrize(("quantity", "gifts"), [(1, 0), (2, 3), (4, 3), (9, 3)])
def test_a_non_repeating_rule_gives_its_gifts_once(world: Any, agent: Any, quantity: int, gifts: int) -> None:
    GiftRule.objects.filter(product=world.product).update(repeat=False, gift_quantity=3)
    order = place(world, agent, LineInput(world.product.pk, quantity))
    assert list(order.lines.filter(is_gift=True).values_list("quantity", flat=True)) == ([gifts] if gifts else [])


def test_inactive_rules_and_unorderable_gifts_give_nothing(world: Any, agent: Any) -> None:
    GiftRule.objects.filter(product=world.product).update(active=False)
    assert not place(world, agent).lines.filter(is_gift=True).exists()
    GiftRule.objects.filter(product=world.product).update(active=True)
    Product.objects.filter(pk=world.gift.pk).update(status=SaleStatus.WITHDRAWN)
    assert not place(world, agent).lines.filter(is_gift=True).exists()


def test_gifts_earn_no_points(world: Any, agent: Any) -> None:
    Product.objects.filter(pk=world.gift.pk).update(points=100)
    assert place(world, agent, LineInput(world.product.pk, 2)).points == 20


# ---------------------------------------------------------------- what can be ordered

@pytest.mark.parametrize(("status", "label"), [(SaleStatus.WITHDRAWN, "Withdrawn"), (SaleStatus.PAUSED, "Paused")])
def test_products_not_on_sale_are_refused(world: Any, agent: Any, status: str, label: str) -> None:
    Product.objects.filter(pk=world.product.pk).update(status=status)
    assert refused(world, agent, LineInput(world.product.pk, 1)) == {
        "lines": [f"颈椎按摩仪 is {label} and cannot be ordered."]}


def test_an_unknown_product_is_refused(world: Any, agent: Any) -> None:
    assert refused(world, agent, LineInput(999_999, 1)) == {"lines": ["Product #999999 does not exist."]}


@pytest.mark.parametrize(("quantity", "message"), [
    (0, "Line 1: the quantity must be greater than 0."),
    (-1, "Line 1: the quantity must be greater than 0."),
    (1000, "Line 1: the quantity must be at most 999."),
    (True, "Line 1: the quantity must be a whole number."),
    (1.5, "Line 1: the quantity must be a whole number."),
    ("2", "Line 1: the quantity must be a whole number."),
])
def test_bad_quantities_are_refused_naming_their_line(world: Any, agent: Any, quantity: Any, message: str) -> None:
    assert refused(world, agent, LineInput(world.product.pk, quantity)) == {"lines.0.quantity": [message]}


def test_the_largest_quantity_is_accepted(world: Any, agent: Any) -> None:
    assert place(world, agent, LineInput(world.extra.pk, 999)).total == Decimal("98901.00")


def test_every_bad_line_is_reported_at_once(world: Any, agent: Any) -> None:
    Product.objects.filter(pk=world.extra.pk).update(status=SaleStatus.PAUSED)
    assert refused(world, agent, LineInput(world.product.pk, 0), LineInput(world.extra.pk, 1)) == {
        "lines.0.quantity": ["Line 1: the quantity must be greater than 0."],
        "lines": ["护膝 is Paused and cannot be ordered."]}


def test_an_order_needs_lines_and_at_most_fifty(world: Any, agent: Any) -> None:
    before = state()
    with pytest.raises(ValidationError) as empty:
        do_create_order(_with_lines(world, []), actor=agent)
    assert empty.value.message_dict == {"lines": ["An order needs at least one product."]}
    with pytest.raises(ValidationError) as too_many:
        do_create_order(_with_lines(world, [LineInput(world.extra.pk, 1)] * 51), actor=agent)
    assert too_many.value.message_dict == {"lines": ["An order has at most 50 lines."]}
    assert state() == before


def _with_lines(world: Any, lines: list[LineInput]) -> Any:
    data = order_input(world)
    data.lines = lines
    return data


# ---------------------------------------------------------------- stock

def test_stock_is_taken_for_lines_and_gifts(world: Any, agent: Any) -> None:
    Product.objects.filter(pk__in=[world.product.pk, world.gift.pk]).update(track_stock=True, stock=5)
    place(world, agent, LineInput(world.product.pk, 4))
    assert dict(Product.objects.filter(track_stock=True).values_list("name", "stock")) == {
        "颈椎按摩仪": 1, "按摩靠枕": 3}


def test_a_shortage_is_refused_and_no_stock_moves(world: Any, agent: Any) -> None:
    # Given 5 knee pads in stock and 1 massager
    Product.objects.filter(pk=world.extra.pk).update(track_stock=True, stock=5)
    Product.objects.filter(pk=world.product.pk).update(track_stock=True, stock=1)
    # When an order takes knee pads first and then 2 massagers
    errors = refused(world, agent, LineInput(world.extra.pk, 3), LineInput(world.product.pk, 2))
    # Then it is refused and the knee pads taken on the way are back (refused() checks nothing changed)
    assert errors == {"lines": ["Only 1 of 颈椎按摩仪 left in stock."]}
    assert Product.objects.get(pk=world.extra.pk).stock == 5


def test_untracked_stock_is_never_short(world: Any, agent: Any) -> None:
    assert Product.objects.get(pk=world.product.pk).stock is None
    place(world, agent, LineInput(world.product.pk, 999))
    assert Product.objects.get(pk=world.product.pk).stock is None


# ---------------------------------------------------------------- delivery

def test_the_saved_address_is_copied(world: Any, agent: Any) -> None:
    order = place(world, agent)
    assert (order.recipient, order.recipient_phone, order.province, order.city, order.district,
            order.address_detail, order.address_text) == (
        "王小明", "13800138000", "广东", "深圳", "南山区", "科技园南路18号", "广东深圳南山区科技园南路18号")


def test_the_copy_does_not_follow_later_edits_of_the_address(world: Any, agent: Any) -> None:
    order = place(world, agent)
    world.customer.addresses.update(detail="别的地方1号")
    order.refresh_from_db()
    assert order.address_detail == "科技园南路18号"


def test_another_customers_address_is_refused(world: Any, agent: Any) -> None:
    other = factories.make_customer("李娜", "13912345678", gender="f")
    assert refused(world, agent, address_id=other.addresses.get().pk) == {
        "address_id": ["This address is not one of the customer's."]}


def test_a_typed_address_is_parsed(world: Any, agent: Any) -> None:
    order = place(world, agent, address_id=None, address_text="浙江杭州西湖区文三路1号", recipient="李四",
                  recipient_phone="+86 139-1234-5678")
    assert (order.recipient, order.recipient_phone, order.province, order.city, order.district,
            order.address_detail) == ("李四", "13912345678", "浙江", "杭州", "西湖区", "文三路1号")


def test_a_typed_address_without_recipient_goes_to_the_customer(world: Any, agent: Any) -> None:
    order = place(world, agent, address_id=None, address_text="北京市朝阳区建国路88号")
    assert (order.recipient, order.recipient_phone, order.address_text) == (
        "王小明", "13800138000", "北京朝阳区建国路88号")


def test_an_address_is_required_unless_picked_up(world: Any, agent: Any) -> None:
    assert refused(world, agent, address_id=None, address_text="  ") == {
        "address_text": ["Enter a delivery address or pick a saved one."]}
    order = place(world, agent, address_id=None, delivery_method="pickup")
    assert (order.delivery_method, order.address_text, order.recipient, order.recipient_phone) == (
        "pickup", "", "王小明", "13800138000")


def test_a_bad_recipient_phone_is_refused(world: Any, agent: Any) -> None:
    assert refused(world, agent, address_id=None, address_text="北京市朝阳区建国路88号", recipient_phone="12345") == {
        "recipient_phone": ["“12345” is not a valid Chinese mobile or landline number."]}


def test_a_customer_without_phone_needs_a_recipient_phone(world: Any, agent: Any) -> None:
    world.customer.phones.all().delete()
    assert refused(world, agent, address_id=None, address_text="北京市朝阳区建国路88号") == {
        "recipient_phone": ["Enter the recipient's phone number."]}


# ---------------------------------------------------------------- attribution

def test_attribution_from_the_hotline_number_in_any_notation(world: Any, agent: Any) -> None:
    airing = factories.make_airing(world.station, timezone.now() - datetime.timedelta(minutes=5))
    order = place(world, agent, hotline_number="400-800-1000", call_id="call-1")
    assert (order.hotline_number, order.airing, order.call_id) == (world.hotline, airing, "call-1")


def test_no_airing_in_the_window_leaves_the_order_unattributed(world: Any, agent: Any) -> None:
    factories.make_airing(world.station, timezone.now() - datetime.timedelta(hours=3))
    order = place(world, agent, hotline_number="4008001000")
    assert (order.hotline_number, order.airing) == (world.hotline, None)


def test_an_unknown_hotline_number_is_refused(world: Any, agent: Any) -> None:
    assert refused(world, agent, hotline_number="400 800 9999") == {
        "hotline_number": ["4008009999 is not one of our hotline numbers."]}
    assert refused(world, agent, hotline_number="hotline") == {
        "hotline_number": ["“hotline” is not a phone number: use digits only."]}


def test_the_customers_first_airing_is_set_once(world: Any, agent: Any) -> None:
    first = factories.make_airing(world.station, timezone.now() - datetime.timedelta(hours=1, minutes=10))
    place(world, agent, hotline_number="4008001000", delivery_method="pickup")
    assert Customer.objects.get(pk=world.customer.pk).first_airing is None  # out of the window: nothing
    first.delete()
    first = factories.make_airing(world.station, timezone.now() - datetime.timedelta(minutes=20))
    place(world, agent, hotline_number="4008001000")
    assert Customer.objects.get(pk=world.customer.pk).first_airing == first
    later = factories.make_airing(world.station, timezone.now() - datetime.timedelta(minutes=2))
    order = place(world, agent, hotline_number="4008001000")
    assert order.airing == later
    assert Customer.objects.get(pk=world.customer.pk).first_airing == first


# ---------------------------------------------------------------- other input

@pytest.mark.parametrize(("field", "limit"), [("notes", 1000), ("invoice_title", 100), ("invoice_tax_id", 20),
                                              ("recipient", 100), ("call_id", 64)])
def test_oversized_text_is_refused(world: Any, agent: Any, field: str, limit: int) -> None:
    assert refused(world, agent, **{field: "9" * (limit + 1)}) == {field: [f"At most {limit} characters."]}
    order = place(world, agent, **{field: "9" * limit})
    assert len(getattr(order, field)) == limit


def test_an_oversized_typed_address_is_refused(world: Any, agent: Any) -> None:
    assert refused(world, agent, address_id=None, address_text="北京市朝阳区" + "长" * 300) == {
        "address_text": ["At most 300 characters."]}


def test_bad_choices_and_tax_id_are_refused_together(world: Any, agent: Any) -> None:
    assert refused(world, agent, delivery_method="drone", payment_method="bitcoin", invoice_tax_id="91-110") == {
        "delivery_method": ["Unknown delivery method “drone”."],
        "payment_method": ["Unknown payment method “bitcoin”."],
        "invoice_tax_id": ["A taxpayer id has letters and digits only."],
    }


def test_an_unknown_customer_is_refused(world: Any, agent: Any) -> None:
    data = order_input(world, address_id=None, delivery_method="pickup")
    data.customer_id = 999_999
    before = state()
    with pytest.raises(ValidationError) as caught:
        do_create_order(data, actor=agent)
    assert caught.value.message_dict == {"customer_id": ["Customer #999999 does not exist."]}
    assert state() == before


def test_a_role_without_the_permission_cannot_place_orders(world: Any, users: dict[str, Any]) -> None:
    before = state()
    for role in ("logistics", "finance", "manager"):
        with pytest.raises(PermissionDenied):
            do_create_order(order_input(world), actor=users[role])
    assert state() == before


# ---------------------------------------------------------------- what placing an order records

def test_placing_records_history_audit_and_a_message(world: Any, agent: Any) -> None:
    order = place(world, agent, rush=True, invoice_title="深圳某公司", invoice_tax_id="91440300MA5F0X1234")
    assert (order.status, order.agent, order.rush, order.invoice_title) == ("ordered", agent, True, "深圳某公司")
    assert list(OrderStatusChange.objects.filter(order=order).values_list(
        "from_status", "to_status", "actor", "reason")) == [("", "ordered", agent.pk, "")]
    entry = AuditEntry.objects.get(action="create_order")
    assert (entry.actor, entry.object_id, entry.before) == (agent, str(order.pk), None)
    assert entry.after is not None
    assert (entry.after["number"], entry.after["total"], entry.after["status"]) == (order.number, "796.00", "ordered")
    note = Notification.objects.get(order=order)
    assert (note.channel, note.recipient, note.subject, note.status) == ("sms", "13800138000", order.number, "queued")
    assert note.body == f"王先生, your order {order.number} for ¥796.00 has been received. We will ship it soon."


def test_the_message_is_in_the_site_language_whatever_the_agents(world: Any, agent: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("zh-hans"):
        order = place(world, agent)
    assert Notification.objects.get(order=order).body.endswith("has been received. We will ship it soon.")

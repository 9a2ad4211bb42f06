"""The order lifecycle: every allowed move, every refused one (generated from the table), who may
move an order, and what each move does to stock, points and the replacement order of an exchange."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.accounts.permissions import ROLE_PERMS, Role
from hotline.catalog.models import Product
from hotline.crm.models import Customer
from hotline.notify.models import Notification, NotificationStatus
from hotline.orders.actions import (
    LineInput,
    OrderTransitionError,
    do_exchange_order,
    do_transition_order,
    do_update_order,
)
from hotline.orders.models import LOCKED_STATUSES, Order, OrderLine, OrderStatusChange, Status
from hotline.orders.transitions import REASON_REQUIRED, TRANSITIONS, allowed_next
from tests.orders.helpers import order_input, path_to, place, state, walk_to

ROLES = [str(role) for role in Role.values]
ALLOWED = sorted((str(a), str(b)) for a, b in TRANSITIONS)
REFUSED = [(a, b) for a in Status.values for b in Status.values if (a, b) not in TRANSITIONS]

# What the customer is told, in the words of the spec. Settlement is internal: no message.
MESSAGES = {
    Status.REVIEWED: "王先生, your order {number} has been confirmed.",
    Status.SHIPPED: "王先生, your order {number} has been shipped.",
    Status.DELIVERED: "王先生, your order {number} has been delivered. Thank you!",
    Status.CANCELLED: "王先生, your order {number} has been cancelled.",
    Status.REFUSED: "王先生, the parcel of order {number} was refused on delivery.",
    Status.RETURNED: "王先生, the return of order {number} has been recorded.",
    Status.EXCHANGED: "王先生, an exchange for order {number} is on its way: replacement order {replacement}.",
}


@pytest.fixture
def shop(world: Any) -> Any:
    """The world with stock tracked: 10 of the product, 5 of its gift."""
    Product.objects.filter(pk=world.product.pk).update(track_stock=True, stock=10)
    Product.objects.filter(pk=world.gift.pk).update(track_stock=True, stock=5)
    return world


def stock(product: Product) -> int | None:
    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)


def points(customer: Customer) -> int:
    return Customer.objects.values_list("points", flat=True).get(pk=customer.pk)


def test_the_table_is_what_the_docstring_draws() -> None:
    # Given the lifecycle table, then the moves out of each status are exactly these.
    assert {status: sorted(allowed_next(status)) for status in Status.values} == {
        "ordered": ["cancelled", "reviewed"],
        "reviewed": ["cancelled", "shipped"],
        "shipped": ["delivered", "refused"],
        "delivered": ["exchanged", "returned", "settled"],
        "settled": ["exchanged", "returned"],
        "cancelled": [],
        "refused": ["delivered", "returned"],
        "returned": [],
        "exchanged": [],
    }
    assert len(REFUSED) == 9 * 9 - 13


def test_every_status_is_reachable_from_ordered() -> None:
    assert {status: path_to(status)[-1:] for status in Status.values} == {
        status: ([] if status == Status.ORDERED else [status]) for status in Status.values}


def _roles_with(perm: str) -> list[str]:
    return [role for role in ROLES if perm in ROLE_PERMS[role]]


ALLOWED_WITH_ROLE = [(a, b, role) for a, b in ALLOWED for role in _roles_with(TRANSITIONS[(a, b)])]
ALLOWED_WITHOUT_ROLE = [(a, b, role) for a, b in ALLOWED for role in ROLES
                        if role not in _roles_with(TRANSITIONS[(a, b)])]


@pytest.mark.parametrize(("from_status", "to_status", "role"), ALLOWED_WITH_ROLE)
def test_allowed_transition_by_a_role_with_the_permission(
        shop: Any, users: dict[str, Any], django_capture_on_commit_callbacks: Any,
        from_status: str, to_status: str, role: str) -> None:
    # Given an order in `from_status`
    order = walk_to(place(shop, users["agent"]), from_status, users["admin"])
    actor = users[role]
    reason = "customer asked" if to_status in REASON_REQUIRED else ""
    audit_before = AuditEntry.objects.count()
    notes_before = Notification.objects.filter(order=order).count()
    # When a user of the role moves it
    with django_capture_on_commit_callbacks(execute=True):
        moved = do_transition_order(order, to_status, actor=actor, reason=reason)
    # Then it has moved, and the history, the audit log and the customer's outbox say so
    assert moved.status == to_status
    assert Order.objects.get(pk=order.pk).status == to_status
    step = OrderStatusChange.objects.filter(order=order).last()
    assert step is not None
    assert (step.from_status, step.to_status, step.actor, step.reason) == (from_status, to_status, actor, reason)
    entry = AuditEntry.objects.filter(action=f"order_{to_status}", object_id=str(order.pk)).get()
    assert (entry.actor, entry.actor_name, entry.object_type) == (actor, actor.username, "orders.order")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["status"], entry.after["status"], entry.after["reason"]) == (from_status, to_status,
                                                                                      reason)
    replacement = Order.objects.filter(replaces=order).first()
    # an exchange also writes the replacement's audit row
    assert AuditEntry.objects.count() == audit_before + (2 if replacement else 1)
    notes = list(Notification.objects.filter(order=order).order_by("pk"))
    if to_status == Status.SETTLED:
        assert len(notes) == notes_before  # settlement is between us and the courier: no message
        return
    assert len(notes) == notes_before + 1
    expected = MESSAGES[Status(to_status)].format(number=order.number,
                                                  replacement=replacement.number if replacement else "")
    last = notes[-1]
    assert (last.channel, last.recipient, last.subject, last.body) == ("sms", "13800138000", order.number,
                                                                        expected)
    assert (last.status, last.attempts) == (NotificationStatus.OUTBOX, 1)


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_refused_transition_changes_nothing(shop: Any, users: dict[str, Any], from_status: str,
                                            to_status: str) -> None:
    # Given an order in `from_status`, and a superuser who holds every permission
    order = walk_to(place(shop, users["agent"]), from_status, users["admin"])
    before = state()
    # When they try a move the lifecycle does not have
    with pytest.raises(OrderTransitionError) as refused:
        do_transition_order(order, to_status, actor=users["admin"], reason="trying")
    # Then it is refused with a clear message and nothing changed
    assert refused.value.message_dict == {"status": [
        f"Order {order.number} is {Status(from_status).label} and cannot become {Status(to_status).label}."]}
    assert state() == before


def test_unknown_status_is_refused(shop: Any, users: dict[str, Any]) -> None:
    order = place(shop, users["agent"])
    before = state()
    with pytest.raises(OrderTransitionError) as refused:
        do_transition_order(order, "lost", actor=users["admin"], reason="trying")
    assert refused.value.message_dict == {"status": ["Unknown status “lost”."]}
    assert state() == before


@pytest.mark.parametrize(("from_status", "to_status", "role"), ALLOWED_WITHOUT_ROLE)
def test_allowed_transition_by_a_role_without_the_permission_is_denied(
        shop: Any, users: dict[str, Any], from_status: str, to_status: str, role: str) -> None:
    order = walk_to(place(shop, users["agent"]), from_status, users["admin"])
    before = state()
    with pytest.raises(PermissionDenied) as denied:
        do_transition_order(order, to_status, actor=users[role], reason="trying")
    assert str(denied.value) == "You do not have permission to do this."
    assert state() == before


def test_an_inactive_user_cannot_move_an_order(shop: Any, users: dict[str, Any]) -> None:
    logistics = users["logistics"]
    logistics.is_active = False
    logistics.save()
    order = place(shop, users["agent"])
    before = state()
    with pytest.raises(PermissionDenied):
        do_transition_order(order, Status.REVIEWED, actor=logistics)
    assert state() == before


REASONED = [(a, b) for a, b in ALLOWED if b in REASON_REQUIRED]


@pytest.mark.parametrize(("from_status", "to_status"), REASONED)
@pytest.mark.parametrize("reason", ["", "   \t"])
def test_a_reason_is_required(shop: Any, users: dict[str, Any], from_status: str, to_status: str,
                              reason: str) -> None:
    order = walk_to(place(shop, users["agent"]), from_status, users["admin"])
    before = state()
    with pytest.raises(ValidationError) as refused:
        do_transition_order(order, to_status, actor=users["admin"], reason=reason)
    assert refused.value.message_dict == {"reason": ["Give a reason for this change."]}
    assert state() == before


def test_reasons_are_required_exactly_for_these() -> None:
    assert sorted(REASON_REQUIRED) == ["cancelled", "exchanged", "refused", "returned"]


def test_a_reason_of_more_than_300_characters_is_refused(shop: Any, users: dict[str, Any]) -> None:
    order = place(shop, users["agent"])
    before = state()
    with pytest.raises(ValidationError) as refused:
        do_transition_order(order, Status.CANCELLED, actor=users["agent"], reason="x" * 301)
    assert refused.value.message_dict == {"reason": ["At most 300 characters."]}
    assert state() == before
    do_transition_order(order, Status.CANCELLED, actor=users["agent"], reason="x" * 300)
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED


def test_a_system_move_without_actor_is_recorded_as_system(shop: Any, users: dict[str, Any]) -> None:
    order = place(shop, users["agent"])
    do_transition_order(order, Status.REVIEWED, actor=None)
    step = OrderStatusChange.objects.filter(order=order).last()
    assert step is not None and (step.actor, step.to_status) == (None, "reviewed")
    assert AuditEntry.objects.filter(action="order_reviewed").get().actor_name == "system"


# ---------------------------------------------------------------- editing after shipping

UNLOCKED = [status for status in Status.values if status not in LOCKED_STATUSES]


def test_locked_statuses_are_everything_from_shipping_on() -> None:
    assert sorted(UNLOCKED) == ["ordered", "reviewed"]


@pytest.mark.parametrize("status", sorted(LOCKED_STATUSES))
def test_a_locked_order_cannot_be_edited(shop: Any, users: dict[str, Any], status: str) -> None:
    # Given an order that has shipped (or is otherwise closed)
    order = walk_to(place(shop, users["agent"]), status, users["admin"])
    before = state()
    changed = order_input(shop, LineInput(shop.product.pk, 1), address_id=None, address_text="北京市朝阳区建国路88号",
                          payment_method="card", notes="changed")
    # When the agent who took it tries to change lines, address and payment
    with pytest.raises(ValidationError) as refused:
        do_update_order(order, changed, actor=users["agent"])
    # Then it is refused and nothing changed
    assert refused.value.messages == [
        f"Order {order.number} is {Status(status).label}: its lines, address and payment can no longer be changed."]
    assert state() == before


@pytest.mark.parametrize("status", UNLOCKED)
def test_an_order_before_shipping_can_be_edited(shop: Any, users: dict[str, Any], status: str) -> None:
    # Given an order of 2 (plus 1 gift) not yet shipped
    order = walk_to(place(shop, users["agent"]), status, users["admin"])
    assert (stock(shop.product), stock(shop.gift)) == (8, 4)
    changed = order_input(shop, LineInput(shop.product.pk, 1), address_id=None, address_text="北京市朝阳区建国路88号",
                          payment_method="card", notes="ring twice")
    # When the agent changes it to 1, another address, card payment
    updated = do_update_order(order, changed, actor=users["agent"])
    # Then lines, totals, stock, address and payment follow, and a reviewed order goes back to review
    updated.refresh_from_db()
    assert (updated.status, updated.total, updated.points, updated.payment_method, updated.notes) == (
        Status.ORDERED, Decimal("398.00"), 10, "card", "ring twice")
    if status == Status.REVIEWED:
        assert list(updated.history.values_list("from_status", "to_status", "reason"))[-1] == (
            "reviewed", "ordered", "Changed after review: to be reviewed again")
    assert (updated.province, updated.city, updated.district, updated.address_detail) == (
        "北京", "北京", "朝阳区", "建国路88号")
    assert list(updated.lines.values_list("product_id", "quantity", "is_gift")) == [(shop.product.pk, 1, False)]
    assert (stock(shop.product), stock(shop.gift)) == (9, 5)
    entry = AuditEntry.objects.filter(action="update_order").get()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["total"], entry.after["total"], entry.actor) == ("796.00", "398.00", users["agent"])


def test_editing_needs_the_permission(shop: Any, users: dict[str, Any]) -> None:
    order = place(shop, users["agent"])
    before = state()
    with pytest.raises(PermissionDenied):
        do_update_order(order, order_input(shop, LineInput(shop.product.pk, 1)), actor=users["finance"])
    assert state() == before


# ---------------------------------------------------------------- side effects

def test_cancelling_returns_the_stock_of_lines_and_gifts(shop: Any, users: dict[str, Any]) -> None:
    order = place(shop, users["agent"])
    assert (stock(shop.product), stock(shop.gift)) == (8, 4)
    do_transition_order(order, Status.CANCELLED, actor=users["agent"], reason="changed her mind")
    assert (stock(shop.product), stock(shop.gift)) == (10, 5)


def test_cancelling_after_review_returns_the_stock(shop: Any, users: dict[str, Any]) -> None:
    order = walk_to(place(shop, users["agent"]), Status.REVIEWED, users["admin"])
    do_transition_order(order, Status.CANCELLED, actor=users["logistics"], reason="address unreachable")
    assert (stock(shop.product), stock(shop.gift)) == (10, 5)


def test_delivery_credits_points_and_return_debits_them(shop: Any, users: dict[str, Any]) -> None:
    # Given an order of 2 products at 10 points each, shipped
    order = walk_to(place(shop, users["agent"]), Status.SHIPPED, users["admin"])
    assert (order.points, points(shop.customer)) == (20, 0)
    # When it is delivered, the customer earns the points
    order = do_transition_order(order, Status.DELIVERED, actor=users["logistics"])
    assert points(shop.customer) == 20
    # When the goods come back, the points go, and the stock comes back
    do_transition_order(order, Status.RETURNED, actor=users["logistics"], reason="did not like it")
    assert points(shop.customer) == 0
    assert (stock(shop.product), stock(shop.gift)) == (10, 5)


def test_return_after_settlement_debits_points(shop: Any, users: dict[str, Any]) -> None:
    order = walk_to(place(shop, users["agent"]), Status.SETTLED, users["admin"])
    assert points(shop.customer) == 20
    do_transition_order(order, Status.RETURNED, actor=users["supervisor"], reason="within 7 days")
    assert points(shop.customer) == 0


def test_refused_parcel_returns_stock_and_never_touches_points(shop: Any, users: dict[str, Any]) -> None:
    order = walk_to(place(shop, users["agent"]), Status.REFUSED, users["admin"])
    assert (stock(shop.product), points(shop.customer)) == (8, 0)
    do_transition_order(order, Status.RETURNED, actor=users["logistics"], reason="parcel back in warehouse")
    assert (stock(shop.product), stock(shop.gift), points(shop.customer)) == (10, 5, 0)


def test_settlement_records_amount_and_time(shop: Any, users: dict[str, Any]) -> None:
    order = walk_to(place(shop, users["agent"]), Status.DELIVERED, users["admin"])
    assert (order.settled_at, order.settled_amount) == (None, None)
    settled = do_transition_order(order, Status.SETTLED, actor=users["finance"])
    settled.refresh_from_db()
    assert settled.settled_amount == Decimal("796.00")
    assert settled.settled_at is not None


@pytest.mark.parametrize("via", ["do_exchange_order", "do_transition_order"])
def test_exchange_creates_a_linked_free_replacement(world: Any, users: dict[str, Any], via: str) -> None:
    # Given a delivered order of 2 products (earning a gift) and 1 cross-sell at its offer price
    order = place(world, users["agent"], LineInput(world.product.pk, 2), LineInput(world.extra.pk, 1, cross_sell=True))
    order = walk_to(order, Status.DELIVERED, users["admin"])
    assert order.total == Decimal("865.00")
    orders_before = Order.objects.count()
    # When logistics exchanges it (directly, or through the generic transition)
    if via == "do_exchange_order":
        replacement = do_exchange_order(order, actor=users["logistics"], reason="arrived broken")
    else:
        do_transition_order(order, Status.EXCHANGED, actor=users["logistics"], reason="arrived broken")
        replacement = Order.objects.get(replaces=order)
    # Then the original is exchanged and one replacement exists, linked, free, with the same goods
    original = Order.objects.get(pk=order.pk)
    assert original.status == Status.EXCHANGED
    assert Order.objects.count() == orders_before + 1
    replacement.refresh_from_db()
    assert (replacement.replaces, replacement.status, replacement.total, replacement.points) == (
        original, Status.ORDERED, Decimal("0.00"), 0)
    assert (replacement.subtotal, replacement.discount_total) == (Decimal("865.00"), Decimal("865.00"))
    assert (replacement.payment_method, replacement.address_text, replacement.recipient) == (
        "transfer", original.address_text, original.recipient)
    assert replacement.notes == f"Exchange for {original.number}: arrived broken"
    assert list(original.lines.values_list("product_id", "quantity", "is_cross_sell", "is_gift")) == [
        (world.product.pk, 2, False, False), (world.gift.pk, 1, False, True), (world.extra.pk, 1, True, False)]
    assert list(replacement.lines.values_list("product_id", "quantity", "is_cross_sell", "is_gift", "unit_price",
                                              "line_total")) == [
        (world.product.pk, 2, False, False, Decimal("398.00"), Decimal("0.00")),
        (world.extra.pk, 1, True, False, Decimal("69.00"), Decimal("0.00"))]
    history = list(OrderStatusChange.objects.filter(order=replacement).values_list(
        "from_status", "to_status", "actor", "reason"))
    assert history == [("", "ordered", users["logistics"].pk, "arrived broken")]
    assert AuditEntry.objects.filter(action="create_replacement_order", object_id=str(replacement.pk)).count() == 1
    last = Notification.objects.filter(order=original).order_by("pk").last()
    assert last is not None and last.body == MESSAGES[Status.EXCHANGED].format(number=original.number,
                                                                               replacement=replacement.number)


def test_exchange_lines_are_the_same_goods_without_new_gifts(shop: Any, users: dict[str, Any]) -> None:
    order = walk_to(place(shop, users["agent"]), Status.DELIVERED, users["admin"])
    assert list(order.lines.values_list("product_id", "quantity", "is_gift")) == [
        (shop.product.pk, 2, False), (shop.gift.pk, 1, True)]
    replacement = do_exchange_order(order, actor=users["logistics"], reason="wrong colour")
    assert list(replacement.lines.values_list("product_id", "quantity", "is_gift")) == [(shop.product.pk, 2, False)]
    assert (stock(shop.product), stock(shop.gift)) == (6, 4)  # the replacement's goods leave the warehouse


def test_exchange_with_other_lines(world: Any, users: dict[str, Any]) -> None:
    order = walk_to(place(world, users["agent"]), Status.DELIVERED, users["admin"])
    replacement = do_exchange_order(order, actor=users["supervisor"], reason="wants the knee pad",
                                    lines=[LineInput(world.extra.pk, 3)])
    assert list(replacement.lines.values_list("product_id", "quantity", "line_total")) == [
        (world.extra.pk, 3, Decimal("0.00"))]
    assert (replacement.subtotal, replacement.total) == (Decimal("297.00"), Decimal("0.00"))


def test_exchange_of_an_order_not_delivered_is_refused_and_creates_nothing(shop: Any,
                                                                           users: dict[str, Any]) -> None:
    order = walk_to(place(shop, users["agent"]), Status.SHIPPED, users["admin"])
    before = state()
    with pytest.raises(OrderTransitionError):
        do_exchange_order(order, actor=users["logistics"], reason="broken")
    assert state() == before


def test_exchange_refused_for_stock_leaves_the_original_delivered(shop: Any, users: dict[str, Any]) -> None:
    order = walk_to(place(shop, users["agent"]), Status.DELIVERED, users["admin"])
    Product.objects.filter(pk=shop.product.pk).update(stock=1)
    before = state()
    with pytest.raises(ValidationError) as refused:
        do_exchange_order(order, actor=users["logistics"], reason="broken")
    assert refused.value.message_dict == {"lines": ["Only 1 of 颈椎按摩仪 left in stock."]}
    assert state() == before
    assert OrderLine.objects.filter(order__replaces=order).count() == 0

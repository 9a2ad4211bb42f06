"""Orders in the back office: read-only once shipped, lines always read-only, status changes through
`do_transition_order` one at a time or for a selection, with a reason where one is required."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hotline.accounts.audit import snapshot
from hotline.accounts.models import AuditEntry
from hotline.orders.models import Order
from tests.backoffice.helpers import admin_url, form_data, move, place_order


@pytest.fixture
def order(world: Any, users: dict[str, Any]) -> Order:
    return place_order(world, users["agent"])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("role", ["logistics", "supervisor", "admin"])
def test_a_shipped_order_refuses_edits(order: Order, users: dict[str, Any], role: str,
                                       client_as: Callable[[str | None], Client]) -> None:
    # given a shipped order, which these roles could edit before it left
    move(order, users, "reviewed", "shipped")
    order.refresh_from_db()
    before, audit_rows = snapshot(order), AuditEntry.objects.count()
    client = client_as(role)
    # when they open it, it is read-only and says why
    page = client.get(admin_url("orders/order", "change", order.pk))
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    assert f"Order {order.number} is Shipped: it can no longer be edited." in page.content.decode()
    # and when they post a change anyway, it is refused and nothing changes
    response = client.post(admin_url("orders/order", "change", order.pk), {
        "recipient": "Mallory", "recipient_phone": "13900001111", "delivery_method": "ems", "payment_method": "cod"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert snapshot(order) == before
    assert AuditEntry.objects.count() == audit_rows


def test_finance_views_orders_but_cannot_change_them(order: Order, client_as: Callable[[str | None], Client]) -> None:
    client = client_as("finance")
    page = client.get(admin_url("orders/order", "change", order.pk))
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    response = client.post(admin_url("orders/order", "change", order.pk), {"notes": "changed by finance"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.notes == ""


def test_logistics_corrects_an_unshipped_order(order: Order, users: dict[str, Any],
                                               client_as: Callable[[str | None], Client]) -> None:
    client = client_as("logistics")
    page = client.get(admin_url("orders/order", "change", order.pk))
    response = client.post(admin_url("orders/order", "change", order.pk),
                           form_data(page, recipient_phone="+86 139-0000-1111", notes="call before delivery"))
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.recipient_phone, order.notes, order.total) == ("13900001111", "call before delivery",
                                                                 order.total)
    entry = AuditEntry.objects.filter(action="update_order").get()
    assert (entry.actor, entry.before["recipient_phone"], entry.after["recipient_phone"]) == (
        users["logistics"], "13800138000", "13900001111")


def test_lines_and_totals_are_read_only(order: Order, client_as: Callable[[str | None], Client]) -> None:
    page = client_as("admin").get(admin_url("orders/order", "change", order.pk))
    lines, history = page.context["inline_admin_formsets"]
    assert (lines.has_add_permission, lines.has_change_permission, lines.has_delete_permission) == (
        False, False, False)
    assert [(line.original.product.name, line.original.quantity) for line in lines] == [("颈椎按摩仪", 1)]
    assert [h.original.to_status for h in history] == ["ordered"]
    form_fields = set(page.context["adminform"].form.fields)
    assert not form_fields & {"total", "subtotal", "status", "number", "customer", "points"}


def test_orders_cannot_be_added_or_deleted_in_the_back_office(order: Order,
                                                              client_as: Callable[[str | None], Client]) -> None:
    client = client_as("admin")
    assert client.get(admin_url("orders/order", "add")).status_code == 403
    assert client.post(admin_url("orders/order", "delete", order.pk), {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


def test_settlement_is_shown_only_to_who_may_see_it(order: Order, users: dict[str, Any],
                                                    client_as: Callable[[str | None], Client]) -> None:
    move(order, users, "reviewed", "shipped", "delivered", "settled")

    def fields(role: str) -> set[str]:
        page = client_as(role).get(admin_url("orders/order", "change", order.pk))
        return {f for fieldset in page.context["adminform"] for line in fieldset for f in line.fields}

    assert {"settled_at", "settled_amount"} <= fields("finance")
    assert not {"settled_at", "settled_amount"} & fields("logistics")
    assert not {"settled_at", "settled_amount"} & fields("supervisor")


def test_one_order_is_reviewed_from_its_page(order: Order, users: dict[str, Any],
                                             client_as: Callable[[str | None], Client]) -> None:
    client = client_as("logistics")
    page = client.get(admin_url("orders/order", "change", order.pk))
    assert [t["label"] for t in page.context["transitions"]] == ["Mark reviewed", "Cancel"]
    response = client.post(admin_url("orders/order", "transition", order.pk, "reviewed"), {}, follow=True)
    assert messages_of(response) == [f"1 order is now Reviewed: {order.number}."]
    order.refresh_from_db()
    assert order.status == "reviewed"
    change = order.history.last()
    assert (change.from_status, change.to_status, change.actor, change.reason) == (  # type: ignore[union-attr]
        "ordered", "reviewed", users["logistics"], "")


def test_cancelling_needs_a_reason(order: Order, users: dict[str, Any],
                                   client_as: Callable[[str | None], Client]) -> None:
    client = client_as("logistics")
    url = admin_url("orders/order", "transition", order.pk, "cancelled")
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    order.refresh_from_db()
    assert order.status == "ordered"
    client.post(url, {"reason": "customer changed their mind"})
    order.refresh_from_db()
    assert (order.status, order.history.last().reason) == (  # type: ignore[union-attr]
        "cancelled", "customer changed their mind")


def test_a_transition_the_role_may_not_make_is_forbidden(order: Order, users: dict[str, Any],
                                                         client_as: Callable[[str | None], Client]) -> None:
    move(order, users, "reviewed", "shipped", "delivered")
    client = client_as("logistics")
    assert client.get(admin_url("orders/order", "transition", order.pk, "settled")).status_code == 403
    assert client.post(admin_url("orders/order", "transition", order.pk, "settled")).status_code == 403
    order.refresh_from_db()
    assert order.status == "delivered"


def test_an_illegal_transition_is_refused_with_the_reason(order: Order, users: dict[str, Any],
                                                          client_as: Callable[[str | None], Client]) -> None:
    response = client_as("logistics").post(admin_url("orders/order", "transition", order.pk, "shipped"), follow=True)
    assert messages_of(response) == [
        f"Not changed: {order.number}: Order {order.number} is Ordered and cannot become Shipped."]
    order.refresh_from_db()
    assert order.status == "ordered"


def test_actions_offered_follow_the_role(order: Order, client_as: Callable[[str | None], Client]) -> None:
    def actions(role: str) -> list[str]:
        form = client_as(role).get(admin_url("orders/order")).context["action_form"]
        return [name for name, _label in form.fields["action"].choices if name] if form else []

    assert actions("finance") == ["mark_settled"]
    assert actions("logistics") == ["mark_reviewed", "mark_cancelled", "mark_shipped", "mark_delivered",
                                    "mark_refused", "mark_returned", "mark_exchanged"]
    assert actions("manager") == []


def test_a_selection_is_reviewed_at_once_and_bad_ones_are_named(world: Any, users: dict[str, Any],
                                                                client_as: Callable[[str | None], Client]) -> None:
    first, second, shipped = (place_order(world, users["agent"]) for _ in range(3))
    move(shipped, users, "reviewed", "shipped")
    response = client_as("logistics").post(admin_url("orders/order"), {
        "action": "mark_reviewed", "index": "0", "_selected_action": [first.pk, second.pk, shipped.pk]}, follow=True)
    assert messages_of(response) == [
        f"2 orders are now Reviewed: {first.number}, {second.number}.",
        f"Not changed: {shipped.number}: Order {shipped.number} is Shipped and cannot become Reviewed."]
    assert sorted(Order.objects.values_list("status", flat=True)) == ["reviewed", "reviewed", "shipped"]


def test_cancelling_a_selection_asks_for_the_reason_first(world: Any, users: dict[str, Any],
                                                          client_as: Callable[[str | None], Client]) -> None:
    orders = [place_order(world, users["agent"]) for _ in range(2)]
    client = client_as("logistics")
    selection = {"action": "mark_cancelled", "_selected_action": [o.pk for o in orders]}
    page = client.post(admin_url("orders/order"), {**selection, "index": "0"})
    assert page.status_code == 200
    assert [o.number for o in page.context["orders"]] == [o.number for o in orders]
    assert set(Order.objects.values_list("status", flat=True)) == {"ordered"}
    # posting the confirmation without a reason asks again
    page = client.post(admin_url("orders/order"), {**selection, "apply": "yes", "reason": ""})
    assert page.context["form"].errors == {"reason": ["This field is required."]}
    client.post(admin_url("orders/order"), {**selection, "apply": "yes", "reason": "duplicate order"})
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}
    assert {o.history.last().reason for o in orders} == {"duplicate order"}  # type: ignore[union-attr]


def test_an_exchange_creates_the_replacement_order(order: Order, users: dict[str, Any],
                                                   client_as: Callable[[str | None], Client]) -> None:
    move(order, users, "reviewed", "shipped", "delivered")
    client_as("logistics").post(admin_url("orders/order", "transition", order.pk, "exchanged"),
                                {"reason": "wrong size"})
    order.refresh_from_db()
    replacement = order.replacements.get()
    assert (order.status, replacement.status, replacement.total) == ("exchanged", "ordered", 0)


def test_search_and_filters(world: Any, users: dict[str, Any], client_as: Callable[[str | None], Client]) -> None:
    from tests import factories

    first, second, third = (place_order(world, users["agent"]) for _ in range(3))
    airing = factories.make_airing(world.station)
    elsewhere = factories.make_airing(factories.make_station("zjtv", "浙江卫视"))
    Order.objects.filter(pk=second.pk).update(airing=airing, payment_method="card")
    Order.objects.filter(pk=third.pk).update(airing=elsewhere)
    move(first, users, "reviewed")
    client = client_as("logistics")

    def found(**query: Any) -> list[str]:
        return [o.number for o in client.get(admin_url("orders/order"), query).context["cl"].result_list]

    assert found(q=first.number) == [first.number]
    assert found(q="+86 138 0013 8000") == [third.number, second.number, first.number]
    assert found(status__exact="reviewed") == [first.number]
    assert found(payment_method__exact="card") == [second.number]
    assert found(airing=str(airing.pk)) == [second.number]
    assert found(airing__station__id__exact=str(world.station.pk)) == [second.number]

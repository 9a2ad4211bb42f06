"""The back office follows the order access rule: a staff user without `orders.change_any_order` sees an
agent's order read-only and cannot change or cancel it; anonymous users and agents never get in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hotline.accounts.audit import snapshot
from hotline.accounts.models import AuditEntry
from hotline.accounts.permissions import ROLE_PERMS, Perm, Role
from hotline.orders.models import Order, Status
from tests.backoffice.helpers import admin_url, place_order


@pytest.fixture
def order(world: Any, users: dict[str, Any]) -> Order:
    return place_order(world, users["agent"])


@pytest.mark.parametrize("role", [None, "agent"])
def test_anonymous_and_agents_are_sent_to_sign_in(order: Order, role: str | None,
                                                  client_as: Callable[[str | None], Client]) -> None:
    before = snapshot(order)
    response = client_as(role).post(admin_url("orders/order", "change", order.pk), {"notes": "mine now"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert snapshot(order) == before


def test_without_change_any_order_an_agents_order_is_read_only(order: Order, monkeypatch: pytest.MonkeyPatch,
                                                               client_as: Callable[[str | None], Client]) -> None:
    # given a supervisor role that has lost orders.change_any_order (but keeps change and cancel)
    monkeypatch.setitem(ROLE_PERMS, Role.SUPERVISOR, ROLE_PERMS[Role.SUPERVISOR] - {Perm.CHANGE_ANY_ORDER})
    client = client_as("supervisor")
    before, audit_rows = snapshot(order), AuditEntry.objects.count()
    # when they open the agent's order, it is read-only
    page = client.get(admin_url("orders/order", "change", order.pk))
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)
    # and a change or a cancellation posted anyway is refused and changes nothing
    changed = client.post(admin_url("orders/order", "change", order.pk), {"notes": "changed"})
    cancelled = client.post(admin_url("orders/order", "transition", order.pk, Status.CANCELLED),
                            {"reason": "customer changed their mind"})
    assert changed.status_code == 403
    assert cancelled.status_code == 302  # back to the order, with the refusal as a message
    order.refresh_from_db()
    assert (snapshot(order), AuditEntry.objects.count()) == (before, audit_rows)


def test_a_supervisor_changes_an_agents_order(order: Order, client_as: Callable[[str | None], Client]) -> None:
    page = client_as("supervisor").get(admin_url("orders/order", "change", order.pk))
    assert (page.status_code, page.context["has_change_permission"]) == (200, True)

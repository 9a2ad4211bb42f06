"""An agent edits or cancels only the orders they took, or of a call they are on; supervisors,
logistics and admins any (`orders.change_any_order`). Refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from hotline.calls.models import CallRecord
from hotline.orders.actions import LineInput, do_transition_order, do_update_order, do_update_order_details
from hotline.orders.models import Order, Status
from hotline.orders.queries import can_change_order
from tests import factories
from tests.orders.helpers import order_input, place, state

REFUSAL = "Order {number} was taken by another agent: only they or a supervisor may change it."


@pytest.fixture
def taken(world: Any, users: Any) -> Order:
    """An order the `users` fixture's agent took, on call c-1."""
    return place(world, users["agent"], call_id="c-1")


@pytest.fixture
def other_agent(db: Any) -> Any:
    return factories.make_user("agent", username="t_other_agent")


def edit(order: Order, world: Any, actor: Any) -> Order:
    return do_update_order(order, order_input(world, LineInput(world.product.pk, 3)), actor=actor)


def cancel(order: Order, actor: Any) -> Order:
    return do_transition_order(order, Status.CANCELLED, actor=actor, reason="customer changed their mind")


def details(order: Order, actor: Any) -> Order:
    return do_update_order_details(order, {"notes": "leave at the door"}, actor=actor)


@pytest.mark.parametrize("change", ["edit", "cancel", "details"])
def test_another_agent_is_refused_and_nothing_changes(taken: Order, world: Any, other_agent: Any,
                                                      change: str) -> None:
    before = state()
    with pytest.raises(PermissionDenied) as refused:
        {"edit": lambda: edit(taken, world, other_agent), "cancel": lambda: cancel(taken, other_agent),
         "details": lambda: details(taken, other_agent)}[change]()
    assert str(refused.value) == REFUSAL.format(number=taken.number)
    assert state() == before


def test_the_agent_who_took_the_order_edits_and_cancels_it(taken: Order, world: Any, users: Any) -> None:
    assert edit(taken, world, users["agent"]).lines.filter(is_gift=False).get().quantity == 3
    assert details(taken, users["agent"]).notes == "leave at the door"
    assert cancel(taken, users["agent"]).status == Status.CANCELLED


@pytest.mark.parametrize("role", ["supervisor", "logistics", "admin"])
def test_supervisors_logistics_and_admins_change_anyones_order(taken: Order, world: Any, users: Any,
                                                               role: str) -> None:
    assert edit(taken, world, users[role]).lines.filter(is_gift=False).get().quantity == 3
    assert cancel(taken, users[role]).status == Status.CANCELLED


def test_an_agent_on_the_orders_call_may_change_it_until_the_call_ends(taken: Order, world: Any,
                                                                       other_agent: Any) -> None:
    call = CallRecord.objects.create(call_id="c-1", arrived_at=timezone.now(), agent=other_agent,
                                     agent_key=other_agent.username)
    assert can_change_order(other_agent, taken)
    assert details(taken, other_agent).notes == "leave at the door"
    call.ended_at = timezone.now()
    call.save()
    assert not can_change_order(other_agent, taken)


def test_an_order_with_no_agent_is_not_every_agents(world: Any, users: Any, other_agent: Any) -> None:
    order = place(world, users["supervisor"])
    order.agent = None
    order.save()
    assert not can_change_order(other_agent, order)
    assert can_change_order(users["supervisor"], order)
    assert can_change_order(None, order)

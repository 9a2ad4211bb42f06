"""Order tasks on the desk's worklist, closed with their outcome: a rescue call after a refusal, a
confirmation call before a risky COD order ships, an order sent back at review."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.logistics.actions import do_complete_task, do_record_shipment_event, do_review_orders, do_send_back_order
from hotline.logistics.models import (
    EventKind,
    EventSource,
    OrderTask,
    Shipment,
    ShipmentStatus,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories
from tests.logistics.world import World, at, build_world, make_refuser, state, stock_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

Out = TaskOutcome
# Written out by hand: which outcomes close which kind of task.
OUTCOMES: dict[str, set[str]] = {
    TaskKind.RESCUE: {Out.REDELIVER, Out.ADDRESS, Out.CANCEL, Out.UNREACHED},
    TaskKind.CONFIRM: {Out.CONFIRMED, Out.CANCEL},
    TaskKind.FIX: {Out.FIXED, Out.CANCEL},
}
EVERY = [(kind, outcome) for kind in TaskKind.values for outcome in Out.values]
NOTES: dict[str, str] = {Out.ADDRESS: "新地址：深圳市南山区科技园北区3栋", Out.CANCEL: "客户不要了"}


@pytest.fixture
def w() -> World:
    return build_world()


def task_of(w: World, kind: str) -> OrderTask:
    """An open task of `kind`, made the way production makes it."""
    if kind == TaskKind.RESCUE:
        shipment = w.ship(w.place())
        do_record_shipment_event(shipment, EventKind.REFUSED, at(30), source=EventSource.IMPORT, actor=w.clerk,
                                 detail="太贵")
    elif kind == TaskKind.CONFIRM:
        assert do_review_orders([w.place(customer=make_refuser(w))], actor=w.clerk).confirmations
    else:
        do_send_back_order(w.place(), reason="地址不全", actor=w.clerk)
    return OrderTask.objects.get(kind=kind, status=TaskStatus.OPEN)


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


# ---------------------------------------------------------------- outcomes per kind

def test_the_table_covers_every_kind() -> None:
    assert set(OUTCOMES) == set(TaskKind.values)


@pytest.mark.parametrize(("kind", "outcome"), EVERY)
def test_outcomes_per_kind(w: World, kind: str, outcome: str) -> None:
    task = task_of(w, kind)
    if outcome not in OUTCOMES[kind]:
        before = state()
        with pytest.raises(ValidationError) as error:
            do_complete_task(task, outcome, actor=w.agent, note="随便")
        assert error.value.message_dict == {"outcome": [f"“{outcome}” is not an outcome of this task."]}
        assert state() == before
        return
    note = NOTES.get(outcome, "")
    done = do_complete_task(task, outcome, actor=w.agent, note=note)
    done.refresh_from_db()
    assert (done.status, done.outcome, done.outcome_note, done.done_by) == (TaskStatus.DONE, outcome, note, w.agent)
    assert done.done_at is not None
    entry = AuditEntry.objects.get(action="complete_order_task")
    assert (entry.object_id, entry.actor, entry.after) == (str(task.pk), w.agent, {"outcome": outcome, "note": note})


def test_an_unknown_outcome_is_refused(w: World) -> None:
    task = task_of(w, TaskKind.RESCUE)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_complete_task(task, "maybe", actor=w.agent)
    assert error.value.message_dict == {"outcome": ["“maybe” is not an outcome of this task."]}
    assert state() == before


# ---------------------------------------------------------------- notes

@pytest.mark.parametrize(("kind", "outcome"), [(TaskKind.RESCUE, Out.ADDRESS), (TaskKind.RESCUE, Out.CANCEL),
                                               (TaskKind.CONFIRM, Out.CANCEL), (TaskKind.FIX, Out.CANCEL)])
@pytest.mark.parametrize("note", ["", "   "])
def test_a_new_address_or_a_cancellation_needs_words(w: World, kind: str, outcome: str, note: str) -> None:
    task = task_of(w, kind)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_complete_task(task, outcome, actor=w.agent, note=note)
    assert error.value.message_dict == {"note": ["Write the new address or why the customer cancels."]}
    assert state() == before


def test_notes_are_trimmed_and_at_most_300_characters(w: World) -> None:
    task = task_of(w, TaskKind.RESCUE)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_complete_task(task, Out.UNREACHED, actor=w.agent, note="长" * 301)
    assert error.value.message_dict == {"note": ["At most 300 characters."]}
    assert state() == before
    done = do_complete_task(task, Out.UNREACHED, actor=w.agent, note="  " + "长" * 300 + "  ")
    assert done.outcome_note == "长" * 300


# ---------------------------------------------------------------- what an outcome does to the order

def test_cancelling_a_confirmation_cancels_the_order_its_parcel_and_frees_its_stock(w: World) -> None:
    task = task_of(w, TaskKind.CONFIRM)
    assert stock_of(w.massager) == 48
    do_complete_task(task, Out.CANCEL, actor=w.agent, note=" 客户不要了 ")
    assert status_of(task.order) == Status.CANCELLED
    change = OrderStatusChange.objects.filter(order=task.order).latest("pk")
    assert (change.from_status, change.to_status, change.reason, change.actor) == (
        Status.REVIEWED, Status.CANCELLED, "客户不要了", w.agent)
    assert Shipment.objects.get(order=task.order).status == ShipmentStatus.CANCELLED
    assert stock_of(w.massager) == 50


def test_cancelling_an_order_sent_back_cancels_it(w: World) -> None:
    task = task_of(w, TaskKind.FIX)
    do_complete_task(task, Out.CANCEL, actor=w.agent, note="客户改主意了")
    assert status_of(task.order) == Status.CANCELLED
    assert stock_of(w.massager) == 50
    assert not Shipment.objects.exists()


def test_a_confirmed_order_ships_and_a_fixed_one_goes_back_to_review(w: World) -> None:
    confirm = task_of(w, TaskKind.CONFIRM)
    do_complete_task(confirm, Out.CONFIRMED, actor=w.agent)
    assert status_of(confirm.order) == Status.REVIEWED
    assert w.ship(confirm.order).status == ShipmentStatus.SHIPPED
    fix = task_of(w, TaskKind.FIX)
    do_complete_task(fix, Out.FIXED, actor=w.agent)
    assert status_of(fix.order) == Status.ORDERED
    assert do_review_orders([fix.order], actor=w.clerk).reviewed == [fix.order.pk]


@pytest.mark.parametrize("outcome", [Out.CANCEL, Out.ADDRESS, Out.UNREACHED, Out.REDELIVER])
def test_a_rescue_outcome_leaves_the_refused_order_to_the_courier(w: World, outcome: str) -> None:
    task = task_of(w, TaskKind.RESCUE)
    history = OrderStatusChange.objects.count()
    do_complete_task(task, outcome, actor=w.agent, note=NOTES.get(outcome, ""))
    assert status_of(task.order) == Status.REFUSED
    assert Shipment.objects.get(order=task.order).status == ShipmentStatus.REFUSED
    assert OrderStatusChange.objects.count() == history


# ---------------------------------------------------------------- refused

def test_a_task_is_done_once(w: World) -> None:
    task = task_of(w, TaskKind.CONFIRM)
    do_complete_task(task, Out.CONFIRMED, actor=w.agent)
    before = state()
    for outcome, note in ((Out.CONFIRMED, ""), (Out.CANCEL, "后悔了")):
        with pytest.raises(ValidationError) as error:
            do_complete_task(task, outcome, actor=w.agent, note=note)
        assert error.value.messages == ["This task is already done."]
    assert state() == before
    assert status_of(task.order) == Status.REVIEWED


def test_logistics_does_not_work_the_agents_calls(w: World) -> None:
    task = task_of(w, TaskKind.RESCUE)
    before = state()
    with pytest.raises(PermissionDenied):
        do_complete_task(task, Out.UNREACHED, actor=w.clerk)
    assert state() == before


def test_a_supervisor_or_another_agent_may_make_the_call(w: World) -> None:
    task = task_of(w, TaskKind.RESCUE)
    assert do_complete_task(task, Out.UNREACHED, actor=w.other_agent).done_by == w.other_agent
    supervisor = factories.make_user("supervisor")
    confirm = task_of(w, TaskKind.CONFIRM)
    do_complete_task(confirm, Out.CANCEL, actor=supervisor, note="客户取消")
    assert status_of(confirm.order) == Status.CANCELLED


def test_another_agent_cannot_cancel_an_order_they_did_not_take(w: World) -> None:
    task = task_of(w, TaskKind.CONFIRM)
    before = state()
    with pytest.raises(PermissionDenied):
        do_complete_task(task, Out.CANCEL, actor=w.other_agent, note="客户取消")
    assert state() == before
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN

"""Order review (订单审核): the courier chosen and stored with its parcel, problems flagged instead of
reviewed, risky cash-on-delivery orders held for a confirmation call; sending an order back to its
agent; changing the courier by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.payments import do_record_payment
from hotline.logistics.actions import (
    do_change_courier,
    do_complete_task,
    do_create_batches,
    do_review_orders,
    do_send_back_order,
    do_ship_parcel,
)
from hotline.logistics.models import OrderTask, Shipment, ShipmentStatus, TaskKind, TaskOutcome, TaskStatus
from hotline.notify.models import Notification
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories
from tests.logistics.world import (
    World,
    add_address,
    audit_actions,
    build_world,
    make_customer,
    make_refuser,
    state,
    stock_of,
)

D = Decimal
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def w() -> World:
    return build_world()


def paid(order: Order) -> Order:
    """A prepaid order with its transfer recorded by finance: only a paid prepaid order is reviewed."""
    do_record_payment(order, method="transfer", amount=order.total, actor=factories.make_user("finance"))
    return order


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


# ---------------------------------------------------------------- reviewed orders and their parcels

def test_reviewed_orders_get_a_pending_parcel_with_the_choice_and_its_money(w: World) -> None:
    by_ems, by_express = w.place(), w.place(delivery_method="courier")
    result = do_review_orders([by_ems, by_express], actor=w.clerk)
    assert (result.reviewed, result.flagged, result.confirmations) == ([by_ems.pk, by_express.pk], {}, [])
    assert [status_of(by_ems), status_of(by_express)] == [Status.REVIEWED, Status.REVIEWED]
    ems = Shipment.objects.get(order=by_ems)
    assert (ems.status, ems.courier, ems.runner_up, ems.tracking_number, ems.batch) == (
        ShipmentStatus.PENDING, w.ems, None, None, None)
    assert (ems.freight, ems.cod_due, ems.cod_fee, ems.weight_kg, ems.zone, ems.delivery_days) == (
        D("21.00"), D("796.00"), D("11.94"), D("2.400"), "A", 3)
    assert ems.choice_reason == ("EMS: covered, cash on delivery, local delivery rate about 80 % (few parcels), "
                                 "freight ¥21")
    express = Shipment.objects.get(order=by_express)
    # ZTO ¥16 + ¥7.96 + 20 % × ¥62 beats SF ¥27 + ¥15.92 + 20 % × ¥84; Yunda collects no cash
    assert (express.courier, express.runner_up, express.overridden) == (w.zto, w.sf, False)
    assert (express.freight, express.cod_due, express.cod_fee, express.zone, express.delivery_days) == (
        D("16.00"), D("796.00"), D("7.96"), "B", 2)
    assert express.choice_reason == ("ZTO: covered, cash on delivery, local delivery rate about 80 % (few parcels), "
                                     "freight ¥16")


def test_review_writes_history_audit_and_tells_the_customer(w: World) -> None:
    order = w.place()
    do_review_orders([order], actor=w.clerk)
    change = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert (change.from_status, change.to_status, change.actor) == (Status.ORDERED, Status.REVIEWED, w.clerk)
    entry = AuditEntry.objects.get(action="order_reviewed")
    assert (entry.actor, entry.object_id, entry.object_repr, entry.before, entry.after) == (
        w.clerk, str(order.pk), order.number, {"status": "ordered"}, {"status": "reviewed"})
    message = Notification.objects.filter(order=order).latest("pk")
    assert (message.recipient, message.body) == (
        "13800138000", f"王先生, your order {order.number} has been confirmed.")


def test_prepaid_orders_owe_no_cash_and_no_cod_fee(w: World) -> None:
    order = paid(w.place(payment_method="transfer"))
    parcel = w.review(order)
    assert (parcel.courier, parcel.freight, parcel.cod_due, parcel.cod_fee) == (w.ems, D("21.00"), D("0.00"), D("0.00"))
    assert parcel.choice_reason == "EMS: covered, local delivery rate about 80 % (few parcels), freight ¥21"


def test_a_heavier_parcel_pays_each_started_half_kilo(w: World) -> None:
    # 2 massagers + 3 kneepads = 2.4 + 0.9 = 3.3 kg: ¥12 + ⌈2.3 / 0.5⌉ = 5 steps × ¥3 = ¥27
    order = w.place((w.massager, 2), (w.kneepad, 3))
    parcel = w.review(order)
    assert (parcel.weight_kg, parcel.freight, parcel.cod_due, parcel.cod_fee) == (
        D("3.300"), D("27.00"), D("1093.00"), D("16.40"))


# ---------------------------------------------------------------- flagged, not reviewed

def test_orders_with_problems_are_flagged_with_why_and_not_reviewed(w: World) -> None:
    good = w.place()
    short = make_customer("赵六", "13700137000")
    add_address(short, "广东", "深圳", "南山区", "1号")
    no_district = make_customer("钱七", "13600136000")
    add_address(no_district, "广东", "深圳", "", "科技园南路18号")
    far = make_customer("孙八", "13500135000")
    add_address(far, "新疆", "乌鲁木齐", "天山区", "解放北路88号")
    orders = {"good": good, "short": w.place(customer=short), "district": w.place(customer=no_district),
              "far": w.place(customer=far), "too_much": w.place((w.massager, 8))}  # ¥3,184 over EMS's ¥3,000
    before_history = OrderStatusChange.objects.count()
    result = do_review_orders(list(orders.values()), actor=w.clerk)
    assert result.reviewed == [good.pk]
    assert result.flagged == {
        orders["short"].pk: "The street address is too short for a courier to find.",
        orders["district"].pk: "The address has no district.",
        orders["far"].pk: "No courier delivers to 新疆乌鲁木齐天山区.",
        orders["too_much"].pk: "No courier offers cash on delivery for this order in 广东深圳南山区.",
    }
    flagged = [order for name, order in orders.items() if name != "good"]
    assert [status_of(order) for order in flagged] == [Status.ORDERED] * 4
    assert list(Shipment.objects.values_list("order_id", flat=True)) == [good.pk]
    assert OrderStatusChange.objects.count() == before_history + 1
    assert audit_actions().count("order_reviewed") == 1
    confirmed = Notification.objects.filter(body__endswith="has been confirmed.")
    assert list(confirmed.values_list("order_id", flat=True)) == [good.pk]  # the flagged customers hear nothing


def test_a_flagged_order_is_reviewed_once_its_problem_is_gone(w: World) -> None:
    order = paid(w.place(delivery_method="courier", payment_method="transfer"))
    w.zto.active = w.sf.active = w.yunda.active = False
    for courier in (w.zto, w.sf, w.yunda):
        courier.save()
    assert do_review_orders([order], actor=w.clerk).flagged == {
        order.pk: "No courier carries this delivery method."}  # inactive ones are not even loaded
    w.yunda.active = True
    w.yunda.save()
    parcel = w.review(order)
    assert (parcel.courier, parcel.runner_up, parcel.freight, parcel.cod_fee) == (w.yunda, None, D("11.00"), D("0.00"))


def test_orders_sent_back_or_already_reviewed_are_skipped(w: World) -> None:
    sent_back, reviewed, waiting = w.place(), w.place(), w.place()
    task = do_send_back_order(sent_back, reason="客户要改地址", actor=w.clerk)
    w.review(reviewed)
    result = do_review_orders([sent_back, reviewed, waiting], actor=w.clerk)
    assert (result.reviewed, result.flagged) == ([waiting.pk], {})
    assert status_of(sent_back) == Status.ORDERED
    assert Shipment.objects.filter(order=reviewed).count() == 1
    assert not Shipment.objects.filter(order=sent_back).exists()
    # fixed by the agent: back in the queue
    do_complete_task(task, TaskOutcome.FIXED, actor=w.agent)
    assert do_review_orders([sent_back], actor=w.clerk).reviewed == [sent_back.pk]


def test_pickup_orders_are_reviewed_without_a_parcel(w: World) -> None:
    order = paid(w.place(delivery_method="pickup", payment_method="transfer"))
    result = do_review_orders([order], actor=w.clerk)
    assert (result.reviewed, result.flagged, result.confirmations) == ([order.pk], {}, [])
    assert status_of(order) == Status.REVIEWED
    assert not Shipment.objects.exists()


def test_review_of_nothing_does_nothing(w: World) -> None:
    before = state()
    result = do_review_orders([], actor=w.clerk)
    assert (result.reviewed, result.flagged, result.confirmations) == ([], {}, [])
    assert state() == before


def test_review_reads_in_bulk(w: World) -> None:
    """The number of queries does not grow with the number of orders (a morning's orders at once)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 6):
        orders = [w.place(customer=make_customer(f"客{size}{index}", f"1380013{size}{index:03d}"))
                  for index in range(size)]
        with CaptureQueriesContext(connection) as queries:
            assert len(do_review_orders(orders, actor=w.clerk).reviewed) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ---------------------------------------------------------------- risky cash on delivery

def test_high_risk_cod_orders_need_a_confirmation_call_before_they_ship(w: World) -> None:
    refuser = make_refuser(w)
    risky, normal = w.place(customer=refuser), w.place()
    result = do_review_orders([risky, normal], actor=w.clerk)
    assert (result.reviewed, result.confirmations) == ([risky.pk, normal.pk], [risky.pk])
    task = OrderTask.objects.get()
    assert (task.order, task.kind, task.status, task.assigned_to, task.urgent, task.shipment) == (
        risky, TaskKind.CONFIRM, TaskStatus.OPEN, w.agent, False, None)
    assert task.reason.startswith("Refusal risk ")
    assert "the customer refused 3 times before" in task.reason
    assert status_of(risky) == Status.REVIEWED  # reviewed, with its parcel, but held
    assert Shipment.objects.get(order=risky).status == ShipmentStatus.PENDING
    before = state()
    with pytest.raises(ValidationError) as refused:
        do_ship_parcel(risky.number, "EA000000001CN", actor=w.clerk)
    assert refused.value.messages == [f"Order {risky.number} waits for its confirmation call before it ships."]
    assert state() == before
    do_complete_task(task, TaskOutcome.CONFIRMED, actor=w.agent, note="客户确认要")
    shipped = do_ship_parcel(risky.number, "EA000000001CN", actor=w.clerk)
    assert (shipped.status, status_of(risky)) == (ShipmentStatus.SHIPPED, Status.SHIPPED)


def test_prepaid_orders_of_a_refuser_need_no_confirmation(w: World) -> None:
    order = paid(w.place(customer=make_refuser(w), payment_method="transfer"))
    result = do_review_orders([order], actor=w.clerk)
    assert (result.reviewed, result.confirmations) == ([order.pk], [])
    assert not OrderTask.objects.exists()


def test_a_confirmation_cancelled_by_the_customer_cancels_the_order_and_its_parcel(w: World) -> None:
    risky = w.place(customer=make_refuser(w))
    do_review_orders([risky], actor=w.clerk)
    assert stock_of(w.massager) == 48
    do_complete_task(OrderTask.objects.get(), TaskOutcome.CANCEL, actor=w.agent, note="客户说不要了")
    assert status_of(risky) == Status.CANCELLED
    assert Shipment.objects.get(order=risky).status == ShipmentStatus.CANCELLED
    assert stock_of(w.massager) == 50


# ---------------------------------------------------------------- permissions

@pytest.mark.parametrize("role", ["agent", "finance", "manager"])
def test_only_logistics_reviews(w: World, role: str) -> None:
    from tests import factories

    order = w.place()
    before = state()
    with pytest.raises(PermissionDenied):
        do_review_orders([order], actor=factories.make_user(role))
    assert state() == before


# ---------------------------------------------------------------- sending an order back to its agent

def test_send_back_puts_a_fix_task_on_the_agents_worklist(w: World) -> None:
    order = w.place(rush=True)
    task = do_send_back_order(order, reason="  地址不全，请回访客户  ", actor=w.clerk)
    assert (task.order, task.kind, task.status, task.reason, task.urgent, task.assigned_to) == (
        order, TaskKind.FIX, TaskStatus.OPEN, "地址不全，请回访客户", True, w.agent)
    assert status_of(order) == Status.ORDERED
    entry = AuditEntry.objects.get(action="send_back_order")
    assert (entry.object_id, entry.actor, entry.after) == (
        str(order.pk), w.clerk, {"reason": "地址不全，请回访客户", "task": task.pk})


def test_a_normal_order_sent_back_is_not_urgent(w: World) -> None:
    assert do_send_back_order(w.place(), reason="电话打不通", actor=w.clerk).urgent is False


@pytest.mark.parametrize(("reason", "message"), [
    ("", "Say why the order goes back to the agent."),
    ("   ", "Say why the order goes back to the agent."),
    ("长" * 301, "At most 300 characters."),
])
def test_send_back_needs_a_reason(w: World, reason: str, message: str) -> None:
    order = w.place()
    before = state()
    with pytest.raises(ValidationError) as error:
        do_send_back_order(order, reason=reason, actor=w.clerk)
    assert error.value.message_dict == {"reason": [message]}
    assert state() == before


def test_only_orders_waiting_for_review_are_sent_back_and_only_once(w: World) -> None:
    reviewed, order = w.place(), w.place()
    w.review(reviewed)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_send_back_order(reviewed, reason="晚了", actor=w.clerk)
    assert error.value.messages == [
        f"Order {reviewed.number} is Reviewed: only orders waiting for review can be sent back."]
    assert state() == before
    do_send_back_order(order, reason="地址不全", actor=w.clerk)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_send_back_order(order, reason="再说一次", actor=w.clerk)
    assert error.value.messages == [f"Order {order.number} is already with the agent."]
    assert state() == before


def test_an_agent_cannot_send_back(w: World) -> None:
    order = w.place()
    before = state()
    with pytest.raises(PermissionDenied):
        do_send_back_order(order, reason="不行", actor=w.agent)
    assert state() == before


# ---------------------------------------------------------------- changing the courier

def test_change_courier_prices_again_audits_and_leaves_the_batch(w: World) -> None:
    parcel = w.review(w.place(delivery_method="courier"))
    [batch] = do_create_batches(actor=w.clerk)
    changed = do_change_courier(parcel, w.sf, reason=" 客户要求顺丰 ", actor=w.clerk)
    changed.refresh_from_db()
    assert (changed.courier, changed.runner_up, changed.overridden, changed.batch, changed.status) == (
        w.sf, w.zto, True, None, ShipmentStatus.PENDING)  # the automatic choice is now the runner-up
    assert (changed.freight, changed.cod_due, changed.cod_fee, changed.zone, changed.delivery_days) == (
        D("27.00"), D("796.00"), D("15.92"), "B", 2)
    assert changed.choice_reason == "Chosen by hand: 客户要求顺丰"
    entry = AuditEntry.objects.get(action="change_courier")
    assert (entry.object_id, entry.actor, entry.before, entry.after) == (
        str(parcel.pk), w.clerk, {"courier": "ZTO", "freight": "16.00"},
        {"courier": "SF", "freight": "27.00", "reason": "客户要求顺丰"})
    assert not batch.shipments.exists()
    [again] = do_create_batches(actor=w.clerk)
    assert (again.courier, list(again.shipments.all())) == (w.sf, [changed])


@pytest.mark.parametrize(("courier", "why"), [
    ("yunda", "no cash on delivery"),
    ("ems", "does not carry this delivery method"),
])
def test_a_courier_that_cannot_carry_the_parcel_is_refused_with_why(w: World, courier: str, why: str) -> None:
    parcel = w.review(w.place(delivery_method="courier"))
    before = state()
    with pytest.raises(ValidationError) as error:
        do_change_courier(parcel, getattr(w, courier), reason="试试", actor=w.clerk)
    name = getattr(w, courier).name
    assert error.value.message_dict == {"courier": [f"{name} cannot carry this parcel: {why}"]}
    assert state() == before


def test_an_inactive_courier_is_refused(w: World) -> None:
    parcel = w.review(w.place(delivery_method="courier"))
    w.sf.active = False
    w.sf.save()
    before = state()
    with pytest.raises(ValidationError) as error:
        do_change_courier(parcel, w.sf, reason="试试", actor=w.clerk)
    assert error.value.message_dict == {"courier": ["SF cannot carry this parcel: not active"]}
    assert state() == before


def test_change_courier_needs_a_reason_and_a_parcel_still_waiting(w: World) -> None:
    order = w.place(delivery_method="courier")
    parcel = w.review(order)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_change_courier(parcel, w.sf, reason=" ", actor=w.clerk)
    assert error.value.message_dict == {"reason": ["Say why you choose another courier."]}
    assert state() == before
    w.ship(order)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_change_courier(parcel, w.sf, reason="太晚了", actor=w.clerk)
    assert error.value.messages == ["This parcel has left the warehouse: its courier can no longer change."]
    assert state() == before


def test_an_agent_cannot_change_the_courier(w: World) -> None:
    parcel = w.review(w.place(delivery_method="courier"))
    before = state()
    with pytest.raises(PermissionDenied):
        do_change_courier(parcel, w.sf, reason="想换", actor=w.agent)
    assert state() == before


def test_the_open_fix_task_holds_only_that_order(w: World) -> None:
    """A FIX task that is done does not keep an order out of review (only an open one does)."""
    order = w.place()
    task = do_send_back_order(order, reason="地址不全", actor=w.clerk)
    do_complete_task(task, TaskOutcome.FIXED, actor=w.agent)
    second = do_send_back_order(order, reason="还是不全", actor=w.clerk)
    assert do_review_orders([order], actor=w.clerk).reviewed == []
    do_complete_task(second, TaskOutcome.FIXED, actor=w.agent)
    assert do_review_orders([order], actor=w.clerk).reviewed == [order.pk]
    assert OrderTask.objects.filter(order=order, status=TaskStatus.DONE).count() == 2


def test_review_publishes_each_status_change_after_commit(w: World, events: list[Any],
                                                          django_capture_on_commit_callbacks: Any) -> None:
    first, second = w.place(), w.place()
    with django_capture_on_commit_callbacks(execute=True):
        do_review_orders([first, second], actor=w.clerk)
    assert [payload for topic, payload in events if topic == "order.status_changed"] == [
        {"order_id": first.pk, "number": first.number, "from": "ordered", "to": "reviewed"},
        {"order_id": second.pk, "number": second.number, "from": "ordered", "to": "reviewed"},
    ]


def test_the_automatic_choice_is_the_runner_up_of_a_courier_chosen_by_hand(w: World) -> None:
    parcel = w.review(paid(w.place(delivery_method="courier", payment_method="transfer")))
    # prepaid, Yunda may carry it: ¥11 + 20 % × ¥52 beats ZTO ¥16 + 20 % × ¥62
    assert (parcel.courier, parcel.runner_up, parcel.freight) == (w.yunda, w.zto, D("11.00"))
    do_change_courier(parcel, w.sf, reason="客户要求顺丰", actor=w.clerk)
    parcel.refresh_from_db()
    assert (parcel.courier, parcel.runner_up, parcel.freight, parcel.cod_fee) == (w.sf, w.yunda, D("27.00"), D("0.00"))
    do_change_courier(parcel, w.yunda, reason="改回来", actor=w.clerk)
    parcel.refresh_from_db()
    assert (parcel.courier, parcel.runner_up, parcel.freight, parcel.overridden) == (
        w.yunda, w.zto, D("11.00"), True)


def test_a_rush_order_needs_a_fast_courier(w: World) -> None:
    by_ems, by_express = w.place(rush=True), w.place(rush=True, delivery_method="courier")
    result = do_review_orders([by_ems, by_express], actor=w.clerk)
    # EMS takes 3 days and is the only EMS courier: the rush order ships with it all the same, and says why
    assert (result.flagged, result.reviewed) == ({}, [by_ems.pk, by_express.pk])
    assert Shipment.objects.get(order=by_ems).choice_reason.startswith(
        "no courier delivers a rush order here within 2 days, the fastest: EMS: ")
    parcel = Shipment.objects.get(order=by_express)
    assert (parcel.courier, parcel.delivery_days) == (w.zto, 2)
    assert parcel.choice_reason == ("ZTO: covered, cash on delivery, 2-day delivery, local delivery rate about 80 % "
                                    "(few parcels), freight ¥16")

"""The bulk apply of tracking events (`do_apply_feedback`): the same result as recording each event with
`do_record_shipment_event`, all or nothing, only the good rows when asked, and a second apply changes nothing."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from hotline.accounts.models import AuditEntry
from hotline.crm.models import Customer
from hotline.logistics.actions import FeedbackEvent, check_feedback, do_apply_feedback, do_record_shipment_event
from hotline.logistics.actions.feedback import Problem
from hotline.logistics.models import (
    EventKind,
    EventSource,
    OrderTask,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from hotline.notify.models import Notification
from hotline.orders.models import Order, OrderStatusChange, Status
from tests.logistics.conftest_feedback import at, make_courier, outcome, ship

K = EventKind


class _Undo(Exception):
    pass


@pytest.fixture
def parcels(users: dict[str, Any]) -> dict[str, Shipment]:
    """Parcels in every state the events meet: on the way, out for delivery, delivered, refused (rescued
    and not), one with an open rescue task already, and one of another courier."""
    ems, city = make_courier(), make_courier("city", "城市速递", kind="city")
    agent = users["agent"]
    made = {name: ship(ems, f"EMS{i:09d}CN", agent=agent) for i, name in enumerate(
        ["a", "b", "c", "d", "e", "f", "g"], start=1)}
    made["delivered"] = ship(ems, "EMS000000010CN", status=ShipmentStatus.DELIVERED)
    Order.objects.filter(pk=made["delivered"].order_id).update(status=Status.DELIVERED)
    for name, tracking in (("refused", "EMS000000011CN"), ("rescued", "EMS000000012CN")):
        made[name] = ship(ems, tracking, status=ShipmentStatus.REFUSED, agent=agent)
        Order.objects.filter(pk=made[name].order_id).update(status=Status.REFUSED)
    OrderTask.objects.create(order=made["rescued"].order, shipment=made["rescued"], kind=TaskKind.RESCUE,
                             reason="拒收", status=TaskStatus.DONE, outcome=TaskOutcome.REDELIVER)
    OrderTask.objects.create(order=made["g"].order, shipment=made["g"], kind=TaskKind.RESCUE, reason="电话不通")
    made["other"] = ship(city, "CITY00000001")
    return made


def mixed_events() -> list[FeedbackEvent]:
    """Good events, a conflict, a duplicate, an unknown parcel, in the order a courier's file lists them."""
    rows = [
        ("EMS000000001CN", K.IN_TRANSIT, 10, ""), ("EMS000000001CN", K.OUT_FOR_DELIVERY, 20, ""),
        ("EMS000000001CN", K.DELIVERED, 30, "本人签收"),
        ("EMS000000002CN", K.REFUSED, 31, "不想要了"),
        ("EMS000000002CN", K.DELIVERED, 32, ""),  # refused, no rescue: conflict
        ("EMS000000003CN", K.UNREACHABLE, 33, "电话无人接听"),
        ("EMS000000004CN", K.HELD, 34, "地址不详"), ("EMS000000005CN", K.ADDRESS_CHANGE, 35, "改到公司"),
        ("EMS000000006CN", K.RETURNING, 36, ""), ("EMS000000006CN", K.RETURNED, 37, ""),
        ("EMS000000007CN", K.REFUSED, 38, ""),  # an open rescue task already: no second task
        ("EMS000000010CN", K.REFUSED, 39, "晚了"),  # delivered: conflict
        ("EMS000000011CN", K.LOST, 40, ""),
        ("EMS000000012CN", K.DELIVERED, 41, "再派成功"),  # rescued: delivered after all
        ("EMS000000001CN", K.DELIVERED, 30, "本人签收"),  # the same event again
        ("EMS999999999CN", K.DELIVERED, 42, ""),
    ]
    return [FeedbackEvent(line, tracking, kind, at(minutes), detail)
            for line, (tracking, kind, minutes, detail) in enumerate(rows, start=2)]


def test_bulk_apply_writes_what_recording_one_by_one_writes(parcels: dict[str, Shipment], users: Any,
                                                             english: None) -> None:
    clerk = users["logistics"]
    events = [event for event in mixed_events() if event.tracking_number != "EMS999999999CN"]
    with transaction.atomic():
        for event in events:
            shipment = Shipment.objects.get(tracking_number=event.tracking_number)
            with contextlib.suppress(ValidationError):
                do_record_shipment_event(shipment, event.kind, event.at, source=EventSource.IMPORT, actor=clerk,
                                         detail=event.detail)
        one_by_one = outcome()
        transaction.set_rollback(True)
    result = do_apply_feedback(events, actor=clerk, source=EventSource.IMPORT, good_rows=True)
    assert result.applied
    assert outcome() == one_by_one
    assert result.counts == {K.IN_TRANSIT: 1, K.OUT_FOR_DELIVERY: 1, K.DELIVERED: 2, K.REFUSED: 2,
                             K.UNREACHABLE: 1, K.HELD: 1, K.ADDRESS_CHANGE: 1, K.RETURNING: 1, K.RETURNED: 1,
                             K.LOST: 1}
    assert result.problem_counts == {Problem.CONFLICT: 2, Problem.DUPLICATE: 1}


def test_bulk_apply_results(parcels: dict[str, Shipment], users: Any, english: None) -> None:
    clerk = users["logistics"]
    points_before = Customer.objects.get(pk=parcels["a"].order.customer_id).points
    result = do_apply_feedback(mixed_events(), actor=clerk, source=EventSource.IMPORT, good_rows=True)
    a, b, c = (Shipment.objects.select_related("order").get(pk=parcels[n].pk) for n in "abc")
    assert (a.status, a.delivered_at, a.order.status) == (ShipmentStatus.DELIVERED, at(30), Status.DELIVERED)
    assert Customer.objects.get(pk=a.order.customer_id).points == points_before + 10
    assert (b.status, b.refused_at, b.refusal_reason, b.order.status) == (
        ShipmentStatus.REFUSED, at(31), "不想要了", Status.REFUSED)
    assert OrderStatusChange.objects.get(order=b.order, to_status=Status.REFUSED).reason == "不想要了"
    rescue = OrderTask.objects.get(order=b.order, kind=TaskKind.RESCUE)
    assert (rescue.urgent, rescue.reason, rescue.assigned_to) == (
        True, "Refused (EMS EMS000000002CN): 不想要了", users["agent"])
    assert OrderTask.objects.get(order=c.order, kind=TaskKind.RESCUE).reason == (
        "Customer unreachable (EMS EMS000000003CN): 电话无人接听")
    assert OrderTask.objects.filter(order=parcels["g"].order, kind=TaskKind.RESCUE).count() == 1
    assert Shipment.objects.get(pk=parcels["rescued"].pk).order.status == Status.DELIVERED
    assert (result.orders_changed, result.rescue_tasks) == (4, 2)
    assert [(p.line, p.kind) for p in sorted(result.problems, key=lambda p: p.line)] == [
        (6, Problem.CONFLICT), (13, Problem.CONFLICT), (16, Problem.DUPLICATE), (17, Problem.UNKNOWN)]
    assert Notification.objects.get(order=a.order).body == (
        f"客先生, your order {a.order.number} has been delivered. Thank you!")


def test_a_second_apply_changes_nothing(parcels: dict[str, Shipment], users: Any) -> None:
    clerk = users["logistics"]
    do_apply_feedback(mixed_events(), actor=clerk, source=EventSource.IMPORT, good_rows=True)
    before, audit = outcome(), AuditEntry.objects.count()
    again = do_apply_feedback(mixed_events(), actor=clerk, source=EventSource.IMPORT, good_rows=True)
    assert outcome() == before
    assert AuditEntry.objects.count() == audit
    assert again.good == 0
    assert again.problem_counts == {Problem.RECORDED: 12, Problem.CONFLICT: 2, Problem.DUPLICATE: 1,
                                    Problem.UNKNOWN: 1}


def test_with_problems_and_not_good_rows_nothing_is_written(parcels: dict[str, Shipment], users: Any) -> None:
    before, audit = outcome(), AuditEntry.objects.count()
    result = do_apply_feedback(mixed_events(), actor=users["logistics"], source=EventSource.IMPORT)
    assert not result.applied
    assert outcome() == before
    assert AuditEntry.objects.count() == audit
    assert result.blocking == 3


def test_dry_run_reports_what_the_apply_does_and_writes_nothing(parcels: dict[str, Shipment], users: Any) -> None:
    before = outcome()
    dry = check_feedback(mixed_events())
    assert outcome() == before
    applied = do_apply_feedback(mixed_events(), actor=users["logistics"], source=EventSource.IMPORT, good_rows=True)
    assert (dry.counts, dry.problem_counts) == (applied.counts, applied.problem_counts)
    assert dry.total == applied.total == 16


def test_courier_of_the_file_must_be_the_parcels(parcels: dict[str, Shipment], users: Any, english: None) -> None:
    ems = parcels["a"].courier
    event = FeedbackEvent(2, "CITY00000001", K.DELIVERED, at(5))
    result = check_feedback([event], courier=ems)
    assert [(p.kind, p.message) for p in result.problems] == [
        (Problem.COURIER, "Parcel CITY00000001 is with 城市速递, not EMS.")]


def test_order_number_must_match_the_tracking_number(parcels: dict[str, Shipment], users: Any) -> None:
    other = parcels["b"].order.number
    result = check_feedback([FeedbackEvent(2, "EMS000000001CN", K.DELIVERED, at(5), order_number=other)])
    assert [p.kind for p in result.problems] == [Problem.MISMATCH]


def test_without_permission_nothing_is_written(parcels: dict[str, Shipment], users: Any) -> None:
    from django.core.exceptions import PermissionDenied

    before = outcome()
    with pytest.raises(PermissionDenied):
        do_apply_feedback(mixed_events(), actor=users["agent"], source=EventSource.IMPORT, good_rows=True)
    assert outcome() == before
    assert ShipmentEvent.objects.count() == 0


def test_order_events_published_after_commit(parcels: dict[str, Shipment], users: Any, events: list[Any],
                                             django_capture_on_commit_callbacks: Any) -> None:
    a = parcels["a"]
    with django_capture_on_commit_callbacks(execute=True):
        do_apply_feedback([FeedbackEvent(2, "EMS000000001CN", K.DELIVERED, at(30))], actor=users["logistics"],
                          source=EventSource.IMPORT)
    assert [(topic, payload) for topic, payload in events if topic == "order.status_changed"] == [
        ("order.status_changed", {"order_id": a.order_id, "number": a.order.number, "from": Status.SHIPPED,
                                  "to": Status.DELIVERED})]


def test_bulk_and_one_by_one_agree_on_late_events_rescue_calls_and_new_addresses(
        parcels: dict[str, Shipment], users: Any, english: None) -> None:
    # a late "in transit" after "out for delivery"; a delivery after an unreachable customer (its rescue call
    # closes); a refused parcel won back with a new address, then delivered
    rescued = parcels["refused"]
    OrderTask.objects.create(order=rescued.order, shipment=rescued, kind=TaskKind.RESCUE, reason="拒收",
                             status=TaskStatus.DONE, outcome=TaskOutcome.ADDRESS, outcome_note="改送公司")
    rows = [("EMS000000004CN", K.OUT_FOR_DELIVERY, 50), ("EMS000000004CN", K.IN_TRANSIT, 45),
            ("EMS000000003CN", K.UNREACHABLE, 51), ("EMS000000003CN", K.DELIVERED, 52),
            ("EMS000000011CN", K.DELIVERED, 53)]
    events = [FeedbackEvent(line, tracking, kind, at(minutes), "")
              for line, (tracking, kind, minutes) in enumerate(rows, start=2)]
    clerk = users["logistics"]
    with transaction.atomic():
        for event in events:
            shipment = Shipment.objects.get(tracking_number=event.tracking_number)
            do_record_shipment_event(shipment, event.kind, event.at, source=EventSource.IMPORT, actor=clerk)
        one_by_one = outcome()
        transaction.set_rollback(True)
    result = do_apply_feedback(events, actor=clerk, source=EventSource.IMPORT)
    assert (result.applied, result.blocking) == (True, 0)
    assert outcome() == one_by_one
    assert Shipment.objects.get(pk=parcels["d"].pk).status == ShipmentStatus.OUT_FOR_DELIVERY
    assert Shipment.objects.get(pk=rescued.pk).status == ShipmentStatus.DELIVERED
    call = OrderTask.objects.get(order=parcels["c"].order, kind=TaskKind.RESCUE)
    assert (call.status, call.outcome_note) == (TaskStatus.DONE, "The parcel was delivered.")

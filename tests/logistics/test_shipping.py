"""From the shelf to the courier: dispatch batches, the print log, scan to ship and bulk ship."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.logistics.actions import (
    do_change_courier,
    do_create_batches,
    do_log_print,
    do_record_shipment_event,
    do_ship_parcel,
    do_ship_parcels,
    normal_tracking_number,
)
from hotline.logistics.models import (
    BatchStatus,
    DispatchBatch,
    EventKind,
    EventSource,
    MovementKind,
    PrintKind,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from hotline.notify.models import Notification
from hotline.orders.actions import do_exchange_order, do_transition_order
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories
from tests.logistics.world import World, at, audit_actions, build_world, ledger, state, stock_of

D = Decimal
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def w() -> World:
    return build_world()


def status_of(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def day() -> str:
    return f"{timezone.localdate():%Y%m%d}"


# ---------------------------------------------------------------- batches

def test_one_batch_per_courier_with_the_days_numbers(w: World) -> None:
    ems_a, ems_b, zto = w.review(w.place()), w.review(w.place()), w.review(w.place(delivery_method="courier"))
    sf = w.review(w.place(delivery_method="courier"))
    do_change_courier(sf, w.sf, reason="客户要求", actor=w.clerk)
    batches = do_create_batches(actor=w.clerk)
    assert [(batch.number, batch.courier, batch.status, batch.created_by) for batch in batches] == [
        (f"{day()}-EMS-01", w.ems, BatchStatus.OPEN, w.clerk),
        (f"{day()}-ZTO-01", w.zto, BatchStatus.OPEN, w.clerk),
        (f"{day()}-SF-01", w.sf, BatchStatus.OPEN, w.clerk),
    ]  # by courier id: EMS, ZTO, SF were set up in that order
    assert [set(batch.shipments.all()) for batch in batches] == [{ems_a, ems_b}, {zto}, {sf}]
    assert [(entry.object_id, entry.after) for entry in AuditEntry.objects.filter(action="create_batch")
            .order_by("pk")] == [(str(batches[0].pk), {"parcels": 2}), (str(batches[1].pk), {"parcels": 1}),
                                 (str(batches[2].pk), {"parcels": 1})]


def test_only_pending_parcels_not_yet_in_a_batch_are_batched(w: World) -> None:
    first = w.review(w.place())
    [batch] = do_create_batches(actor=w.clerk)
    assert do_create_batches(actor=w.clerk) == []  # nothing new
    shipped_order = w.place()
    w.ship(shipped_order)  # shipped without a batch
    cancelled_order = w.place()
    w.review(cancelled_order)
    do_transition_order(cancelled_order, Status.CANCELLED, actor=w.clerk, reason="客户取消")
    second = w.review(w.place())
    [again] = do_create_batches(actor=w.clerk)
    assert again.number == f"{day()}-EMS-02"
    assert list(again.shipments.all()) == [second]
    assert list(batch.shipments.all()) == [first]
    assert Shipment.objects.get(order=shipped_order).batch is None
    assert Shipment.objects.get(order=cancelled_order).batch is None


def test_batches_of_the_given_parcels_only(w: World) -> None:
    chosen, other = w.review(w.place()), w.review(w.place())
    [batch] = do_create_batches([chosen], actor=w.clerk)
    assert list(batch.shipments.all()) == [chosen]
    other.refresh_from_db()
    assert other.batch is None


def test_no_parcels_no_batches(w: World) -> None:
    before = state()
    assert do_create_batches(actor=w.clerk) == []
    assert state() == before


def test_an_agent_cannot_make_batches(w: World) -> None:
    w.review(w.place())
    before = state()
    with pytest.raises(PermissionDenied):
        do_create_batches(actor=w.agent)
    assert state() == before


# ---------------------------------------------------------------- print log

def test_printing_logs_each_kind_and_flags_reprints(w: World) -> None:
    w.review(w.place())
    [batch] = do_create_batches(actor=w.clerk)
    pick = do_log_print(batch, PrintKind.PICK_LIST, 1, actor=w.clerk)
    batch.refresh_from_db()
    assert (pick.kind, pick.pages, pick.reprint, pick.actor, batch.status) == (
        PrintKind.PICK_LIST, 1, False, w.clerk, BatchStatus.OPEN)  # only the forms make it printed
    forms = do_log_print(batch, PrintKind.FORMS, 1, actor=w.clerk)
    batch.refresh_from_db()
    assert (forms.reprint, batch.status) == (False, BatchStatus.PRINTED)
    again = do_log_print(batch, PrintKind.FORMS, 1, actor=w.clerk)
    packing = do_log_print(batch, PrintKind.PACKING, 2, actor=w.clerk)
    assert (again.reprint, packing.reprint) == (True, False)
    assert [(entry.action, entry.after) for entry in AuditEntry.objects.filter(object_id=str(batch.pk),
                                                                               object_type="logistics.dispatchbatch")
            .exclude(action="create_batch").order_by("pk")] == [
        ("print_batch", {"kind": "pick", "pages": 1}), ("print_batch", {"kind": "forms", "pages": 1}),
        ("reprint_batch", {"kind": "forms", "pages": 1}), ("print_batch", {"kind": "packing", "pages": 2})]


def test_unknown_documents_are_refused(w: World) -> None:
    w.review(w.place())
    [batch] = do_create_batches(actor=w.clerk)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_log_print(batch, "menu", 1, actor=w.clerk)
    assert error.value.message_dict == {"kind": ["Unknown document “menu”."]}
    assert state() == before


def test_the_batch_is_shipped_when_its_last_parcel_is(w: World) -> None:
    first, second = w.place(), w.place()
    w.review(first), w.review(second)
    [batch] = do_create_batches(actor=w.clerk)
    do_log_print(batch, PrintKind.FORMS, 2, actor=w.clerk)
    do_ship_parcel(first.number, "EA000000001CN", actor=w.clerk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PRINTED
    do_ship_parcel(second.number, "EA000000002CN", actor=w.clerk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SHIPPED
    # a reprint afterwards is logged and leaves the status alone
    assert do_log_print(batch, PrintKind.FORMS, 2, actor=w.clerk).reprint is True
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SHIPPED


# ---------------------------------------------------------------- scan to ship

def test_scan_to_ship(w: World) -> None:
    order = w.place()
    parcel = w.review(order)
    assert stock_of(w.massager) == 48  # the order holds its two
    shipped = do_ship_parcel(order.number, "EA123456789CN", actor=w.clerk)
    parcel.refresh_from_db()
    assert shipped.pk == parcel.pk
    assert (parcel.status, parcel.tracking_number, parcel.courier) == (ShipmentStatus.SHIPPED, "EA123456789CN", w.ems)
    assert parcel.shipped_at is not None and parcel.last_event_at == parcel.shipped_at
    assert status_of(order) == Status.SHIPPED
    change = OrderStatusChange.objects.filter(order=order).latest("pk")
    assert (change.from_status, change.to_status, change.actor) == (Status.REVIEWED, Status.SHIPPED, w.clerk)
    event = ShipmentEvent.objects.get(shipment=parcel)
    assert (event.kind, event.source, event.actor, event.at) == (
        EventKind.PICKED_UP, EventSource.SCAN, w.clerk, parcel.shipped_at)
    assert ledger(w.massager) == [(MovementKind.RECEIVED, 50), (MovementKind.SHIPPED, -2)]
    assert stock_of(w.massager) == 48  # unchanged: the order took its units when it was placed
    messages = list(Notification.objects.filter(order=order).order_by("pk").values_list("body", flat=True))
    assert messages == [
        f"王先生, your order {order.number} for ¥796.00 has been received. We will ship it soon.",
        f"王先生, your order {order.number} has been confirmed.",
        f"王先生, your order {order.number} has been shipped by EMS, tracking number EA123456789CN.",
    ]  # one message about the shipment, with the courier and the tracking number (not the generic one too)
    assert "order_shipped" in audit_actions(order)


def test_every_line_leaves_the_shelf(w: World) -> None:
    order = w.place((w.massager, 1), (w.kneepad, 3))
    w.ship(order)
    assert ledger(w.massager) == [(MovementKind.RECEIVED, 50), (MovementKind.SHIPPED, -1)]
    assert ledger(w.kneepad) == [(MovementKind.RECEIVED, 20), (MovementKind.SHIPPED, -3)]
    assert (stock_of(w.massager), stock_of(w.kneepad)) == (49, 17)


@pytest.mark.parametrize(("scanned", "stored"), [
    ("EA123456789CN", "EA123456789CN"),
    (" ea 1234 5678 9cn ", "EA123456789CN"),
    ("sf-1234-5678\t", "SF-1234-5678"),
    ("123456", "123456"),
    ("A" * 40, "A" * 40),
])
def test_tracking_numbers_are_stored_in_one_form(w: World, scanned: str, stored: str) -> None:
    assert normal_tracking_number(scanned) == stored
    order = w.place()
    w.review(order)
    assert do_ship_parcel(f" {order.number.lower()} ", scanned, actor=w.clerk).tracking_number == stored


@pytest.mark.parametrize("text", ["", "12345", "EA#12345678", "运单123456", "A" * 41, "EA_123456"])
def test_text_that_is_no_tracking_number_is_refused(w: World, text: str) -> None:
    order = w.place()
    w.review(order)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_ship_parcel(order.number, text, actor=w.clerk)
    assert error.value.message_dict == {"tracking_number": [
        f"“{text.strip()[:50]}” is not a tracking number: 6 to 40 letters, digits or dashes."]}
    assert state() == before


def test_an_unknown_order_is_refused(w: World) -> None:
    before = state()
    with pytest.raises(ValidationError) as error:
        do_ship_parcel("hl404", "EA123456789CN", actor=w.clerk)
    assert error.value.message_dict == {"order": ["No order has the number “HL404”."]}
    assert state() == before


def test_an_order_not_reviewed_is_refused(w: World) -> None:
    order = w.place()
    before = state()
    with pytest.raises(ValidationError) as error:
        do_ship_parcel(order.number, "EA123456789CN", actor=w.clerk)
    assert error.value.message_dict == {"order": [
        f"Order {order.number} is Ordered, not reviewed and waiting to ship."]}
    assert state() == before


def test_a_cancelled_order_is_refused(w: World) -> None:
    order = w.place()
    w.review(order)
    do_transition_order(order, Status.CANCELLED, actor=w.clerk, reason="客户取消")
    before = state()
    with pytest.raises(ValidationError) as error:
        do_ship_parcel(order.number, "EA123456789CN", actor=w.clerk)
    assert error.value.message_dict == {"order": [
        f"Order {order.number} is Cancelled, not reviewed and waiting to ship."]}
    assert state() == before


def test_an_order_shipped_already_names_its_tracking_number(w: World) -> None:
    order = w.place()
    w.ship(order, "EA123456789CN")
    before = state()
    with pytest.raises(ValidationError) as error:
        do_ship_parcel(order.number, "EA999999999CN", actor=w.clerk)
    assert error.value.message_dict == {"order": [
        f"Order {order.number} has already shipped with EMS, tracking number EA123456789CN."]}
    assert state() == before


@pytest.mark.parametrize("again", ["EA123456789CN", "ea123456789cn", "EA 1234 56789 CN"])
def test_the_same_tracking_number_twice_is_refused(w: World, again: str) -> None:
    first, second = w.place(), w.place()
    w.ship(first, "EA123456789CN")
    w.review(second)
    before = state()
    with pytest.raises(ValidationError) as error:
        do_ship_parcel(second.number, again, actor=w.clerk)
    assert error.value.message_dict == {"tracking_number": [
        f"Tracking number EA123456789CN is already on order {first.number}."]}
    assert state() == before


def test_an_agent_cannot_ship(w: World) -> None:
    order = w.place()
    w.review(order)
    before = state()
    with pytest.raises(PermissionDenied):
        do_ship_parcel(order.number, "EA123456789CN", actor=w.agent)
    assert state() == before


# ---------------------------------------------------------------- bulk ship

def test_bulk_ship_ships_every_pair(w: World) -> None:
    orders = [w.place() for _ in range(3)]
    for order in orders:
        w.review(order)
    result = do_ship_parcels([(orders[0].number, "EA000000001CN"), (orders[1].number.lower(), " ea000000002cn"),
                              (orders[2].number, "EA000000003CN")], actor=w.clerk)
    assert result.errors == []
    assert result.shipped == [Shipment.objects.get(order=order).pk for order in orders]
    assert [status_of(order) for order in orders] == [Status.SHIPPED] * 3
    assert list(Shipment.objects.order_by("order_id").values_list("tracking_number", flat=True)) == [
        "EA000000001CN", "EA000000002CN", "EA000000003CN"]
    assert ledger(w.massager) == [(MovementKind.RECEIVED, 50)] + [(MovementKind.SHIPPED, -2)] * 3


def test_bulk_ship_is_all_or_nothing_with_each_problem_by_line(w: World) -> None:
    ready, also_ready, not_reviewed, shipped = w.place(), w.place(), w.place(), w.place()
    w.review(ready), w.review(also_ready)
    w.ship(shipped, "EA000000009CN")
    before = state()
    result = do_ship_parcels([
        (ready.number, "EA000000001CN"),
        ("HL404", "EA000000002CN"),
        (also_ready.number, "abc"),
        (not_reviewed.number, "EA000000004CN"),
        (also_ready.number, "ea000000001cn"),
        (shipped.number, "EA000000005CN"),
        (also_ready.number, "EA000000009CN"),
    ], actor=w.clerk)
    assert result.shipped == []
    assert result.errors == [
        "Line 2: No order has the number “HL404”.",
        "Line 3: “abc” is not a tracking number: 6 to 40 letters, digits or dashes.",
        f"Line 4: Order {not_reviewed.number} is Ordered, not reviewed and waiting to ship.",
        "Line 5: tracking number EA000000001CN is also on line 1.",
        f"Line 6: Order {shipped.number} has already shipped with EMS, tracking number EA000000009CN.",
        f"Line 7: Tracking number EA000000009CN is already on order {shipped.number}.",
    ]
    assert state() == before


def test_bulk_ship_refuses_the_same_order_twice_by_line(w: World) -> None:
    order = w.place()
    w.review(order)
    before = state()
    result = do_ship_parcels([(order.number, "EA000000001CN"), (order.number.lower(), "EA000000002CN")],
                             actor=w.clerk)
    assert result.shipped == []
    assert result.errors == [f"Line 2: order {order.number} is also on line 1."]
    assert state() == before


def test_bulk_ship_of_nothing_asks_for_lines(w: World) -> None:
    before = state()
    result = do_ship_parcels([], actor=w.clerk)
    assert (result.shipped, result.errors) == ([], ["Paste at least one line: order number, tracking number."])
    assert state() == before


def test_an_agent_cannot_bulk_ship(w: World) -> None:
    order = w.place()
    w.review(order)
    before = state()
    with pytest.raises(PermissionDenied):
        do_ship_parcels([(order.number, "EA000000001CN")], actor=w.agent)
    assert state() == before
    assert DispatchBatch.objects.count() == 0


def test_a_customer_who_wants_no_messages_gets_none(w: World) -> None:
    w.customer.notify_channel = "none"
    w.customer.save()
    order = w.place()
    w.ship(order)
    assert not Notification.objects.filter(order=order).exists()


# ---------------------------------------------------------------- exchanges

def test_an_exchange_replacement_ships_through_the_same_flow(w: World) -> None:
    original = w.place()
    do_record_shipment_event(w.ship(original), EventKind.DELIVERED, at(60), source=EventSource.IMPORT,
                             actor=w.clerk)
    replacement = do_exchange_order(original, actor=factories.make_user("supervisor"), reason="外壳有裂纹")
    assert stock_of(w.massager) == 46  # the replacement holds two more
    parcel = w.review(replacement)
    assert (parcel.courier, parcel.freight, parcel.cod_due, parcel.cod_fee) == (w.ems, D("21.00"), D("0.00"),
                                                                                D("0.00"))
    shipped = do_ship_parcel(replacement.number, "EA222222222CN", actor=w.clerk)
    assert (shipped.status, status_of(replacement), status_of(original)) == (
        ShipmentStatus.SHIPPED, Status.SHIPPED, Status.EXCHANGED)
    assert ledger(w.massager) == [(MovementKind.RECEIVED, 50), (MovementKind.SHIPPED, -2), (MovementKind.SHIPPED, -2)]
    assert stock_of(w.massager) == 46

"""Logistics end to end on the demo data (issue 13, "Must show"): 200 orders waiting for review → couriers
chosen with their reasons → one batch per courier → the shipping forms printed (a page per parcel) →
scanned to ship → the couriers' feedback files (GBK and UTF-8 CSV, in each courier's saved columns) with
delivered, refused, unknown and duplicate rows → the dry run lists each problem → apply → order statuses,
stock and points exactly as expected, refused parcels with their rescue calls → the same files again
change nothing → one refused parcel won back by its rescue call and delivered, another received back at the
warehouse (good goods restocked, damaged written off, the return freight recorded).

Everything goes through the actions a clerk's screens call, as the demo's users (an agent takes the
orders and makes the confirmation calls, the logistics clerk does the rest)."""

from __future__ import annotations

import csv
import datetime
import io
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from hotline.accounts.models import AuditEntry, User
from hotline.catalog.models import Product
from hotline.crm.models import Address, Customer
from hotline.demo.loader import load_demo
from hotline.demo.shipments import Waybills
from hotline.logistics.actions import (
    ReturnedGoods,
    do_complete_task,
    do_create_batches,
    do_log_print,
    do_receive_return,
    do_review_orders,
    do_ship_parcel,
    stock_on_hand,
)
from hotline.logistics.feedback import apply_feedback_file, check_feedback_file
from hotline.logistics.models import (
    BatchStatus,
    Condition,
    Courier,
    DispatchBatch,
    MovementKind,
    OrderTask,
    PrintKind,
    PrintLog,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    StockMovement,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from hotline.logistics.printing import batch_parcels, render_forms
from hotline.notify.models import Notification
from hotline.orders.actions import LineInput, OrderInput, do_create_order
from hotline.orders.models import DeliveryMethod, Order, OrderLine, OrderStatusChange, PaymentMethod, Status
from tests.demo.conftest import SMALL

WAITING = 200
# Each courier's tracking number format (as on its pre-printed waybills; EMS numbers carry the S10 check digit).
TRACKING = {"ems": r"E[A-Z]\d{9}CN", "post": r"98\d{11}", "sf": r"\d{12}", "yto": r"YT\d{13}", "suda": r"SD\d{10}",
            "fleet": r"ZY\d{8}"}  # fmt: skip
# Headers of a courier without a saved mapping: the usual Chinese ones, which every file reader accepts.
PLAIN_COLUMNS = {"tracking_number": "运单号", "status": "状态", "at": "时间", "reason": "备注"}
REASONS = ("不想要了", "价格太贵", "家人不同意", "没有订购过")
UNKNOWN = "EZ000000000CN"  # EMS's format, nobody's parcel
PAGE = re.compile(rb"/Type\s*/Page(?!s)")


@dataclass
class Flow:
    """The people, the orders under test and what each step expects of the next."""

    agent: User
    clerk: User
    orders: list[int] = field(default_factory=list)
    placed: list[int] = field(default_factory=list)  # the orders the agent took in the test
    risky: int = 0
    stock_before_orders: dict[int, int | None] = field(default_factory=dict)
    ledger_before: dict[int, int] = field(default_factory=dict)
    points_before: dict[int, int] = field(default_factory=dict)
    reviewed: list[int] = field(default_factory=list)
    flagged: dict[int, str] = field(default_factory=dict)
    delivered: dict[int, datetime.datetime] = field(default_factory=dict)  # order id -> time in the file
    refused: dict[int, tuple[datetime.datetime, str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # courier code -> file


# ---------------------------------------------------------------- the orders


def _place(flow: Flow, address: Address, lines: list[LineInput], method: str, payment: str) -> Order:
    order, _created = do_create_order(OrderInput(customer_id=address.customer_id, lines=lines, address_id=address.pk,
                                                 delivery_method=method, payment_method=payment), actor=flow.agent)
    flow.placed.append(order.pk)
    return order


def _place_orders(flow: Flow, count: int, products: dict[str, int]) -> None:
    """Orders as agents take them: demo customers at their saved (complete) addresses, mostly cash on
    delivery, every delivery method, with tracked and untracked products."""
    addresses = list(Address.objects.exclude(district="").order_by("pk")[:count])
    assert len(addresses) == count
    methods = (DeliveryMethod.COURIER, DeliveryMethod.EMS, DeliveryMethod.POST)
    for index, address in enumerate(addresses):
        lines = [LineInput(products["101"], 1 + index % 2)]  # 颈椎按摩仪, stock not tracked
        if index % 3 == 0:
            lines.append(LineInput(products["117"], 1))  # 老人智能手机, tracked
        if index % 5 == 0:
            lines.append(LineInput(products["120"], 1))  # 足金吊坠, tracked
        payment = PaymentMethod.TRANSFER if index % 10 == 9 else PaymentMethod.COD
        _place(flow, address, lines, methods[index % 3], payment)


def _place_risky_order(flow: Flow, products: dict[str, int]) -> Order:
    """¥3,758 cash on delivery from the demo customer who refused most often (and paid least): a high refusal
    risk whatever the hour and whatever the cities' recent rates, so review asks for a confirmation call."""
    refusals = Counter(Shipment.objects.exclude(refused_at=None).values_list("order__customer_id", flat=True))
    paid = Counter(Shipment.objects.filter(refused_at=None).exclude(delivered_at=None)
                   .values_list("order__customer_id", flat=True))
    customer_id = min(refusals, key=lambda pk: (-refusals[pk], paid[pk], pk))
    address = Address.objects.filter(customer_id=customer_id).exclude(district="").order_by("pk").first()
    assert address is not None and refusals[customer_id] >= 1
    lines = [LineInput(products["120"], 2), LineInput(products["101"], 1)]
    return _place(flow, address, lines, DeliveryMethod.EMS, PaymentMethod.COD)


def _load() -> Flow:
    load_demo(SMALL)
    flow = Flow(agent=User.objects.get(username="agent1"), clerk=User.objects.get(username="logis1"))
    waiting = Order.objects.filter(status=Status.ORDERED).count()
    assert 0 < waiting < WAITING  # the small demo has some; agents take the rest now
    flow.stock_before_orders = dict(Product.objects.values_list("pk", "stock"))
    products = dict(Product.objects.values_list("short_code", "pk"))
    flow.risky = _place_risky_order(flow, products).pk
    _place_orders(flow, WAITING - waiting - 1, products)
    flow.orders = list(Order.objects.filter(status=Status.ORDERED).order_by("pk").values_list("pk", flat=True))
    assert len(flow.orders) == WAITING
    flow.ledger_before = stock_on_hand(Product.objects.values_list("pk", flat=True))
    flow.points_before = dict(Customer.objects.values_list("pk", "points"))
    return flow


# ---------------------------------------------------------------- review, batches, forms


def _review(flow: Flow) -> None:
    result = do_review_orders(Order.objects.filter(pk__in=flow.orders), actor=flow.clerk)
    flow.reviewed, flow.flagged = result.reviewed, result.flagged
    assert len(result.reviewed) + len(result.flagged) == WAITING
    assert sorted([*result.reviewed, *result.flagged]) == flow.orders
    assert all(problem for problem in result.flagged.values())
    statuses = dict(Order.objects.filter(pk__in=flow.orders).values_list("pk", "status"))
    assert {pk for pk, status in statuses.items() if status == Status.REVIEWED} == set(result.reviewed)
    pickups = set(Order.objects.filter(pk__in=result.reviewed, delivery_method=DeliveryMethod.PICKUP)
                  .values_list("pk", flat=True))
    parcels = Shipment.objects.filter(order__in=flow.orders)
    # a parcel for every reviewed order a courier carries, none for a self pick-up or a flagged order
    assert sorted(parcels.values_list("order_id", flat=True)) == sorted(set(result.reviewed) - pickups)
    for shipment in parcels.select_related("order"):
        assert shipment.status == ShipmentStatus.PENDING and shipment.batch_id is None
        assert shipment.choice_reason.startswith(f"{shipment.courier.name}: "), shipment.choice_reason
        assert shipment.runner_up_id != shipment.courier_id
        cod = shipment.order.payment_method == PaymentMethod.COD
        assert shipment.cod_due == (shipment.order.total if cod else 0)
        assert shipment.freight > 0
    assert parcels.exclude(runner_up=None).exists()
    confirm = OrderTask.objects.filter(order__in=flow.orders, kind=TaskKind.CONFIRM, status=TaskStatus.OPEN)
    assert sorted(confirm.values_list("order_id", flat=True)) == sorted(result.confirmations)


def _batches(flow: Flow) -> list[DispatchBatch]:
    parcels = Shipment.objects.filter(order__in=flow.orders)
    batches = do_create_batches(parcels, actor=flow.clerk)
    couriers = set(parcels.values_list("courier_id", flat=True))
    assert len(batches) == len(couriers)
    assert {batch.courier_id for batch in batches} == couriers
    for batch in batches:
        assert set(batch.shipments.values_list("courier_id", flat=True)) == {batch.courier_id}
    assert not parcels.filter(batch=None).exists()
    return batches


def _pages(pdf: bytes) -> int:
    """Pages of a ReportLab PDF, counted twice: the page objects, and the page tree's /Count."""
    counts = [int(count) for count in re.findall(rb"/Count\s+(\d+)", pdf)]
    assert len(counts) == 1  # one page tree, no outlines
    assert len(PAGE.findall(pdf)) == counts[0]
    return counts[0]


def _print(flow: Flow, batches: list[DispatchBatch]) -> None:
    """Each batch's forms on its courier's template: one page per parcel, the print logged."""
    for batch in batches:
        courier = Courier.objects.select_related("form_template").get(pk=batch.courier_id)
        assert courier.form_template is not None, courier.code
        pdf = render_forms(courier.form_template, batch_parcels(batch))
        assert pdf.startswith(b"%PDF")
        pages = _pages(pdf)
        assert pages == batch.shipments.count()
        log = do_log_print(batch, PrintKind.FORMS, pages, actor=flow.clerk)
        assert not log.reprint
    assert sum(PrintLog.objects.filter(batch__in=batches).values_list("pages", flat=True)) == \
        Shipment.objects.filter(order__in=flow.orders).count()
    assert set(DispatchBatch.objects.filter(pk__in=[b.pk for b in batches]).values_list("status", flat=True)) == \
        {BatchStatus.PRINTED}
    again = do_log_print(batches[0], PrintKind.FORMS, 1, actor=flow.clerk)
    assert again.reprint


# ---------------------------------------------------------------- scan to ship


def _confirm_risky(flow: Flow) -> None:
    """A risky COD parcel does not ship before its confirmation call; the agent makes the calls."""
    tasks = list(OrderTask.objects.filter(order__in=flow.orders, kind=TaskKind.CONFIRM).select_related("order"))
    risky = next(task for task in tasks if task.order_id == flow.risky)
    assert risky.reason.startswith("Refusal risk ")
    with pytest.raises(ValidationError, match="waits for its confirmation call"):
        do_ship_parcel(risky.order.number, "EA000000005CN", actor=flow.clerk)
    for task in tasks:
        do_complete_task(task, TaskOutcome.CONFIRMED, actor=flow.agent)


def _ship(flow: Flow, batches: list[DispatchBatch]) -> None:
    waybills = Waybills(random.Random("end-to-end"))
    for batch in batches:
        code = Courier.objects.get(pk=batch.courier_id).code
        for order_number in batch.shipments.order_by("order__number").values_list("order__number", flat=True):
            tracking = waybills.number(code)
            assert re.fullmatch(TRACKING[code], tracking), tracking
            do_ship_parcel(order_number, tracking, actor=flow.clerk)
    parcels = Shipment.objects.filter(order__in=flow.orders)
    assert set(parcels.values_list("status", flat=True)) == {ShipmentStatus.SHIPPED}
    assert not parcels.filter(tracking_number=None).exists()
    shipped = parcels.values_list("order_id", flat=True)
    assert set(Order.objects.filter(pk__in=shipped).values_list("status", flat=True)) == {Status.SHIPPED}
    assert set(DispatchBatch.objects.filter(pk__in=[b.pk for b in batches]).values_list("status", flat=True)) == \
        {BatchStatus.SHIPPED}
    with pytest.raises(ValidationError, match="already shipped"):
        first = parcels.order_by("pk").first()
        assert first is not None
        do_ship_parcel(first.order.number, "ZY99999998", actor=flow.clerk)


# ---------------------------------------------------------------- the couriers' feedback files


def _words(courier: Courier) -> tuple[dict[str, str], str, str]:
    """The courier's headers (its saved mapping, or the usual ones) and its words for delivered and refused."""
    saved = dict(courier.feedback_columns or {})
    statuses: dict[str, str] = dict(saved.pop("statuses", None) or {})  # type: ignore[arg-type]
    columns = {key: str(header) for key, header in saved.items()} or PLAIN_COLUMNS
    delivered = next((word for word, kind in statuses.items() if kind == "delivered"), "签收")
    refused = next((word for word, kind in statuses.items() if kind == "refused"), "拒收")
    return columns, delivered, refused


def _feedback_rows(flow: Flow, courier: Courier, start: datetime.datetime) -> list[dict[str, str]]:
    """Of the courier's parcels (by order number), three in five delivered, one refused, one not yet back."""
    columns, delivered, refused = _words(courier)
    rows = []
    parcels = Shipment.objects.filter(order__in=flow.orders, courier=courier).select_related("order")
    for index, parcel in enumerate(parcels.order_by("order__number")):
        if index % 5 == 4:
            continue
        at = start + datetime.timedelta(minutes=index)
        reason = REASONS[index % len(REASONS)] if index % 5 == 3 else ""
        if reason:
            flow.refused[parcel.order_id] = (at, reason)
        else:
            flow.delivered[parcel.order_id] = at
        values = {"tracking_number": parcel.tracking_number or "", "order_number": parcel.order.number,
                  "status": refused if reason else delivered, "at": f"{at:%Y-%m-%d %H:%M:%S}", "reason": reason}
        rows.append({columns[key]: value for key, value in values.items() if key in columns})
    return rows


def _write_files(flow: Flow) -> list[tuple[int, str, str, str]]:
    """One CSV per courier in its own columns: EMS's in GBK as the post office sends it, with a duplicate row
    and an unknown tracking number; the others UTF-8 with a BOM. Returns the problems the EMS file has."""
    start = timezone.localtime().replace(microsecond=0) + datetime.timedelta(days=1)
    problems: list[tuple[int, str, str, str]] = []
    couriers = Courier.objects.filter(shipments__order__in=flow.orders).distinct().order_by("code")
    for courier in couriers:
        columns = _words(courier)[0]
        rows = _feedback_rows(flow, courier, start)
        if courier.code == "ems":
            first = rows[0][columns["tracking_number"]]
            rows += [dict(rows[0]), {**rows[0], columns["tracking_number"]: UNKNOWN}]
            # the header is line 1
            problems = [(len(rows), first, "duplicate", "The same event as line 2."),
                        (len(rows) + 1, UNKNOWN, "unknown", f"No parcel has the tracking number {UNKNOWN}.")]
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        flow.files[courier.code] = text.getvalue().encode("gbk" if courier.code == "ems" else "utf-8-sig")
    assert set(flow.files) >= {"ems", "suda"}  # the two couriers whose columns the demo saved
    assert problems
    return problems


def _couriers(flow: Flow) -> dict[str, Courier]:
    return {code: Courier.objects.get(code=code) for code in sorted(flow.files)}


def _expected_counts(flow: Flow, courier: Courier) -> Counter[str]:
    of_courier = set(Shipment.objects.filter(order__in=flow.orders, courier=courier).values_list("order_id", flat=True))
    return Counter(delivered=len(of_courier & set(flow.delivered)), refused=len(of_courier & set(flow.refused)))


def _dry_run(flow: Flow, ems_problems: list[tuple[int, str, str, str]]) -> None:
    """Every problem listed on its line, with what the good rows would do; nothing written."""
    before = _footprint()
    for code, courier in _couriers(flow).items():
        result = check_feedback_file(io.BytesIO(flow.files[code]), courier)
        assert result.counts == _expected_counts(flow, courier), code
        listed = [(issue.line, issue.tracking_number, issue.kind, issue.message) for issue in result.problems]
        assert listed == (ems_problems if code == "ems" else []), code
        assert result.blocking == (1 if code == "ems" else 0)  # the unknown parcel; a duplicate changes nothing
        assert not result.applied
    assert _footprint() == before


def _apply(flow: Flow) -> None:
    """The EMS file as a whole is refused (an unknown parcel), nothing half-applied; its good rows go."""
    couriers = _couriers(flow)
    before = _footprint()
    refused = apply_feedback_file(io.BytesIO(flow.files["ems"]), couriers["ems"], actor=flow.clerk)
    assert not refused.applied and refused.orders_changed == 0
    assert _footprint() == before
    for code, courier in couriers.items():
        result = apply_feedback_file(io.BytesIO(flow.files[code]), courier, actor=flow.clerk, good_rows=True)
        expected = _expected_counts(flow, courier)
        assert result.applied, code
        assert result.counts == expected, code
        assert (result.orders_changed, result.rescue_tasks) == (expected.total(), expected["refused"]), code


def _footprint() -> dict[str, Any]:
    """Everything applying feedback may write: row counts, every order's status, points, stock."""
    return {
        "events": ShipmentEvent.objects.count(), "status_changes": OrderStatusChange.objects.count(),
        "notifications": Notification.objects.count(), "tasks": OrderTask.objects.count(),
        "audit": AuditEntry.objects.count(), "movements": StockMovement.objects.count(),
        "points": Customer.objects.aggregate(total=Sum("points"))["total"],
        "orders": dict(Order.objects.values_list("pk", "status")),
        "parcels": dict(Shipment.objects.values_list("pk", "status")),
        "stock": dict(Product.objects.values_list("pk", "stock")),
    }



# ---------------------------------------------------------------- what it all did


def _check_orders(flow: Flow) -> None:
    """Delivered and refused exactly the orders in the files; the rest of the parcels still on their way."""
    parcels = dict(Shipment.objects.filter(order__in=flow.orders).values_list("order_id", "status"))
    expected = {pk: Status.ORDERED for pk in flow.flagged}
    expected |= {pk: Status.REVIEWED for pk in flow.reviewed if pk not in parcels}  # self pick-ups
    expected |= {pk: Status.SHIPPED for pk in parcels}
    expected |= {pk: Status.DELIVERED for pk in flow.delivered} | {pk: Status.REFUSED for pk in flow.refused}
    assert dict(Order.objects.filter(pk__in=flow.orders).values_list("pk", "status")) == expected
    shipments = {s.order_id: s for s in Shipment.objects.filter(order__in=flow.orders)}
    for pk, at in flow.delivered.items():
        assert (shipments[pk].status, shipments[pk].delivered_at) == (ShipmentStatus.DELIVERED, at)
    for pk, (at, reason) in flow.refused.items():
        assert (shipments[pk].status, shipments[pk].refused_at, shipments[pk].refusal_reason) == \
            (ShipmentStatus.REFUSED, at, reason)
    assert Counter(parcels.values())[ShipmentStatus.SHIPPED] == len(parcels) - len(flow.delivered) - len(flow.refused)
    rescues = OrderTask.objects.filter(order__in=flow.orders, kind=TaskKind.RESCUE).select_related("order")
    assert sorted(task.order_id for task in rescues) == sorted(flow.refused)
    for task in rescues:
        assert (task.urgent, task.status, task.shipment_id) == (True, TaskStatus.OPEN, shipments[task.order_id].pk)
        assert task.assigned_to_id == task.order.agent_id
        assert flow.refused[task.order_id][1] in task.reason


def _check_points(flow: Flow) -> None:
    """Each customer credited once with the points of their delivered orders, nobody else."""
    earned: Counter[int] = Counter()
    for customer_id, points in Order.objects.filter(pk__in=flow.delivered).values_list("customer_id", "points"):
        earned[customer_id] += points
    assert sum(earned.values()) > 0
    expected = {pk: points + earned[pk] for pk, points in flow.points_before.items()}
    assert dict(Customer.objects.values_list("pk", "points")) == expected


def _units(order_ids: Any) -> Counter[int]:
    units: Counter[int] = Counter()
    for product_id, quantity in OrderLine.objects.filter(order__in=order_ids).values_list("product_id", "quantity"):
        units[product_id] += quantity
    return units


def _check_stock(flow: Flow) -> None:
    """The orders took their units from what the desk may sell; the parcels took theirs off the shelf
    (the ledger) when scanned; delivery and refusal move neither."""
    tracked = set(Product.objects.filter(track_stock=True).values_list("pk", flat=True))
    taken, shipped = _units(flow.placed), _units(Shipment.objects.filter(order__in=flow.orders).values("order_id"))
    assert taken.keys() & tracked and shipped.keys() & tracked
    expected_stock = {pk: stock - taken[pk] if stock is not None and pk in tracked else stock  # untracked: None
                      for pk, stock in flow.stock_before_orders.items()}
    assert dict(Product.objects.values_list("pk", "stock")) == expected_stock
    on_hand = stock_on_hand(flow.ledger_before)
    # only products whose stock is tracked have a ledger
    assert on_hand == {pk: units - shipped[pk] if pk in tracked else units
                       for pk, units in flow.ledger_before.items()}
    assert not StockMovement.objects.exclude(product__track_stock=True).exists()
    _check_ledger_invariant()


def _check_ledger_invariant() -> None:
    """For a tracked product, on hand (the ledger) = what the desk may sell + what unshipped orders hold."""
    stock = dict(Product.objects.filter(track_stock=True).values_list("pk", "stock"))
    on_hand = stock_on_hand(stock)
    held = _units(Order.objects.filter(status__in=[Status.ORDERED, Status.REVIEWED]).values("pk"))
    assert on_hand == {pk: (units or 0) + held[pk] for pk, units in stock.items()}


# ---------------------------------------------------------------- the test


def _apply_again(flow: Flow) -> None:
    """The same files once more: every row is already on file (or still a problem); nothing changes."""
    before = _footprint()
    for code, courier in _couriers(flow).items():
        result = apply_feedback_file(io.BytesIO(flow.files[code]), courier, actor=flow.clerk, good_rows=True)
        recorded = _expected_counts(flow, courier).total()
        expected = {"recorded": recorded, "duplicate": 1, "unknown": 1} if code == "ems" else {"recorded": recorded}
        assert (result.good, result.orders_changed, result.rescue_tasks) == (0, 0, 0), code
        assert dict(result.problem_counts) == expected, code
    assert _footprint() == before


# ---------------------------------------------------------------- after the feedback: rescue and return


def _rescue(flow: Flow, order_id: int) -> None:
    """The agent wins a refused parcel back (deliver again); the courier's next file says it was delivered."""
    task = OrderTask.objects.get(order_id=order_id, kind=TaskKind.RESCUE, status=TaskStatus.OPEN)
    do_complete_task(task, TaskOutcome.REDELIVER, actor=flow.agent, note="客户同意明天再送")
    parcel = Shipment.objects.select_related("courier", "order").get(order_id=order_id)
    columns, delivered, _refused = _words(parcel.courier)
    at = flow.refused[order_id][0] + datetime.timedelta(days=1)
    row = {"tracking_number": parcel.tracking_number or "", "order_number": parcel.order.number,
           "status": delivered, "at": f"{at:%Y-%m-%d %H:%M:%S}", "reason": ""}
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerows([[columns[key] for key in row if key in columns], [v for k, v in row.items() if k in columns]])
    points = Customer.objects.get(pk=parcel.order.customer_id).points
    result = apply_feedback_file(io.BytesIO(text.getvalue().encode()), parcel.courier, actor=flow.clerk)
    assert (result.applied, dict(result.counts), result.blocking) == (True, {"delivered": 1}, 0)
    assert Order.objects.get(pk=order_id).status == Status.DELIVERED
    assert Customer.objects.get(pk=parcel.order.customer_id).points == points + parcel.order.points


def _return(flow: Flow, order_id: int) -> None:
    """The customer will not have it: the parcel comes back, tracked goods good (restocked), the rest damaged
    (untracked: no ledger, so nothing to write off; tests/logistics/test_returns.py writes tracked goods off);
    the order is 退货 with the courier's return freight."""
    task = OrderTask.objects.get(order_id=order_id, kind=TaskKind.RESCUE, status=TaskStatus.OPEN)
    do_complete_task(task, TaskOutcome.CANCEL, actor=flow.agent, note="客户坚持不要")
    lines = list(OrderLine.objects.filter(order_id=order_id).select_related("product").order_by("pk"))
    goods = [ReturnedGoods(line.pk, line.quantity, Condition.GOOD if line.product.track_stock else Condition.DAMAGED)
             for line in lines]
    good, damaged = Counter[int](), Counter[int]()
    for line in lines:
        (good if line.product.track_stock else damaged)[line.product_id] += line.quantity
    assert good  # tracked goods come back on the shelf (the order may hold no untracked ones)
    ids = [line.product_id for line in lines]
    stock, on_hand = dict(Product.objects.filter(pk__in=ids).values_list("pk", "stock")), stock_on_hand(ids)
    receipt = do_receive_return(Order.objects.get(pk=order_id), goods, actor=flow.clerk)
    parcel = Shipment.objects.select_related("courier").get(order_id=order_id)
    freight = (parcel.freight * parcel.courier.return_freight_percent / 100).quantize(Decimal("0.01"))
    assert (receipt.return_freight, parcel.return_freight, parcel.status) == (freight, freight, ShipmentStatus.RETURNED)
    assert Order.objects.get(pk=order_id).status == Status.RETURNED
    assert dict(Product.objects.filter(pk__in=ids).values_list("pk", "stock")) == {
        pk: units + good[pk] if units is not None else None for pk, units in stock.items()}
    assert stock_on_hand(ids) == {pk: units + good[pk] for pk, units in on_hand.items()}
    written_off = Counter[int]()
    for product_id, quantity in StockMovement.objects.filter(order_id=order_id, kind=MovementKind.WRITTEN_OFF) \
            .values_list("product_id", "quantity"):
        written_off[product_id] -= quantity
    assert written_off == Counter()  # the damaged goods are untracked
    assert not OrderTask.objects.filter(order_id=order_id, status=TaskStatus.OPEN).exists()


def _rescue_and_return(flow: Flow) -> None:
    refused = sorted(flow.refused, key=lambda pk: flow.refused[pk][0])
    tracked = set(OrderLine.objects.filter(order__in=refused, product__track_stock=True)
                  .values_list("order_id", flat=True))
    comes_back = next(pk for pk in refused if pk in tracked)
    _rescue(flow, next(pk for pk in refused if pk != comes_back))
    _return(flow, comes_back)
    _check_ledger_invariant()


@pytest.mark.usefixtures("english")
def test_two_hundred_orders_from_review_to_delivery_feedback(db: Any) -> None:
    flow = _load()
    _review(flow)
    batches = _batches(flow)
    _print(flow, batches)
    _confirm_risky(flow)
    _ship(flow, batches)
    ems_problems = _write_files(flow)
    _dry_run(flow, ems_problems)
    _apply(flow)
    _check_orders(flow)
    _check_points(flow)
    _check_stock(flow)
    _apply_again(flow)
    _rescue_and_return(flow)

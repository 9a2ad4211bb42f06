"""Applying a COD remittance statement: payments, settlements and open items exact to the fen; applied once
per courier and number; another courier's statement, bad values and users without the permission refused
with nothing written; the deliveries a statement vouches for recorded when the clerk accepts them.

EMS terms (tests/finance/world.py): 2 massagers ¥796 COD, fee 1.5 % at least ¥5 (¥11.94 on ¥796)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hotline.accounts.audit import snapshot
from hotline.accounts.models import AuditEntry
from hotline.finance.actions.remittance import check_remittance, do_apply_remittance, do_save_statement_columns
from hotline.finance.models import (
    CourierColumns,
    OpenItem,
    Payment,
    RemittanceLine,
    RemittanceStatement,
    SettlementEntry,
)
from hotline.finance.statement_file import StatementLine
from hotline.logistics.models import EventSource, Shipment, ShipmentEvent, ShipmentStatus
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories
from tests.finance.world import FinanceWorld, build_finance_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal
PERIOD = {"period_start": datetime.date(2026, 11, 23), "period_end": datetime.date(2026, 11, 29)}


def line(n: int, parcel: Shipment | None, collected: str, fee: str, *, tracking: str | None = None,
         order_number: str = "") -> StatementLine:
    amount, charge = D(collected), D(fee)
    number = tracking if tracking is not None else (parcel.tracking_number if parcel else "")
    return StatementLine(line=n, tracking_number=number or "", order_number=order_number, collected=amount,
                         fee=charge, net=amount - charge)


def apply(fw: FinanceWorld, lines: list[StatementLine], number: str = "EMS-2026-11-4", **kwargs: Any) -> Any:
    kwargs.setdefault("courier", fw.w.ems)
    kwargs.setdefault("actor", fw.finance)
    return do_apply_remittance(lines=lines, number=number, file_name="ems-1129.xlsx",
                               stated_total=sum((each.net for each in lines), D("0.00")), **{**PERIOD, **kwargs})


def tables() -> dict[str, Any]:
    """Every row an apply may write."""
    return {"statements": RemittanceStatement.objects.count(), "lines": RemittanceLine.objects.count(),
            "payments": Payment.objects.count(), "settlements": SettlementEntry.objects.count(),
            "open_items": OpenItem.objects.count(), "history": OrderStatusChange.objects.count(),
            "audit": AuditEntry.objects.count(), "events": ShipmentEvent.objects.count(),
            "orders": list(Order.objects.order_by("pk").values_list("pk", "status", "settled_amount")),
            "columns": list(CourierColumns.objects.values_list("courier_id", "remittance"))}


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


@pytest.fixture
def eight(fw: FinanceWorld) -> dict[str, Shipment]:
    """EMS parcels: five delivered (one remitted on an earlier statement), one refused, one still on its way."""
    parcels = {name: fw.delivered(fw.w.ems) for name in ("paid", "short", "over", "fee", "earlier")}
    parcels["refused"] = fw.refused(fw.w.ems)
    parcels["shipped"] = fw.shipped(fw.w.ems)
    apply(fw, [line(1, parcels["earlier"], "796.00", "11.94")], number="EMS-2026-11-3")
    return parcels


def every_kind(p: dict[str, Shipment]) -> list[StatementLine]:
    return [
        line(1, p["paid"], "796.00", "11.94"),
        line(2, p["short"], "790.00", "11.85"),
        line(3, p["over"], "800.00", "12.00"),
        line(4, p["fee"], "796.00", "12.50"),  # the rule says ¥11.94
        line(5, None, "398.00", "5.97", tracking="EA999999999CN"),
        line(6, p["paid"], "796.00", "11.94"),  # the same parcel again
        line(7, p["earlier"], "796.00", "11.94"),
        line(8, p["refused"], "796.00", "11.94"),
        line(9, p["shipped"], "796.00", "11.94"),
    ]


def test_every_outcome_gives_its_payments_settlements_and_open_items_to_the_fen(
        fw: FinanceWorld, eight: dict[str, Shipment]) -> None:
    # given a statement with one line of every kind, and a bank receipt ¥10.00 short of its net total
    lines = every_kind(eight)
    net = sum((each.net for each in lines), D("0.00"))
    assert net == D("6661.98")
    # when the clerk applies it
    result = apply(fw, lines, bank_total=net - D("10.00"))
    statement = result.statement
    # then the statement has its totals and a line for each line of the file
    assert (statement.collected_total, statement.fee_total, statement.net_total, statement.stated_total,
            statement.bank_total, statement.applied_by) == (
        D("6764.00"), D("102.02"), D("6661.98"), D("6661.98"), D("6651.98"), fw.finance)
    assert list(statement.lines.values_list("line", "outcome", "expected", "expected_fee")) == [
        (1, "matched", D("796.00"), D("11.94")), (2, "short", D("796.00"), D("11.85")),
        (3, "over", D("796.00"), D("12.00")), (4, "matched", D("796.00"), D("11.94")),
        (5, "unknown", None, None), (6, "duplicate", D("796.00"), D("11.94")),
        (7, "remitted", D("796.00"), D("11.94")), (8, "refused", D("796.00"), D("11.94")),
        (9, "undelivered", D("796.00"), D("11.94"))]
    # a COD payment of what was collected for each line that pays a delivered parcel, received when applied
    payments = Payment.objects.filter(remittance_line__statement=statement).order_by("remittance_line__line")
    assert [(p.order_id, p.method, p.amount, p.payer, p.reference, p.received_at, p.recorded_by)
            for p in payments] == [
        (eight[name].order_id, "cod", D(amount), "EMS", "EMS-2026-11-4", statement.applied_at, fw.finance)
        for name, amount in (("paid", "796.00"), ("short", "790.00"), ("over", "800.00"), ("fee", "796.00"))]
    # the orders those payments pay in full are settled at their total, with the statement on the entry
    settled = {name: Order.objects.get(pk=eight[name].order_id) for name in ("paid", "over", "fee", "short")}
    assert [(o.status, o.settled_amount, o.settled_at) for o in settled.values()] == [
        (Status.SETTLED, D("796.00"), statement.applied_at)] * 3 + [(Status.DELIVERED, None, None)]
    assert sorted(SettlementEntry.objects.filter(statement=statement).values_list("order_id", "kind", "amount")) \
        == sorted((eight[name].order_id, "settle", D("796.00")) for name in ("paid", "over", "fee"))
    assert [(h.from_status, h.to_status, h.actor) for h in OrderStatusChange.objects.filter(
        order_id=eight["paid"].order_id).order_by("pk")][-1] == (Status.DELIVERED, Status.SETTLED, fw.finance)
    # and an open item for every difference: what the courier still owes us (negative: what we owe)
    assert sorted((i.kind, i.tracking_number, i.amount, i.order_id) for i in statement.open_items.all()) == sorted([
        ("short", eight["short"].tracking_number, D("6.00"), eight["short"].order_id),
        ("over", eight["over"].tracking_number, D("-4.00"), eight["over"].order_id),
        ("fee", eight["fee"].tracking_number, D("0.56"), eight["fee"].order_id),
        ("unknown", "EA999999999CN", D("-398.00"), None),
        ("duplicate", eight["paid"].tracking_number, D("-796.00"), eight["paid"].order_id),
        ("remitted", eight["earlier"].tracking_number, D("-796.00"), eight["earlier"].order_id),
        ("refused", eight["refused"].tracking_number, D("-796.00"), eight["refused"].order_id),
        ("undelivered", eight["shipped"].tracking_number, D("-796.00"), eight["shipped"].order_id),
        ("bank", "", D("10.00"), None)])
    assert (result.payments, result.settled, result.open_items, result.deliveries) == (4, 3, 9, 0)
    assert AuditEntry.objects.filter(action="apply_remittance", object_id=str(statement.pk)).count() == 1
    settled_audit = AuditEntry.objects.get(action="order_settled", object_id=str(eight["paid"].order_id))
    assert (settled_audit.actor, (settled_audit.before or {})["status"], settled_audit.after) == (
        fw.finance, "delivered", {**snapshot(settled["paid"]), "reason": "Remittance statement EMS-2026-11-4"})


def test_the_same_statement_number_again_changes_nothing_and_says_why(fw: FinanceWorld,
                                                                         eight: dict[str, Shipment]) -> None:
    # given a statement applied by the finance clerk
    first = apply(fw, every_kind(eight)).statement
    before = tables()
    # when it is applied again (another file of the same number, even by another user)
    with pytest.raises(ValidationError) as refused:
        apply(fw, every_kind(eight)[:2], actor=factories.make_user("finance", "cashier_two"))
    # then nothing changed, and the error says when and by whom it was applied
    assert tables() == before
    stamp = first.applied_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
    assert refused.value.messages == [
        f"Statement EMS-2026-11-4 of EMS was already applied on {stamp} by cashier; nothing changed."]


def test_the_same_number_for_another_courier_is_another_statement(fw: FinanceWorld) -> None:
    ems, zto = fw.delivered(fw.w.ems), fw.delivered(fw.w.zto)
    apply(fw, [line(1, ems, "796.00", "11.94")], number="2026-11")
    apply(fw, [line(1, zto, "796.00", "7.96")], number="2026-11", courier=fw.w.zto)
    assert sorted(RemittanceStatement.objects.values_list("courier__code", "number")) == [
        ("ems", "2026-11"), ("zto", "2026-11")]


def test_another_couriers_statement_is_refused_and_writes_nothing(fw: FinanceWorld) -> None:
    # given a ZTO statement (two of its three lines are ZTO parcels) uploaded as EMS's
    zto = [fw.delivered(fw.w.zto) for _ in range(2)]
    ems = fw.delivered(fw.w.ems)
    before = tables()
    lines = [line(1, zto[0], "796.00", "7.96"), line(2, zto[1], "796.00", "7.96"), line(3, ems, "796.00", "11.94")]
    # when it is applied for EMS
    with pytest.raises(ValidationError) as refused:
        apply(fw, lines)
    # then it is refused, nothing written
    assert refused.value.messages == [
        "The parcels on this statement were carried by ZTO, not EMS. Choose ZTO as the courier and upload the file "
        "again; nothing changed."]
    assert tables() == before


def test_accepting_the_deliveries_records_them_on_the_statements_last_day_and_settles(fw: FinanceWorld) -> None:
    # given a parcel Hotline has no delivery for, paid on the statement
    parcel = fw.shipped(fw.w.ems)
    # when the clerk applies the statement accepting it as the delivery feedback
    result = apply(fw, [line(1, parcel, "796.00", "11.94")], accept_deliveries=True)
    # then the delivery is recorded as an import at the end of the period's last day (Shanghai time) ...
    event = ShipmentEvent.objects.get(shipment=parcel, kind="delivered")
    assert (event.at, event.source, event.detail) == (
        datetime.datetime(2026, 11, 29, 15, 59, 59, tzinfo=datetime.UTC), EventSource.IMPORT,
        "Remittance statement EMS-2026-11-4")
    assert Shipment.objects.get(pk=parcel.pk).status == ShipmentStatus.DELIVERED
    # ... and the line matched again: paid and settled, no open item
    assert list(result.statement.lines.values_list("outcome", flat=True)) == ["matched"]
    order = Order.objects.get(pk=parcel.order_id)
    assert (order.status, order.settled_amount) == (Status.SETTLED, D("796.00"))
    assert (result.deliveries, result.payments, result.settled, result.open_items) == (1, 1, 1, 0)
    assert (AuditEntry.objects.get(action="apply_remittance").after or {})["deliveries_recorded"] == 1


def test_without_accepting_the_deliveries_the_line_stays_an_open_item(fw: FinanceWorld) -> None:
    parcel = fw.shipped(fw.w.ems)
    result = apply(fw, [line(1, parcel, "796.00", "11.94")])
    assert list(result.statement.open_items.values_list("kind", "amount")) == [("undelivered", D("-796.00"))]
    assert not ShipmentEvent.objects.filter(shipment=parcel, kind="delivered").exists()
    assert Order.objects.get(pk=parcel.order_id).status == Status.SHIPPED
    assert Payment.objects.count() == 0


def test_a_lost_parcel_is_not_delivered_by_the_statement(fw: FinanceWorld) -> None:
    from hotline.logistics.actions.events import do_record_shipment_event
    from tests.logistics.world import T0

    parcel = fw.shipped(fw.w.ems)
    do_record_shipment_event(parcel, "lost", T0, source=EventSource.MANUAL, actor=fw.w.clerk)
    result = apply(fw, [line(1, parcel, "796.00", "11.94")], accept_deliveries=True)
    assert (result.deliveries, list(result.statement.open_items.values_list("kind", flat=True))) == (
        0, ["undelivered"])


def test_the_dry_run_writes_nothing(fw: FinanceWorld, eight: dict[str, Shipment]) -> None:
    before = tables()
    result = check_remittance(fw.w.ems, number="EMS-2026-11-4", lines=every_kind(eight), bank_total="6651.98")
    assert tables() == before
    assert (result.applied, result.refusal, result.undelivered) == (False, "", 1)
    assert result.report.counts() == {"matched": 2, "short": 1, "over": 1, "unknown": 1, "duplicate": 1,
                                      "remitted": 1, "undelivered": 1, "refused": 1}
    assert result.report.bank_difference == D("-10.00")


def test_the_dry_run_of_an_applied_number_says_so(fw: FinanceWorld, eight: dict[str, Shipment]) -> None:
    result = check_remittance(fw.w.ems, number="EMS-2026-11-3", lines=every_kind(eight))
    assert result.refusal.startswith("Statement EMS-2026-11-3 of EMS was already applied on ")


@pytest.mark.parametrize("role", ["logistics", "manager", "agent"])
def test_a_user_without_the_permission_is_refused(fw: FinanceWorld, role: str) -> None:
    parcel = fw.delivered(fw.w.ems)
    before = tables()
    with pytest.raises(PermissionDenied):
        apply(fw, [line(1, parcel, "796.00", "11.94")], actor=factories.make_user(role, f"no_{role}"))
    assert tables() == before


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"number": "  "}, "number", "Give the statement number (对账单号) printed on the statement."),
    ({"number": "X" * 41}, "number", "At most 40 characters."),
    ({"period_start": datetime.date(2026, 11, 30)}, "period_end",
     "The period ends before it starts: check the two dates."),
    ({"bank_total": "abc"}, "bank_total", "“abc” is not an amount of money."),
    ({"bank_total": "-5"}, "bank_total", "The amount must be more than zero."),
])
def test_bad_statement_values_are_refused_with_nothing_written(fw: FinanceWorld, values: dict[str, Any],
                                                               field: str, message: str) -> None:
    parcel = fw.delivered(fw.w.ems)
    before = tables()
    with pytest.raises(ValidationError) as refused:
        apply(fw, [line(1, parcel, "796.00", "11.94")], **values)
    assert refused.value.message_dict == {field: [message]}
    assert tables() == before


def test_a_statement_without_lines_is_refused(fw: FinanceWorld) -> None:
    with pytest.raises(ValidationError) as refused:
        apply(fw, [])
    assert refused.value.messages == ["The statement has no lines; nothing changed."]
    assert RemittanceStatement.objects.count() == 0


def test_a_line_by_order_number_alone_pays_its_order(fw: FinanceWorld) -> None:
    parcel = fw.delivered(fw.w.ems)
    result = apply(fw, [line(1, None, "796.00", "11.94", tracking="", order_number=parcel.order.number)])
    assert list(result.statement.lines.values_list("outcome", "shipment_id")) == [("matched", parcel.pk)]
    assert Order.objects.get(pk=parcel.order_id).status == Status.SETTLED


def test_queries_do_not_grow_with_the_lines(fw: FinanceWorld) -> None:
    # given statements of 2 and of 12 lines of delivered parcels (and one unknown line each)
    parcels = [fw.delivered(fw.w.ems) for _ in range(14)]

    def queries(number: str, chosen: list[Shipment]) -> int:
        lines = [line(n, p, "796.00", "11.94") for n, p in enumerate(chosen, start=1)]
        lines.append(line(len(lines) + 1, None, "1.00", "5.00", tracking="EA999999999CN"))
        with CaptureQueriesContext(connection) as captured:
            apply(fw, lines, number=number)
        return len(captured.captured_queries)

    # then applying either takes the same number of queries: nothing is read or written line by line
    assert queries("small", parcels[:2]) == queries("large", parcels[2:])


def test_the_columns_a_clerk_maps_are_saved_for_the_courier_and_audited(fw: FinanceWorld) -> None:
    mapping = {"tracking_number": "邮件号码", "collected": "代收款额", "fee": "服务费用", "order_number": ""}
    columns = do_save_statement_columns(fw.w.ems, mapping, actor=fw.finance)
    assert CourierColumns.objects.get(courier=fw.w.ems).remittance == {
        "tracking_number": "邮件号码", "collected": "代收款额", "fee": "服务费用"}
    entry = AuditEntry.objects.get(action="save_statement_columns")
    assert (entry.object_id, entry.actor, (entry.after or {})["remittance"]) == (
        str(columns.pk), fw.finance, columns.remittance)


@pytest.mark.parametrize(("mapping", "errors"), [
    ({"fee": "手续费"}, {"tracking_number": ["Choose the column of the tracking number, or of the order number."],
                         "collected": ["Choose the column of the amount collected."]}),
    ({"tracking_number": "单号", "collected": "单号"}, {"collected": ["The column “单号” is chosen twice."]}),
])
def test_columns_without_what_a_statement_needs_are_refused(fw: FinanceWorld, mapping: dict[str, str],
                                                            errors: dict[str, list[str]]) -> None:
    with pytest.raises(ValidationError) as refused:
        do_save_statement_columns(fw.w.ems, mapping, actor=fw.finance)
    assert refused.value.message_dict == errors
    assert CourierColumns.objects.count() == 0


def test_columns_need_the_permission(fw: FinanceWorld) -> None:
    with pytest.raises(PermissionDenied):
        do_save_statement_columns(fw.w.ems, {"tracking_number": "单号", "collected": "代收"}, actor=fw.manager)
    assert CourierColumns.objects.count() == 0


# ---------------------------------------------------------------- top-ups: a shortfall paid on a later statement


def short_then(fw: FinanceWorld, collected: str, fee: str = "5.00") -> tuple[Shipment, OpenItem, Any]:
    """A ¥796.00 parcel statement EMS-2026-11-4 paid ¥700.00 of (a ¥96.00 short item), then statement
    EMS-2026-12-1 paying `collected` for it."""
    parcel = fw.delivered(fw.w.ems)
    first = apply(fw, [line(1, parcel, "700.00", "10.50")])
    short = OpenItem.objects.get(statement=first.statement)
    assert (short.kind, short.amount, short.status) == ("short", D("96.00"), "open")
    return parcel, short, apply(fw, [line(1, parcel, collected, fee)], number="EMS-2026-12-1")


def test_a_top_up_of_the_rest_is_matched_settles_the_order_and_resolves_the_short_item(fw: FinanceWorld) -> None:
    # given a parcel paid ¥96.00 short on one statement, when the next pays the ¥96.00
    parcel, short, top_up = short_then(fw, "96.00")
    statement = top_up.statement
    # then the line is matched against what was still due, and paid
    assert list(statement.lines.values_list("outcome", "expected", "expected_fee")) == [
        ("matched", D("96.00"), D("5.00"))]
    assert sorted(Payment.objects.filter(order_id=parcel.order_id).values_list("amount", flat=True)) == [
        D("96.00"), D("700.00")]
    # the order, paid in full by the two payments, is settled at its total on this statement
    order = Order.objects.get(pk=parcel.order_id)
    assert (order.status, order.settled_amount, order.settled_at) == (
        Status.SETTLED, D("796.00"), statement.applied_at)
    assert list(SettlementEntry.objects.filter(order=order).values_list("kind", "amount", "statement")) == [
        ("settle", D("796.00"), statement.pk)]
    # the first statement's short item is resolved, naming this statement; no new open item
    short.refresh_from_db()
    assert (short.status, short.resolution, short.resolved_at, short.resolved_by) == (
        "resolved", "Paid in full by remittance statement EMS-2026-12-1.", statement.applied_at, fw.finance)
    assert (top_up.resolved, top_up.open_items, statement.open_items.count()) == (1, 0, 0)
    # audited as the apply
    audit = AuditEntry.objects.get(action="apply_remittance", object_id=str(statement.pk))
    assert (audit.after or {})["open_items_resolved"] == [short.pk]


def test_a_top_up_still_short_is_an_open_item_for_the_new_remainder(fw: FinanceWorld) -> None:
    # given a parcel paid ¥96.00 short, when the next statement pays ¥90.00 of it
    parcel, short, top_up = short_then(fw, "90.00")
    statement = top_up.statement
    # then the line is short by ¥6.00, paid, and the order still delivered (¥790.00 of ¥796.00)
    assert list(statement.lines.values_list("outcome", "expected")) == [("short", D("96.00"))]
    assert list(statement.open_items.values_list("kind", "amount", "status")) == [("short", D("6.00"), "open")]
    assert Order.objects.get(pk=parcel.order_id).status == Status.DELIVERED
    # the first item gives way to the new one: the courier owes ¥6.00, not ¥96.00 + ¥6.00
    short.refresh_from_db()
    assert (short.status, short.resolution) == ("resolved", "Partly paid by remittance statement EMS-2026-12-1; "
                                                "what is still due is an open item of that statement.")
    assert OpenItem.objects.filter(status="open").values_list("amount", flat=True).get() == D("6.00")


def test_a_top_up_over_the_rest_is_an_over_item_and_settles(fw: FinanceWorld) -> None:
    # given a parcel paid ¥96.00 short, when the next statement pays ¥100.00 for it
    parcel, short, top_up = short_then(fw, "100.00")
    statement = top_up.statement
    # then the line is over by ¥4.00 (we owe it back), the order is settled, the first item resolved
    assert list(statement.lines.values_list("outcome", "expected")) == [("over", D("96.00"))]
    assert list(statement.open_items.values_list("kind", "amount", "status")) == [("over", D("-4.00"), "open")]
    assert Order.objects.get(pk=parcel.order_id).status == Status.SETTLED
    short.refresh_from_db()
    assert short.status == "resolved"


def test_a_parcel_paid_in_full_is_remitted_on_a_later_statement(fw: FinanceWorld) -> None:
    # given a parcel paid and settled by one statement, when the next names it again
    parcel = fw.delivered(fw.w.ems)
    apply(fw, [line(1, parcel, "796.00", "11.94")])
    again = apply(fw, [line(1, parcel, "96.00", "5.00")], number="EMS-2026-12-1")
    # then the line is "remitted": money we owe back, no payment
    assert list(again.statement.open_items.values_list("kind", "amount")) == [("remitted", D("-96.00"))]
    assert Payment.objects.filter(order_id=parcel.order_id).count() == 1

"""Demo money: the payments, remittances, settlements and refunds follow each demo order's story, and add up."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from hotline.accounts.models import User
from hotline.accounts.permissions import Role
from hotline.demo.finance import FinancePlanner, stories
from hotline.finance.balances import balances_for
from hotline.finance.models import (
    DailyClose,
    LineOutcome,
    OpenItem,
    OpenItemKind,
    Payment,
    PayMethod,
    Refund,
    RemittanceLine,
    RemittanceStatement,
    SettlementEntry,
    SettlementKind,
)
from hotline.lib.money import ZERO
from hotline.logistics.models import ShipmentStatus
from hotline.orders.models import Order, OrderStatusChange, PaymentMethod, Status

from .conftest import NOW, SMALL

PREPAID = (PaymentMethod.TRANSFER, PaymentMethod.CARD)


def _paid() -> dict[int, Decimal]:
    return {row["order_id"]: row["total"] for row in
            Payment.objects.values("order_id").annotate(total=Sum("amount")).order_by()}


def _first_step(status: str) -> dict[int, object]:
    steps: dict[int, object] = {}
    for order_id, at in OrderStatusChange.objects.filter(to_status=status).order_by("at").values_list("order_id", "at"):
        steps.setdefault(order_id, at)
    return steps


def test_every_settled_order_was_paid_in_full_and_has_its_settlement_entry(demo):
    paid = _paid()
    settled = list(Order.objects.filter(status=Status.SETTLED))

    assert len(settled) > 50
    assert [o.number for o in settled if paid.get(o.pk, ZERO) < o.total] == []
    entries = {e.order_id: e for e in SettlementEntry.objects.filter(kind=SettlementKind.SETTLE)}
    assert [o.number for o in settled if o.pk not in entries or entries[o.pk].amount != o.total] == []
    assert all(entries[o.pk].recorded_at == o.settled_at for o in settled)


def test_no_prepaid_order_was_reviewed_before_it_was_paid(demo):
    reviewed = _first_step(Status.REVIEWED)
    first_payment: dict[int, object] = {}
    for order_id, at in Payment.objects.order_by("received_at").values_list("order_id", "received_at"):
        first_payment.setdefault(order_id, at)
    paid = _paid()
    prepaid = Order.objects.filter(payment_method__in=PREPAID, total__gt=0, pk__in=list(reviewed))

    assert prepaid.count() > 20
    for order in prepaid:
        assert paid.get(order.pk, ZERO) >= order.total, order.number
        assert first_payment[order.pk] < reviewed[order.pk], order.number
    shipped_unpaid = Order.objects.filter(payment_method__in=PREPAID, total__gt=0, shipments__isnull=False).exclude(
        pk__in=list(paid))
    assert list(shipped_unpaid.values_list("number", flat=True)) == []


def test_cod_payments_come_from_statement_lines_that_add_up(demo):
    statements = list(RemittanceStatement.objects.all())
    couriers = {s.courier_id for s in statements}

    carried = set(Order.objects.filter(status=Status.SETTLED, payment_method=PaymentMethod.COD,
                                       shipments__cod_due__gt=0).values_list("shipments__courier_id", flat=True))
    assert couriers == carried and len(couriers) >= 3
    assert len(statements) > len(couriers)  # a statement per courier and week
    for statement in statements:
        lines = list(statement.lines.all())
        assert [line.line for line in lines] == list(range(1, len(lines) + 1))
        assert statement.collected_total == sum((line.collected for line in lines), ZERO)
        assert statement.net_total == statement.bank_total == sum((line.net for line in lines), ZERO)
        assert all(line.net == line.collected - line.fee for line in lines)
    courier_payments = Payment.objects.filter(method=PayMethod.COD, remittance_line__isnull=False)
    assert all(p.amount == p.remittance_line.collected and p.order_id == p.remittance_line.order_id
               for p in courier_payments.select_related("remittance_line"))
    # every line that paid a delivered parcel is a payment; the lines that did not are open items
    paying = RemittanceLine.objects.filter(outcome__in=[LineOutcome.MATCHED, LineOutcome.SHORT])
    assert paying.count() == courier_payments.count()
    assert sorted(OpenItem.objects.values_list("kind", flat=True)) == sorted(
        [OpenItemKind.SHORT] * RemittanceLine.objects.filter(outcome=LineOutcome.SHORT).count()
        + [OpenItemKind.UNKNOWN, OpenItemKind.REFUSED])


def test_receivables_are_the_delivered_cod_parcels_not_yet_paid(demo):
    delivered = Order.objects.filter(status=Status.DELIVERED, payment_method=PaymentMethod.COD,
                                     shipments__status=ShipmentStatus.DELIVERED, shipments__cod_due__gt=0)
    balances = balances_for(delivered)
    owed = sum((b.due for b in balances.values() if b.due > 0), ZERO)
    short = RemittanceLine.objects.filter(outcome=LineOutcome.SHORT)

    assert owed > 0
    assert short.count() >= 2  # one short remittance on each courier's last statement that had a delivered parcel
    assert all(balances[line.order_id].due == Decimal("10.00") for line in short)


def test_returned_and_refused_prepaid_orders_are_refunded_and_settlements_reversed(demo):
    paid = _paid()
    refunds = {r.order_id: r for r in Refund.objects.all()}
    came_back = Order.objects.filter(status__in=[Status.RETURNED, Status.REFUSED, Status.CANCELLED])
    refundable = [o for o in came_back if paid.get(o.pk, ZERO) > 0]

    assert len(refunds) >= 3
    assert all(refunds[o].amount == paid[o] for o in refunds)
    back_at = {**_first_step(Status.CANCELLED), **_first_step(Status.REFUSED), **_first_step(Status.RETURNED)}
    # refunded a day or three after the goods came back, unless that is still to come
    for order in refundable:
        if order.pk in refunds:
            assert refunds[order.pk].refunded_at > back_at[order.pk]
        else:
            assert (NOW - back_at[order.pk]).days < 3, order.number
    reversed_ = SettlementEntry.objects.filter(kind=SettlementKind.REVERSE)
    assert all(Order.objects.get(pk=e.order_id).status == Status.RETURNED for e in reversed_)
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for entry in SettlementEntry.objects.all():
        sums[entry.order_id] += entry.amount
    assert all(total == 0 for order_id, total in sums.items() if order_id in {e.order_id for e in reversed_})


def test_the_money_is_the_same_for_the_same_seed(demo):
    clerk = User.objects.filter(role=Role.FINANCE).order_by("pk").first()

    def planned() -> list[tuple[int, str, Decimal, object]]:
        rows = FinancePlanner(random.Random(f"finance-{SMALL.seed}"), NOW, clerk.pk).plan(stories())
        payments = rows.payments + [p for pairs in rows.lines.values() for _line, p in pairs if p is not None]
        return sorted((p.order_id, p.method, p.amount, p.received_at) for p in payments)

    written = sorted(Payment.objects.values_list("order_id", "method", "amount", "received_at"))
    assert planned() == planned() == written


def test_the_finance_clerk_closed_the_last_seven_days(demo):
    closes = list(DailyClose.objects.order_by("day"))

    # NOW is 04:45 on 25 November in Shanghai: the seven days before it are closed, today is not
    assert [close.day for close in closes] == [datetime.date(2026, 11, day) for day in range(18, 25)]
    assert {close.recorded_by.role for close in closes} == {Role.FINANCE}
    assert demo.counts["daily_closes"] == 7

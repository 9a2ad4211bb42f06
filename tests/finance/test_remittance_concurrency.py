"""Two clerks applying the same statement at the same moment: it is applied once. Each thread has its own
database connection (committed rows, `transactional_db`): on SQLite the second waits for the first's
IMMEDIATE transaction, on PostgreSQL for the lock on the courier's row; then it finds the statement applied.

Run on SQLite by default, and on PostgreSQL with DATABASE_URL set."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from hotline.finance.actions.remittance import RemittanceResult, do_apply_remittance
from hotline.finance.models import OpenItem, Payment, RemittanceLine, RemittanceStatement, SettlementEntry
from hotline.finance.statement_file import StatementLine
from hotline.orders.models import Order, OrderStatusChange, Status
from tests import factories
from tests.finance.world import WAIT, build_finance_world, in_two_threads

D = Decimal


@pytest.mark.django_db(transaction=True)
def test_two_clerks_applying_the_same_statement_at_once_apply_it_once() -> None:
    # given three delivered EMS parcels, a statement paying them (one short), and two finance clerks
    fw = build_finance_world()
    parcels = [fw.delivered(fw.w.ems) for _ in range(3)]
    lines = [StatementLine(n, p.tracking_number, "", D(collected), D(fee), D(collected) - D(fee))
             for n, (p, collected, fee) in enumerate(
                 zip(parcels, ("796.00", "796.00", "790.00"), ("11.94", "11.94", "11.85"), strict=True), start=1)]
    clerks = [fw.finance, factories.make_user("finance", "cashier_two")]
    started = [threading.Event(), threading.Event()]

    def hold(index: int) -> Callable[[RemittanceResult], None]:
        """Inside the winner's transaction: let the other clerk's apply start and run into the lock."""
        def wait(result: RemittanceResult) -> None:
            started[1 - index].wait(timeout=WAIT)
            time.sleep(0.3)  # not a timing assertion: only more overlap; the result is the same without it
        return wait

    def apply(index: int) -> RemittanceResult:
        started[index].set()
        return do_apply_remittance(fw.w.ems, number="EMS-2026-11-4", lines=lines, stated_total=sum(
            (each.net for each in lines), D("0.00")), actor=clerks[index], before_commit=hold(index))

    # when both apply it at the same moment
    outcomes = in_two_threads(apply)
    connections.close_all()
    # then one applied it and the other was told it was applied, with nothing written twice
    applied = [o for o in outcomes if isinstance(o, RemittanceResult)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(applied), len(refused)) == (1, 1), outcomes
    assert refused[0].messages[0].startswith("Statement EMS-2026-11-4 of EMS was already applied on ")
    assert refused[0].messages[0].endswith("; nothing changed.")
    statement = RemittanceStatement.objects.get()
    assert statement.pk == applied[0].statement.pk
    assert RemittanceLine.objects.count() == 3
    assert sorted(Payment.objects.values_list("order_id", "amount")) == sorted(
        (p.order_id, D(amount)) for p, amount in zip(parcels, ("796.00", "796.00", "790.00"), strict=True))
    assert sorted(SettlementEntry.objects.values_list("order_id", "amount")) == sorted(
        (p.order_id, D("796.00")) for p in parcels[:2])
    assert list(OpenItem.objects.values_list("kind", "amount")) == [("short", D("6.00"))]
    assert [Order.objects.get(pk=p.order_id).status for p in parcels] == [
        Status.SETTLED, Status.SETTLED, Status.DELIVERED]
    assert OrderStatusChange.objects.filter(to_status=Status.SETTLED).count() == 2

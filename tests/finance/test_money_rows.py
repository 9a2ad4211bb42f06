"""Money rows are append-only: the model, its queryset and the database itself refuse to change or delete one
(a mistake is put right by a new row). Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from hotline.finance.models import (
    DailyClose,
    FreightBill,
    FreightBillLine,
    MoneyRowError,
    Payment,
    Refund,
    RemittanceLine,
    RemittanceStatement,
    SettlementEntry,
)
from hotline.orders.models import Order
from tests import factories
from tests.logistics.world import make_courier

pytestmark = pytest.mark.django_db
D = Decimal


def an_order() -> Order:
    customer = factories.make_customer()
    return Order.objects.create(number="HL-MONEY-1", customer=customer, recipient="王小明",
                                recipient_phone="13800138000", total=D("796.00"), status="delivered")


def rows() -> dict[str, Any]:
    """One row of every append-only table, written directly (the rows are under test, not the actions)."""
    order = an_order()
    courier = make_courier("ems", "EMS", "ems", "A", "12.00", "3.00", [])
    statement = RemittanceStatement.objects.create(courier=courier, number="S-1")
    bill = FreightBill.objects.create(courier=courier, number="F-1")
    now = timezone.now()
    return {
        "payment": Payment.objects.create(order=order, method="cod", amount=D("796.00"), received_at=now),
        "refund": Refund.objects.create(order=order, method="transfer", amount=D("10.00"), refunded_at=now,
                                        reason="damaged box"),
        "settlement": SettlementEntry.objects.create(order=order, kind="settle", amount=D("796.00")),
        "remittance line": RemittanceLine.objects.create(statement=statement, line=1, tracking_number="EA1",
                                                         collected=D("796.00"), fee=D("11.94"), net=D("784.06"),
                                                         outcome="matched"),
        "freight line": FreightBillLine.objects.create(bill=bill, line=1, tracking_number="EA1", billed=D("21.00"),
                                                       outcome="agrees"),
        "daily close": DailyClose.objects.create(day=datetime.date(2026, 12, 1), figures={"orders": {"n": 1}}),
    }


# (name, a field and a new value to try)
CHANGES = [("payment", "amount", D("1.00")), ("refund", "amount", D("1.00")), ("settlement", "amount", D("1.00")),
           ("remittance line", "collected", D("1.00")), ("freight line", "billed", D("1.00")),
           ("daily close", "figures", {"orders": {"n": 2}})]
NAMES = [name for name, _field, _value in CHANGES]


def stored(row: Any) -> dict[str, Any]:
    return type(row).objects.filter(pk=row.pk).values().get()


@pytest.mark.parametrize(("name", "field", "value"), CHANGES)
def test_saving_a_changed_row_is_refused(name: str, field: str, value: Any) -> None:
    row = rows()[name]
    before = stored(row)
    setattr(row, field, value)
    with pytest.raises(MoneyRowError):
        row.save()
    assert stored(row) == before


@pytest.mark.parametrize("name", NAMES)
def test_deleting_a_row_is_refused(name: str) -> None:
    row = rows()[name]
    with pytest.raises(MoneyRowError):
        row.delete()
    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(("name", "field", "value"), CHANGES)
def test_the_queryset_refuses_update_bulk_update_and_delete(name: str, field: str, value: Any) -> None:
    row = rows()[name]
    model = type(row)
    before = stored(row)
    with pytest.raises(MoneyRowError):
        model.objects.filter(pk=row.pk).update(**{field: value})
    setattr(row, field, value)
    # bulk_update runs inside atomic(savepoint=False): a refusal there breaks the surrounding transaction,
    # so the test gives it its own savepoint, as a caller that goes on afterwards would
    with pytest.raises(MoneyRowError), transaction.atomic():
        model.objects.bulk_update([row], [field])
    with pytest.raises(MoneyRowError):
        model.objects.filter(pk=row.pk).delete()
    with pytest.raises(MoneyRowError):
        model.objects.all().delete()
    assert stored(row) == before


def test_an_order_with_money_rows_cannot_be_deleted() -> None:
    made = rows()
    order = made["payment"].order
    with pytest.raises(ProtectedError):
        order.delete()
    assert Payment.objects.filter(order=order).count() == 1


@pytest.mark.parametrize(("name", "field", "value"), CHANGES)
def test_the_database_refuses_an_update_in_raw_sql(name: str, field: str, value: Any) -> None:
    row = rows()[name]
    before = stored(row)
    table = type(row)._meta.db_table
    column = type(row)._meta.get_field(field).column
    raw = '{"changed": true}' if field == "figures" else "1.00"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [raw, row.pk])
    assert stored(row) == before


@pytest.mark.parametrize("name", NAMES)
def test_a_delete_is_refused_by_the_database_or_on_sqlite_by_the_model(name: str) -> None:
    # SQLite keeps DELETE allowed at the database level: Django empties SQLite tables with DELETE between
    # transactional tests (PostgreSQL uses TRUNCATE, which fires no row trigger), so a trigger there would
    # break the test database itself. On SQLite the model (and the queryset, tested above) refuse.
    row = rows()[name]
    if connection.vendor == "sqlite":
        with pytest.raises(MoneyRowError):
            row.delete()
    else:
        table = type(row)._meta.db_table
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])
    assert type(row).objects.filter(pk=row.pk).exists()


def test_a_new_row_is_still_written() -> None:
    """The triggers refuse changes only: inserting (what every action does) works on every table."""
    made = rows()
    assert sorted(made) == sorted(NAMES)
    assert all(row.pk for row in made.values())

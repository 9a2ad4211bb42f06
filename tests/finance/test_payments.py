"""Payments recorded by hand (收款): partial payments add up, a delivered order paid in full is settled,
nothing more than is owed comes in, bad amounts and orders that owe nothing are refused with nothing
written, and a payment recorded by mistake is cancelled by an opposite row (once, and never once settled)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.payments import do_correct_payment, do_record_payment
from hotline.finance.balances import Balance, balance_of
from hotline.finance.models import Payment, Refund, SettlementEntry
from hotline.orders.models import Order, Status
from tests.finance.world import FinanceWorld, build_finance_world
from tests.logistics.world import walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


def money() -> dict[str, Any]:
    """Everything a payment may write; compare before and after a refused one."""
    return {"payments": list(Payment.objects.order_by("pk").values_list("pk", "order_id", "amount")),
            "refunds": Refund.objects.count(), "entries": SettlementEntry.objects.count(),
            "orders": list(Order.objects.order_by("pk").values_list("pk", "status", "settled_amount")),
            "audit": AuditEntry.objects.count()}


def fresh(order: Order) -> Order:
    return Order.objects.get(pk=order.pk)


def test_partial_payments_add_up_to_the_total(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")  # ¥796, not reviewed before it is paid
    do_record_payment(order, method="transfer", amount="300.00", actor=fw.finance, payer="王小明", reference="B1")
    assert balance_of(order) == Balance(charge=D("796.00"), paid=D("300.00"), refunded=D("0"))
    assert (balance_of(order).due, balance_of(order).is_paid) == (D("496.00"), False)

    do_record_payment(order, method="postal", amount="496", actor=fw.finance, reference="汇款 77")

    balance = balance_of(order)
    assert (balance.paid, balance.due, balance.is_paid, balance.refundable) == (D("796.00"), D("0.00"), True, D("0"))
    assert list(Payment.objects.filter(order=order).order_by("pk").values_list("method", "amount", "reference")) == [
        ("transfer", D("300.00"), "B1"), ("postal", D("496.00"), "汇款 77")]
    assert fresh(order).status == Status.ORDERED  # paid, not yet delivered: nothing to settle
    assert SettlementEntry.objects.count() == 0
    assert list(AuditEntry.objects.filter(action="record_payment").values_list("actor_name", flat=True)) == [
        "cashier", "cashier"]


def test_a_payment_stores_who_paid_how_and_when(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    received = datetime.datetime(2026, 12, 1, 10, 30, tzinfo=datetime.UTC)
    payment = do_record_payment(order, method="transfer", amount="¥796.00", actor=fw.finance, payer=" 王小明 ",
                                reference="ICBC-1", received_at=received, note="网银")
    payment = Payment.objects.get(pk=payment.pk)
    assert (payment.payer, payment.method, payment.amount, payment.reference, payment.received_at, payment.note,
            payment.recorded_by, payment.corrects) == (
        "王小明", "transfer", D("796.00"), "ICBC-1", received, "网银", fw.finance, None)


def test_paid_in_full_settles_a_delivered_order_with_one_exact_entry(fw: FinanceWorld) -> None:
    order = fw.delivered(fw.w.ems).order  # COD ¥796
    do_record_payment(order, method="cod", amount="500.00", actor=fw.finance)
    assert (fresh(order).status, SettlementEntry.objects.count()) == (Status.DELIVERED, 0)

    do_record_payment(order, method="cod", amount="296.00", actor=fw.finance)

    order = fresh(order)
    assert (order.status, order.settled_amount) == (Status.SETTLED, D("796.00"))
    assert list(SettlementEntry.objects.values_list("order_id", "kind", "amount", "recorded_by", "statement")) == [
        (order.pk, "settle", D("796.00"), fw.finance.pk, None)]
    assert balance_of(order).due == D("0.00")


def test_more_than_is_owed_is_refused_and_nothing_is_written(fw: FinanceWorld) -> None:
    order = fw.delivered(fw.w.zto).order
    do_record_payment(order, method="cod", amount="500.00", actor=fw.finance)
    before = money()

    with pytest.raises(ValidationError) as refused:
        do_record_payment(order, method="cod", amount="296.01", actor=fw.finance)

    assert refused.value.message_dict == {"amount": [f"Order {order.number} owes only ¥296.00."]}
    assert money() == before


def test_a_paid_order_owes_nothing_more(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="card")
    do_record_payment(order, method="card", amount="796.00", actor=fw.finance)
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_record_payment(order, method="card", amount="0.01", actor=fw.finance)
    assert refused.value.message_dict == {"amount": [f"Order {order.number} owes only ¥0.00."]}
    assert money() == before


def test_a_cancelled_order_takes_no_payment(fw: FinanceWorld) -> None:
    order = walk(fw.w.place(payment_method="transfer"), Status.CANCELLED)
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_record_payment(order, method="transfer", amount="796.00", actor=fw.finance)
    assert refused.value.messages == [f"Order {order.number} is Cancelled: nothing is owed for it."]
    assert money() == before


def test_a_returned_order_takes_no_payment(fw: FinanceWorld) -> None:
    from hotline.logistics.actions import ReturnedGoods, do_receive_return

    order = fw.refused(fw.w.zto).order
    line = order.lines.get()
    do_receive_return(order, [ReturnedGoods(line.pk, 2, "good")], actor=fw.w.clerk)
    assert fresh(order).status == Status.RETURNED
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_record_payment(order, method="cod", amount="796.00", actor=fw.finance)
    assert refused.value.messages == [f"Order {order.number} is Returned: nothing is owed for it."]
    assert money() == before


def test_a_refused_order_takes_no_payment(fw: FinanceWorld) -> None:
    order = fw.refused(fw.w.ems).order
    before = money()
    with pytest.raises(ValidationError):
        do_record_payment(order, method="cod", amount="1.00", actor=fw.finance)
    assert money() == before


@pytest.mark.parametrize(("amount", "message"), [
    ("abc", "“abc” is not an amount of money."),
    ("", "“” is not an amount of money."),
    ("12,34.5.6", "“12,34.5.6” is not an amount of money."),
    ("NaN", "“NaN” is not an amount of money."),
    ("-5.00", "The amount must be more than zero."),
    ("0", "The amount must be more than zero."),
    ("0.00", "The amount must be more than zero."),
    ("12.345", "At most two decimal places (fen)."),
    ("0.001", "At most two decimal places (fen)."),
    ("10000000000.00", "The amount is too large."),
    ("1e30", "The amount is too large."),
])
def test_a_bad_amount_is_refused_and_nothing_is_written(fw: FinanceWorld, amount: str, message: str) -> None:
    order = fw.w.place(payment_method="transfer")
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_record_payment(order, method="transfer", amount=amount, actor=fw.finance)
    assert refused.value.message_dict == {"amount": [message]}
    assert money() == before


def test_an_unknown_method_and_a_future_time_are_refused(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_record_payment(order, method="bitcoin", amount="1.00", actor=fw.finance)
    assert refused.value.message_dict == {"method": ["Unknown payment method “bitcoin”."]}
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        do_record_payment(order, method="transfer", amount="1.00", actor=fw.finance, received_at=tomorrow)
    assert refused.value.message_dict == {"received_at": ["The time is in the future."]}
    assert money() == before


@pytest.mark.parametrize("role", ["agent", "logistics", "manager"])
def test_only_finance_records_payments(fw: FinanceWorld, users: dict[str, Any], role: str) -> None:
    order = fw.w.place(payment_method="transfer")
    before = money()
    with pytest.raises(PermissionDenied):
        do_record_payment(order, method="transfer", amount="796.00", actor=users[role])
    assert money() == before


# ---------------------------------------------------------------- corrections

def test_a_correction_is_an_opposite_row_and_the_first_stays(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    first = do_record_payment(order, method="transfer", amount="300.00", actor=fw.finance, payer="王", reference="R9")

    correction = do_correct_payment(first, reason="recorded on the wrong order", actor=fw.finance)

    rows = list(Payment.objects.filter(order=order).order_by("pk").values_list(
        "pk", "amount", "method", "payer", "reference", "corrects", "note", "recorded_by"))
    assert rows == [(first.pk, D("300.00"), "transfer", "王", "R9", None, "", fw.finance.pk),
                    (correction.pk, D("-300.00"), "transfer", "王", "R9", first.pk, "recorded on the wrong order",
                     fw.finance.pk)]
    assert balance_of(order) == Balance(charge=D("796.00"), paid=D("0.00"), refunded=D("0"))
    assert AuditEntry.objects.filter(action="correct_payment", object_id=str(correction.pk)).count() == 1
    # the money can come in again, all of it
    do_record_payment(order, method="transfer", amount="796.00", actor=fw.finance)
    assert balance_of(order).is_paid


def test_a_payment_is_corrected_once_and_a_correction_never(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    first = do_record_payment(order, method="transfer", amount="300.00", actor=fw.finance)
    correction = do_correct_payment(first, reason="typo", actor=fw.finance)
    before = money()

    for row in (first, correction):
        with pytest.raises(ValidationError) as refused:
            do_correct_payment(row, reason="again", actor=fw.finance)
        assert refused.value.messages == ["This payment was corrected already."]
    assert money() == before


def test_a_correction_needs_a_reason(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    first = do_record_payment(order, method="transfer", amount="300.00", actor=fw.finance)
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_correct_payment(first, reason="   ", actor=fw.finance)
    assert refused.value.message_dict == {"reason": ["Give a reason for this change."]}
    assert money() == before


def test_a_settled_orders_payment_cannot_be_corrected(fw: FinanceWorld) -> None:
    order = fw.delivered(fw.w.zto).order
    payment = do_record_payment(order, method="cod", amount="796.00", actor=fw.finance)
    assert fresh(order).status == Status.SETTLED
    before = money()

    with pytest.raises(ValidationError) as refused:
        do_correct_payment(payment, reason="wrong", actor=fw.finance)

    assert refused.value.messages == [f"Order {order.number} is settled: its payments can no longer be corrected."]
    assert money() == before


def test_a_refunded_payment_cannot_be_corrected_before_its_refund(fw: FinanceWorld) -> None:
    from hotline.finance.actions.payments import do_record_refund

    order = fw.w.place(payment_method="transfer")
    payment = do_record_payment(order, method="transfer", amount="796.00", actor=fw.finance)
    walk(order, Status.CANCELLED, actor=fw.w.clerk)
    do_record_refund(order, method="transfer", amount="796.00", reason="cancelled", actor=fw.finance)
    before = money()

    with pytest.raises(ValidationError) as refused:
        do_correct_payment(payment, reason="wrong", actor=fw.finance)

    assert refused.value.messages == [f"¥796.00 was refunded for order {order.number}: correct the refund first."]
    assert money() == before

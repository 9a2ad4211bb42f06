"""Refunds (退款) and the settlement reversal: a settled order that comes back gets an opposite settlement
entry (the first one is never edited), and the customer's money goes back in refunds that never exceed what
was kept beyond the charge."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hotline.accounts.models import AuditEntry
from hotline.finance.actions.payments import do_correct_refund, do_record_payment, do_record_refund
from hotline.finance.balances import Balance, balance_of
from hotline.finance.models import Payment, Refund, SettlementEntry
from hotline.logistics.actions import ReturnedGoods, do_receive_return
from hotline.orders.models import Order, Status
from tests.finance.world import FinanceWorld, build_finance_world
from tests.logistics.world import walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal


@pytest.fixture
def fw() -> FinanceWorld:
    return build_finance_world()


def money() -> dict[str, Any]:
    return {"payments": Payment.objects.count(), "entries": SettlementEntry.objects.count(),
            "refunds": list(Refund.objects.order_by("pk").values_list("pk", "amount")),
            "audit": AuditEntry.objects.count()}


def entries(order: Order) -> list[tuple[Any, ...]]:
    return list(SettlementEntry.objects.filter(order=order).order_by("pk").values_list(
        "pk", "kind", "amount", "recorded_by", "recorded_at"))


def settled_and_returned(fw: FinanceWorld) -> Order:
    """A COD order delivered, paid in full (so settled), then its goods received back."""
    order = fw.delivered(fw.w.zto).order
    do_record_payment(order, method="cod", amount="796.00", actor=fw.finance)
    order = Order.objects.get(pk=order.pk)
    assert order.status == Status.SETTLED
    do_receive_return(order, [ReturnedGoods(order.lines.get().pk, 2, "good")], actor=fw.w.clerk)
    return Order.objects.get(pk=order.pk)


def test_a_settled_order_returned_is_reversed_by_a_new_entry(fw: FinanceWorld) -> None:
    order = fw.delivered(fw.w.zto).order
    do_record_payment(order, method="cod", amount="796.00", actor=fw.finance)
    [first] = entries(order)

    do_receive_return(Order.objects.get(pk=order.pk), [ReturnedGoods(order.lines.get().pk, 2, "good")],
                      actor=fw.w.clerk)

    order = Order.objects.get(pk=order.pk)
    assert order.status == Status.RETURNED
    after = entries(order)
    assert after[0] == first  # the first entry is untouched
    assert [(kind, amount, by) for _pk, kind, amount, by, _at in after] == [
        ("settle", D("796.00"), fw.finance.pk), ("reverse", D("-796.00"), fw.w.clerk.pk)]
    assert sum(amount for _pk, _kind, amount, _by, _at in after) == D("0.00")
    # the order keeps its first settlement's figures; the entries say what happened since
    assert order.settled_amount == D("796.00")
    assert balance_of(order) == Balance(charge=D("0"), paid=D("796.00"), refunded=D("0"))
    assert (balance_of(order).due, balance_of(order).refundable) == (D("-796.00"), D("796.00"))


def test_the_refund_of_a_returned_order_is_at_most_what_was_paid(fw: FinanceWorld) -> None:
    order = settled_and_returned(fw)
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_record_refund(order, method="transfer", amount="796.01", reason="returned", actor=fw.finance)
    assert refused.value.message_dict == {"amount": [f"At most ¥796.00 can be refunded for order {order.number}."]}
    assert money() == before

    do_record_refund(order, method="transfer", amount="500.00", reason="returned", actor=fw.finance,
                     reference="退款-1")
    assert (balance_of(order).refunded, balance_of(order).refundable) == (D("500.00"), D("296.00"))
    do_record_refund(order, method="postal", amount="296.00", reason="returned, the rest", actor=fw.finance)

    balance = balance_of(order)
    assert (balance.charge, balance.paid, balance.refunded, balance.received, balance.due, balance.refundable) == (
        D("0"), D("796.00"), D("796.00"), D("0.00"), D("0.00"), D("0"))
    assert list(Refund.objects.filter(order=order).order_by("pk").values_list(
        "method", "amount", "reason", "reference", "recorded_by")) == [
        ("transfer", D("500.00"), "returned", "退款-1", fw.finance.pk),
        ("postal", D("296.00"), "returned, the rest", "", fw.finance.pk)]
    assert AuditEntry.objects.filter(action="record_refund").count() == 2
    # and nothing more
    with pytest.raises(ValidationError) as refused:
        do_record_refund(order, method="transfer", amount="0.01", reason="again", actor=fw.finance)
    assert refused.value.messages == [f"Nothing is to be refunded for order {order.number}."]


def test_a_cancelled_prepaid_order_is_refunded(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    do_record_payment(order, method="transfer", amount="796.00", actor=fw.finance)
    order = walk(order, Status.CANCELLED)
    assert balance_of(order).refundable == D("796.00")
    do_record_refund(order, method="transfer", amount="796.00", reason="customer cancelled", actor=fw.finance)
    assert balance_of(order) == Balance(charge=D("0"), paid=D("796.00"), refunded=D("796.00"))
    assert SettlementEntry.objects.count() == 0


def test_nothing_is_refunded_on_an_order_that_keeps_its_money(fw: FinanceWorld) -> None:
    order = fw.w.place(payment_method="transfer")
    do_record_payment(order, method="transfer", amount="796.00", actor=fw.finance)
    before = money()
    with pytest.raises(ValidationError) as refused:
        do_record_refund(order, method="transfer", amount="10.00", reason="goodwill", actor=fw.finance)
    assert refused.value.messages == [f"Nothing is to be refunded for order {order.number}."]
    assert money() == before


@pytest.mark.parametrize(("fields", "errors"), [
    ({"amount": "abc"}, {"amount": ["“abc” is not an amount of money."]}),
    ({"amount": "-1"}, {"amount": ["The amount must be more than zero."]}),
    ({"amount": "1.005"}, {"amount": ["At most two decimal places (fen)."]}),
    ({"reason": " "}, {"reason": ["Give a reason for this change."]}),
    ({"method": "gold"}, {"method": ["Unknown payment method “gold”."]}),
])
def test_a_bad_refund_is_refused_and_nothing_is_written(fw: FinanceWorld, fields: dict[str, str],
                                                        errors: dict[str, list[str]]) -> None:
    order = settled_and_returned(fw)
    before = money()
    given: dict[str, Any] = {"method": "transfer", "amount": "100.00", "reason": "returned", **fields}
    with pytest.raises(ValidationError) as refused:
        do_record_refund(order, actor=fw.finance, **given)
    assert refused.value.message_dict == errors
    assert money() == before


def test_only_finance_refunds(fw: FinanceWorld, users: dict[str, Any]) -> None:
    order = settled_and_returned(fw)
    before = money()
    for role in ("agent", "logistics", "manager"):
        with pytest.raises(PermissionDenied):
            do_record_refund(order, method="transfer", amount="1.00", reason="x", actor=users[role])
    assert money() == before


def test_a_refund_is_corrected_by_an_opposite_row_once(fw: FinanceWorld) -> None:
    order = settled_and_returned(fw)
    refund = do_record_refund(order, method="transfer", amount="796.00", reason="returned", actor=fw.finance,
                              reference="R1")

    correction = do_correct_refund(refund, reason="the bank sent it back", actor=fw.finance)

    assert list(Refund.objects.filter(order=order).order_by("pk").values_list(
        "amount", "method", "reference", "reason", "corrects")) == [
        (D("796.00"), "transfer", "R1", "returned", None),
        (D("-796.00"), "transfer", "R1", "the bank sent it back", refund.pk)]
    assert (balance_of(order).refunded, balance_of(order).refundable) == (D("0.00"), D("796.00"))
    before = money()
    for row in (refund, correction):
        with pytest.raises(ValidationError) as refused:
            do_correct_refund(row, reason="again", actor=fw.finance)
        assert refused.value.messages == ["This refund was corrected already."]
    assert money() == before

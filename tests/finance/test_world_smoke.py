"""The finance world builds delivered parcels through the real actions."""

from decimal import Decimal

import pytest

from hotline.finance.actions.payments import do_record_payment
from hotline.finance.balances import balance_of
from hotline.orders.models import Order, Status
from tests.finance.world import build_finance_world

pytestmark = pytest.mark.django_db


def test_a_delivered_cod_parcel_paid_in_full_is_settled_with_one_entry():
    fw = build_finance_world()
    parcel = fw.delivered(fw.w.zto)
    assert (parcel.courier_id, parcel.cod_due, parcel.cod_fee, parcel.freight) == (
        fw.w.zto.pk, Decimal("796.00"), Decimal("7.96"), Decimal("16.00"))
    do_record_payment(parcel.order, method="transfer", amount="796.00", actor=fw.finance)
    order = Order.objects.get(pk=parcel.order_id)
    assert (order.status, order.settled_amount) == (Status.SETTLED, Decimal("796.00"))
    assert [(e.kind, e.amount) for e in order.settlement_entries.all()] == [("settle", Decimal("796.00"))]
    assert balance_of(order).due == Decimal("0.00")

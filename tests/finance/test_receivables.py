"""Receivables by courier: which parcels count, their age buckets, what they still owe, the trend and the
Excel file (hotline.finance.receivables)."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from hotline.finance.actions.payments import do_correct_payment, do_record_payment
from hotline.finance.models import DailyClose
from hotline.finance.receivables import (
    BUCKET_KEYS,
    outstanding_figure,
    receivable_rows,
    receivables,
    receivables_trend,
    receivables_workbook,
)
from hotline.logistics.actions.events import do_record_shipment_event
from hotline.logistics.actions.returns import ReturnedGoods, do_receive_return
from hotline.logistics.models import EventKind, EventSource, Shipment
from hotline.orders.models import Order
from tests import factories
from tests.finance.world import build_finance_world

pytestmark = pytest.mark.django_db

D = Decimal
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
AS_OF = datetime.date(2026, 12, 1)


def local(days_before: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A Shanghai time `days_before` days before AS_OF."""
    day = AS_OF - datetime.timedelta(days=days_before)
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def amounts(row):
    return [figure.amount for figure in row.buckets]


def counts(row):
    return [figure.count for figure in row.buckets]


@pytest.fixture
def fw():
    return build_finance_world()


def test_a_parcel_falls_in_the_bucket_of_its_whole_days_since_the_local_delivery_date(fw):
    # given ZTO parcels (¥796 each) delivered on each side of every bucket boundary; 00:01 in Shanghai is
    # the day before in UTC, and 23:59 the same day
    ages = [(0, 23, 59), (7, 0, 1), (8, 23, 59), (15, 0, 1), (16, 23, 59), (30, 0, 1), (31, 23, 59),
            (60, 0, 1), (61, 23, 59)]
    for days, hour, minute in ages:
        fw.delivered(fw.w.zto, at=local(days, hour, minute))
    fw.delivered(fw.w.zto, at=local(-1, 0, 0))  # the day after: not a receivable yet on AS_OF
    # when
    figures = receivables(AS_OF)
    # then
    [zto] = figures.rows
    assert (zto.courier, zto.count, zto.total) == ("ZTO", 9, D("7164.00"))
    assert counts(zto) == [2, 2, 2, 2, 1]
    assert amounts(zto) == [D("1592.00"), D("1592.00"), D("1592.00"), D("1592.00"), D("796.00")]
    assert [row.days for row in receivable_rows(as_of=AS_OF)] == [61, 60, 31, 30, 16, 15, 8, 7, 0]
    assert {key: [row.days for row in receivable_rows(bucket=key, as_of=AS_OF)] for key in BUCKET_KEYS} == {
        "0-7": [7, 0], "8-15": [15, 8], "16-30": [30, 16], "31-60": [60, 31], "61+": [61]}


def test_a_day_later_every_parcel_is_a_day_older(fw):
    # given a parcel delivered 7 days before AS_OF
    fw.delivered(fw.w.zto, at=local(7, 12))
    # when / then: 7 days old on AS_OF, 8 the day after
    assert counts(receivables(AS_OF).total) == [1, 0, 0, 0, 0]
    assert counts(receivables(AS_OF + datetime.timedelta(days=1)).total) == [0, 1, 0, 0, 0]


def test_partial_payments_and_their_corrections_change_what_is_outstanding(fw):
    # given a delivered parcel of ¥796 with ¥300.01 remitted of it
    parcel = fw.delivered(fw.w.zto, at=local(3, 10))
    payment = do_record_payment(parcel.order, method="cod", amount="300.01", actor=fw.finance)
    # then ¥495.99 is outstanding
    assert amounts(receivables(AS_OF).total) == [D("495.99"), 0, 0, 0, 0]
    [row] = receivable_rows(as_of=AS_OF)
    assert (row.order_number, row.due, row.paid, row.outstanding, row.days) == (
        parcel.order.number, D("796.00"), D("300.01"), D("495.99"), 3)
    # when the payment is corrected (a negative row), the whole ¥796 is outstanding again
    do_correct_payment(payment, reason="wrong order", actor=fw.finance)
    assert receivables(AS_OF).total.total == D("796.00")
    # when the rest is paid, the order is settled and owes nothing
    do_record_payment(parcel.order, method="cod", amount="796.00", actor=fw.finance)
    assert (receivables(AS_OF).rows, receivables(AS_OF).total.total) == ([], D("0.00"))


def test_settled_returned_refused_undelivered_and_prepaid_orders_are_not_receivables(fw):
    # given one receivable EMS parcel of ¥796 and, around it, parcels that are not receivables
    w = fw.w
    receivable = fw.delivered(w.ems, at=local(1, 9))
    settled = fw.delivered(w.zto, at=local(1, 9))
    do_record_payment(settled.order, method="cod", amount="796.00", actor=fw.finance)
    returned = fw.delivered(w.zto, at=local(1, 9))
    line = returned.order.lines.get()
    do_receive_return(returned.order, [ReturnedGoods(line.pk, 2, "good")], actor=w.clerk)
    fw.refused(w.zto, at=local(1, 9))
    fw.shipped(w.zto)
    prepaid = w.place(payment_method="transfer")  # paid before review, as review requires: nothing to collect
    do_record_payment(prepaid, method="transfer", amount="796.00", actor=fw.finance)
    do_record_shipment_event(w.ship(prepaid), EventKind.DELIVERED, local(1, 9), source=EventSource.MANUAL,
                             actor=w.clerk)
    # when
    figures = receivables(AS_OF)
    # then only the EMS parcel counts
    assert Order.objects.get(pk=returned.order_id).status == "returned"
    assert Shipment.objects.get(order=prepaid).status == "delivered"
    assert [(row.courier, row.count, row.total) for row in figures.rows] == [("EMS", 1, D("796.00"))]
    assert [row.order_number for row in receivable_rows(as_of=AS_OF)] == [receivable.order.number]


def test_each_courier_and_the_total_add_up_to_the_fen(fw):
    # given parcels of ¥99, ¥398 and ¥796 at three couriers, some partly remitted
    w = fw.w
    fw.delivered(w.ems, (w.kneepad, 1), at=local(2, 8))  # ¥99.00, 0–7
    ems_old = fw.delivered(w.ems, (w.massager, 1), at=local(40, 8))  # ¥398.00, 31–60
    do_record_payment(ems_old.order, method="cod", amount="0.01", actor=fw.finance)  # ¥397.99 left
    fw.delivered(w.sf, at=local(10, 8))  # ¥796.00, 8–15
    sf_partial = fw.delivered(w.sf, (w.kneepad, 1), at=local(10, 20))  # ¥99.00, 8–15
    do_record_payment(sf_partial.order, method="transfer", amount="33.33", actor=fw.finance)  # ¥65.67 left
    zto = fw.delivered(w.zto, (w.kneepad, 3), at=local(90, 8))  # ¥297.00, over 60
    do_record_payment(zto.order, method="cod", amount="296.99", actor=fw.finance)  # ¥0.01 left
    # when
    figures = receivables(AS_OF)
    # then largest first, each bucket to the fen, and the total row is their sum
    assert [(row.courier, row.count, amounts(row), row.total) for row in figures.rows] == [
        ("SF", 2, [0, D("861.67"), 0, 0, 0], D("861.67")),
        ("EMS", 2, [D("99.00"), 0, 0, D("397.99"), 0], D("496.99")),
        ("ZTO", 1, [0, 0, 0, 0, D("0.01")], D("0.01"))]
    assert (figures.total.courier_id, figures.total.count, counts(figures.total), amounts(figures.total)) == (
        None, 5, [1, 2, 0, 1, 1], [D("99.00"), D("861.67"), D("0.00"), D("397.99"), D("0.01")])
    assert figures.total.total == D("1358.67")
    # and the drill-down's rows add up to the same figures
    rows = list(receivable_rows(as_of=AS_OF))
    assert sum(row.outstanding for row in rows) == D("1358.67")
    assert [row.outstanding for row in receivable_rows(w.sf, "8-15", AS_OF)] == [D("796.00"), D("65.67")]
    assert [row.outstanding for row in receivable_rows(w.ems.pk, None, AS_OF)] == [D("397.99"), D("99.00")]
    # and the daily close can store them as they are
    assert outstanding_figure(figures) == {
        "count": 5, "amount": "1358.67",
        "by_courier": {"sf": {"count": 2, "amount": "861.67"}, "ems": {"count": 2, "amount": "496.99"},
                       "zto": {"count": 1, "amount": "0.01"}},
        "buckets": {"0-7": {"count": 1, "amount": "99.00"}, "8-15": {"count": 2, "amount": "861.67"},
                    "16-30": {"count": 0, "amount": "0.00"}, "31-60": {"count": 1, "amount": "397.99"},
                    "61+": {"count": 1, "amount": "0.01"}}}


def test_an_unknown_age_bucket_is_refused():
    with pytest.raises(ValueError, match="unknown age bucket"):
        receivable_rows(bucket="90+", as_of=AS_OF)


def test_the_trend_reads_the_stored_closes_and_ends_with_today_live(fw):
    # given closes for three of the last five days, in the shapes a close may store, and one receivable now
    w = fw.w
    fw.delivered(w.ems, at=timezone.now() - datetime.timedelta(days=1))
    today = timezone.localdate()
    day = lambda n: today - datetime.timedelta(days=n)  # noqa: E731
    DailyClose.objects.create(day=day(4), figures={"outstanding": {
        "amount": "1000.10", "by_courier": {"ems": {"amount": "600.05"}, str(w.zto.pk): "400.05"}}})
    DailyClose.objects.create(day=day(3), figures={"shipped": {"count": 2}})  # no outstanding figure
    DailyClose.objects.create(day=day(1), figures={"outstanding": {"amount": 12.5, "by_courier": {"gone": "x"}}})
    DailyClose.objects.create(day=day(9), figures={"outstanding": {"amount": "9.99"}})  # before the window
    # when
    trend = receivables_trend(5)
    # then
    assert [(p.day, p.amount, p.by_courier, p.live) for p in trend] == [
        (day(4), D("1000.10"), {"EMS": D("600.05"), "ZTO": D("400.05")}, False),
        (day(3), None, {}, False),
        (day(2), None, {}, False),
        (day(1), D("12.50"), {}, False),
        (today, D("796.00"), {"EMS": D("796.00")}, True)]


def test_the_excel_file_says_how_many_parcels_it_left_out(fw):
    # given three receivable parcels, a customer whose name looks like a formula
    w = fw.w
    sly = factories.make_customer("=HYPERLINK(\"http://x\")", phone="13900139000")
    fw.delivered(w.ems, at=local(5, 8), customer=sly)
    fw.delivered(w.ems, at=local(4, 8))
    fw.delivered(w.zto, at=local(3, 8))
    # when the file may hold one parcel
    with translation.override("en"):
        data = receivables_workbook(receivables(AS_OF), receivable_rows(as_of=AS_OF), limit=1)
    # then
    summary, parcels = load_workbook(io.BytesIO(data)).worksheets
    assert summary.title == "Receivables" and parcels.title == "Parcels"
    lines = [list(row) for row in parcels.iter_rows(values_only=True)]
    assert len(lines) == 3
    assert (lines[1][1], lines[1][5], lines[1][8]) == ('=HYPERLINK("http://x")', 5, 796)
    assert parcels.cell(row=2, column=2).data_type == "s"
    assert lines[2][0] == "2 more parcels not written: export one courier or one age at a time."

"""Loading the parcels a remittance statement names, against the database: parcels of every courier, by
tracking number and by order number, which were remitted or settled before, in a few queries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from hotline.finance.actions.payments import do_record_payment
from hotline.finance.matching import FeeRule, Parcel, match_statement
from hotline.finance.models import Payment, RemittanceLine, RemittanceStatement
from hotline.finance.statement_file import StatementLine
from hotline.finance.statement_parcels import fee_rule, load_parcels, normal_tracking
from hotline.logistics.actions.events import do_record_shipment_event
from hotline.logistics.models import EventKind, EventSource, Shipment
from tests.finance.world import FinanceWorld, build_finance_world
from tests.logistics.world import T0, at, parcel

D = Decimal
pytestmark = pytest.mark.django_db


def line(number: int, tracking: str, collected: str = "796.00", order: str = "", fee: str = "11.94") -> StatementLine:
    return StatementLine(line=number, tracking_number=tracking, order_number=order, collected=D(collected),
                         fee=D(fee), net=D(collected) - D(fee))


def remitted_before(fw: FinanceWorld, shipment: Shipment, amount: str) -> Payment:
    """A COD payment from an earlier statement's line (as the remittance apply writes it)."""
    statement = RemittanceStatement.objects.create(courier=shipment.courier, number=f"OLD-{shipment.pk}")
    remittance = RemittanceLine.objects.create(
        statement=statement, line=2, tracking_number=shipment.tracking_number or "", collected=D(amount),
        net=D(amount), outcome="short", shipment=shipment, order=shipment.order)
    return Payment.objects.create(order=shipment.order, method="cod", amount=D(amount), received_at=T0,
                                  remittance_line=remittance, recorded_by=fw.finance)


def as_parcel(shipment: Shipment, paid: str = "0.00") -> Parcel:
    shipment = Shipment.objects.select_related("order").get(pk=shipment.pk)
    return Parcel(shipment_id=shipment.pk, order_id=shipment.order_id, order_number=shipment.order.number,
                  tracking_number=shipment.tracking_number or "", courier_id=shipment.courier_id,
                  status=shipment.status, order_status=shipment.order.status, cod_due=shipment.cod_due,
                  delivered=shipment.delivered_at is not None, paid=D(paid))


def corrected(fw: FinanceWorld, payment: Payment) -> Payment:
    """The opposite row that cancels a payment (as a correction is written)."""
    return Payment.objects.create(order=payment.order, method=payment.method, amount=-payment.amount,
                                  received_at=T0, corrects=payment, note="wrong parcel", recorded_by=fw.finance)


def test_parcels_of_every_courier_by_tracking_and_by_order_number_and_which_were_remitted(
        django_assert_num_queries):
    # given EMS parcels delivered, refused, shipped, settled by transfer, remitted in full, part-remitted
    # (a top-up may come), remitted then corrected, and a ZTO parcel
    fw = build_finance_world()
    ems, zto = fw.w.ems, fw.w.zto
    delivered, refused, shipped = fw.delivered(ems), fw.refused(ems), fw.shipped(ems)
    by_order = fw.delivered(ems)
    settled = fw.delivered(ems)
    do_record_payment(settled.order, method="transfer", amount="796.00", actor=fw.finance)
    full = fw.delivered(ems)
    remitted_before(fw, full, "796.00")
    part_remitted = fw.delivered(ems)
    remitted_before(fw, part_remitted, "700.00")
    undone = fw.delivered(ems)
    corrected(fw, remitted_before(fw, undone, "700.00"))
    other = fw.delivered(zto)
    lines = [line(2, delivered.tracking_number.lower()), line(3, f" {refused.tracking_number} "),
             line(4, shipped.tracking_number, order="HL-NOT-LOOKED-UP"), line(5, "", order=by_order.order.number),
             line(6, settled.tracking_number), line(7, part_remitted.tracking_number),
             line(8, undone.tracking_number), line(9, other.tracking_number),
             line(10, "XX404404404", order="HL20990101-000001"), line(11, full.tracking_number)]
    # when
    with django_assert_num_queries(3):  # by tracking number, by order number, COD payments
        by_tracking, orders, remitted = load_parcels(lines, ems)
    # then each parcel has its COD payments so far (net of corrections; a transfer is not COD)
    found = [delivered, refused, shipped, settled, undone, other]
    assert by_tracking == {**{s.tracking_number: as_parcel(s) for s in found},
                           part_remitted.tracking_number: as_parcel(part_remitted, "700.00"),
                           full.tracking_number: as_parcel(full, "796.00")}
    assert orders == {by_order.order.number: as_parcel(by_order)}
    # and the settled and the fully paid are remitted; the part-paid one is not: its rest may come later
    assert remitted == {settled.pk, full.pk}
    assert (by_tracking[delivered.tracking_number].delivered, by_tracking[delivered.tracking_number].cod_due,
            by_tracking[refused.tracking_number].status, by_tracking[refused.tracking_number].order_status,
            by_tracking[settled.tracking_number].order_status, by_tracking[other.tracking_number].courier_id) == (
        True, D("796.00"), "refused", "refused", "settled", zto.pk)


def test_an_order_number_stands_for_the_orders_live_parcel():
    # given a refused parcel that came back, a new parcel sent out, and a newer one cancelled
    fw = build_finance_world()
    first = fw.refused(fw.w.ems)
    do_record_shipment_event(first, EventKind.RETURNED, at(60), source=EventSource.MANUAL, actor=fw.w.clerk)
    again = parcel(first.order, fw.w.ems, status="delivered", tracking="EA900000001CN", cod_due=D("796.00"),
                   delivered_at=at(120))
    parcel(first.order, fw.w.zto, status="cancelled", tracking="ZT900000002")
    # when
    _by_tracking, orders, remitted = load_parcels([line(2, "", order=first.order.number)], fw.w.ems)
    # then
    assert (orders[first.order.number].shipment_id, orders[first.order.number].delivered, remitted) == (
        again.pk, True, set())


def test_an_order_whose_only_parcel_was_cancelled_still_has_it():
    fw = build_finance_world()
    order = fw.w.place()
    cancelled = parcel(order, fw.w.ems, status="cancelled", tracking="EA900000003CN")
    _by_tracking, orders, _remitted = load_parcels([line(2, "", order=order.number)], fw.w.ems)
    assert orders[order.number].shipment_id == cancelled.pk


def test_numbers_are_looked_up_in_chunks_of_5000(django_assert_num_queries):
    # given 10,001 tracking numbers and 5,001 order numbers that name nothing
    fw = build_finance_world()
    lines = [line(n, f"EA{n:09d}CN") for n in range(10_001)]
    lines += [line(n, "", order=f"HL20990101-{n:06d}") for n in range(5_001)]
    # when / then: 3 queries by tracking number, 2 by order number, none for payments
    with django_assert_num_queries(5):
        by_tracking, orders, remitted = load_parcels(lines, fw.w.ems)
    assert (by_tracking, orders, remitted) == ({}, {}, set())


def test_nothing_to_look_up_is_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert load_parcels([], None) == ({}, {}, set())


def test_the_fee_rule_is_the_couriers_cod_terms():
    fw = build_finance_world()
    assert (fee_rule(fw.w.ems), fee_rule(fw.w.zto)) == (FeeRule(D("1.50"), D("5.00")), FeeRule(D("1.00"), D("2.00")))


def test_tracking_numbers_are_normalised_like_the_scanner_does():
    assert normal_tracking(" ea 123 456 cn\t") == "EA123456CN"
    assert normal_tracking("ＥＡ１２３４５６ＣＮ") == "EA123456CN"


def test_a_statement_matched_against_the_database():
    # given EMS parcels in every state, a ZTO parcel, and EMS's statement naming them
    fw = build_finance_world()
    ems = fw.w.ems
    paid, short, refused, shipped = fw.delivered(ems), fw.delivered(ems), fw.refused(ems), fw.shipped(ems)
    returned = fw.refused(ems)
    do_record_shipment_event(returned, EventKind.RETURNED, T0 + datetime.timedelta(days=3),
                             source=EventSource.MANUAL, actor=fw.w.clerk)
    settled = fw.delivered(ems)
    do_record_payment(settled.order, method="transfer", amount="796.00", actor=fw.finance)
    other = fw.delivered(fw.w.zto)
    lines = [line(2, paid.tracking_number), line(3, short.tracking_number, "790.00", fee="11.85"),
             line(4, refused.tracking_number), line(5, shipped.tracking_number), line(6, returned.tracking_number),
             line(7, settled.tracking_number), line(8, other.tracking_number), line(9, paid.tracking_number),
             line(10, "XX404404404")]
    # when
    by_tracking, orders, remitted = load_parcels(lines, ems)
    report = match_statement(lines, by_tracking, orders, remitted, ems.pk, fee_rule(ems), None, D("7050.00"))
    # then
    assert [(m.line.line, m.outcome, m.difference, m.fee_ok) for m in report.matches] == [
        (2, "matched", D("0.00"), True), (3, "short", D("-6.00"), True), (4, "refused", D("0.00"), True),
        (5, "undelivered", D("0.00"), True), (6, "refused", D("0.00"), True), (7, "remitted", D("0.00"), True),
        (8, "unknown", D("0"), True), (9, "duplicate", D("0.00"), True), (10, "unknown", D("0"), True)]
    assert report.matches[6].other_parcel == as_parcel(other)
    assert (report.net_total, report.bank_difference, report.wrong_courier_id) == (
        D("7050.63"), D("-0.63"), None)  # 8 × (796 − 11.94) + (790 − 11.85)


def test_a_top_up_is_matched_against_what_is_still_due():
    # given three EMS parcels of ¥796.00 an earlier statement paid ¥700.00 of each
    fw = build_finance_world()
    ems = fw.w.ems
    exact, still_short, over = fw.delivered(ems), fw.delivered(ems), fw.delivered(ems)
    for shipment in (exact, still_short, over):
        remitted_before(fw, shipment, "700.00")
    lines = [line(2, exact.tracking_number, "96.00", fee="5.00"),
             line(3, still_short.tracking_number, "90.00", fee="5.00"),
             line(4, over.tracking_number, "100.00", fee="5.00")]
    # when a later statement pays the rest
    by_tracking, orders, remitted = load_parcels(lines, ems)
    report = match_statement(lines, by_tracking, orders, remitted, ems.pk, fee_rule(ems))
    # then each line is set against the ¥96.00 still due (the fee is the ¥5.00 minimum on what it collected)
    assert remitted == set()
    assert [(m.outcome, m.expected, m.difference, m.fee_ok) for m in report.matches] == [
        ("matched", D("96.00"), D("0.00"), True), ("short", D("96.00"), D("-6.00"), True),
        ("over", D("96.00"), D("4.00"), True)]

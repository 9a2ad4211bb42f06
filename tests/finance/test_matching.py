"""Matching a remittance statement's lines to parcels: a pure function, tested with parcels made by hand.

The statement is EMS's (courier 1: 1.5 % COD fee, at least ¥5); ZTO is courier 2, SF courier 3."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hotline.finance.matching import FeeRule, LineMatch, MatchReport, Parcel, match_statement
from hotline.finance.statement_file import StatementLine

D = Decimal
EMS, ZTO, SF = 1, 2, 3
EMS_FEE = FeeRule(percent=D("1.50"), minimum=D("5.00"))
_ids = itertools.count(1)


def parcel(tracking: str = "", *, courier: int = EMS, status: str = "delivered", cod_due: str = "796.00",
           order_status: str = "delivered", delivered: bool | None = None, paid: str = "0.00") -> Parcel:
    pk = next(_ids)
    return Parcel(shipment_id=pk, order_id=1000 + pk, order_number=f"HL20261201-{pk:06d}", tracking_number=tracking,
                  courier_id=courier, status=status, order_status=order_status, cod_due=D(cod_due),
                  delivered=status == "delivered" if delivered is None else delivered, paid=D(paid))


def line(number: int, tracking: str, collected: str, fee: str | None = None, order: str = "") -> StatementLine:
    collected_ = D(collected)
    fee_ = D(fee) if fee is not None else EMS_FEE.fee(collected_)
    return StatementLine(line=number, tracking_number=tracking, order_number=order, collected=collected_, fee=fee_,
                         net=collected_ - fee_)


def match(lines: list[StatementLine], parcels: list[Parcel], *, remitted: set[int] | None = None,
          stated: str | None = None, bank: str | None = None, courier: int = EMS) -> MatchReport:
    by_tracking = {p.tracking_number: p for p in parcels if p.tracking_number}
    by_order = {p.order_number: p for p in parcels}
    return match_statement(lines, by_tracking, by_order, remitted or set(), courier, EMS_FEE,
                           D(stated) if stated else None, D(bank) if bank else None)


def summary(m: LineMatch) -> tuple[int, str, int | None, Decimal | None, Decimal, bool]:
    return (m.line.line, m.outcome, m.parcel.shipment_id if m.parcel else None, m.expected, m.difference, m.fee_ok)


# ---------------------------------------------------------------- outcomes


def test_every_line_gets_its_outcome_in_file_order():
    # given one parcel for each case
    paid = parcel("EA1")  # delivered, ¥796 due
    short = parcel("EA2")
    over = parcel("EA3", cod_due="398.00")
    zto = parcel("ZT1", courier=ZTO)
    remitted = parcel("EA5", order_status="settled")
    shipped = parcel("EA6", status="shipped", order_status="shipped")
    on_the_way = parcel("EA7", status="in_transit", order_status="shipped")
    lost = parcel("EA8", status="lost", order_status="shipped")
    refused = parcel("EA9", status="refused", order_status="refused")
    returning = parcel("EA10", status="returning", order_status="refused")
    returned = parcel("EA11", status="returned", order_status="refused")
    delivered_then_returned = parcel("EA12", status="returned", order_status="returned", delivered=True)
    by_order = parcel("")  # not scanned into Hotline under a number the courier uses: found by order number
    parcels = [paid, short, over, zto, remitted, shipped, on_the_way, lost, refused, returning, returned,
               delivered_then_returned, by_order]
    lines = [line(2, "EA1", "796.00"), line(3, "EA2", "700.00"), line(4, "EA3", "400.00"),
             line(5, "XX404", "100.00"), line(6, "ZT1", "796.00"), line(7, "EA1", "796.00"),
             line(8, "EA5", "796.00"), line(9, "EA6", "796.00"), line(10, "EA7", "796.00"),
             line(11, "EA8", "796.00"), line(12, "EA9", "796.00"), line(13, "EA10", "796.00"),
             line(14, "EA11", "796.00"), line(15, "EA12", "796.00"),
             line(16, "", "796.00", order=by_order.order_number),
             line(17, "EA999", "796.00", order=short.order_number)]  # a mistyped number, its order number right
    # when
    report = match(lines, parcels, remitted={remitted.shipment_id})
    # then
    assert [summary(m) for m in report.matches] == [
        (2, "matched", paid.shipment_id, D("796.00"), D("0.00"), True),
        (3, "short", short.shipment_id, D("796.00"), D("-96.00"), True),
        (4, "over", over.shipment_id, D("398.00"), D("2.00"), True),
        (5, "unknown", None, None, D("0"), True),
        (6, "unknown", None, None, D("0"), True),
        (7, "duplicate", paid.shipment_id, D("796.00"), D("0.00"), True),
        (8, "remitted", remitted.shipment_id, D("796.00"), D("0.00"), True),
        (9, "undelivered", shipped.shipment_id, D("796.00"), D("0.00"), True),
        (10, "undelivered", on_the_way.shipment_id, D("796.00"), D("0.00"), True),
        (11, "undelivered", lost.shipment_id, D("796.00"), D("0.00"), True),
        (12, "refused", refused.shipment_id, D("796.00"), D("0.00"), True),
        (13, "refused", returning.shipment_id, D("796.00"), D("0.00"), True),
        (14, "refused", returned.shipment_id, D("796.00"), D("0.00"), True),
        (15, "matched", delivered_then_returned.shipment_id, D("796.00"), D("0.00"), True),
        (16, "matched", by_order.shipment_id, D("796.00"), D("0.00"), True),
        (17, "duplicate", short.shipment_id, D("796.00"), D("0.00"), True),
    ]
    assert report.matches[4].other_parcel == zto
    assert report.matches[3].other_parcel is None
    assert (report.matches[5].duplicate_of, report.matches[15].duplicate_of, report.matches[0].duplicate_of) == (
        2, 3, None)
    assert report.wrong_courier_id is None


def test_the_first_line_of_a_parcel_is_classified_and_later_ones_are_duplicates_whatever_the_first_was():
    # given a short-paid parcel named three times
    p = parcel("EA1")
    # when
    report = match([line(2, "EA1", "700.00"), line(3, "EA1", "96.00"), line(4, "EA1", "796.00")], [p])
    # then
    assert [(m.outcome, m.duplicate_of) for m in report.matches] == [
        ("short", None), ("duplicate", 2), ("duplicate", 2)]


def test_a_top_up_is_matched_short_or_over_against_what_is_still_due():
    # given three ¥796.00 parcels an earlier statement paid ¥700.00 of (¥96.00 still due)
    exact, short, over = (parcel(f"EA{n}", paid="700.00") for n in (1, 2, 3))
    # when a later statement pays the rest, less, and more, and names the first again
    report = match([line(2, "EA1", "96.00"), line(3, "EA2", "90.00"), line(4, "EA3", "100.00"),
                    line(5, "EA1", "96.00")], [exact, short, over])
    # then
    assert [summary(m) for m in report.matches] == [
        (2, "matched", exact.shipment_id, D("96.00"), D("0.00"), True),
        (3, "short", short.shipment_id, D("96.00"), D("-6.00"), True),
        (4, "over", over.shipment_id, D("96.00"), D("4.00"), True),
        (5, "duplicate", exact.shipment_id, D("96.00"), D("0.00"), True)]


def test_a_parcel_paid_in_full_is_remitted_and_its_line_set_against_its_cod_due():
    p = parcel("EA1", paid="796.00")
    report = match([line(2, "EA1", "796.00")], [p], remitted={p.shipment_id})
    assert [summary(m) for m in report.matches] == [(2, "remitted", p.shipment_id, D("796.00"), D("0.00"), True)]


def test_a_remitted_parcel_named_twice_is_remitted_then_duplicate():
    p = parcel("EA1", order_status="settled")
    report = match([line(2, "EA1", "796.00"), line(3, "EA1", "796.00")], [p], remitted={p.shipment_id})
    assert [m.outcome for m in report.matches] == ["remitted", "duplicate"]


def test_another_couriers_parcel_named_twice_stays_unknown():
    p = parcel("ZT1", courier=ZTO)
    report = match([line(2, "ZT1", "796.00"), line(3, "ZT1", "796.00"), line(4, "EA1", "796.00")],
                   [p, parcel("EA1")])
    assert [(m.outcome, m.other_parcel) for m in report.matches] == [("unknown", p), ("unknown", p), ("matched", None)]


def test_a_line_found_by_order_number_is_classified_like_one_found_by_tracking_number():
    delivered, refused = parcel(""), parcel("", status="refused", order_status="refused")
    lines = [line(2, "", "790.00", order=delivered.order_number), line(3, "", "796.00", order=refused.order_number),
             line(4, "", "796.00", order="HL20990101-000001")]
    report = match(lines, [delivered, refused])
    assert [summary(m) for m in report.matches] == [
        (2, "short", delivered.shipment_id, D("796.00"), D("-6.00"), True),
        (3, "refused", refused.shipment_id, D("796.00"), D("0.00"), True),
        (4, "unknown", None, None, D("0"), True)]


# ---------------------------------------------------------------- the fee rule


def test_the_fee_is_checked_against_the_rule_with_its_minimum_and_half_up_rounding():
    # given EMS's rule: 1.5 %, at least ¥5
    parcels = [parcel("EA1"), parcel("EA2", cod_due="100.00"), parcel("EA3", cod_due="433.30"),
               parcel("EA4"), parcel("EA5", cod_due="100.00")]
    lines = [line(2, "EA1", "796.00", "11.94"),  # 1.5 % of 796 = 11.94
             line(3, "EA2", "100.00", "5.00"),  # 1.5 % of 100 = 1.50, so the minimum ¥5
             line(4, "EA3", "433.30", "6.50"),  # 6.4995 rounds half up to 6.50
             line(5, "EA4", "796.00", "12.00"),  # 6 fen too much
             line(6, "EA5", "100.00", "1.50"),  # the minimum forgotten
             line(7, "XX1", "100.00", "99.00")]  # unknown: no rule to check against
    # when
    report = match(lines, parcels)
    # then
    assert [(m.outcome, m.expected_fee, m.fee_ok, m.fee_difference) for m in report.matches] == [
        ("matched", D("11.94"), True, D("0.00")),
        ("matched", D("5.00"), True, D("0.00")),
        ("matched", D("6.50"), True, D("0.00")),
        ("matched", D("11.94"), False, D("0.06")),
        ("matched", D("5.00"), False, D("-3.50")),
        ("unknown", None, True, D("0")),
    ]
    assert [m.line.line for m in report.fee_differences()] == [5, 6]
    assert [m.line.line for m in report.differences()] == [5, 6, 7]


def test_fee_rule_is_the_logistics_cod_fee_for():
    from hotline.logistics.choice import cod_fee_for
    from hotline.logistics.models import Courier

    terms = Courier(cod_fee_percent=D("1.50"), cod_fee_min=D("5.00"))
    for amount in ("0.00", "100.00", "333.33", "333.34", "433.30", "796.00", "2999.99"):
        assert EMS_FEE.fee(D(amount)) == cod_fee_for(terms, D(amount)), amount


def test_the_fee_is_checked_on_refused_and_undelivered_lines_but_not_on_duplicate_or_remitted_ones():
    # given a wrong fee (¥1) on every line
    refused = parcel("EA1", status="refused", order_status="refused")
    shipped = parcel("EA2", status="shipped", order_status="shipped")
    settled = parcel("EA3", order_status="settled")
    lines = [line(2, "EA1", "796.00", "1.00"), line(3, "EA2", "796.00", "1.00"), line(4, "EA3", "796.00", "1.00"),
             line(5, "EA1", "796.00", "1.00")]
    # when
    report = match(lines, [refused, shipped, settled], remitted={settled.shipment_id})
    # then the duplicate and the remitted line are wrong as a whole, their fee is not a second difference
    assert [(m.outcome, m.expected_fee, m.fee_ok) for m in report.matches] == [
        ("refused", D("11.94"), False), ("undelivered", D("11.94"), False), ("remitted", D("11.94"), True),
        ("duplicate", D("11.94"), True)]
    assert [m.line.line for m in report.fee_differences()] == [2, 3]


# ---------------------------------------------------------------- totals


def test_totals_the_statements_own_total_and_the_bank_receipt():
    # given three lines netting 784.06 + 688.50 + 394.00 = 1866.56
    parcels = [parcel("EA1"), parcel("EA2"), parcel("EA3", cod_due="398.00")]
    lines = [line(2, "EA1", "796.00", "11.94"), line(3, "EA2", "700.00", "11.50"), line(4, "EA3", "400.00", "6.00")]
    # when the bank received 1.56 less
    report = match(lines, parcels, stated="1866.56", bank="1865.00")
    # then
    assert (report.collected_total, report.fee_total, report.net_total) == (D("1896.00"), D("29.44"), D("1866.56"))
    assert (report.stated_total, report.stated_difference) == (D("1866.56"), D("0.00"))
    assert (report.bank_total, report.bank_difference) == (D("1865.00"), D("-1.56"))
    assert report.counts() == {"matched": 1, "short": 1, "over": 1}
    assert report.collected_by_outcome() == {"matched": D("796.00"), "short": D("700.00"), "over": D("400.00")}
    assert [m.line.line for m in report.differences()] == [3, 4]
    assert report.courier_id == EMS


def test_without_a_bank_receipt_or_a_stated_total_there_is_no_difference():
    report = match([line(2, "EA1", "796.00")], [parcel("EA1")])
    assert (report.stated_total, report.stated_difference, report.bank_total, report.bank_difference) == (
        None, None, None, None)


def test_an_empty_statement_matches_to_nothing():
    report = match([], [], bank="0.00")
    assert (report.matches, report.counts(), report.net_total, report.bank_difference, report.wrong_courier_id) == (
        [], {}, D("0"), D("0.00"), None)


def test_counts_list_the_outcomes_in_their_order():
    parcels = [parcel("EA1"), parcel("EA2", status="shipped", order_status="shipped")]
    report = match([line(2, "XX1", "5.00"), line(3, "EA2", "796.00"), line(4, "EA1", "796.00"),
                    line(5, "EA1", "796.00"), line(6, "XX2", "5.00")], parcels)
    assert list(report.counts().items()) == [("matched", 1), ("unknown", 2), ("duplicate", 1), ("undelivered", 1)]


# ---------------------------------------------------------------- the wrong courier's statement


def test_a_statement_whose_known_lines_are_mostly_another_couriers_names_that_courier():
    # given ZTO's parcels on three of the five known lines (unknown lines do not count)
    zto = [parcel(f"ZT{n}", courier=ZTO) for n in range(3)]
    ems = [parcel(f"EA{n}") for n in range(2)]
    lines = [line(n + 2, p.tracking_number, "796.00") for n, p in enumerate(zto + ems)]
    lines += [line(10 + n, f"XX{n}", "796.00") for n in range(10)]
    # when EMS's statement is matched
    report = match(lines, zto + ems)
    # then
    assert report.wrong_courier_id == ZTO
    assert report.counts() == {"matched": 2, "unknown": 13}


def test_half_of_the_known_lines_or_less_is_not_the_wrong_courier():
    zto = [parcel(f"ZT{n}", courier=ZTO) for n in range(2)]
    sf = [parcel("SF1", courier=SF)]
    ems = [parcel("EA1"), parcel("EA2")]
    half = match([line(2, "ZT0", "1.00"), line(3, "ZT1", "1.00"), line(4, "EA1", "796.00"), line(5, "EA2", "796.00")],
                 zto + ems)
    split = match([line(2, "ZT0", "1.00"), line(3, "SF1", "1.00"), line(4, "EA1", "796.00")], zto + sf + ems)
    assert (half.wrong_courier_id, split.wrong_courier_id) == (None, None)


def test_the_statements_own_courier_is_never_the_wrong_one():
    report = match([line(2, "EA1", "796.00")], [parcel("EA1")])
    assert report.wrong_courier_id is None


# ---------------------------------------------------------------- size


def test_fifty_thousand_lines_are_matched():
    # given 50,000 delivered parcels, every tenth line short by ¥1 and the last 1,000 naming nothing
    parcels = [parcel(f"EB{n:09d}", cod_due="398.00") for n in range(50_000)]
    lines = [line(n + 2, p.tracking_number, "397.00" if n % 10 == 0 else "398.00")
             for n, p in enumerate(parcels[:49_000])]
    lines += [line(n + 2, f"XX{n:09d}", "398.00") for n in range(49_000, 50_000)]
    # when
    report = match(lines, parcels, bank="19596648.00")
    # then
    assert report.counts() == {"matched": 44_100, "short": 4_900, "unknown": 1_000}
    assert report.collected_total == D("19895100.00")
    assert report.fee_total == D("298451.00")  # 4,900 × ¥5.96 (1.5 % of 397 = 5.955) + 45,100 × ¥5.97
    assert (report.net_total, report.bank_difference) == (D("19596649.00"), D("-1.00"))

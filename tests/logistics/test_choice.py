"""The automatic courier choice as a pure function: freight, every eligibility rule, ranking by expected cost
with the delivery-rate prior, ties, no eligible courier, and overrides."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from hotline.logistics.choice import (
    Area,
    Choice,
    CourierTerms,
    DeliveryStats,
    NotEligible,
    Outcomes,
    Parcel,
    Policy,
    Rate,
    choose_courier,
    cod_fee_for,
    freight_for,
    money_text,
    override,
    parcel_weight,
    success_rate,
)

D = Decimal
RATE_A = Rate(zone="A", first_weight_kg=D("1"), first_fee=D("12.00"), step_kg=D("0.5"), step_fee=D("3.00"))
SHENZHEN = Area(province="广东省", city="深圳市", zone="A", delivery_days=2)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def courier(id: int, name: str, kind: str = "express", fee: str = "10.00", areas: tuple[Area, ...] = (SHENZHEN,),
            **terms: object) -> CourierTerms:
    rate = Rate(zone="A", first_weight_kg=D("1"), first_fee=D(fee), step_kg=D("0.5"), step_fee=D("2.00"))
    return CourierTerms(id=id, name=name, kind=kind, coverage=areas, rates=(rate,), **terms)  # type: ignore[arg-type]


def parcel(method: str = "courier", district: str = "南山区", **fields: object) -> Parcel:
    values: dict[str, object] = {"delivery_method": method, "province": "广东省", "city": "深圳市",
                                 "district": district, "weight_kg": D("1.0")}
    values.update(fields)
    return Parcel(**values)  # type: ignore[arg-type]


def stats(**by_city: Outcomes) -> DeliveryStats:
    """Per-city outcomes keyed "c<id>" for 深圳市; national figures are the sums."""
    return DeliveryStats.from_cities({(int(key[1:]), "深圳市"): outcomes for key, outcomes in by_city.items()})


def names(choice: Choice) -> list[str]:
    return [option.name for option in choice.options]


# ---------------------------------------------------------------- freight

@pytest.mark.parametrize(("weight", "freight"), [
    ("0.3", "12.00"), ("1.0", "12.00"), ("1.1", "15.00"), ("1.5", "15.00"), ("1.6", "18.00"), ("3.0", "24.00"),
])
def test_freight_is_the_first_weight_plus_each_started_step(weight: str, freight: str) -> None:
    assert freight_for(RATE_A, D(weight)) == D(freight)


def test_freight_without_steps_is_the_first_fee() -> None:
    flat = Rate(zone="A", first_weight_kg=D("1"), first_fee=D("8.50"), step_kg=D("0"), step_fee=D("2.00"))
    assert freight_for(flat, D("5")) == D("8.50")


@pytest.mark.parametrize(("real", "volume", "weight"), [
    ("1.23", 0, "1.3"), ("1.2", 0, "1.2"), ("0.5", 9000, "1.5"), ("0.5", 6001, "1.1"), ("2.0", 6000, "2.0"),
    ("0", 0, "0.0"),
])
def test_parcel_weight_is_the_larger_of_real_and_volumetric_up_to_the_next_tenth(real: str, volume: int,
                                                                                   weight: str) -> None:
    assert parcel_weight(D(real), volume) == D(weight)


def test_cod_fee_is_a_percentage_with_a_minimum() -> None:
    terms = courier(1, "EMS", cod_fee_percent=D("1.5"), cod_fee_min=D("3.00"))
    assert cod_fee_for(terms, D("398.00")) == D("5.97")
    assert cod_fee_for(terms, D("100.00")) == D("3.00")


def test_money_text_drops_whole_cents_and_groups_thousands() -> None:
    assert [money_text(D(value)) for value in ("12", "12.5", "1280.00", "0.01")] == [
        "¥12", "¥12.50", "¥1,280", "¥0.01"]


# ---------------------------------------------------------------- the delivery-rate prior

def test_success_rate_shrinks_towards_the_prior() -> None:
    assert success_rate(Outcomes(), D("0.8"), 20) == D("0.8")
    assert success_rate(Outcomes(delivered=2), D("0.8"), 20) == D(18) / D(22)
    assert success_rate(Outcomes(delivered=9, refused=1), D("0.8"), 0) == D("0.9")


def test_a_city_with_few_parcels_starts_at_the_couriers_national_rate() -> None:
    by_city = {(1, "深圳市"): Outcomes(delivered=2), (1, "广州市"): Outcomes(delivered=88, refused=10)}
    choice = choose_courier(parcel(), [courier(1, "SF")], DeliveryStats.from_cities(by_city))
    assert choice.chosen is not None
    # national (90 + 16) / 120; the city (2 + 20 × national) / 22
    national = D(106) / D(120)
    assert choice.chosen.success_rate == (2 + national * 20) / 22
    assert choice.chosen.city_parcels == 2
    assert choice.chosen.reason == "SF: covered, local delivery rate about 89 % (few parcels), freight ¥10"


def test_two_lucky_parcels_do_not_beat_a_well_measured_courier() -> None:
    measured = stats(c1=Outcomes(delivered=2), c2=Outcomes(delivered=180, refused=15, lost=5))
    choice = choose_courier(parcel(), [courier(1, "Lucky"), courier(2, "Steady")], measured)
    assert names(choice) == ["Steady", "Lucky"]
    assert [option.expected_cost for option in choice.options] == [D("15.04"), D("18.26")]


# ---------------------------------------------------------------- ranking by expected cost

def test_a_dearer_courier_wins_when_it_is_refused_less() -> None:
    measured = stats(c2=Outcomes(delivered=95, refused=5), c3=Outcomes(delivered=70, refused=30))
    choice = choose_courier(parcel(), [courier(3, "Yunda", fee="10.00"), courier(2, "SF", fee="15.00")], measured)
    assert choice.chosen is not None and choice.runner_up is not None
    assert (choice.chosen.name, choice.runner_up.name) == ("SF", "Yunda")
    assert (choice.chosen.freight, choice.chosen.refusal_cost, choice.chosen.expected_cost) == (
        D("15.00"), D("60.00"), D("18.25"))
    assert (choice.runner_up.freight, choice.runner_up.refusal_cost, choice.runner_up.expected_cost) == (
        D("10.00"), D("50.00"), D("24.86"))
    assert choice.chosen.reason == "SF: covered, local delivery rate 95 %, freight ¥15"
    assert choice.reason == choice.chosen.reason and choice.problem == ""


def test_expected_cost_adds_the_cod_fee_and_the_refusal_cost() -> None:
    ems = courier(1, "EMS", kind="ems", fee="12.00", cod_fee_percent=D("1"), cod_fee_min=D("3.00"),
                  return_freight_percent=D("50"))
    choice = choose_courier(parcel("ems", cod=True, cod_amount=D("398.00")), [ems],
                            policy=Policy(lost_margin=D("20.00")))
    chosen = choice.chosen
    assert chosen is not None
    # refusal: 12 × 1.5 + 20 = 38; expected: 12 + 3.98 + 0.2 × 38
    assert (chosen.freight, chosen.cod_fee, chosen.refusal_cost, chosen.expected_cost) == (
        D("12.00"), D("3.98"), D("38.00"), D("23.58"))
    assert (chosen.zone, chosen.delivery_days, chosen.weight_kg) == ("A", 2, D("1.0"))
    assert chosen.reason == "EMS: covered, cash on delivery, local delivery rate about 80 % (few parcels), freight ¥12"


def test_prepaid_parcels_pay_no_cod_fee() -> None:
    choice = choose_courier(parcel(cod_amount=D("398.00")), [courier(1, "SF", cod_fee_min=D("3.00"))])
    assert choice.chosen is not None and choice.chosen.cod_fee == D("0.00")


def test_equal_costs_go_to_the_name_then_the_id() -> None:
    choice = choose_courier(parcel(), [courier(4, "Beta"), courier(9, "Alpha"), courier(2, "Beta2"),
                                       courier(1, "Beta")])
    assert [(option.name, option.courier_id) for option in choice.options] == [
        ("Alpha", 9), ("Beta", 1), ("Beta", 4), ("Beta2", 2)]


def test_equal_costs_go_to_the_higher_delivery_rate_first() -> None:
    # 10 + 0.2 × 20 = 14.00 and 11.67 + 0.1 × 23.34 = 14.004 → 14.00: equal to the fen
    measured = stats(c1=Outcomes(delivered=8, refused=2), c2=Outcomes(delivered=9, refused=1))
    policy = Policy(prior_strength=0, lost_margin=D("0"))
    choice = choose_courier(parcel(), [courier(1, "Alpha"), courier(2, "Zulu", fee="11.67")], measured, policy)
    assert [(option.name, option.expected_cost) for option in choice.options] == [
        ("Zulu", D("14.00")), ("Alpha", D("14.00"))]


def test_equal_costs_and_rates_go_to_fewer_delivery_days() -> None:
    slow = Area(province="广东省", city="深圳市", zone="A", delivery_days=3)
    fast = Area(province="广东省", city="深圳市", zone="A", delivery_days=1)
    choice = choose_courier(parcel(), [courier(1, "Alpha", areas=(slow,)), courier(2, "Zulu", areas=(fast,))])
    assert names(choice) == ["Zulu", "Alpha"]


# ---------------------------------------------------------------- eligibility

@pytest.mark.parametrize(("method", "kinds"), [
    ("ems", ["ems"]), ("post", ["post"]), ("courier", ["city", "express", "own"]), ("pickup", []),
])
def test_the_delivery_method_decides_the_courier_kinds(method: str, kinds: list[str]) -> None:
    couriers = [courier(index, kind, kind=kind) for index, kind in enumerate(["ems", "post", "express", "city",
                                                                              "own"])]
    choice = choose_courier(parcel(method), couriers)
    assert sorted(option.name for option in choice.options) == kinds
    assert all(item.reason == "does not carry this delivery method" for item in choice.rejected)


def test_self_pickup_needs_no_courier() -> None:
    choice = choose_courier(parcel("pickup"), [courier(1, "SF")])
    assert (choice.chosen, choice.runner_up, choice.problem) == (None, None, "Self pickup: no courier is needed.")
    assert choice.reason == "Self pickup: no courier is needed."


def test_an_inactive_courier_is_left_out() -> None:
    choice = choose_courier(parcel(), [courier(1, "SF", active=False), courier(2, "YTO")])
    assert names(choice) == ["YTO"]
    assert [(item.name, item.reason) for item in choice.rejected] == [("SF", "not active")]


def test_a_courier_must_cover_the_address() -> None:
    beijing = Area(province="北京市", city="北京市", zone="A")
    choice = choose_courier(parcel(), [courier(1, "BJ", areas=(beijing,))])
    assert choice.chosen is None
    assert [item.reason for item in choice.rejected] == ["does not deliver to 广东省深圳市南山区"]
    assert choice.problem == "No courier delivers to 广东省深圳市南山区."


def test_the_most_specific_coverage_row_wins() -> None:
    areas = (Area(province="广东省", zone="C", delivery_days=4),
             Area(province="广东省", city="深圳市", zone="B", delivery_days=2),
             Area(province="广东省", city="深圳市", district="南山区", zone="A", delivery_days=1))
    terms = CourierTerms(id=1, name="SF", kind="express", coverage=areas, rates=tuple(
        Rate(zone=zone, first_weight_kg=D("1"), first_fee=D(fee), step_kg=D("0.5"), step_fee=D("1"))
        for zone, fee in (("A", "8.00"), ("B", "9.00"), ("C", "11.00"))))
    found = {}
    for province, city, district in (("广东省", "深圳市", "南山区"), ("广东省", "深圳市", "福田区"),
                                     ("广东省", "广州市", "天河区")):
        chosen = choose_courier(parcel(province=province, city=city, district=district), [terms]).chosen
        assert chosen is not None
        found[district] = (chosen.zone, chosen.delivery_days, chosen.freight)
    assert found == {"南山区": ("A", 1, D("8.00")), "福田区": ("B", 2, D("9.00")), "天河区": ("C", 4, D("11.00"))}


def test_a_district_row_without_cod_overrides_its_city() -> None:
    areas = (SHENZHEN, Area(province="广东省", city="深圳市", district="南山区", zone="A", cod_allowed=False))
    terms = courier(1, "SF", areas=areas)
    refused = choose_courier(parcel(cod=True, cod_amount=D("100")), [terms])
    assert [item.reason for item in refused.rejected] == ["no cash on delivery in 广东省深圳市南山区"]
    assert refused.problem == "No courier offers cash on delivery for this order in 广东省深圳市南山区."
    assert choose_courier(parcel(district="福田区", cod=True, cod_amount=D("100")), [terms]).chosen is not None
    assert choose_courier(parcel(cod=False), [terms]).chosen is not None


def test_cod_needs_a_courier_that_collects_cash() -> None:
    choice = choose_courier(parcel(cod=True, cod_amount=D("100")), [courier(1, "SF", cod_supported=False)])
    assert [item.reason for item in choice.rejected] == ["no cash on delivery"]
    assert choice.chosen is None


def test_cod_amount_must_not_exceed_the_couriers_maximum() -> None:
    terms = [courier(1, "SF", cod_max=D("2000.00"))]
    assert choose_courier(parcel(cod=True, cod_amount=D("2000.00")), terms).chosen is not None
    over = choose_courier(parcel(cod=True, cod_amount=D("2000.01")), terms)
    assert [item.reason for item in over.rejected] == ["cash on delivery only up to ¥2,000"]
    # a prepaid parcel of the same value is no concern of the limit
    assert choose_courier(parcel(cod=False, cod_amount=D("5000.00")), terms).chosen is not None


def test_rush_orders_need_fast_delivery() -> None:
    slow = Area(province="广东省", city="深圳市", zone="A", delivery_days=3)
    choice = choose_courier(parcel(rush=True), [courier(1, "Slow", areas=(slow,)), courier(2, "Fast")])
    assert names(choice) == ["Fast"]
    assert [item.reason for item in choice.rejected] == ["3 delivery days; a rush order needs at most 2"]
    assert choice.chosen is not None
    assert choice.chosen.reason == ("Fast: covered, 2-day delivery, local delivery rate about 80 % (few parcels), "
                                    "freight ¥10")
    # nobody can bring it in time: it still ships, with the fastest courier, and the reason says so
    slower = dataclasses.replace(slow, delivery_days=5)
    both = [courier(1, "Slow", areas=(slow,)), courier(2, "Slower", areas=(slower,))]
    alone = choose_courier(parcel(rush=True), both)
    assert (alone.problem, names(alone)) == ("", ["Slow", "Slower"])
    assert alone.chosen is not None and alone.runner_up is not None
    assert alone.chosen.reason == ("no courier delivers a rush order here within 2 days, the fastest: Slow: covered, "
                                   "3-day delivery, local delivery rate about 80 % (few parcels), freight ¥10")
    assert alone.runner_up.courier_id == 2
    assert choose_courier(parcel(rush=True), [courier(1, "Slow", areas=(slow,))],
                          policy=Policy(rush_max_days=3)).chosen is not None


def test_a_zone_without_a_price_is_left_out() -> None:
    terms = CourierTerms(id=1, name="SF", kind="express", coverage=(SHENZHEN,), rates=())
    choice = choose_courier(parcel(), [terms])
    assert [item.reason for item in choice.rejected] == ["no price for zone A"]
    assert choice.problem == "No courier has a price for 广东省深圳市南山区."


def test_the_problem_names_the_rule_that_stopped_the_furthest_courier() -> None:
    couriers = [courier(1, "EMS", kind="ems"), courier(2, "Off", active=False),
                courier(3, "NoCod", cod_supported=False)]
    choice = choose_courier(parcel(cod=True, cod_amount=D("100")), couriers)
    assert choice.problem == "No courier offers cash on delivery for this order in 广东省深圳市南山区."
    assert choose_courier(parcel(), []).problem == "No courier carries this delivery method."
    assert choose_courier(parcel(), couriers[:2]).problem == "No active courier carries this delivery method."


def test_the_reason_reads_in_chinese() -> None:
    ems = courier(1, "EMS", kind="ems", fee="12.00")
    measured = stats(c1=Outcomes(delivered=910, refused=90))
    with translation.override("zh-hans"):
        choice = choose_courier(parcel("ems", cod=True, cod_amount=D("398")), [ems], measured)
        assert choice.chosen is not None
        assert choice.chosen.reason == "EMS: 覆盖, 货到付款, 本市签收率 91 %, 运费 ¥12"
        none = choose_courier(parcel("ems", cod=True, cod_amount=D("398")), [courier(2, "X", kind="ems",
                                                                                     cod_supported=False)])
        assert none.problem == "没有快递公司在广东省深圳市南山区为该订单提供货到付款。"


# ---------------------------------------------------------------- override

def test_override_chooses_an_eligible_courier_at_its_computed_price() -> None:
    measured = stats(c2=Outcomes(delivered=95, refused=5), c3=Outcomes(delivered=70, refused=30))
    choice = choose_courier(parcel(), [courier(3, "Yunda", fee="10.00"), courier(2, "SF", fee="15.00")], measured)
    changed = override(choice, 3)
    assert changed.chosen is not None and changed.runner_up is not None
    assert (changed.chosen.courier_id, changed.chosen.freight, changed.chosen.expected_cost) == (3, D("10.00"),
                                                                                                 D("24.86"))
    assert (changed.runner_up.courier_id, changed.overridden, changed.problem) == (2, True, "")
    assert choice.chosen is not None and choice.chosen.courier_id == 2  # the automatic choice is unchanged
    same = override(choice, 2)
    assert same.chosen == choice.chosen and same.runner_up == choice.runner_up and same.overridden


def test_override_refuses_an_ineligible_courier_with_its_reason_unless_forced() -> None:
    slow = Area(province="广东省", city="深圳市", zone="A", delivery_days=3)
    choice = choose_courier(parcel(rush=True), [courier(1, "Slow", areas=(slow,)), courier(2, "Fast")])
    with pytest.raises(NotEligible, match=r"^Slow: 3 delivery days; a rush order needs at most 2$"):
        override(choice, 1)
    forced = override(choice, 1, force=True)
    assert forced.chosen is not None and forced.runner_up is not None
    assert (forced.chosen.courier_id, forced.chosen.freight, forced.runner_up.courier_id) == (1, D("10.00"), 2)


def test_override_cannot_force_a_courier_without_a_price_or_an_unknown_one() -> None:
    beijing = Area(province="北京市", city="北京市", zone="A")
    choice = choose_courier(parcel(), [courier(1, "BJ", areas=(beijing,)), courier(2, "SF")])
    with pytest.raises(NotEligible, match=r"^BJ: does not deliver to 广东省深圳市南山区$"):
        override(choice, 1, force=True)
    with pytest.raises(NotEligible, match=r"^Unknown courier\.$"):
        override(choice, 99, force=True)


def test_override_when_nothing_was_eligible_clears_the_problem() -> None:
    choice = choose_courier(parcel(cod=True, cod_amount=D("100")), [courier(1, "SF", cod_supported=False)])
    forced = override(choice, 1, force=True)
    assert forced.chosen is not None and forced.chosen.courier_id == 1
    assert (forced.runner_up, forced.problem, forced.reason) == (None, "", forced.chosen.reason)


def test_short_and_full_place_names_match() -> None:
    # the desk's address parser gives 广东 / 深圳 / 北京, coverage is imported as 广东省 / 深圳市 / 北京市
    beijing = Area(province="北京市", city="北京市", zone="A")
    couriers = [courier(1, "SF"), courier(2, "BJ", areas=(beijing,))]
    by_city = {(1, "深圳市"): Outcomes(delivered=10)}
    shenzhen = choose_courier(parcel(province="广东", city="深圳"), couriers, DeliveryStats.from_cities(by_city))
    assert names(shenzhen) == ["SF"]
    assert shenzhen.chosen is not None and shenzhen.chosen.city_parcels == 10
    assert names(choose_courier(parcel(province="北京", city="北京", district="朝阳区"), couriers)) == ["BJ"]
    assert names(choose_courier(parcel(province="内蒙古自治区", city="呼和浩特市"), couriers)) == []


def test_a_municipality_s_district_written_without_its_city_covers_that_district_only() -> None:
    rows = (Area("北京市", "", "朝阳区", zone="同城"), Area("北京市", "", "海淀区", zone="近郊"))
    terms = CourierTerms(id=1, name="速达城配", kind="city", coverage=rows)
    assert terms.area_for("北京", "北京", "朝阳区") == terms.coverage[0]
    assert terms.area_for("北京", "北京", "海淀区") == terms.coverage[1]
    assert terms.area_for("北京", "北京", "东城区") is None

"""The outbound dial policy, pure: every class of number, what configuration allows, and the daily limits of
dial attempts per number and per prefix on a fake clock."""

from __future__ import annotations

import datetime

import pytest

from hotline.telephony.dial_policy import (
    DialPolicy,
    DialSettings,
    NumberClass,
    Refusal,
    class_refusal,
    classify,
    refusal_text,
)


class FakeDay:
    """The local date, moved by the test."""

    def __init__(self) -> None:
        self.today = datetime.date(2026, 12, 7)

    def __call__(self) -> datetime.date:
        return self.today

    def next(self) -> None:
        self.today += datetime.timedelta(days=1)


@pytest.mark.parametrize(("raw", "number", "kind"), [
    ("13800138000", "13800138000", NumberClass.MOBILE),
    ("+86 138-0013-8000", "13800138000", NumberClass.MOBILE),
    ("008613800138000", "13800138000", NumberClass.MOBILE),
    ("8613800138000", "13800138000", NumberClass.MOBILE),
    ("013800138000", "13800138000", NumberClass.MOBILE),
    ("１３８００１３８０００", "13800138000", NumberClass.MOBILE),
    ("02087654321", "02087654321", NumberClass.LANDLINE),
    ("+86 20 8765 4321", "02087654321", NumberClass.LANDLINE),
    ("0755-12345678", "075512345678", NumberClass.LANDLINE),
    ("00882130000001", "00882130000001", NumberClass.INTERNATIONAL),
    ("+44 20 7946 0000", "00442079460000", NumberClass.INTERNATIONAL),
    ("+852 2123 4567", "0085221234567", NumberClass.INTERNATIONAL),
    ("9001234567", "9001234567", NumberClass.PREMIUM),
    ("1680123", "1680123", NumberClass.PREMIUM),
    ("16012345", "16012345", NumberClass.PREMIUM),
    ("020-16812345", "02016812345", NumberClass.PREMIUM),
    ("12590123", "12590123", NumberClass.PREMIUM),
    ("13491234567", "13491234567", NumberClass.PREMIUM),
    ("17401234567", "17401234567", NumberClass.PREMIUM),
    ("17491234567", "17491234567", NumberClass.PREMIUM),
    ("95588", "95588", NumberClass.SERVICE),
    ("95105123", "95105123", NumberClass.SERVICE),
    ("96110", "96110", NumberClass.SERVICE),
    ("010-96110", "01096110", NumberClass.SERVICE),
    ("4008001000", "4008001000", NumberClass.SERVICE),
    ("8008001000", "8008001000", NumberClass.SERVICE),
    ("10086", "10086", NumberClass.SERVICE),
    ("110", "110", NumberClass.SERVICE),
    ("12345", "12345", NumberClass.SERVICE),
    ("17951", "17951", NumberClass.SERVICE),
    ("87654321", "87654321", NumberClass.INVALID),
    ("0898123456", "0898123456", NumberClass.INVALID),
    ("12", "12", NumberClass.INVALID),
    ("sip-user", "sipuser", NumberClass.INVALID),
    ("", "", NumberClass.NO_CALLER_ID),
    ("anonymous", "", NumberClass.NO_CALLER_ID),
    ("Anonymous", "", NumberClass.NO_CALLER_ID),
    ("unknown", "", NumberClass.NO_CALLER_ID),
    ("restricted", "", NumberClass.NO_CALLER_ID),
])
def test_every_class_of_number(raw: str, number: str, kind: NumberClass) -> None:
    classified = classify(raw)
    assert (classified.number, classified.kind) == (number, kind)


@pytest.mark.parametrize(("raw", "refusal"), [
    ("13800138000", None),
    ("02087654321", None),
    ("00882130000001", Refusal.INTERNATIONAL),
    ("9001234567", Refusal.PREMIUM),
    ("02016812345", Refusal.PREMIUM),
    ("95588", Refusal.SERVICE),
    ("4008001000", Refusal.SERVICE),
    ("87654321", Refusal.INVALID),
    ("anonymous", Refusal.NO_CALLER_ID),
])
def test_by_default_only_chinese_mobiles_and_landlines_are_dialled(raw: str, refusal: Refusal | None) -> None:
    assert class_refusal(classify(raw), DialSettings()) is refusal


def test_configuration_allows_a_class_or_a_prefix_and_denies_a_prefix() -> None:
    abroad = DialSettings(allow=frozenset({NumberClass.INTERNATIONAL}))
    hong_kong = DialSettings(allow_prefixes=("00852", "400"))
    no_virtual = DialSettings(deny_prefixes=("170", "171"))
    assert class_refusal(classify("+44 20 7946 0000"), abroad) is None
    assert class_refusal(classify("9001234567"), abroad) is Refusal.PREMIUM
    assert class_refusal(classify("+852 2123 4567"), hong_kong) is None
    assert class_refusal(classify("4008001000"), hong_kong) is None
    assert class_refusal(classify("+44 20 7946 0000"), hong_kong) is Refusal.INTERNATIONAL
    assert class_refusal(classify("17012345678"), no_virtual) is Refusal.DENIED_PREFIX
    assert class_refusal(classify("13812345678"), no_virtual) is None
    # Nothing allows dialling what is not a number.
    anything = DialSettings(allow=frozenset({NumberClass.INTERNATIONAL, NumberClass.PREMIUM, NumberClass.SERVICE}),
                            allow_prefixes=("8",))
    assert class_refusal(classify("87654321"), anything) is Refusal.INVALID
    assert class_refusal(classify("anonymous"), anything) is Refusal.NO_CALLER_ID


@pytest.mark.parametrize("bad", [
    {"allow": frozenset({NumberClass.INVALID})}, {"allow": frozenset({NumberClass.NO_CALLER_ID})},
    {"allow_prefixes": ("+852x",)}, {"deny_prefixes": ("abc",)}, {"per_number_daily": -1},
    {"per_prefix_daily": -1}, {"prefix_digits": 0},
])
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DialSettings(**bad)  # type: ignore[arg-type]


def test_the_daily_limit_per_number_counts_admitted_dials_and_starts_again_the_next_day() -> None:
    day = FakeDay()
    policy = DialPolicy(DialSettings(per_number_daily=3, per_prefix_daily=0), day)
    # Any spelling of the number counts against the same number.
    results = [policy.admit(raw) for raw in ("13800138000", "+8613800138000", "013800138000", "13800138000")]
    assert results == [None, None, None, Refusal.NUMBER_LIMIT]
    assert policy.refusal("13800138000") is Refusal.NUMBER_LIMIT
    assert policy.attempts_today("13800138000") == 3
    assert policy.admit("13800138001") is None  # another number of the same block is not limited by it
    day.next()
    assert (policy.refusal("13800138000"), policy.attempts_today("13800138000")) == (None, 0)
    assert policy.admit("13800138000") is None


def test_the_daily_limit_per_prefix_stops_a_run_through_one_block_of_numbers() -> None:
    day = FakeDay()
    policy = DialPolicy(DialSettings(per_number_daily=0, per_prefix_daily=2, prefix_digits=7), day)
    assert [policy.admit(f"1380013800{n}") for n in range(4)] == [None, None, Refusal.PREFIX_LIMIT,
                                                                   Refusal.PREFIX_LIMIT]
    assert policy.admit("13900139000") is None  # another block
    day.next()
    assert policy.admit("13800138009") is None


def test_looking_does_not_count_and_a_refused_number_is_never_counted() -> None:
    policy = DialPolicy(DialSettings(per_number_daily=1), FakeDay())
    assert [policy.refusal("13800138000") for _ in range(3)] == [None, None, None]
    assert policy.admit("00882130000001") is Refusal.INTERNATIONAL
    assert policy.attempts_today("00882130000001") == 0
    assert policy.admit("13800138000") is None
    assert policy.admit("13800138000") is Refusal.NUMBER_LIMIT


def test_no_limit_when_the_limits_are_zero() -> None:
    policy = DialPolicy(DialSettings(per_number_daily=0, per_prefix_daily=0), FakeDay())
    assert {policy.admit("13800138000") for _ in range(50)} == {None}


def test_refusals_read_as_not_dialled_with_the_reason() -> None:
    assert refusal_text(Refusal.INTERNATIONAL) == "not dialled: international number"
    assert refusal_text(Refusal.PREFIX_LIMIT) == "not dialled: daily dial limit of this prefix reached"

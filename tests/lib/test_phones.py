"""Phone numbers: one normal form whatever the notation, a clear message for what is not a number,
and the region and carrier the offline tables give."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hotline.lib.phones import (
    LANDLINE,
    MOBILE,
    SERVICE,
    PhoneInfo,
    is_valid_phone,
    normalize_phone,
    phone_info,
    phone_kind,
    short_province,
    split_region,
)

VALID = [
    # mobiles, in every notation callers and agents use
    ("13800138000", "13800138000"),
    ("+8613800138000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+86-138-0013-8000", "13800138000"),
    ("008613800138000", "13800138000"),
    ("0086 138 0013 8000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("86 138 0013 8000", "13800138000"),
    ("013800138000", "13800138000"),  # a trunk's 0 before a mobile from another city
    ("138-0013-8000", "13800138000"),
    ("138.0013.8000", "13800138000"),
    ("138·0013·8000", "13800138000"),
    ("(138) 0013 8000", "13800138000"),
    ("  13800138000\t", "13800138000"),
    ("１３８００１３８０００", "13800138000"),  # full-width digits from a Chinese input method
    ("＋８６ １３８－００１３－８０００", "13800138000"),
    ("19912345678", "19912345678"),
    ("16612345678", "16612345678"),
    # landlines keep their area code with its 0
    ("020-87654321", "02087654321"),
    ("(020) 8765 4321", "02087654321"),
    ("+86 20 8765 4321", "02087654321"),  # E.164 drops the area code's 0
    ("+862087654321", "02087654321"),
    ("0086 20 87654321", "02087654321"),
    ("+86 (0)20 8765 4321", "02087654321"),
    ("010-62345678", "01062345678"),
    ("+86 10 6234 5678", "01062345678"),
    ("0755-12345678", "075512345678"),
    ("0991-2345678", "09912345678"),
    # 400 / 800 service numbers
    ("4008001000", "4008001000"),
    ("400-800-1000", "4008001000"),
    ("+86 400 800 1000", "4008001000"),
    ("800-810-1234", "8008101234"),
]

INVALID = [
    ("", "required", "Enter a phone number."),
    ("   ", "required", "Enter a phone number."),
    ("1" * 33, "too_long", "A phone number has at most 32 characters."),
    ("+1 212 555 1234", "foreign", "Only Chinese numbers (+86) are supported."),
    ("+44 20 7946 0958", "foreign", "Only Chinese numbers (+86) are supported."),
    ("abc", "invalid", "“abc” is not a phone number: use digits only."),
    ("1380013800a", "invalid", "“1380013800a” is not a phone number: use digits only."),
    ("138*0013*8000", "invalid", "“138*0013*8000” is not a phone number: use digits only."),
    ("١٣٨٠٠١٣٨٠٠٠", "invalid", "“١٣٨٠٠١٣٨٠٠٠” is not a phone number: use digits only."),
    ("+86", "invalid", "“+86” is not a valid Chinese mobile or landline number."),
    ("12345", "invalid", "“12345” is not a valid Chinese mobile or landline number."),
    ("1380013800", "invalid", "“1380013800” is not a valid Chinese mobile or landline number."),
    ("138001380001", "invalid", "“138001380001” is not a valid Chinese mobile or landline number."),
    ("12800138000", "invalid", "“12800138000” is not a valid Chinese mobile or landline number."),
    ("23800138000", "invalid", "“23800138000” is not a valid Chinese mobile or landline number."),
    ("0000000000", "invalid", "“0000000000” is not a valid Chinese mobile or landline number."),
    ("02012345", "invalid", "“02012345” is not a valid Chinese mobile or landline number."),
    ("0755-1234567", "invalid", "“0755-1234567” is not a valid Chinese mobile or landline number."),
    ("10086", "invalid", "“10086” is not a valid Chinese mobile or landline number."),
    ("+86 12345", "invalid", "“+86 12345” is not a valid Chinese mobile or landline number."),
]


@pytest.mark.parametrize(("raw", "normal"), VALID)
def test_valid_numbers_fold_to_one_normal_form(raw: str, normal: str) -> None:
    assert normalize_phone(raw) == normal
    assert is_valid_phone(raw) is True


@pytest.mark.parametrize(("raw", "code", "message"), INVALID)
def test_invalid_numbers_say_what_is_wrong(raw: str, code: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        normalize_phone(raw)
    assert (refused.value.code, refused.value.messages) == (code, [message])
    assert is_valid_phone(raw) is False


@pytest.mark.parametrize("raw", [None, 13800138000, b"13800138000"])
def test_non_strings_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError) as refused:
        normalize_phone(raw)  # type: ignore[arg-type]
    assert refused.value.messages == ["Enter a phone number."]


mobiles = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPOTHESIS
@given(number=mobiles, prefix=st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86", "0"]),
       separator=st.sampled_from(["", " ", "-", "."]))
def test_every_notation_of_a_mobile_folds_to_it(number: str, prefix: str, separator: str) -> None:
    written = prefix + separator.join([number[:3], number[3:7], number[7:]])
    assert normalize_phone(written) == number


@HYPOTHESIS
@given(number=mobiles)
def test_the_normal_form_is_a_fixed_point(number: str) -> None:
    assert normalize_phone(normalize_phone(number)) == number


@HYPOTHESIS
@given(raw=st.text(max_size=40))
@example(raw="+")
@example(raw="0086")
@example(raw="1\u0663800138000")
def test_anything_else_is_normalised_or_refused_cleanly(raw: str) -> None:
    # Whatever is typed, the answer is a normal form that is ASCII digits, or a ValidationError.
    try:
        number = normalize_phone(raw)
    except ValidationError as refused:
        assert refused.messages
        return
    assert number.isascii() and number.isdigit()
    assert normalize_phone(number) == number
    assert phone_kind(number) in {MOBILE, LANDLINE, SERVICE}


@pytest.mark.parametrize(("number", "info"), [
    ("13800138000", PhoneInfo("13800138000", MOBILE, "北京", "北京", "移动")),
    ("13912345678", PhoneInfo("13912345678", MOBILE, "江苏", "常州", "移动")),
    ("18612345678", PhoneInfo("18612345678", MOBILE, "北京", "北京", "联通")),
    ("17012345678", PhoneInfo("17012345678", MOBILE, "浙江", "杭州", "电信")),
    ("15012345678", PhoneInfo("15012345678", MOBILE, "云南", "昭通", "移动")),
    ("19212345678", PhoneInfo("19212345678", MOBILE, "重庆", "重庆", "广电")),
    ("02087654321", PhoneInfo("02087654321", LANDLINE, "广东", "广州", "")),
    ("01062345678", PhoneInfo("01062345678", LANDLINE, "北京", "北京", "")),
    ("075512345678", PhoneInfo("075512345678", LANDLINE, "广东", "深圳", "")),
    ("09912345678", PhoneInfo("09912345678", LANDLINE, "新疆", "乌鲁木齐", "")),
    ("4008001000", PhoneInfo("4008001000", SERVICE, "", "", "")),
    ("8008101234", PhoneInfo("8008101234", SERVICE, "", "", "")),
])
def test_phone_info(number: str, info: PhoneInfo) -> None:
    assert phone_info(number) == info


@pytest.mark.parametrize(("number", "region"), [
    ("13912345678", "江苏 常州"), ("13800138000", "北京"), ("02087654321", "广东 广州"), ("4008001000", ""),
])
def test_region_label(number: str, region: str) -> None:
    assert phone_info(number).region == region


@pytest.mark.parametrize(("description", "parts"), [
    ("广东省广州市", ("广东", "广州")),
    ("北京市", ("北京", "北京")),
    ("上海市", ("上海", "上海")),
    ("广东省", ("广东", "")),
    ("新疆维吾尔自治区乌鲁木齐市", ("新疆", "乌鲁木齐")),
    ("内蒙古自治区呼和浩特市", ("内蒙古", "呼和浩特")),
    ("湖南省长沙市、湘潭市、株州", ("湖南", "长沙")),  # one area code, several cities: the first
    ("中国", ("", "")),
    ("", ("", "")),
])
def test_split_region(description: str, parts: tuple[str, str]) -> None:
    assert split_region(description) == parts


@pytest.mark.parametrize(("name", "short"), [
    ("广东省", "广东"), ("广东", "广东"), ("宁夏回族自治区", "宁夏"), ("", ""),
])
def test_short_province(name: str, short: str) -> None:
    assert short_province(name) == short

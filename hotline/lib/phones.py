"""Chinese phone numbers: one normal form for storage and look-up, and the region and carrier of a number.

The normal form is digits only, in national format: `13800138000` for mobiles, `02087654321` for
landlines (area code with its 0), `4008001000` for 400/800 service numbers. Callers arrive from trunks
with `+86`, `0086`, `86` or a leading `0` on a mobile, and agents type spaces and dashes; all of these
fold to the same key so that a look-up by any of them finds the customer.

Region and carrier are derived offline: the `phone` package's prefix table for mobiles (city level),
Google's libphonenumber geocoding data for landlines and for prefixes that table does not know yet.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MOBILE = "mobile"
LANDLINE = "landline"
SERVICE = "service"

_SEPARATORS = re.compile(r"[\s\-().·]")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_SERVICE_RE = re.compile(r"^(400|800)\d{7}$")
_LANDLINE_RE = re.compile(r"^0[1-9]\d{8,10}$")
MAX_RAW_LENGTH = 32

# Provinces, municipalities, autonomous regions and SARs, long name -> the short name we store.
PROVINCES = {
    "北京市": "北京", "天津市": "天津", "上海市": "上海", "重庆市": "重庆", "河北省": "河北", "山西省": "山西",
    "辽宁省": "辽宁", "吉林省": "吉林", "黑龙江省": "黑龙江", "江苏省": "江苏", "浙江省": "浙江", "安徽省": "安徽",
    "福建省": "福建", "江西省": "江西", "山东省": "山东", "河南省": "河南", "湖北省": "湖北", "湖南省": "湖南",
    "广东省": "广东", "海南省": "海南", "四川省": "四川", "贵州省": "贵州", "云南省": "云南", "陕西省": "陕西",
    "甘肃省": "甘肃", "青海省": "青海", "台湾省": "台湾", "内蒙古自治区": "内蒙古", "广西壮族自治区": "广西",
    "西藏自治区": "西藏", "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆", "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}  # fmt: skip
_MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}


@dataclass(frozen=True)
class PhoneInfo:
    """A normalised number with what can be known about it offline."""

    number: str
    kind: str
    province: str = ""
    city: str = ""
    carrier: str = ""

    @property
    def region(self) -> str:
        """`广东 深圳` style label; a municipality is named once."""
        if self.city and self.city != self.province:
            return f"{self.province} {self.city}".strip()
        return self.province


def normalize_phone(raw: str) -> str:
    """The normal form of a Chinese phone number, or a ValidationError that says what is wrong."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(_("Enter a phone number."), code="required")
    if len(raw) > MAX_RAW_LENGTH:
        raise ValidationError(_("A phone number has at most %(max)d characters."), code="too_long",
                              params={"max": MAX_RAW_LENGTH})
    # NFKC folds the full-width digits, plus and dash that Chinese input methods type to ASCII.
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw).strip())
    international = digits.startswith(("+", "0086"))
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("86"):
            raise ValidationError(_("Only Chinese numbers (+86) are supported."), code="foreign")
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13 and _MOBILE_RE.match(digits[2:]):
        digits = digits[2:]
    if digits and not (digits.isascii() and digits.isdigit()):
        raise ValidationError(_("“%(value)s” is not a phone number: use digits only."), code="invalid",
                              params={"value": raw})
    if international and not digits.startswith("0") and not _MOBILE_RE.match(digits) \
            and not _SERVICE_RE.match(digits):
        digits = "0" + digits  # +86 20 8765 4321: the area code's trunk 0 is dropped after +86
    if digits.startswith("01") and _MOBILE_RE.match(digits[1:]):
        digits = digits[1:]  # trunks often prefix mobiles from another city with 0
    if _MOBILE_RE.match(digits) or _SERVICE_RE.match(digits):
        return digits
    if _LANDLINE_RE.match(digits) and _is_valid_landline(digits):
        return digits
    raise ValidationError(_("“%(value)s” is not a valid Chinese mobile or landline number."), code="invalid",
                          params={"value": raw})


def normalize_phones(raws: list[str]) -> list[str]:
    """Several numbers in normal form, duplicates dropped, order kept; one ValidationError lists every
    bad number, so a form or an import row can report them all at once."""
    numbers: list[str] = []
    errors: list[str] = []
    for raw in raws:
        try:
            number = normalize_phone(raw)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if number not in numbers:
            numbers.append(number)
    if errors:
        raise ValidationError(errors)
    return numbers


def is_valid_phone(raw: str) -> bool:
    """True when `normalize_phone` accepts the number."""
    try:
        normalize_phone(raw)
    except ValidationError:
        return False
    return True


def _is_valid_landline(digits: str) -> bool:
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed)


def phone_kind(number: str) -> str:
    """mobile, landline or service for a number already in normal form."""
    if _MOBILE_RE.match(number):
        return MOBILE
    if _SERVICE_RE.match(number):
        return SERVICE
    return LANDLINE


@lru_cache(maxsize=1)
def _mobile_table() -> object:
    from phone import Phone

    return Phone()


@lru_cache(maxsize=65536)
def phone_info(number: str) -> PhoneInfo:
    """Region and carrier of a number in normal form (empty strings where unknown)."""
    kind = phone_kind(number)
    if kind == SERVICE:
        return PhoneInfo(number, kind)
    province = city = carrier = ""
    if kind == MOBILE:
        found = _mobile_table().find(number)  # type: ignore[attr-defined]
        if found:
            province, city = found["province"], found["city"]
            carrier = found["phone_type"].replace("虚拟运营商", "虚拟")
    parsed = phonenumbers.parse(number, "CN")
    if not province:
        province, city = split_region(_geocoder().description_for_number(parsed, "zh"))
    if not carrier:
        carrier = _carriers().name_for_number(parsed, "zh").removeprefix("中国")
    return PhoneInfo(number, kind, province, city, carrier)


def load_region_tables() -> None:
    """Import the region and carrier tables now (a web process, whose first screen pop must not pay it)."""
    _geocoder()
    _carriers()


def _geocoder() -> Any:
    # Imported on first use: its tables cost seconds and ~200 MB, which processes that never
    # derive a region (workers, most commands) should not pay at start-up.
    from phonenumbers import geocoder

    return geocoder


def _carriers() -> Any:
    from phonenumbers import carrier

    return carrier


def split_region(description: str) -> tuple[str, str]:
    """`广东省广州市` -> (`广东`, `广州`); `北京市` -> (`北京`, `北京`); unknown -> ("", "").

    An area code shared by several cities (`湖南省长沙市、湘潭市、株州`) is named after the first one.
    """
    for long_name, short in PROVINCES.items():
        if description.startswith(long_name):
            rest = description[len(long_name):].split("、")[0]
            city = rest.removesuffix("市") if rest else (short if short in _MUNICIPALITIES else "")
            return short, city
    return "", ""


def short_province(name: str) -> str:
    """The short name of a province given in long or short form."""
    if name in PROVINCES:
        return PROVINCES[name]
    return name

"""The outbound dial policy: which numbers Hotline may dial for a customer, and how often a day.

One policy for every path that dials a customer (click-to-dial, callbacks, and later campaigns and voice
notifications), so that a number refused on one path is refused on all of them. A call center's worst
night is toll fraud: a caller presents an international or premium number, hangs up in the queue, and the
callback dialer calls it back at our expense, over and over. By default only Chinese mobiles and
landlines are dialled; anything else is refused unless the operator allows its class or its prefix.

Pure: no I/O, no Django. `classify` and `class_refusal` are plain functions the web side uses too (the
engine may not import Django, but Django code may import this); `DialPolicy` adds the daily limits, with
the local date from an injected function (a fake clock in tests).

Number classes (the ranges are documented in docs/telephony.md, "Outbound dial policy"):

- mobile: 1[3-9] + 9 digits, except the satellite ranges 1349, 17400-17405 and 1749 (premium);
- landline: 0 + area code + subscriber number that libphonenumber accepts for China;
- international: 00… (other than 0086) or + followed by a country code other than 86;
- premium: 160/168 information lines (声讯台, alone or after an area code), 125xx voice information
  services, 900… (premium rate in most numbering plans, never a Chinese subscriber), satellite phones;
- service: 400/800 business numbers, 95xxx national and 96xxx local service numbers (alone or after an
  area code), short numbers 10xxx/11x/12xxx (carriers, emergency, public services), 179xx IP prefixes;
- invalid: anything else (a local number without its area code, too short, letters);
- no caller ID: empty, "anonymous", "unknown", "restricted", "private".
"""

from __future__ import annotations

import datetime
import enum
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import phonenumbers


class NumberClass(enum.Enum):
    """What kind of number a caller presented or an agent typed."""

    MOBILE = "mobile"
    LANDLINE = "landline"
    INTERNATIONAL = "international"
    PREMIUM = "premium"
    SERVICE = "service"
    INVALID = "invalid"
    NO_CALLER_ID = "no_caller_id"


# Dialled by default; the others only when the operator allows their class or their prefix.
DIALLED_BY_DEFAULT = frozenset({NumberClass.MOBILE, NumberClass.LANDLINE})
# Classes that can be allowed by configuration (there is nothing to dial for the other two).
ALLOWABLE = frozenset({NumberClass.INTERNATIONAL, NumberClass.PREMIUM, NumberClass.SERVICE})


class Refusal(enum.Enum):
    """Why a number was not dialled (stored on the callback row, shown to people)."""

    INTERNATIONAL = "international"
    PREMIUM = "premium"
    SERVICE = "service"
    INVALID = "invalid"
    NO_CALLER_ID = "no_caller_id"
    DENIED_PREFIX = "denied_prefix"
    NUMBER_LIMIT = "number_limit"
    PREFIX_LIMIT = "prefix_limit"


# For logs and event details (the web side shows its own translated labels of the same values).
REFUSAL_TEXT = {
    Refusal.INTERNATIONAL: "international number",
    Refusal.PREMIUM: "premium-rate number",
    Refusal.SERVICE: "service number",
    Refusal.INVALID: "invalid number",
    Refusal.NO_CALLER_ID: "no caller ID",
    Refusal.DENIED_PREFIX: "prefix refused by configuration",
    Refusal.NUMBER_LIMIT: "daily dial limit of this number reached",
    Refusal.PREFIX_LIMIT: "daily dial limit of this prefix reached",
}
_CLASS_REFUSAL = {
    NumberClass.INTERNATIONAL: Refusal.INTERNATIONAL,
    NumberClass.PREMIUM: Refusal.PREMIUM,
    NumberClass.SERVICE: Refusal.SERVICE,
    NumberClass.INVALID: Refusal.INVALID,
    NumberClass.NO_CALLER_ID: Refusal.NO_CALLER_ID,
}

_SEPARATORS = re.compile(r"[\s\-().·]")
_ANONYMOUS = frozenset({"", "anonymous", "unknown", "unavailable", "restricted", "private", "withheld"})
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SATELLITE = re.compile(r"1349\d{7}|1740[0-5]\d{6}|1749\d{7}")
_BUSINESS = re.compile(r"(400|800)\d{7}")
# Numbers dialled without an area code (the whole national number), first match wins.
_NATIONAL_RULES: tuple[tuple[re.Pattern[str], NumberClass, str], ...] = (
    (re.compile(r"16[08]\d{4,6}"), NumberClass.PREMIUM, "160/168 information line"),
    (re.compile(r"125\d{2,8}"), NumberClass.PREMIUM, "125xx voice information service"),
    (re.compile(r"90\d*"), NumberClass.PREMIUM, "900 premium rate"),
    (re.compile(r"9[56]\d{3,6}"), NumberClass.SERVICE, "95xxx/96xxx service number"),
    (re.compile(r"179\d{2,}"), NumberClass.SERVICE, "179xx IP toll prefix"),
    (re.compile(r"1[012]\d{1,6}"), NumberClass.SERVICE, "short number (10xxx, 11x, 12xxx)"),
)
# Subscriber parts after an area code (020-168xxxxx, 0571-96xxx).
_SUBSCRIBER_RULES: tuple[tuple[re.Pattern[str], NumberClass, str], ...] = (
    (re.compile(r"16[08]\d{4,5}"), NumberClass.PREMIUM, "160/168 information line"),
    (re.compile(r"9[56]\d{3,6}"), NumberClass.SERVICE, "95xxx/96xxx service number"),
    (re.compile(r"1\d{2,4}"), NumberClass.SERVICE, "short number after an area code"),
)


@dataclass(frozen=True)
class Classified:
    """A number in normal form with its class and the rule that decided it.

    The normal form is the national digits for Chinese numbers (13800138000, 02087654321, 95588), 00 and
    the digits for international ones (00882130000001), the digits otherwise, "" for no caller ID.
    """

    number: str
    kind: NumberClass
    rule: str = ""


def classify(raw: str) -> Classified:
    """The class of a caller ID or a typed number (full-width digits, spaces, dashes and +86 folded)."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or "").strip())
    if text.lower() in _ANONYMOUS:
        return Classified("", NumberClass.NO_CALLER_ID, "no caller ID")
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not (digits.isascii() and digits.isdigit()):
        return Classified(text[:32], NumberClass.INVALID, "not digits")
    if plus:
        digits = digits[2:] if digits.startswith("86") else "00" + digits
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    if digits.startswith("00"):
        return Classified(digits, NumberClass.INTERNATIONAL, "international prefix 00")
    if plus and not digits.startswith(("0", "1", "4", "8")):
        digits = "0" + digits  # +86 20 8765 4321: the area code's trunk 0 is dropped after +86
    if digits.startswith("01") and _MOBILE.fullmatch(digits[1:]):
        digits = digits[1:]  # trunks often prefix mobiles from another city with 0
    return _classify_national(digits)


def _classify_national(digits: str) -> Classified:
    if _SATELLITE.fullmatch(digits):
        return Classified(digits, NumberClass.PREMIUM, "satellite phone")
    if _MOBILE.fullmatch(digits):
        return Classified(digits, NumberClass.MOBILE, "mobile")
    if _BUSINESS.fullmatch(digits):
        return Classified(digits, NumberClass.SERVICE, "400/800 business number")
    if digits.startswith("0") and len(digits) > 3:
        return _classify_landline(digits)
    for pattern, kind, rule in _NATIONAL_RULES:
        if pattern.fullmatch(digits):
            return Classified(digits, kind, rule)
    return Classified(digits, NumberClass.INVALID, "not a Chinese number")


def _classify_landline(digits: str) -> Classified:
    # Area codes: 010 and 02x have two digits after the 0, every other one three.
    area = 3 if digits[1] in "12" else 4
    subscriber = digits[area:]
    for pattern, kind, rule in _SUBSCRIBER_RULES:
        if pattern.fullmatch(subscriber) or (kind is NumberClass.PREMIUM and pattern.match(subscriber)):
            return Classified(digits, kind, rule)
    if 10 <= len(digits) <= 12 and _is_valid_landline(digits):
        return Classified(digits, NumberClass.LANDLINE, "landline")
    return Classified(digits, NumberClass.INVALID, "not a Chinese landline")


def _is_valid_landline(digits: str) -> bool:
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(digits, "CN")))
    except phonenumbers.NumberParseException:
        return False


def _clean_prefixes(prefixes: Iterable[str]) -> tuple[str, ...]:
    cleaned = tuple(p.strip().removeprefix("+") for p in prefixes if p.strip())
    bad = [p for p in cleaned if not p.isdigit()]
    if bad:
        raise ValueError(f"dial policy: prefixes are digits only; got {bad}")
    return cleaned


@dataclass(frozen=True)
class DialSettings:
    """The dial policy's configuration (HOTLINE_DIAL_* settings, docs/configuration.md).

    `allow`: classes dialled besides mobile and landline (international, premium, service).
    `allow_prefixes` are dialled whatever their class (00852 for Hong Kong customers, 400…), unless the
    number is invalid or absent; `deny_prefixes` are refused whatever their class. Prefixes are matched
    against the normal form. A limit of 0 is no limit.
    """

    allow: frozenset[NumberClass] = frozenset()
    allow_prefixes: tuple[str, ...] = ()
    deny_prefixes: tuple[str, ...] = ()
    per_number_daily: int = 5
    per_prefix_daily: int = 100
    prefix_digits: int = 7

    def __post_init__(self) -> None:
        if not self.allow <= ALLOWABLE:
            names = sorted(kind.value for kind in self.allow - ALLOWABLE)
            raise ValueError(f"dial policy: {names} can never be allowed")
        object.__setattr__(self, "allow_prefixes", _clean_prefixes(self.allow_prefixes))
        object.__setattr__(self, "deny_prefixes", _clean_prefixes(self.deny_prefixes))
        if min(self.per_number_daily, self.per_prefix_daily) < 0 or not 1 <= self.prefix_digits <= 16:
            raise ValueError("dial policy: limits are 0 or more, the prefix has 1 to 16 digits")


def class_refusal(number: Classified, settings: DialSettings) -> Refusal | None:
    """Why the number may not be dialled at all (its class or a configured prefix), or None."""
    if number.kind in (NumberClass.NO_CALLER_ID, NumberClass.INVALID):
        return _CLASS_REFUSAL[number.kind]
    if settings.deny_prefixes and number.number.startswith(settings.deny_prefixes):
        return Refusal.DENIED_PREFIX
    if number.kind in DIALLED_BY_DEFAULT or number.kind in settings.allow:
        return None
    if settings.allow_prefixes and number.number.startswith(settings.allow_prefixes):
        return None
    return _CLASS_REFUSAL[number.kind]


def refusal_text(refusal: Refusal) -> str:
    """"not dialled: international number", for logs and event details."""
    return f"not dialled: {REFUSAL_TEXT[refusal]}"


class DialPolicy:
    """The class rules plus per-number and per-prefix daily limits of dial attempts.

    `today` gives the local date; the counts start again when it changes. `refusal` only looks;
    `admit` looks and, when the number may be dialled, counts the attempt (call it right before dialling
    the customer). The counts live in memory: an engine restart starts them again.
    """

    def __init__(self, settings: DialSettings, today: Callable[[], datetime.date]) -> None:
        self.settings = settings
        self._today = today
        self._day: datetime.date | None = None
        self._per_number: dict[str, int] = {}
        self._per_prefix: dict[str, int] = {}

    def adopt(self, other: DialPolicy) -> None:
        """Take `other`'s settings and local day (limits changed on a running engine): the counts start
        again; every call dialled from now on, including those already ringing an agent, is judged by them."""
        self.settings, self._today = other.settings, other._today
        self._day, self._per_number, self._per_prefix = None, {}, {}

    def prefix_of(self, number: str) -> str:
        """The block a number is counted in: its first `prefix_digits` digits in normal form."""
        return number[:self.settings.prefix_digits]

    def refusal(self, raw: str) -> Refusal | None:
        """Why this number may not be dialled now, or None."""
        number = classify(raw)
        refused = class_refusal(number, self.settings)
        if refused is not None:
            return refused
        self._roll_day()
        settings = self.settings
        if settings.per_number_daily and self._per_number.get(number.number, 0) >= settings.per_number_daily:
            return Refusal.NUMBER_LIMIT
        prefix = self.prefix_of(number.number)
        if settings.per_prefix_daily and self._per_prefix.get(prefix, 0) >= settings.per_prefix_daily:
            return Refusal.PREFIX_LIMIT
        return None

    def admit(self, raw: str) -> Refusal | None:
        """`refusal`, and when there is none, count one dial attempt for the number and its prefix."""
        refused = self.refusal(raw)
        if refused is None:
            number = classify(raw).number
            prefix = self.prefix_of(number)
            self._per_number[number] = self._per_number.get(number, 0) + 1
            self._per_prefix[prefix] = self._per_prefix.get(prefix, 0) + 1
        return refused

    def attempts_today(self, raw: str) -> int:
        """Dial attempts counted today for this number."""
        self._roll_day()
        return self._per_number.get(classify(raw).number, 0)

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._day:
            self._day = today
            self._per_number.clear()
            self._per_prefix.clear()

"""Money is Decimal yuan with two places; these helpers keep every computation on that footing."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def yuan(value: Decimal | int | str) -> Decimal:
    """Round to cents, half up, as Chinese invoices do."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")  # inside a group of four digits
_GROUPS = ("", "万", "亿", "万亿")  # one per group of four, from the right
_WORDS_LIMIT = Decimal(10) ** 16


def _group_words(group: int) -> str:
    """A number under 10,000 in capital digits, one 零 for any run of zeros between digits, none at the end."""
    words, zero_pending = "", False
    for place in range(3, -1, -1):
        digit = group // 10**place % 10
        if digit == 0:
            zero_pending = bool(words)
            continue
        if zero_pending:
            words += "零"
            zero_pending = False
        words += _DIGITS[digit] + _PLACES[place]
    return words


def _yuan_words(whole: int) -> str:
    """Whole yuan in capital digits. A group under 1,000 after a higher non-zero group, or after a run of
    empty groups, starts with 零 (10,0500 → 壹拾万零伍佰): the reader must not take 伍佰 for 伍仟."""
    groups = []
    while whole:
        groups.append(whole % 10_000)
        whole //= 10_000
    words, zero_pending = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(words)
            continue
        if words and (zero_pending or group < 1000):
            words += "零"
        words += _group_words(group) + _GROUPS[index]
        zero_pending = False
    return words


def amount_in_words(amount: Decimal | int | str) -> str:
    """An amount of yuan in capital Chinese numerals (人民币大写), as written on cheques and COD forms.

    Rounded to the fen first (half up). 整 closes an amount with neither 角 nor 分: 1005.00 → 壹仟零伍元整,
    0.50 → 伍角, 1.05 → 壹元零伍分, 100000.07 → 壹拾万元零柒分, 0 → 零元整. Amounts of 10¹⁶ yuan or more
    raise ValueError."""
    value = yuan(amount)
    if abs(value) >= _WORDS_LIMIT:
        raise ValueError(f"amount too large to write in words: {value}")
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    whole, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    words = _yuan_words(whole) + "元" if whole else ""
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif fen and whole:
        words += "零"  # 元 followed by 分 alone: the 零 stands for the empty 角
    if fen:
        words += _DIGITS[fen] + "分"
    if not jiao and not fen:
        words = (words or "零元") + "整"
    return sign + words

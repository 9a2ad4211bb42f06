"""`{{ amount|money }}`: an amount of money as the finance screens show it — "¥1,234.56", a negative one
"−¥1,234.56" (with the minus sign U+2212, which lines up with the digits and is not taken for a hyphen), and
nothing known "—". Amounts come as Decimals from the models and as strings from a job's JSON result."""

from __future__ import annotations

from decimal import InvalidOperation
from typing import Any

from django import template

from hotline.lib.money import yuan

register = template.Library()

MINUS = "\u2212"
NOTHING = "—"


@register.filter
def money(value: Any) -> str:
    """The amount in yuan to the fen, with thousands separators; anything that is not an amount as it is."""
    if value is None or value == "":
        return NOTHING
    try:
        amount = yuan(str(value))  # half a fen up, as everywhere
    except (InvalidOperation, ValueError):
        return str(value)
    sign = MINUS if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"
